"""Policy pack entry point: assembles the pack from the rules under ``rules/`` and serves it.

The Pulumi CLI starts this as ``python -u policies/`` (so ``rules`` is importable from the
pack directory). Building the PolicyPack starts the Analyzer gRPC server and never returns:
never import this module from tests -- import ``policies.rules`` instead.
"""

import gc

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import POLICIES
from rules._server import install

# Deserialize the stack once per AnalyzeStack call instead of once per policy (see _server).
install()

# pulumi_policy deserializes the whole stack once per stack policy (policy.py, AnalyzeStack):
# ~10^5 short-lived objects per policy on a large stack, which with the default thresholds
# trigger full collections that cost more than the analysis itself. The pack lives for one
# operation: collect rarely, and never scan the imported modules again.
gc.freeze()
gc.set_threshold(200_000, 50, 100)

PolicyPack(
    name="tiered-network-guardrails",
    description=(
        "Guardrails for the tiered network: SSH only through the bastion and only from the "
        "office, a private tier reachable only from inside the VPC and egressing only through "
        "NAT, declared tiers, and host hardening."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
