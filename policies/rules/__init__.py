"""The rules of the tiered-network-guardrails policy pack, one module per concern.

Importable both as ``rules`` (the pack runs as ``python -u policies/``, which puts the pack
directory first on sys.path) and as ``policies.rules`` (tests, from the repository root): the
modules import each other relatively.
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import audit, hardening, private_tier, ssh, tiers

POLICIES: list[Policy] = [
    *ssh.POLICIES,
    *private_tier.POLICIES,
    *tiers.POLICIES,
    *hardening.POLICIES,
    *audit.POLICIES,
]

__all__ = ["POLICIES", "audit", "hardening", "private_tier", "ssh", "tiers"]
