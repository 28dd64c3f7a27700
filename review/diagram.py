"""The planned network as a picture: ``build/<stack>-network.svg`` and ``.png``.

Drawn from the recorded plan the review already holds (the update run, ids known), so
``make diagram`` runs the program once, as ``make review`` does. What it shows: the VPC; its
subnets grouped by tier and AZ, with CIDRs and route tables; the gateways (IGW, egress-only IGW,
NAT gateways, NAT instances, VPC endpoints); each route table's default-route targets; the servers
with their open ports and who may reach them; and the internet paths into the servers.

The internet paths come from the review's reachability matrix (``review.reachability``: the
policy pack's own network model, per server ``ingressFromInternet: [{ports, protocol, sources,
via}]``), which ``python -m review --diagram`` passes in for the same run. Without one,
:func:`plan_reachability` reads the direct paths from the plan: a server with a public address
(auto-assigned or an EIP) in a subnet whose default route goes to an internet gateway, and its
security group rules that admit an internet CIDR (tests check both readings agree on the
shipped stacks).

The layout is Graphviz's ``dot``; the DOT source is built with the ``graphviz`` package and
rendered by ``graphviz-pure`` (a self-contained port of Graphviz 16.1.0 installed from PyPI by
the Makefile: no root, same bytes on every platform), or a system ``dot`` if that is missing.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz  # type: ignore[import-untyped, unused-ignore]

from .index import PlanIndex, tags
from .plan import ProgramRun, RecordedResource

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
IGW = "aws:ec2/internetGateway:InternetGateway"
EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_RTA = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
INSTANCE = "aws:ec2/instance:Instance"
EIP = "aws:ec2/eip:Eip"
ENI = "aws:ec2/networkInterface:NetworkInterface"
ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EIC_ENDPOINT = "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

TIER_ORDER = ("public", "management", "private")
TIER_COLOURS = {"public": "#e8f4e8", "management": "#fff4dc", "private": "#e6eefb"}
DEFAULT_DESTINATIONS = ("0.0.0.0/0", "::/0")
FORMATS = ("svg", "png")
ROUTE_TARGETS = (
    ("gatewayId", "gateway"),
    ("natGatewayId", "NAT gateway"),
    ("networkInterfaceId", "interface"),
    ("egressOnlyGatewayId", "egress-only IGW"),
    ("transitGatewayId", "transit gateway"),
    ("vpcPeeringConnectionId", "peering"),
    ("vpcEndpointId", "endpoint"),
)


# ------------------------------------------------------------------ the model
@dataclass
class Ingress:
    ports: str  # "22", "80-90", "all"
    protocol: str  # tcp | udp | icmp | all
    sources: list[str]  # CIDRs, prefix lists or "<server> (sg)"


@dataclass
class Server:
    name: str  # the Role tag (web, db, bastion), else the resource name
    node: str
    subnet: str  # subnet resource name
    instance_type: str
    public: str  # "" | "public IP" | "EIP"
    ipv6: bool  # has an IPv6 address (reachable from an IPv6 source if routed)
    ingress: list[Ingress] = field(default_factory=list)


@dataclass
class Subnet:
    name: str
    cidr: str
    ipv6: str
    az: str
    tier: str
    route_table: str  # route table resource name ("main" when none is associated)


@dataclass
class Gateway:
    node: str
    kind: str
    label: str
    subnet: str = ""  # subnet resource name, or "" for VPC-level gateways


@dataclass
class RouteTable:
    name: str
    defaults: list[tuple[str, str]]  # (destination, target node)


@dataclass
class NetworkPicture:
    stack: str
    region: str
    vpc_name: str
    vpc_cidr: str
    subnets: list[Subnet]
    gateways: list[Gateway]
    route_tables: list[RouteTable]
    servers: list[Server]
    peer_edges: list[tuple[str, str, str]]  # (from node, to node, label)


def _node_id(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _node(r: RecordedResource) -> str:
    return "n_" + _node_id(r.name)


def _ports(entry: Mapping[str, Any]) -> tuple[str, str]:
    proto = str(entry.get("ipProtocol") or entry.get("protocol") or "tcp")
    proto = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp"}.get(proto, proto)
    if proto == "all":
        return "all", "all"
    lo, hi = entry.get("fromPort"), entry.get("toPort")
    lo_i = int(lo) if isinstance(lo, (int, float)) else None
    hi_i = int(hi) if isinstance(hi, (int, float)) else lo_i
    if lo_i is None or (lo_i <= 0 and (hi_i or 0) >= 65535):
        return "all", proto
    return (str(lo_i) if lo_i == hi_i else f"{lo_i}-{hi_i}"), proto


def _rules_by_group(index: PlanIndex, holders: Mapping[str, str]) -> dict[str, list[Ingress]]:
    """Ingress per security group URN, in every form the program may use."""
    out: dict[str, list[Ingress]] = {}

    def source_of(ref: RecordedResource | None) -> str:
        if ref is None:
            return "a security group"
        return f"{holders.get(ref.urn, ref.name)} (sg)"

    for rule in index.of(SG_INGRESS):
        sg = index.ref(rule, "securityGroupId")
        if sg is None:
            continue
        ports, proto = _ports(rule.inputs)
        sources = [
            str(rule.inputs[k])
            for k in ("cidrIpv4", "cidrIpv6", "prefixListId")
            if rule.inputs.get(k)
        ]
        if rule.inputs.get("referencedSecurityGroupId"):
            sources.append(source_of(index.ref(rule, "referencedSecurityGroupId")))
        out.setdefault(sg.urn, []).append(Ingress(ports, proto, sources))
    for rule in index.of(SG_RULE):
        if rule.inputs.get("type") != "ingress":
            continue
        sg = index.ref(rule, "securityGroupId")
        if sg is None:
            continue
        ports, proto = _ports(rule.inputs)
        sources = [
            str(c) for k in ("cidrBlocks", "ipv6CidrBlocks") for c in rule.inputs.get(k) or []
        ]
        if rule.inputs.get("self"):
            sources.append("itself (sg)")
        if rule.inputs.get("sourceSecurityGroupId"):
            sources.append(source_of(index.ref(rule, "sourceSecurityGroupId")))
        out.setdefault(sg.urn, []).append(Ingress(ports, proto, sources))
    for sg in index.of(SG):
        for entry in sg.inputs.get("ingress") or []:
            if isinstance(entry, dict):
                ports, proto = _ports(entry)
                sources = [
                    str(c) for k in ("cidrBlocks", "ipv6CidrBlocks") for c in entry.get(k) or []
                ]
                sources += [f"{s} (sg)" for s in entry.get("securityGroups") or []]
                out.setdefault(sg.urn, []).append(Ingress(ports, proto, sources))
    return out


def _server_name(r: RecordedResource) -> str:
    role = tags(r).get("Role")
    return str(role) if role else r.name


def build_picture(run: ProgramRun) -> NetworkPicture:
    """Read the network out of one recorded run (the update run: ids known)."""
    index = PlanIndex(run)
    vpcs = index.of(VPC)
    vpc = vpcs[0] if vpcs else None

    # Route tables and their default routes
    tables: dict[str, RouteTable] = {r.urn: RouteTable(r.name, []) for r in index.of(ROUTE_TABLE)}

    def target(owner: RecordedResource, entry: Mapping[str, Any]) -> str:
        for key, kind in ROUTE_TARGETS:
            value = entry.get(key)
            if not value:
                continue
            ref = index.ref(owner, key) if entry is owner.inputs else index.by_id.get(str(value))
            return _node(ref) if ref is not None else f"ext_{kind}"
        return "ext_local"

    for route in index.of(ROUTE):
        dest = route.inputs.get("destinationCidrBlock") or route.inputs.get(
            "destinationIpv6CidrBlock"
        )
        rt = index.ref(route, "routeTableId")
        if rt is not None and dest in DEFAULT_DESTINATIONS:
            tables[rt.urn].defaults.append((str(dest), target(route, route.inputs)))
    for rt in index.of(ROUTE_TABLE):
        for entry in rt.inputs.get("routes") or []:
            if not isinstance(entry, dict):
                continue
            dest = entry.get("cidrBlock") or entry.get("ipv6CidrBlock")
            if dest in DEFAULT_DESTINATIONS:
                tables[rt.urn].defaults.append((str(dest), target(rt, entry)))

    # Subnets, with their route table by explicit association (else the VPC's main table)
    assoc: dict[str, str] = {}
    for a in index.of(RTA):
        s, rt = index.ref(a, "subnetId"), index.ref(a, "routeTableId")
        if s is not None and rt is not None:
            assoc[s.urn] = rt.name
    main = next((index.ref(a, "routeTableId") for a in index.of(MAIN_RTA)), None)
    subnets = [
        Subnet(
            name=s.name,
            cidr=str(s.inputs.get("cidrBlock") or "?"),
            ipv6=str(s.inputs.get("ipv6CidrBlock") or ""),
            az=str(s.inputs.get("availabilityZone") or s.inputs.get("availabilityZoneId") or "?"),
            tier=str(tags(s).get("Tier") or "untagged"),
            route_table=assoc.get(s.urn) or (f"{main.name} (main)" if main else "main"),
        )
        for s in index.of(SUBNET)
    ]

    # Gateways
    gateways: list[Gateway] = []
    for r in index.of(IGW):
        gateways.append(Gateway(_node(r), "igw", f"Internet gateway\n{r.name}"))
    for r in index.of(EIGW):
        gateways.append(Gateway(_node(r), "eigw", f"Egress-only IGW\n{r.name}"))
    for r in index.of(NAT_GATEWAY):
        subnet = index.ref(r, "subnetId")
        conn = r.inputs.get("connectivityType") or "public"
        eip = " + EIP" if r.inputs.get("allocationId") else ""
        gateways.append(
            Gateway(
                _node(r),
                "nat",
                f"NAT gateway{eip}\n{r.name} ({conn})",
                subnet.name if subnet else "",
            )
        )
    eni_with_eip = {e.urn for x in index.of(EIP) if (e := index.ref(x, "networkInterface"))}
    for r in index.of(ENI):
        if tags(r).get("Role") == "nat" or r.inputs.get("sourceDestCheck") is False:
            subnet = index.ref(r, "subnetId")
            asg = next(
                (a for a in index.of(ASG) if tags(a).get("Role") == "nat" or _asg_is_nat(a)), None
            )
            what = f"NAT instance ({'ASG of 1, ' if asg else ''}fixed ENI"
            what += " + EIP)" if r.urn in eni_with_eip else ")"
            gateways.append(
                Gateway(_node(r), "natinstance", f"{what}\n{r.name}", subnet.name if subnet else "")
            )
    for r in index.of(VPC_ENDPOINT):
        kind = str(r.inputs.get("vpcEndpointType") or "Gateway")
        service = str(r.inputs.get("serviceName") or "").rsplit(".", 1)[-1]
        gateways.append(Gateway(_node(r), "endpoint", f"{kind} endpoint\n{service or r.name}"))
    for r in index.of(EIC_ENDPOINT):
        subnet = index.ref(r, "subnetId")
        gateways.append(
            Gateway(
                _node(r),
                "eice",
                f"EC2 Instance Connect\nEndpoint {r.name}",
                subnet.name if subnet else "",
            )
        )

    # Servers and who may reach them
    instances = index.of(INSTANCE)
    holders: dict[str, str] = {}
    for inst in instances:
        for sg in index.refs(inst, "vpcSecurityGroupIds"):
            holders.setdefault(sg.urn, _server_name(inst))
    rules = _rules_by_group(index, holders)
    eip_on = {t.urn for x in index.of(EIP) if (t := index.ref(x, "instance"))}
    servers: list[Server] = []
    node_of_server: dict[str, str] = {}
    for inst in instances:
        subnet = index.ref(inst, "subnetId")
        public = ""
        if inst.urn in eip_on:
            public = "EIP"
        elif inst.inputs.get("associatePublicIpAddress") is True or (
            inst.inputs.get("associatePublicIpAddress") is None
            and subnet is not None
            and subnet.inputs.get("mapPublicIpOnLaunch") is True
        ):
            public = "public IP"
        ingress = [
            i for sg in index.refs(inst, "vpcSecurityGroupIds") for i in rules.get(sg.urn, [])
        ]
        server = Server(
            name=_server_name(inst),
            node=_node(inst),
            subnet=subnet.name if subnet else "",
            instance_type=str(inst.inputs.get("instanceType") or "?"),
            public=public,
            ipv6=_num(inst.inputs.get("ipv6AddressCount")) > 0
            or bool(inst.inputs.get("ipv6Addresses"))
            or (subnet is not None and subnet.inputs.get("assignIpv6AddressOnCreation") is True),
            ingress=ingress,
        )
        servers.append(server)
        node_of_server[server.name] = server.node
    peer_edges = []
    for srv in servers:
        for i in srv.ingress:
            for src in i.sources:
                peer = src.removesuffix(" (sg)")
                if src.endswith(" (sg)") and peer in node_of_server:
                    label = f"{i.protocol} {i.ports}" if i.protocol != "all" else "all"
                    peer_edges.append((node_of_server[peer], srv.node, label))
    return NetworkPicture(
        stack=run.stack,
        region=run.config.get("aws:region", ""),
        vpc_name=vpc.name if vpc else "(no VPC)",
        vpc_cidr=str(vpc.inputs.get("cidrBlock") or "?") if vpc else "",
        subnets=subnets,
        gateways=gateways,
        route_tables=list(tables.values()),
        servers=servers,
        peer_edges=peer_edges,
    )


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _asg_is_nat(asg: RecordedResource) -> bool:
    value = asg.inputs.get("tags")
    return any(
        isinstance(t, dict) and t.get("key") == "Role" and t.get("value") == "nat"
        for t in (value if isinstance(value, list) else [])
    )


# ------------------------------------------------------------------ internet paths
def _is_internet(source: str) -> bool:
    try:
        net = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return False
    return net.is_global or net.prefixlen == 0 or net.is_reserved or _is_doc(net)


def _is_doc(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    # Documentation ranges (the shipped placeholder office CIDRs) stand for internet addresses.
    docs = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    return any(
        net.version == d.version and net.subnet_of(d)  # type: ignore[arg-type]
        for d in map(ipaddress.ip_network, docs)
    )


def _way_out(gateway_kind: str, has_address: bool) -> str:
    """The way out through a default route's target: an IGW needs a public (v4) or any (v6)
    address of the server's own."""
    if gateway_kind == "igw":
        return "igw" if has_address else "none"
    return {"nat": "nat", "natinstance": "nat", "eigw": "egress-only"}.get(gateway_kind, "none")


def plan_reachability(picture: NetworkPicture) -> dict[str, dict[str, Any]]:
    """Who on the internet reaches which server, from the plan alone, in the shape of the
    review's ``reachability`` JSON. The reachability model (policies) answers this for every
    path form; this reading covers the direct one: a public address in a subnet whose default
    route leads to an internet gateway, and a rule admitting an internet CIDR."""
    igws = {g.node for g in picture.gateways if g.kind == "igw"}
    kinds = {g.node: g.kind for g in picture.gateways}
    tables = {t.name: t for t in picture.route_tables}
    subnets = {s.name: s for s in picture.subnets}
    out: dict[str, dict[str, Any]] = {}
    for s in picture.servers:
        paths: list[dict[str, Any]] = []
        subnet = subnets.get(s.subnet)
        table = tables.get(subnet.route_table) if subnet else None
        defaults = dict(table.defaults) if table else {}
        v4_in = bool(s.public) and defaults.get("0.0.0.0/0") in igws
        v6_in = s.ipv6 and defaults.get("::/0") in igws
        for i in s.ingress:
            sources = [
                src for src in i.sources if _is_internet(src) and (v6_in if ":" in src else v4_in)
            ]
            if sources:
                via = "IPv6 address" if all(":" in x for x in sources) else s.public
                paths.append(
                    {"ports": i.ports, "protocol": i.protocol, "sources": sources, "via": via}
                )
        out[s.name] = {
            "ingressFromInternet": paths,
            "egress": {
                "ipv4": _way_out(kinds.get(defaults.get("0.0.0.0/0", ""), ""), bool(s.public)),
                "ipv6": _way_out(kinds.get(defaults.get("::/0", ""), ""), s.ipv6),
            },
        }
    return out


# ------------------------------------------------------------------ drawing
def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(
    picture: NetworkPicture, reachability: Mapping[str, Any] | None = None
) -> graphviz.Digraph:
    reach = reachability if reachability is not None else plan_reachability(picture)
    g = graphviz.Digraph(
        name=f"{picture.stack}-network",
        graph_attr={
            "rankdir": "TB",
            "compound": "true",
            "fontname": "Helvetica",
            "fontsize": "12",
            "labelloc": "t",
            "label": f"Stack '{picture.stack}' ({picture.region}): the planned network\n"
            "red: reachable from the internet · blue: server to server · grey: default routes"
            " · dotted: a subnet's route table · amber: NAT to the internet gateway",
            "nodesep": "0.35",
            "ranksep": "0.5",
        },
        node_attr={
            "fontname": "Helvetica",
            "fontsize": "10",
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "white",
        },
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    g.node("internet", "Internet", shape="ellipse", fillcolor="#f2f2f2")
    shape = {
        "igw": "cds",
        "eigw": "cds",
        "nat": "hexagon",
        "natinstance": "hexagon",
        "endpoint": "component",
        "eice": "component",
    }
    for gw in picture.gateways:
        if not gw.subnet and gw.kind in ("igw", "eigw"):
            g.node(gw.node, gw.label, shape=shape[gw.kind], fillcolor="#dfe9f5")
            g.edge("internet", gw.node, dir="both", color="#555555")

    with g.subgraph(name="cluster_vpc") as vpc:
        vpc.attr(
            label=f"VPC {picture.vpc_name}  {picture.vpc_cidr}",
            style="rounded",
            color="#232f3e",
            penwidth="2",
            fontsize="12",
        )
        for gw in picture.gateways:
            if not gw.subnet and gw.kind not in ("igw", "eigw"):
                vpc.node(gw.node, gw.label, shape=shape.get(gw.kind, "box"), fillcolor="#eeeeee")
        tiers = sorted(
            {s.tier for s in picture.subnets},
            key=lambda t: (TIER_ORDER.index(t) if t in TIER_ORDER else 9, t),
        )
        anchors: dict[str, list[str]] = {}
        for tier in tiers:
            with vpc.subgraph(name=f"cluster_tier_{tier}") as tg:
                tg.attr(
                    label=f"{tier} tier",
                    style="rounded,filled",
                    fillcolor=TIER_COLOURS.get(tier, "#f5f5f5"),
                    color="#999999",
                )
                for s in sorted(
                    (s for s in picture.subnets if s.tier == tier), key=lambda s: (s.az, s.name)
                ):
                    with tg.subgraph(name=f"cluster_subnet_{s.name}") as sg:
                        v6 = f"\n{s.ipv6}" if s.ipv6 else ""
                        sg.attr(
                            label=f"{s.name}  {s.cidr}{v6}\n{s.az} · routes: {s.route_table}",
                            style="rounded,filled",
                            fillcolor="white",
                            color="#777777",
                        )
                        anchor = f"anchor_{_node_id(s.name)}"
                        sg.node(anchor, "", shape="point", style="invis", width="0")
                        anchors.setdefault(tier, []).append(anchor)
                        members = 0
                        for gw in picture.gateways:
                            if gw.subnet == s.name:
                                sg.node(
                                    gw.node,
                                    gw.label,
                                    shape=shape.get(gw.kind, "box"),
                                    fillcolor="#fdebd0",
                                )
                                members += 1
                        for srv in picture.servers:
                            if srv.subnet == s.name:
                                sg.node(
                                    srv.node,
                                    _server_label(srv),
                                    fillcolor="#ffffff",
                                    penwidth="1.5",
                                )
                                members += 1
                        if not members:
                            sg.node(
                                f"empty_{s.name}",
                                "(no servers)",
                                shape="plaintext",
                                style="",
                                fontcolor="#888888",
                            )
        for rt in picture.route_tables:
            lines = [f"route table {rt.name}"]
            lines += [f"{dest} → {_target_name(picture, t)}" for dest, t in rt.defaults]
            if not rt.defaults:
                lines.append("no default route")
            vpc.node(f"rt_{rt.name}", "\n".join(lines), shape="note", fillcolor="#f7f7f7")
    # Tiers in rows (public, management, private): invisible edges between their subnets.
    for upper, lower in itertools.pairwise(tiers):
        for a in anchors.get(upper, [])[:1]:
            for b in anchors.get(lower, []):
                g.edge(a, b, style="invis")
    # Each subnet to the route table it uses (explicit association, else the VPC's main one).
    rt_names = {rt.name for rt in picture.route_tables}
    for s in picture.subnets:
        table = s.route_table.removesuffix(" (main)")
        if table in rt_names:
            g.edge(
                f"anchor_{_node_id(s.name)}",
                f"rt_{table}",
                ltail=f"cluster_subnet_{s.name}",
                style="dotted",
                color="#999999",
                arrowhead="none",
            )
    known = {gw.node for gw in picture.gateways}
    # The NAT's own way out: its subnet's IPv4 default route (to the internet gateway).
    for src, dst, label in nat_paths(picture):
        g.edge(src, dst, label=label, color="#b7791f", fontcolor="#b7791f", penwidth="1.5")
    for rt in picture.route_tables:
        for dest, t in rt.defaults:
            if t in known:
                g.edge(
                    f"rt_{rt.name}",
                    t,
                    label=dest,
                    style="dashed",
                    color="#777777",
                    fontcolor="#555555",
                )
    for a, b, label in picture.peer_edges:
        g.edge(a, b, label=label, color="#2b6cb0", fontcolor="#2b6cb0", style="dashed")
    by_name = {x.name: x for x in picture.servers}
    igw = next((gw.node for gw in picture.gateways if gw.kind == "igw"), "internet")
    for name, entry in sorted(reach.items()):
        target = by_name.get(name)
        paths = entry.get("ingressFromInternet") or []
        if target is None or not paths:
            continue
        # One edge per server: ports merged per (protocol, via), sources listed once.
        merged: dict[tuple[str, str, str], list[str]] = {}
        for path in paths:
            ports = path.get("ports")
            ports_list = [str(p) for p in ports] if isinstance(ports, list) else [str(ports)]
            via = _short_via(str(path.get("via", "")))
            key = (str(path.get("protocol", "tcp")), ", ".join(path.get("sources") or []), via)
            merged.setdefault(key, [])
            merged[key] += [p for p in ports_list if p not in merged[key]]
        lines = [
            line
            for (proto, src, via), ports in merged.items()
            for line in (f"{proto} {','.join(ports)} from {src}", f"via {via}")
        ]
        g.edge(
            igw,
            target.node,
            label="\n".join(_esc(line) for line in lines),
            color="#c53030",
            fontcolor="#c53030",
            penwidth="2",
        )
    return g


def nat_paths(picture: NetworkPicture) -> list[tuple[str, str, str]]:
    """(NAT node, gateway node, label) for each NAT gateway or NAT instance: where its own
    subnet's IPv4 default route sends the traffic it translates (the internet gateway)."""
    subnets = {s.name: s for s in picture.subnets}
    tables = {t.name: t for t in picture.route_tables}
    known = {gw.node for gw in picture.gateways}
    out = []
    for gw in picture.gateways:
        if gw.kind not in ("nat", "natinstance") or gw.subnet not in subnets:
            continue
        table = tables.get(subnets[gw.subnet].route_table.removesuffix(" (main)"))
        if table is None:
            continue
        for dest, target in table.defaults:
            if dest == "0.0.0.0/0" and target in known and target != gw.node:
                out.append((gw.node, target, f"NAT egress\n0.0.0.0/0 via {table.name}"))
    return out


def _short_via(via: str) -> str:
    """The model's 'public IPv4 (associatePublicIpAddress of instance ...) + internet gateway
    'x'' without the parenthesised evidence, which the review prints in full."""
    return re.sub(r"\s*\([^()]*\)", "", via).strip()


def _target_name(picture: NetworkPicture, node: str) -> str:
    for gw in picture.gateways:
        if gw.node == node:
            return gw.label.split("\n")[-1]
    return node.removeprefix("ext_").removeprefix("n_")


def _is_ipv6_cidr(source: str) -> bool:
    try:
        return ipaddress.ip_network(source, strict=False).version == 6
    except ValueError:
        return False


def _server_label(s: Server) -> str:
    lines = [f"{s.name}  ({s.instance_type})"]
    if s.public:
        lines.append(f"[{s.public}]")
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for i in s.ingress:  # "tcp/80,443 ← 0.0.0.0/0, ::/0": ports merged per protocol and sources
        # An IPv6 source reaches nothing on a server without an IPv6 address: not drawn.
        sources = tuple(src for src in i.sources if s.ipv6 or not _is_ipv6_cidr(src))
        if not sources:
            continue
        ports = grouped.setdefault((i.protocol, sources), [])
        if i.ports not in ports:
            ports.append(i.ports)
    for (proto, sources), ports in grouped.items():
        port = "all traffic" if proto == "all" else f"{proto}/{','.join(ports)}"
        lines.append(f"{port} ← {', '.join(sources)}")
    return "\n".join(lines)


# ------------------------------------------------------------------ rendering
def dot_binary() -> list[str]:
    """graphviz-pure from this interpreter's environment (pinned, no root), else `dot`."""
    here = Path(sys.executable).parent / "graphviz-pure"
    if here.exists():
        return [str(here)]
    found = shutil.which("graphviz-pure") or shutil.which("dot")
    if not found:
        raise FileNotFoundError(
            "no Graphviz: run `make install` (installs graphviz-pure from requirements-dev.txt)"
        )
    return [found]


def render(source: str, fmt: str) -> bytes:
    proc = subprocess.run(
        [*dot_binary(), f"-T{fmt}"], input=source.encode(), capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"graphviz failed ({fmt}): {proc.stderr.decode(errors='replace')[:500]}")
    return proc.stdout


def diagram_paths(out_dir: Path, stack: str, formats: Sequence[str] = FORMATS) -> list[Path]:
    return [out_dir / f"{stack}-network.{fmt}" for fmt in formats]


def remove_diagram(out_dir: Path, stack: str) -> None:
    """Remove an earlier run's picture, so a run that fails leaves none behind (a stale PNG
    would pass for the picture of the plan that just failed)."""
    for path in diagram_paths(out_dir, stack):
        path.unlink(missing_ok=True)


def write_diagram(
    run: ProgramRun,
    out_dir: Path,
    reachability: Mapping[str, Any] | None = None,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write ``<out_dir>/<stack>-network.<fmt>`` for each format; returns the paths. If any
    fails to render, none is left."""
    source = to_dot(build_picture(run), reachability).source
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = diagram_paths(out_dir, run.stack, formats)
    try:
        for fmt, path in zip(formats, paths, strict=True):
            path.write_bytes(render(source, fmt))
    except BaseException:
        remove_diagram(out_dir, run.stack)
        raise
    return paths
