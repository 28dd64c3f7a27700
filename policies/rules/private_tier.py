"""The private tier is reachable only from inside the VPC and reaches out only through NAT.

- ``private-tier-no-outside-cidrs``: private-tier security groups admit nothing from a CIDR
  outside their VPC.
- ``private-subnets-egress-via-nat``: private subnets hand out no public IPs, have an explicit
  route table, no route to an internet gateway, and their default route goes to a NAT gateway.
- ``private-servers-no-public-ip``: private-tier servers get no public IP in any way.
- ``nat-gateways-in-public-subnets``: public NAT gateways sit in public subnets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._net import (
    attachments,
    group_label,
    holders_of,
    instance_is_private,
    security_group_rules,
    subnet_of,
    vpc_cidrs,
    vpc_of_group,
)
from ._wire import Stack, fail_closed
from .records import (
    DEFAULT_ROUTE_TABLE,
    DEFAULT_SECURITY_GROUP,
    EIP,
    EIP_ASSOCIATION,
    ENI,
    ENI_ATTACHMENT,
    IGW,
    INSTANCE,
    MAIN_RT_ASSOCIATION,
    NAT_GATEWAY,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOCIATION,
    SECURITY_GROUP,
    SUBNET,
    TIER_TAG,
    VPC,
    Res,
    ids,
    inside,
    is_unknown,
    names,
    parse_cidr,
    truthy,
)

PRIVATE_SG: Final = "private-tier-no-outside-cidrs"
PRIVATE_SUBNETS: Final = "private-subnets-egress-via-nat"
PRIVATE_SERVERS: Final = "private-servers-no-public-ip"
NAT_PUBLIC: Final = "nat-gateways-in-public-subnets"

ROUTE_TABLES: Final = ids(ROUTE_TABLE, DEFAULT_ROUTE_TABLE)


def _private_subnets(stack: Stack) -> list[Res]:
    return [s for s in stack.of_type(SUBNET) if s.tag(TIER_TAG) == "private"]


# ---------------------------------------------------------------------------------------------
# private-tier-no-outside-cidrs


def _private_groups(stack: Stack) -> dict[str, str]:
    """urn -> why the group is private-tier."""
    atts = attachments(stack)
    out: dict[str, str] = {}
    for sg in stack.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP, VPC):
        if sg.type != VPC and sg.tag(TIER_TAG) == "private":
            out[sg.urn] = "tagged Tier=private"
            continue
        private_holders = []
        for h in holders_of(sg, atts):
            private_eni = h.type == ENI and any(
                s.tag(TIER_TAG) == "private" for s in subnet_of(stack, h).targets
            )
            if private_eni or (h.type == INSTANCE and instance_is_private(stack, h)):
                private_holders.append(h)
        if private_holders:
            out[sg.urn] = f"attached to private-tier {names(private_holders)}"
    return out


@fail_closed(PRIVATE_SG)
def _validate_private_sg(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack(args.resources)
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


UNKNOWN_DEST: Final = object()  # a route whose destination can't be read at all


@dataclass
class Route:
    holder: Res  # Route resource, or the table for inline routes
    where: str
    destinations: list[Any]  # CIDR strings / UNKNOWN / "prefix list ..."
    target: str  # "igw", "nat", "eigw", "other", "unknown"
    target_text: str


_DEST_FIELDS: Final = {
    "inline": ("cidrBlock", "ipv6CidrBlock", "destinationPrefixListId"),
    "resource": ("destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"),
}
_OTHER_TARGETS: Final = (
    "carrierGatewayId",
    "coreNetworkArn",
    "instanceId",
    "localGatewayId",
    "networkInterfaceId",
    "odbNetworkArn",
    "transitGatewayId",
    "vpcEndpointId",
    "vpcPeeringConnectionId",
)


def _classify(stack: Stack, holder: Res, key: str, entry: dict[str, Any], nested: bool) -> tuple[
    str, str
]:
    gateway = entry.get("gatewayId")
    if gateway not in (None, ""):
        if nested:
            ref = stack.ref(holder, key, ids(IGW), gateway, use_value=True)
        else:
            ref = stack.ref(holder, "gatewayId", ids(IGW))
        if ref.targets:
            return "igw", f"internet gateway {names(ref.targets)}"
        if any(isinstance(e, str) and e.startswith("igw-") for e in ref.external):
            return "igw", f"internet gateway {', '.join(ref.external)}"
        if ref.unknown:
            return "unknown", (
                "a gateway that is unknown during preview (possibly an internet gateway)"
            )
        return "other", f"gateway {', '.join(ref.external)}"
    nat = entry.get("natGatewayId")
    if nat not in (None, ""):
        return "nat", "a NAT gateway"
    eigw = entry.get("egressOnlyGatewayId")
    if eigw not in (None, ""):
        return "eigw", "an egress-only internet gateway"
    for f in _OTHER_TARGETS:
        value = entry.get(f)
        if value not in (None, ""):
            return "other", f"{f} {_target_name(stack, holder, key if nested else f, value)}"
    return "other", "no target"


def _target_name(stack: Stack, holder: Res, key: str, value: Any) -> str:
    """A route target by resource name when it is one of the stack's resources."""
    if isinstance(value, str):
        found = [r for r in stack if r.get("id") == value and r is not holder]
        return names(found[:1]) if found else value
    deps = [
        d
        for u in holder.property_dependencies.get(key, [])
        if (d := stack.by_urn.get(u)) is not None and d.type not in ROUTE_TABLES
    ]
    return names(deps) if deps else "(unknown during preview)"


def _routes_of(stack: Stack, table: Res) -> list[Route]:
    routes: list[Route] = []
    inline = table.get("routes")
    if is_unknown(inline):
        routes.append(
            Route(table, f"route table {table.label} (inline routes)", [UNKNOWN_DEST],
                  "unknown", "targets unknown during preview")
        )
    elif isinstance(inline, list):
        for i, entry in enumerate(inline, start=1):
            if not isinstance(entry, dict):
                routes.append(
                    Route(table, f"route table {table.label} (inline route #{i})",
                          [UNKNOWN_DEST], "unknown", "a target unknown during preview")
                )
                continue
            kind, text = _classify(stack, table, "routes", entry, nested=True)
            dests = [entry.get(f) for f in _DEST_FIELDS["inline"] if entry.get(f) not in (None, "")]
            routes.append(
                Route(table, f"route table {table.label} (inline route #{i})", dests, kind, text)
            )
    for r in stack.of_type(ROUTE):
        if table not in stack.ref(r, "routeTableId", ROUTE_TABLES).targets:
            continue
        kind, text = _classify(stack, r, "gatewayId", r.props, nested=False)
        dests = [r.get(f) for f in _DEST_FIELDS["resource"] if r.get(f) not in (None, "")]
        routes.append(Route(r, f"route {r.label} in route table {table.label}", dests, kind, text))
    return routes



def _is_default(dest: Any) -> bool | None:
    """True for 0.0.0.0/0 or ::/0, None when it can't be known."""
    if is_unknown(dest) or dest is UNKNOWN_DEST:
        return None
    net = parse_cidr(dest)
    return net is not None and net.prefixlen == 0


def _dest_text(dests: list[Any]) -> str:
    parts = [
        "a destination unknown during preview" if (is_unknown(d) or d is UNKNOWN_DEST) else str(d)
        for d in dests
    ]
    return ", ".join(parts) or "no destination"


def _route_problems(route: Route) -> list[str]:
    """Why this route breaks a private subnet's NAT-only egress (empty when it doesn't)."""
    problems: list[str] = []
    if route.target == "igw":
        problems.append(
            f"{route.where} sends {_dest_text(route.destinations)} to {route.target_text}"
        )
        return problems
    defaults = [_is_default(d) for d in route.destinations]
    maybe_default = any(d is None or d is True for d in defaults)
    if route.target == "unknown":
        problems.append(
            f"{route.where} sends {_dest_text(route.destinations)} to {route.target_text}"
        )
    elif maybe_default and route.target == "eigw":
        v4 = [
            d for d in route.destinations
            if not (is_unknown(d) or d is UNKNOWN_DEST) and (n := parse_cidr(d)) is not None
            and n.version == 4
        ]
        if v4 or any(d is None for d in defaults):
            problems.append(
                f"{route.where} sends {_dest_text(route.destinations)} to {route.target_text}, "
                f"which carries only IPv6"
            )
    elif maybe_default and route.target != "nat":
        problems.append(
            f"{route.where} sends the default route ({_dest_text(route.destinations)}) to "
            f"{route.target_text} instead of a NAT gateway"
        )
    return problems


def _main_tables(stack: Stack, subnet: Res) -> list[Res]:
    vpcs = stack.ref(subnet, "vpcId", ids(VPC)).targets
    tables: list[Res] = []
    for assoc in stack.of_type(MAIN_RT_ASSOCIATION):
        if any(v in stack.ref(assoc, "vpcId", ids(VPC)).targets for v in vpcs):
            tables += stack.ref(assoc, "routeTableId", ROUTE_TABLES).targets
    for table in stack.of_type(DEFAULT_ROUTE_TABLE):
        owners = stack.ref(table, "defaultRouteTableId", {VPC: "defaultRouteTableId"}).targets
        if any(v in owners for v in vpcs) and table not in tables:
            tables.append(table)
    return tables


@fail_closed(PRIVATE_SUBNETS)
def _validate_private_subnets(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack(args.resources)
    associations = stack.of_type(RT_ASSOCIATION)
    for subnet in _private_subnets(stack):
        label = f"Private subnet {subnet.label}"
        mpip = truthy(subnet.get("mapPublicIpOnLaunch"))
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
        mine = [a for a in associations if subnet in subnet_of(stack, a).targets]
        if not mine:
            extra = ""
            bad_main = [
                (t, p) for t in _main_tables(stack, subnet) for p in _problems_of(stack, t)
            ]
            if bad_main:
                extra = (
                    " Its VPC's main route table is unsafe for it: "
                    + "; ".join(p for _, p in bad_main)
                    + "."
                )
            report(
                f"{label} has no explicit route table association, so it uses its VPC's main "
                f"route table.{extra} Associate it with a private route table (an "
                f"aws.ec2.RouteTableAssociation) whose default route goes to a NAT gateway.",
                subnet.urn,
            )
            continue
        for assoc in mine:
            tables = stack.ref(assoc, "routeTableId", ROUTE_TABLES)
            if not tables.resolved:
                report(
                    f"{label} is associated (by {assoc.label}) with a route table that cannot "
                    f"be determined during preview, so its routes cannot be checked. Associate "
                    f"it with a route table of this stack.",
                    assoc.urn,
                )
                continue
            for table in tables.targets:
                for problem in _problems_of(stack, table):
                    report(
                        f"{label} (associated by {assoc.label}): {problem}; a private subnet "
                        f"must reach the internet only through a NAT gateway. Remove the "
                        f"route or point it at a NAT gateway (natGatewayId).",
                        subnet.urn,
                    )


def _problems_of(stack: Stack, table: Res) -> list[str]:
    problems: list[str] = []
    for route in _routes_of(stack, table):
        problems += _route_problems(route)
    return problems


# ---------------------------------------------------------------------------------------------
# private-servers-no-public-ip


def _enis_of(stack: Stack, inst: Res) -> list[Res]:
    enis: list[Res] = []
    for att in stack.of_type(ENI_ATTACHMENT):
        if inst in stack.ref(att, "instanceId", ids(INSTANCE)).targets:
            enis += stack.ref(att, "networkInterfaceId", ids(ENI)).targets
    for key in ("networkInterfaces", "primaryNetworkInterface"):
        value = inst.get(key)
        entries = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for entry in entries:
            eni_id = entry.get("networkInterfaceId") if isinstance(entry, dict) else None
            if eni_id is not None:
                enis += stack.ref(inst, key, ids(ENI), eni_id, use_value=True).targets
    for eni in stack.of_type(ENI):
        value = eni.get("attachments")
        for entry in value if isinstance(value, list) else []:
            if isinstance(entry, dict) and entry.get("instance") is not None:
                ref = stack.ref(eni, "attachments", ids(INSTANCE), entry["instance"],
                                use_value=True)
                if inst in ref.targets:
                    enis.append(eni)
    return enis


@fail_closed(PRIVATE_SERVERS)
def _validate_private_servers(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack(args.resources)
    servers = [i for i in stack.of_type(INSTANCE) if instance_is_private(stack, i)]
    if not servers:
        return
    enis = {s.urn: _enis_of(stack, s) for s in servers}
    private_enis = [
        e for e in stack.of_type(ENI)
        if any(s.tag(TIER_TAG) == "private" for s in subnet_of(stack, e).targets)
    ]
    for inst in servers:
        label = f"Private-tier instance {inst.label}"
        api = truthy(inst.get("associatePublicIpAddress"))
        if api is True:
            report(
                f"{label} sets associatePublicIpAddress to true. Set it to false; private "
                f"servers reach the internet only through the NAT gateway.",
                inst.urn,
            )
        elif is_unknown(api):
            report(
                f"{label} has an associatePublicIpAddress that is unknown during preview. Set "
                f"it to the literal false.",
                inst.urn,
            )
        elif api is None:
            subnets = subnet_of(stack, inst)
            risky = [
                s for s in subnets.targets
                if (m := truthy(s.get("mapPublicIpOnLaunch"))) is True or is_unknown(m)
            ]
            if risky or not subnets.resolved:
                where = (
                    f"its subnet {names(risky)} maps public IPs on launch"
                    if risky
                    else "its subnet cannot be determined"
                )
                report(
                    f"{label} does not set associatePublicIpAddress and {where}, so it may get "
                    f"a public IP. Set associatePublicIpAddress to false.",
                    inst.urn,
                )
    for eip in stack.of_type(EIP):
        _check_eip_like(stack, report, eip, "instance", "networkInterface", servers, enis,
                        private_enis)
    for assoc in stack.of_type(EIP_ASSOCIATION):
        _check_eip_like(stack, report, assoc, "instanceId", "networkInterfaceId", servers, enis,
                        private_enis)


def _check_eip_like(
    stack: Stack,
    report: ReportViolation,
    res: Res,
    inst_key: str,
    eni_key: str,
    servers: list[Res],
    enis: dict[str, list[Res]],
    private_enis: list[Res],
) -> None:
    kind = "Elastic IP" if res.type == EIP else "Elastic IP association"
    fix = "Remove it; private servers reach the internet only through the NAT gateway."
    if res.get(inst_key) not in (None, ""):
        ref = stack.ref(res, inst_key, ids(INSTANCE))
        for inst in ref.targets:
            if inst in servers:
                report(f"{kind} {res.label} gives private-tier instance {inst.label} a public "
                       f"IP ({inst_key}). {fix}", res.urn)
        if ref.unknown:
            report(f"{kind} {res.label} attaches to an instance that cannot be determined "
                   f"during preview, possibly a private-tier server. Set {inst_key} from an "
                   f"instance of this stack.", res.urn)
    if res.get(eni_key) not in (None, ""):
        ref = stack.ref(res, eni_key, ids(ENI))
        for eni in ref.targets:
            owners = [s for s in servers if eni in enis[s.urn]]
            if owners:
                report(f"{kind} {res.label} gives private-tier instance {names(owners)} a "
                       f"public IP through network interface {eni.label} ({eni_key}). {fix}",
                       res.urn)
            elif eni in private_enis:
                report(f"{kind} {res.label} gives network interface {eni.label} in a private "
                       f"subnet a public IP ({eni_key}). {fix}", res.urn)
        if ref.unknown:
            report(f"{kind} {res.label} attaches to a network interface that cannot be "
                   f"determined during preview, possibly a private-tier server's. Set "
                   f"{eni_key} from a network interface of this stack.", res.urn)


# ---------------------------------------------------------------------------------------------
# nat-gateways-in-public-subnets


@fail_closed(NAT_PUBLIC)
def _validate_nat(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack(args.resources)
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
        "internet gateway, and send their default route to a NAT gateway."
    ),
    validate=_validate_private_subnets,
    enforcement_level=EnforcementLevel.MANDATORY,
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
