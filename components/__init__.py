"""Reusable Pulumi components for the course's tiered network (see README.md)."""
