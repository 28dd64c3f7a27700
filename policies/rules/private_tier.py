"""The private tier is reachable only from inside the VPC and reaches out only through NAT.

- ``private-tier-no-outside-cidrs``: private-tier security groups admit nothing from a CIDR
  outside their VPC.
- ``private-subnets-egress-via-nat``: private subnets hand out no public IPs, have an explicit
  route table, no route to an internet gateway, and their default route goes to a NAT gateway.
- ``private-servers-no-public-ip``: private-tier servers get no public IP in any way.
- ``nat-gateways-in-public-subnets``: public NAT gateways sit in public subnets.
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
    group_label,
    prefix_list_networks,
    security_group_rules,
    subnet_of,
    vpc_cidrs,
    vpc_of_group,
)
from ._wire import Stack, fail_closed
from .netmodel import EGRESS_LABEL, NetworkModel, Route, Table, describe, leads_out, model_of
from .netmodel.gateways import INTERNET_KINDS, RISKY_NAMES
from .records import (
    DEFAULT_ROUTE_TABLE,
    DEFAULT_SECURITY_GROUP,
    EIP,
    EIP_ASSOCIATION,
    NAT_GATEWAY,
    ROUTE_TABLE,
    SECURITY_GROUP,
    SUBNET,
    TIER_TAG,
    VPC,
    Network,
    Res,
    ids,
    inside,
    is_unknown,
    names,
)

PRIVATE_SG: Final = "private-tier-no-outside-cidrs"
PRIVATE_SUBNETS: Final = "private-subnets-egress-via-nat"
PRIVATE_SERVERS: Final = "private-servers-no-public-ip"
NAT_PUBLIC: Final = "nat-gateways-in-public-subnets"

ROUTE_TABLES: Final = ids(ROUTE_TABLE, DEFAULT_ROUTE_TABLE)
RISKY_KEY: Final = "riskyRouteTargets"
RISKY_SCHEMA: Final = PolicyConfigSchema(
    properties={
        RISKY_KEY: {
            "type": "array",
            "items": {"type": "string", "enum": list(RISKY_NAMES)},
            "uniqueItems": True,
            "default": [],
            "description": (
                "Route targets that lead to private networks (VPN gateways, transit gateways, "
                "peerings, local gateways, Cloud WAN core networks, ODB networks) are not the "
                "internet by default. List the kinds whose other side may reach the internet: "
                "a private subnet's route through them to a destination outside private space "
                "is then refused like a route to an internet gateway."
            ),
        },
    },
)


def _private_subnets(stack: Stack) -> list[Res]:
    return [s for s in stack.of_type(SUBNET) if s.tag(TIER_TAG) == "private"]


# ---------------------------------------------------------------------------------------------
# private-tier-no-outside-cidrs


def _private_groups(stack: Stack) -> dict[str, str]:
    """urn -> why the group is private-tier: tagged so, or attached (however: instance, ENI,
    NetworkInterfaceSecurityGroupAttachment, launch template) to a private-tier interface of
    the network model."""
    out: dict[str, str] = {}
    for sg in stack.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        if sg.tag(TIER_TAG) == "private":
            out[sg.urn] = "tagged Tier=private"
    for iface in model_of(stack).interfaces:
        if iface.private:
            for g in iface.groups:
                out.setdefault(g.urn, f"attached to private-tier {iface.label}")
    return out


def _from_own_vpc(stack: Stack, rule: Any, field: str, vpcs: list[Res]) -> bool:
    """An unknown CIDR whose only property dependencies are the rule's own VPC (the group's)
    and subnets of that VPC: in a preview that is the VPC's or a subnet's ``cidrBlock`` /
    ``ipv6CidrBlock`` (e.g. ``cidr_ipv6=vpc.ipv6_cidr_block``, ``cidr_ipv6=app.ipv6_cidr_block``),
    which lies inside the VPC by definition (AWS allocates a subnet's blocks from its VPC's)."""
    owner = rule.owner
    key = field if owner.get(field) is not None else "ingress"
    deps = owner.property_dependencies.get(key, [])
    own = {v.urn for v in vpcs if v.type == VPC}
    for dep in deps:
        res = stack.by_urn.get(dep)
        if dep in own or (res is not None and res.type == SUBNET and any(
                v.urn in own for v in stack.ref(res, "vpcId", ids(VPC)).targets)):
            continue
        return False
    return bool(deps)


@fail_closed(PRIVATE_SG)
def _validate_private_sg(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    private = _private_groups(stack)
    for rule in security_group_rules(stack):
        if not rule.ingress:
            continue
        groups = [g for g in rule.groups.targets if g.urn in private]
        if not groups:
            continue
        for group in groups:
            where = f"{rule.where} on private-tier {group_label(group)} ({private[group.urn]})"
            vpc = vpc_of_group(stack, group)
            if not vpc.resolved and (rule.cidrs or rule.prefix_lists):
                report(
                    f"{where} admits {rule.ports_text()} from a CIDR, but the group's VPC "
                    f"cannot be determined, so the CIDR cannot be checked against the VPC's "
                    f"CIDR. Set the group's vpcId to a VPC of this stack, or admit traffic "
                    f"only from security groups.",
                    rule.owner.urn,
                )
                continue
            nets, unknown_versions = [], set()
            for v in vpc.targets:
                n, u = vpc_cidrs(stack, v)
                nets += n
                unknown_versions |= u
            vpc_text = ", ".join(str(n) for n in nets) or "unknown"
            for cidr in rule.cidrs:
                net = cidr.network
                if is_unknown(cidr.value) and _from_own_vpc(stack, rule, cidr.field,
                                                          vpc.targets):
                    continue  # the group's VPC's own cidrBlock/ipv6CidrBlock, unknown in preview
                if is_unknown(cidr.value):
                    report(
                        f"{where} admits {rule.ports_text()} from {cidr.field} that is unknown "
                        f"during preview, so it cannot be checked against the VPC's CIDR "
                        f"({vpc_text}). Set {cidr.field} to a literal CIDR inside the VPC or "
                        f"admit traffic from a security group instead.",
                        rule.owner.urn,
                    )
                elif net is None:
                    report(
                        f"{where} admits {rule.ports_text()} from {cidr.value!r}, which is not "
                        f"a valid CIDR. Set {cidr.field} to a CIDR inside the VPC ({vpc_text}).",
                        rule.owner.urn,
                    )
                elif not inside(net, nets):
                    unsure = net.version in unknown_versions
                    report(
                        f"{where} admits {rule.ports_text()} from {net}, "
                        + (
                            "which cannot be shown to lie inside the VPC because the VPC's "
                            f"IPv{net.version} CIDR is unknown during preview"
                            if unsure
                            else f"which is outside the VPC's CIDR ({vpc_text})"
                        )
                        + "; private-tier servers must be reachable only from inside the VPC. "
                        f"Narrow {cidr.field} to a CIDR inside the VPC, admit traffic from a "
                        f"security group instead, or remove the rule.",
                        rule.owner.urn,
                    )
            for pl in rule.prefix_lists:
                pl_nets = prefix_list_networks(stack, rule, pl)
                if pl_nets is not None and all(inside(n, nets) for n in pl_nets):
                    continue  # a list of this stack whose every entry lies inside the VPC
                report(
                    f"{where} admits {rule.ports_text()} from prefix list "
                    f"{'(unknown during preview)' if is_unknown(pl) else pl}, whose CIDRs "
                    f"cannot be checked against the VPC's CIDR ({vpc_text}). Replace "
                    f"{rule.prefix_field} with CIDRs inside the VPC or a security group.",
                    rule.owner.urn,
                )
            if rule.unknown_shape:
                report(
                    f"{where} is unknown during preview, so its sources cannot be checked "
                    f"against the VPC's CIDR ({vpc_text}). Declare the rule with literal values.",
                    rule.owner.urn,
                )


# ---------------------------------------------------------------------------------------------
# private-subnets-egress-via-nat


def _dest_text(dests: list[Any]) -> str:
    parts = ["a destination unknown during preview" if is_unknown(d) else str(d) for d in dests]
    return ", ".join(parts) or "no destination"


# Ways out a private subnet may have, by IP version: NAT (IPv6: NAT64 through a NAT gateway,
# ``64:ff9b::/96``), an egress-only IGW for IPv6, a private network (VPN gateway, transit
# gateway, peering...: not the internet unless config marks it risky), or none.
_ALLOWED: Final = {4: ("nat", "private", "none"), 6: ("egress-only", "nat", "private", "none")}


def risky_kinds(config: Any) -> tuple[frozenset[str], list[str]]:
    """The private-network gateway kinds the config marks as risky, and one message per
    problem with the configuration (a value the schema should have refused)."""
    raw = config.get(RISKY_KEY) if hasattr(config, "get") else None
    if raw is None:
        return frozenset(), []
    key = f"{PRIVATE_SUBNETS}.{RISKY_KEY}"
    names_ = list(raw) if isinstance(raw, list) else None
    bad = [n for n in (names_ or []) if n not in RISKY_NAMES]
    if names_ is None or bad:
        return frozenset(RISKY_NAMES.values()), [
            f"The policy config key '{key}' must be a list of {', '.join(RISKY_NAMES)}, not "
            f"{raw!r}; every private-network gateway counts as risky until it is fixed."
        ]
    return frozenset(RISKY_NAMES[n] for n in names_), []


def _route_problems(route: Route, local: list[Network], risky: frozenset[str]) -> list[str]:
    """Why this route breaks a private subnet's NAT-only egress (empty when it doesn't).

    Routes are judged by where they lead (``netmodel.gateways``): a route to an internet
    gateway (or a carrier gateway, or a target that cannot be determined) is never allowed,
    whatever its destination; a route that leads outside private space and the VPC must go out
    through NAT (IPv4, and NAT64 for IPv6), an egress-only IGW (IPv6) or a private network (a
    VPN or transit gateway, a peering...) that the config does not mark as risky."""
    where = f"{route.where} sends {_dest_text(route.destinations)} to {route.gateway.text}"
    if route.kind in INTERNET_KINDS:
        return [where]
    problems: list[str] = []
    for version, allowed in _ALLOWED.items():
        if not leads_out(route, version, local):
            continue
        label = EGRESS_LABEL.get(route.kind, route.kind)
        if version == 4 and route.kind == "eigw":
            problems.append(f"{where}, which carries only IPv6")
        elif label == "private" and route.kind in risky:
            problems.append(f"{where}, which the policy config marks as risky "
                            f"({PRIVATE_SUBNETS}.{RISKY_KEY})")
        elif label not in allowed:
            way = "a NAT gateway" if version == 4 else "an egress-only internet gateway"
            problems.append(f"{where} instead of {way}")
    return problems


def _problems_of(model: NetworkModel, table: Table, local: list[Network],
                 risky: frozenset[str]) -> list[str]:
    problems: list[str] = []
    for route in model.routes_of(table):
        problems += _route_problems(route, local, risky)
    return problems


@fail_closed(PRIVATE_SUBNETS)
def _validate_private_subnets(args: StackValidationArgs, report: ReportViolation) -> None:
    """Questions to the network model: the tables that govern each private subnet (explicit
    association, else the VPC's main table, reached however: ``MainRouteTableAssociation``,
    ``vpc.mainRouteTableId``, ``DefaultRouteTable``) and every private-tier interface's way
    out."""
    stack = Stack.of(args)
    model = model_of(stack)
    risky, config_problems = risky_kinds(args.get_config())
    for problem in config_problems:
        report(problem, None)
    for subnet in _private_subnets(stack):
        label = f"Private subnet {subnet.label}"
        node = model.subnets[subnet.urn]
        local = model.vpc_networks(node.vpc)
        mpip = node.map_public_ip
        if mpip is True:
            report(
                f"{label} sets mapPublicIpOnLaunch to true, so instances launched in it get "
                f"public IPs. Set mapPublicIpOnLaunch to false.",
                subnet.urn,
            )
        elif is_unknown(mpip):
            report(
                f"{label} has a mapPublicIpOnLaunch that is unknown during preview. Set "
                f"mapPublicIpOnLaunch to the literal false.",
                subnet.urn,
            )
        choice = model.route_tables_of(node)
        if not choice.explicit:
            bad_main = [p for t in choice.tables for p in _problems_of(model, t, local, risky)]
            extra = (
                " Its VPC's main route table is unsafe for it: " + "; ".join(bad_main) + "."
                if bad_main
                else ""
            )
            report(
                f"{label} has no explicit route table association, so it uses its VPC's main "
                f"route table.{extra} Associate it with a private route table (an "
                f"aws.ec2.RouteTableAssociation) whose default route goes to a NAT gateway.",
                subnet.urn,
            )
            continue
        for assoc in choice.unknown:
            report(
                f"{label} is associated (by {assoc.label}) with a route table that cannot "
                f"be determined during preview, so its routes cannot be checked. Associate "
                f"it with a route table of this stack.",
                assoc.urn,
            )
        for table in choice.tables:
            for problem in _problems_of(model, table, local, risky):
                report(
                    f"{label} (associated by {names(choice.explicit)} with {table.label}): "
                    f"{problem}; a private subnet must reach the internet only through a NAT "
                    f"gateway. Remove the route or point it at a NAT gateway (natGatewayId).",
                    subnet.urn,
                )
    # Private-tier interfaces outside private subnets: their own way out.
    for iface in model.interfaces:
        if not iface.private or iface.subnet is None or iface.subnet.tier == "private":
            continue
        way = model.egress(iface)
        local = model.vpc_networks(iface.subnet.vpc)
        tables = model.route_tables_of(iface.subnet).tables
        for version, w in ((4, way.ipv4), (6, way.ipv6)):
            risky_routes = [r for t in tables for r in model.routes_of(t)
                            if r.kind in risky and leads_out(r, version, local)] if risky else []
            if w.label in _ALLOWED[version] and not risky_routes:
                continue
            shown = w.routes if w.label not in _ALLOWED[version] else risky_routes
            what = w.label if shown is w.routes else "a gateway the policy config marks as risky"
            via = "; ".join(f"{r.where} to {r.gateway.text}" for r in shown) or w.label
            report(
                f"Private-tier {iface.label} reaches the IPv{version} internet through "
                f"{what} ({via}) from subnet {iface.subnet.res.label}. Private-tier "
                f"servers go out only through NAT (IPv4) or an egress-only internet gateway "
                f"(IPv6): place it in a private subnet.",
                iface.owner.urn,
            )


# ---------------------------------------------------------------------------------------------
# private-servers-no-public-ip


@fail_closed(PRIVATE_SERVERS)
def _validate_private_servers(args: StackValidationArgs, report: ReportViolation) -> None:
    """Questions to the network model: no private-tier interface has a public IPv4 address
    (however given), and none is reachable from the internet on any port by any path (its
    IPv6 address, or an internet-facing load balancer that forwards to it)."""
    stack = Stack.of(args)
    model = model_of(stack)
    private = [i for i in model.interfaces if i.private]
    seen: set[tuple[str, str]] = set()

    def once(message: str, urn: str) -> None:
        if (urn, message) not in seen:
            seen.add((urn, message))
            report(message, urn)

    fix = "Private servers reach the internet only through the NAT gateway"
    for iface in private:
        for reason in iface.public_v4:
            holder = iface.owner if reason.res.type == SUBNET else reason.res
            if reason.certain:
                once(
                    f"Private-tier {iface.label} gets a public IPv4 address: {reason.text}. "
                    f"{fix}: remove it"
                    + (" (set associatePublicIpAddress to false)" if holder is iface.owner
                       else "") + ".",
                    holder.urn,
                )
            else:
                once(
                    f"Private-tier {iface.label} may get a public IPv4 address: {reason.text}. "
                    f"Make the value a literal false (or remove it). {fix}.",
                    holder.urn,
                )
        for e in model.internet_ingress(iface):
            if e.kind == "vpn":
                continue  # authenticated remote users of a Client VPN: not the open internet
            verb = "may be reachable" if e.uncertain else "is reachable"
            why = (f" (decided by values unknown during preview: {'; '.join(e.uncertain)})"
                   if e.uncertain else "")
            once(
                f"{describe(e.reporter)} lets the internet reach the private tier: "
                f"{iface.label} {verb} on {e.ports_text} from {', '.join(e.sources)} via "
                f"{e.via}{why}. No private-tier server may be reachable from the internet; "
                f"remove the path (the rule, the address or the listener).",
                e.reporter.urn,
            )
    if private:
        for reason in model.public_ip_problems:
            fix = (
                "Attach it to an instance or network interface of this stack"
                if reason.res.type in (EIP, EIP_ASSOCIATION)
                else "Place it in subnets of this stack (a subnet group or launch template "
                "this stack declares), or remove the public address"
            )
            once(
                f"{reason.text}, possibly a private-tier server's, so the private tier cannot "
                f"be shown to have no public address. {fix}.",
                reason.res.urn,
            )


# ---------------------------------------------------------------------------------------------
# nat-gateways-in-public-subnets


@fail_closed(NAT_PUBLIC)
def _validate_nat(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    for nat in stack.of_type(NAT_GATEWAY):
        conn = nat.get("connectivityType")
        if isinstance(conn, str) and conn.lower() == "private":
            continue
        label = f"NAT gateway {nat.label}"
        if nat.get("subnetId") in (None, ""):
            if nat.get("availabilityMode") == "regional":
                continue
            report(f"{label} has no subnetId. Place it in a public-tier subnet.", nat.urn)
            continue
        ref = subnet_of(stack, nat)
        if not ref.resolved:
            where = (
                f"subnet {', '.join(ref.external)}, which is not part of this stack"
                if ref.external
                else "a subnet that cannot be determined during preview"
            )
            report(
                f"{label} is in {where}, so it cannot be shown to be public-tier. Place it in a "
                f"public-tier subnet of this stack.",
                nat.urn,
            )
            continue
        for subnet in ref.targets:
            tier = subnet.tag(TIER_TAG)
            if tier != "public":
                tier_text = (
                    "unknown during preview"
                    if is_unknown(tier)
                    else (f"Tier={tier}" if tier else "no Tier tag")
                )
                conn_text = "" if conn is None else f" (connectivityType {conn})"
                report(
                    f"{label}{conn_text} is in subnet {subnet.label} ({tier_text}); a public NAT "
                    f"gateway must sit in a public-tier subnet to reach the internet gateway. "
                    f"Set its subnetId to a Tier=public subnet.",
                    nat.urn,
                )


private_tier_no_outside_cidrs: Final = StackValidationPolicy(
    name=PRIVATE_SG,
    description="Private-tier security groups admit nothing from a CIDR outside the VPC.",
    validate=_validate_private_sg,
    enforcement_level=EnforcementLevel.MANDATORY,
)

private_subnets_egress_via_nat: Final = StackValidationPolicy(
    name=PRIVATE_SUBNETS,
    description=(
        "Private subnets map no public IPs, have an explicit route table with no route to an "
        "internet gateway, and reach the internet only through NAT (or an egress-only IGW)."
    ),
    validate=_validate_private_subnets,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=RISKY_SCHEMA,
)

private_servers_no_public_ip: Final = StackValidationPolicy(
    name=PRIVATE_SERVERS,
    description="Private-tier servers have no public IP address.",
    validate=_validate_private_servers,
    enforcement_level=EnforcementLevel.MANDATORY,
)

nat_gateways_in_public_subnets: Final = StackValidationPolicy(
    name=NAT_PUBLIC,
    description="Public NAT gateways sit in public-tier subnets.",
    validate=_validate_nat,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES: Final = [
    private_tier_no_outside_cidrs,
    private_subnets_egress_via_nat,
    private_servers_no_public_ip,
    nat_gateways_in_public_subnets,
]
