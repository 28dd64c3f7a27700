"""Offline review of the Pulumi program: mocks, a recording engine and a policy-pack driver."""
