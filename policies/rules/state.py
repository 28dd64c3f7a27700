"""``no-undeclared-rules`` (advisory): rules, routes and NACL entries that the stored state of a
group, table or NACL holds and the program does not declare -- and public addresses and groups
the stored state of an instance or ENI holds that nothing of the program explains.

The pack judges the network the program declares (``records.DECLARED_FIELDS``, see
``mirrors``): a stored element that neither the resource's own inputs nor a separate resource
of the stack declares is not counted -- it is the stale copy of something this change deletes
(it goes with the change), or drift made outside Pulumi (it stays in AWS). Blocking on it would
block the very pull request that deletes a bad rule; passing it silently would hide drift. So it
is reported here, as advice, with what it is and how to settle it.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._net import undeclared_rules
from ._wire import Stack, fail_closed
from .mirrors import Undeclared
from .netmodel import describe, model_of

UNDECLARED: Final = "no-undeclared-rules"

_WHAT: Final = {"ingress": "ingress rules", "egress": "egress rules", "routes": "routes",
                "associatePublicIpAddress": "a public address",
                "vpcSecurityGroupIds": "security groups", "securityGroups": "security groups"}


@fail_closed(UNDECLARED)
def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    found: dict[tuple[str, str], list[Undeclared]] = {}
    for u in [*undeclared_rules(stack), *model_of(stack).undeclared]:
        found.setdefault((u.res.urn, u.field), []).append(u)
    for (urn, field), items in found.items():
        res = items[0].res
        what = f"{field} entries" if res.type.endswith("etworkAcl") else _WHAT[field]
        report(
            f"The stored state of {describe(res)} holds {what} that the program does not "
            f"declare, neither on it nor as separate resources: "
            f"{'; '.join(u.what for u in items)}. The pack judges what the program declares. "
            f"If this change deletes them, they go with it; otherwise they are drift made "
            f"outside Pulumi and stay in AWS: remove them in AWS (or declare them), then run "
            f"`pulumi refresh`.",
            urn,
        )


no_undeclared_rules: Final = StackValidationPolicy(
    name=UNDECLARED,
    description=(
        "Security group rules, routes and NACL entries in the stored state are declared by the "
        "program (stale copies and drift are reported, not judged)."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES: Final = [no_undeclared_rules]
