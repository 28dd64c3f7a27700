"""The rules of the tiered-network-guardrails policy pack, one module per concern.

Importable both as ``rules`` (the pack runs as ``python -u policies/``, which puts the pack
directory first on sys.path) and as ``policies.rules`` (tests and the review, from the
repository root): the modules import each other relatively.

The policies (which need pulumi_policy) load lazily on first access to ``POLICIES``, so the
Pulumi-free modules -- ``records`` (plain records), ``_net`` (security group rules),
``netmodel`` (the network model), ``classes`` (every type's class) and ``unmodelled`` -- can be
imported without Pulumi.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_policy import Policy

    POLICIES: list[Policy]

_POLICY_MODULES = ("ssh", "private_tier", "tiers", "hardening", "audit", "state", "known_types",
                   "gates")


def __getattr__(name: str) -> Any:
    if name == "POLICIES":
        policies: list[Any] = []
        for module in _POLICY_MODULES:
            policies += importlib.import_module(f".{module}", __name__).POLICIES
        from . import _wire

        _wire.POLICY_ORDER[:] = [p.name for p in policies]
        globals()["POLICIES"] = policies
        return policies
    if name in _POLICY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["POLICIES", "audit", "gates", "hardening", "known_types", "private_tier", "ssh",
           "state", "tiers"]
