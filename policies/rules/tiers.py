"""``tier-declared``: intent is declared, so it can't be dropped to dodge the tier rules.

Every subnet and instance carries a valid ``Tier`` tag (public | private | management), every
instance a ``Role`` tag, and an instance's Tier matches its subnet's.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._net import subnet_of
from ._wire import Stack, fail_closed
from .netmodel import model_of
from .records import (
    INSTANCE,
    ROLE_TAG,
    SUBNET,
    TIER_TAG,
    TIERS,
    Ref,
    Res,
    is_unknown,
)

TIER_DECLARED: Final = "tier-declared"
_VALID: Final = " | ".join(TIERS)


def _tier_problem(res: Res, kind: str) -> str | None:
    tier = res.tag(TIER_TAG)
    if is_unknown(tier):
        return (
            f"{kind} {res.label} has a Tier tag that is unknown during preview. Set the "
            f"{TIER_TAG} tag to a literal {_VALID}."
        )
    if tier is None or tier == "":
        return f"{kind} {res.label} has no {TIER_TAG} tag. Tag it {TIER_TAG}={_VALID}."
    if tier not in TIERS:
        return (
            f"{kind} {res.label} has {TIER_TAG}={tier!r}, which is not a tier. Tag it "
            f"{TIER_TAG}={_VALID} (lower case)."
        )
    return None


@fail_closed(TIER_DECLARED)
def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    for subnet in stack.of_type(SUBNET):
        problem = _tier_problem(subnet, "Subnet")
        if problem:
            report(problem, subnet.urn)
    for inst in stack.of_type(INSTANCE):
        problem = _tier_problem(inst, "Instance")
        if problem:
            report(problem, inst.urn)
        role = inst.tag(ROLE_TAG)
        if is_unknown(role):
            report(
                f"Instance {inst.label} has a {ROLE_TAG} tag that is unknown during preview. "
                f"Set the {ROLE_TAG} tag to a literal role (bastion, web, db, ...).",
                inst.urn,
            )
        elif not role:
            report(
                f"Instance {inst.label} has no {ROLE_TAG} tag. Tag it {ROLE_TAG}=bastion for "
                f"the bastion, otherwise {ROLE_TAG}=<server name> (web, db, ...).",
                inst.urn,
            )
        # launched from a template: the template's interface may name the subnet (the
        # network model places it, netmodel.holders)
        from_template = (_template_subnets(stack, inst)
                         if inst.get("subnetId") in (None, "") else None)
        if inst.get("subnetId") in (None, ""):
            if from_template is None:
                report(
                    f"Instance {inst.label} has no subnetId, so it lands in the default VPC "
                    f"outside the tiers. Set subnetId to a subnet of its tier.",
                    inst.urn,
                )
                continue
            subnets = from_template
        else:
            subnets = subnet_of(stack, inst)
        if not subnets.resolved:
            where = (
                f"subnet {', '.join(subnets.external)}, which is not part of this stack"
                if subnets.external
                else "a subnet that cannot be determined during preview"
            )
            report(
                f"Instance {inst.label} is in {where}, so its tier cannot be checked. Place it "
                f"in a tiered subnet of this stack.",
                inst.urn,
            )
            continue
        tier = inst.tag(TIER_TAG)
        for subnet in subnets.targets:
            sub_tier = subnet.tag(TIER_TAG)
            if is_unknown(tier) or is_unknown(sub_tier) or tier != sub_tier:
                shown = "unknown" if is_unknown(sub_tier) else (sub_tier or "none")
                mine = "unknown" if is_unknown(tier) else (tier or "none")
                report(
                    f"Instance {inst.label} has {TIER_TAG}={mine} but its subnet "
                    f"{subnet.label} has {TIER_TAG}={shown}. Move the instance to a subnet of "
                    f"its tier or correct the tags so they agree.",
                    inst.urn,
                )


def _template_subnets(stack: Stack, inst: Res) -> Ref | None:
    """The subnets an instance with no subnetId of its own sits in, as the network model
    places its interfaces from its launch template (unknown: one that cannot be determined
    during preview); None when no template of the stack names one (a default subnet)."""
    if inst.get("launchTemplate") in (None, {}):
        return None
    ifaces = model_of(stack).interface_of(inst)
    out = Ref()
    for iface in ifaces:
        if iface.subnet_unknown:
            out.unknown = True
        elif iface.subnet is None:
            return None
        else:
            out.targets.append(iface.subnet.res)
    return out if ifaces else None


tier_declared: Final = StackValidationPolicy(
    name=TIER_DECLARED,
    description=(
        "Every subnet and instance declares a valid Tier tag (public | private | management), "
        "every instance a Role tag, and an instance's Tier matches its subnet's."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES: Final = [tier_declared]
