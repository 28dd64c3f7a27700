"""SSH reaches the servers only through the bastion, and the bastion only from the office.

- ``bastion-ssh-only-from-office``: a question to the network model (``netmodel``): from the
  internet, port 22 reaches only the bastion, and only from inside a configured office CIDR --
  directly or through any forwarder (a load balancer, a front door, a Client VPN endpoint).
  And rule 1 as written (issue 13 point 4): no rule of the bastion's groups admits SSH from an
  internet source outside the office list, whether or not an address and a route make it live
  today (``model.admissions``): the route can come later.
- ``servers-ssh-only-from-bastion``: every other security group admits SSH only from the
  bastion's security group.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._net import (
    SSH_PORT,
    Rule,
    attachments,
    bastion_groups,
    group_label,
    held_attachments,
    holders_of,
    is_bastion_instance,
    ref_label,
    security_group_rules,
)
from ._wire import Stack, fail_closed
from .netmodel import Admission, Exposure, Interface, describe, is_internet, model_of
from .records import (
    INSTANCE,
    INSTANCE_CONNECT_ENDPOINT,
    SECURITY_GROUP,
    Network,
    Res,
    inside,
    is_unknown,
    names,
    parse_cidr,
)

BASTION_SSH: Final = "bastion-ssh-only-from-office"
SERVERS_SSH: Final = "servers-ssh-only-from-bastion"
OFFICE_KEY: Final = "officeCidrs"
ACCESS_KEY: Final = "access"
# Issue 9: how admins get in. Only "bastion" admits SSH from a CIDR (the office's).
ACCESS_MODES: Final = ("bastion", "instance-connect", "ssm")

OFFICE_SCHEMA: Final = PolicyConfigSchema(
    properties={
        OFFICE_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "uniqueItems": True,
            "description": (
                "The office networks (IPv4 or IPv6 CIDRs, e.g. 203.0.113.0/24) the bastion "
                "may admit SSH from. /0 and malformed CIDRs are refused. At least one with "
                "access bastion; none with instance-connect or ssm."
            ),
        },
        ACCESS_KEY: {
            "type": "string",
            "enum": list(ACCESS_MODES),
            "default": "bastion",
            "description": (
                "How admins get in: bastion (SSH from officeCidrs), instance-connect or ssm "
                "(no bastion: nothing may admit SSH from a CIDR)."
            ),
        },
    },
)


def access_mode(config: Any) -> str:
    """The configured access mode (default bastion); an unknown value counts as bastion's
    stricter sibling: no CIDR may admit SSH (fail closed)."""
    raw = config.get(ACCESS_KEY) if hasattr(config, "get") else None
    if raw is None:
        return "bastion"
    return raw if raw in ACCESS_MODES else "ssm"


def office_networks(config: Any) -> tuple[list[Network], list[str]]:
    """The configured office networks, and one message per problem with the configuration."""
    key = f"{BASTION_SSH}.{OFFICE_KEY}"
    raw = config.get(OFFICE_KEY) if hasattr(config, "get") else None
    access = access_mode(config)
    if access != "bastion":
        if raw:
            return [], [
                f"The policy config key '{key}' lists office CIDRs, but access is {access}: "
                f"there is no bastion and nothing may admit SSH from a CIDR. Remove '{key}'."
            ]
        return [], []
    if raw is None:
        return [], [
            f"The policy config key '{key}' is not set, so no address may admit SSH to the "
            f"bastion. Set '{key}' to the office CIDRs in the stack's policy pack config."
        ]
    if isinstance(raw, str) or not hasattr(raw, "__iter__"):
        return [], [
            f"The policy config key '{key}' must be an array of CIDR strings, not {raw!r}. "
            f"Set it to a list such as [\"203.0.113.0/24\"]."
        ]
    items = list(raw)
    if not items:
        return [], [
            f"The policy config key '{key}' is empty, so no address may admit SSH to the "
            f"bastion. List at least one office CIDR."
        ]
    nets: list[Network] = []
    problems: list[str] = []
    for item in items:
        net = parse_cidr(item)
        if net is None:
            problems.append(
                f"The policy config key '{key}' holds {item!r}, which is not a CIDR (address/"
                f"prefix length, no host bits set); it is ignored. Fix or remove it."
            )
        elif net.prefixlen == 0:
            problems.append(
                f"The policy config key '{key}' holds {item}, which admits the whole internet; "
                f"it is ignored. Use the office's own CIDR."
            )
        else:
            nets.append(net)
    return nets, problems


def _ssh_verb(rule: Rule) -> str:
    admits = rule.admits(SSH_PORT)
    if is_unknown(admits):
        return f"may admit SSH ({rule.ports_text()})"
    return f"admits SSH ({rule.ports_text()})"


def _into(rule: Rule) -> str:
    return ref_label(rule.groups)


def _is_bastion_rule(rule: Rule, verified: list[Res]) -> bool:
    return rule.groups.resolved and all(g in verified for g in rule.groups.targets)


def _ssh_rules(stack: Stack) -> list[Rule]:
    return [
        r
        for r in security_group_rules(stack)
        if r.ingress and (is_unknown(a := r.admits(SSH_PORT)) or a is True)
    ]


def is_bastion_interface(iface: Interface) -> bool:
    """The bastion: an instance tagged Role=bastion in a management-tier subnet."""
    inst = iface.instance
    return (
        inst is not None
        and is_bastion_instance(inst)
        and iface.subnet is not None
        and iface.subnet.tier == "management"
    )


def _within_office(source: str, offices: list[Network]) -> bool:
    net = parse_cidr(source)
    return net is not None and inside(net, offices)


@fail_closed(BASTION_SSH)
def _validate_bastion(args: StackValidationArgs, report: ReportViolation) -> None:
    """A question to the network model: from the internet, port 22 reaches only the bastion,
    and only from the office CIDRs -- directly (public address + IGW route + security group)
    or through any forwarder (a load balancer, a front door, a Client VPN endpoint)."""
    stack = Stack.of(args)
    config = args.get_config()
    offices, problems = office_networks(config)
    for problem in problems:
        report(problem, None)
    keyless = access_mode(config) != "bastion"
    office_text = ", ".join(str(n) for n in offices) or (
        f"none: access is {access_mode(config)}, there is no bastion" if keyless
        else "none configured"
    )
    model = model_of(stack)
    found: dict[tuple[str, str], list[Exposure]] = {}
    bad_rules: dict[str, list[tuple[Interface, Admission]]] = {}
    for iface in model.interfaces:
        bastion = is_bastion_interface(iface)
        for e in model.internet_ingress(iface):
            if not e.covers(SSH_PORT):
                continue
            bad = [s for s in e.sources if not (bastion and _within_office(s, offices))]
            if bad or e.uncertain:
                found.setdefault((e.reporter.urn, iface.key), []).append(e)
        if bastion:
            # Rule 1 as written: what the bastion's rules admit, reachable today or not.
            local = model.local_networks(iface)
            for a in model.admissions(iface, SSH_PORT):
                if a.source is not None and not is_internet(a.source, local):
                    continue  # private space or the VPC's own: not the internet
                if a.unknown or not _within_office(a.text, offices):
                    bad_rules.setdefault(a.rule.owner.urn, []).append((iface, a))
    reported = {urn for urn, _key in found}
    for urn, admitted in bad_rules.items():
        if urn in reported:
            continue  # already reported with the path that makes it live
        iface, a = admitted[0]
        unsure = any(x.unknown for _i, x in admitted)
        srcs = ", ".join(dict.fromkeys(x.text for _i, x in admitted))
        report(
            f"{a.rule.where} {'may admit' if unsure else 'admits'} SSH "
            f"({a.rule.ports_text()}) into {group_label(a.group)} of the bastion "
            f"({iface.label}) from {srcs}, outside the office CIDRs ({office_text}). It "
            f"reaches nothing from the internet today, but the rule is what counts: an address "
            f"or a route can come later. Narrow the source to the office CIDRs or remove the "
            f"rule.",
            urn,
        )
    for exposures in found.values():
        e = exposures[0]
        iface = e.iface
        bastion = is_bastion_interface(iface)
        sources = list(dict.fromkeys(s for x in exposures for s in x.sources))
        vias = list(dict.fromkeys(x.via for x in exposures))
        uncertain = list(dict.fromkeys(u for x in exposures for u in x.uncertain))
        bad = [s for s in sources if not (bastion and _within_office(s, offices))]
        ports = ", ".join(dict.fromkeys(x.ports_text for x in exposures))
        who = "the bastion" if bastion else f"{iface.label}, which is not the bastion,"
        verb = "may be reachable" if uncertain else "is reachable"
        srcs = ", ".join(bad or sources)
        why = (
            f" (decided by values unknown during preview: {'; '.join(uncertain)}; make them "
            f"known at preview time)"
            if uncertain
            else ""
        )
        fix = (
            f"Narrow the source to the office CIDRs ({office_text}) or remove the rule"
            if bastion and e.kind == "direct"
            else "Admit SSH from neither the Client VPN endpoint's security groups nor its "
            f"network (its users connect from any address); admit only the office CIDRs "
            f"({office_text})"
            if e.kind == "vpn"
            else f"Admit only the office CIDRs ({office_text}) on the load balancer, or remove "
            f"the listener"
            if bastion
            else "Remove the path (the rule, the public address or the listener); reach "
            "servers over SSH only through the bastion"
        )
        report(
            f"{describe(e.reporter)} lets the internet reach SSH: {who} {verb} on {ports} "
            f"from {srcs} via {'; '.join(vias)}{why}. From the internet, port 22 may reach only "
            f"the bastion, and only from the office CIDRs ({office_text}). {fix}.",
            e.reporter.urn,
        )


def eic_groups(stack: Stack) -> list[Res]:
    """The security groups of the stack's EC2 Instance Connect Endpoints (known references
    only: an undeterminable group is not trusted)."""
    out: list[Res] = []
    for endpoint in stack.of_type(INSTANCE_CONNECT_ENDPOINT):
        raw = endpoint.props.get("securityGroupIds")
        values = raw if isinstance(raw, list) else [raw]
        for value in values:
            ref = stack.ref(
                endpoint, "securityGroupIds", {SECURITY_GROUP: "id"}, value, use_value=True
            )
            out += [t for t in ref.targets if t not in out]
    return out


@fail_closed(SERVERS_SSH)
def _validate_servers(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    # Every holder of interfaces counts (the holder table), not only instances, templates and
    # ENIs: a Lambda function or a VPC endpoint carrying the bastion's group is not the bastion.
    atts = attachments(stack) + held_attachments(model_of(stack).interfaces)
    verdicts = bastion_groups(stack, atts)
    verified = [v.sg for v in verdicts if v.verified]
    # Why a group tagged Role=bastion is not the bastion's, for the rules that trust it.
    refused = {v.sg.urn: v.reason for v in verdicts if not v.verified}
    # Issue 9: an EC2 Instance Connect Endpoint's group is the other SSH source servers may
    # admit (access instance-connect): its tunnels arrive from the endpoint's interfaces.
    verified += [g for g in eic_groups(stack) if g not in verified]
    bastion_text = (
        ", ".join(group_label(g) for g in verified)
        if verified
        else "none exists: no security group is tagged Role=bastion and attached only to "
        "Role=bastion instances in management-tier subnets, and no EC2 Instance Connect "
        "Endpoint's group"
    )
    for rule in _ssh_rules(stack):
        if _is_bastion_rule(rule, verified):
            continue
        bad: list[str] = []
        bad += [c.text for c in rule.cidrs]
        bad += [
            f"prefix list {'(unknown during preview)' if is_unknown(p) else p}"
            for p in rule.prefix_lists
        ]
        if rule.self_source is True:
            bad.append("its own security group (self)")
        elif is_unknown(rule.self_source):
            bad.append("possibly its own security group (self is unknown during preview)")
        src = rule.sources
        others = [g for g in src.targets if g not in verified]
        bad += [group_label(g) for g in others]
        bad += [f"security group {e}" for e in src.external]
        if src.unknown:
            bad.append("a security group that cannot be determined during preview")
        if rule.unknown_shape:
            bad.append("sources unknown during preview")
        if not bad:
            continue
        servers = [
            h for g in rule.groups.targets for h in holders_of(g, atts) if h.type == INSTANCE
        ]
        attached = f" (attached to instance {names(servers)})" if servers else ""
        fix = (
            f"Set {rule.source_field} to the bastion's security group"
            if rule.source_field
            else "Admit SSH only from the bastion's security group"
        )
        tagged = [g for g in [*rule.groups.targets, *others] if g.urn in refused]
        if tagged:
            why = "; ".join(f"{group_label(g)} is tagged Role=bastion but is not the "
                            f"bastion's: {refused[g.urn]}" for g in dict.fromkeys(tagged))
            fix = (f"{why[0].upper()}{why[1:]}. Give everything but the bastion its own "
                   f"security group, or {fix[0].lower()}{fix[1:]}")
        report(
            f"{rule.where} {_ssh_verb(rule)} into {_into(rule)}{attached} from "
            f"{', '.join(bad)}; servers other than the bastion must admit SSH only from the "
            f"bastion's security group ({bastion_text}). {fix}, or remove the rule.",
            rule.owner.urn,
        )


bastion_ssh_only_from_office: Final = StackValidationPolicy(
    name=BASTION_SSH,
    description=(
        "Only the bastion's security group admits SSH from a CIDR, and only from inside an "
        "office CIDR."
    ),
    validate=_validate_bastion,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=OFFICE_SCHEMA,
)

servers_ssh_only_from_bastion: Final = StackValidationPolicy(
    name=SERVERS_SSH,
    description="Every server other than the bastion admits SSH only from the bastion's "
    "security group.",
    validate=_validate_servers,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES: Final = [bastion_ssh_only_from_office, servers_ssh_only_from_bastion]
