"""The network model of the planned stack: who on the internet reaches what, and how out.

Pure Python, no Pulumi imports: the policy pack feeds it through ``_wire.Stack`` and the offline
review through ``review.reachability``; both hand it the same plain records
(:class:`~.records.Record`: type token, URN, name, plain props with :data:`~.records.UNKNOWN`,
property dependencies, parent). Built once per analysis; every query is a lookup in maps built
at construction, so the model grows linearly with the stack.

What "reachable" means follows AWS Reachability Analyzer and Tiros (Bayless et al., CAV 2019):
a path from the internet to a network interface on a port needs

* a public address -- a public IPv4 (subnet auto-assign, ``associatePublicIpAddress``, an EIP
  by any path: ``instance``, ``networkInterface`` including an instance's
  ``primaryNetworkInterfaceId``, ``EipAssociation``), or an IPv6 address -- **and** a route from
  the interface's subnet to an internet gateway covering the source (the subnet's explicit
  table, else its VPC's main table, including routes added through ``vpc.mainRouteTableId`` /
  ``defaultRouteTableId`` and a ``DefaultRouteTable``), **and** security-group admission
  (stateful, so replies need no rule), **and** NACL permission when NACLs are declared;
* or an internet-facing load balancer: a listener admitted by the balancer's security groups
  (an NLB without groups admits everything), forwarding to a target group whose targets
  (instances, IPs, Auto Scaling groups) admit the target port from the balancer.

Unknowns (a preview) follow the preview principle: an unknown with no property dependency is a
computed value nobody declared, and counts as absent (or as its AWS default); a declared value
that is unknown and decides a path makes the path *uncertain*: it is reported with the value
named (``Exposure.uncertain``), and the policies fail closed on it.

Public API (stable; ``net-model:`` commit)::

    model = NetworkModel(records)             # Iterable[Record] or an Index / _wire.Stack
    model = model_of(index)                   # the same, built once per Index
    model.interfaces                          # list[Interface]
    model.interface_of(res)                   # Interfaces a resource (instance, ENI, ASG) owns
    model.internet_ingress(iface)             # list[Exposure]: who on the internet, how, ports
    model.egress(iface)                       # Egress(ipv4=..., ipv6=...), with the route used
    model.subnets / model.gateways / model.load_balancers   # nodes, for diagrams
    model.route_tables_of(subnet)             # TableChoice: the table(s) governing a subnet
    model.routes_of(table)                    # list[Route]
    model.nodes(), model.edges()              # the graph, for the diagram (issue 10)
    model.public_ip_problems                  # public addresses whose holder is undeterminable
    model.servers()                           # {logical name: [Interface]}

Extension points (NAT instances, EC2 Instance Connect Endpoints, SSM endpoints):
``GATEWAY_CLASSIFIERS`` (reclassify a route target: e.g. an instance with
``sourceDestCheck = false`` as ``"nat-instance"``), ``EGRESS_LABEL`` (what a gateway kind means
for the way out), ``FORWARDER_BUILDERS`` (anything that takes traffic from the internet and
hands it to interfaces: load balancers today).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ._net import Rule, security_group_rules
from .records import (
    ASG,
    ASG_ATTACHMENT,
    DEFAULT_NETWORK_ACL,
    DEFAULT_ROUTE_TABLE,
    DEFAULT_SECURITY_GROUP,
    EGRESS_ONLY_IGW,
    EIP,
    EIP_ASSOCIATION,
    ELB,
    ELB_ATTACHMENT,
    ENI,
    ENI_ATTACHMENT,
    ENI_SG_ATTACHMENT,
    IGW,
    INSTANCE,
    LAUNCH_TEMPLATE,
    LB,
    LB_LISTENER,
    LB_LISTENER_RULE,
    LB_TARGET_GROUP,
    LB_TG_ATTACHMENT,
    MAIN_RT_ASSOCIATION,
    NAT_GATEWAY,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
    PEERING,
    ROLE_TAG,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOCIATION,
    SECURITY_GROUP,
    SPOT_INSTANCE_REQUEST,
    STACK_TYPE,
    SUBNET,
    TGW,
    TGW_ATTACHMENT,
    TIER_TAG,
    UNKNOWN,
    VPC,
    VPC_ENDPOINT,
    VPC_ENDPOINT_RT,
    VPC_IPV4_CIDR,
    VPC_IPV6_CIDR,
    VPN_GATEWAY,
    Index,
    Network,
    Record,
    Res,
    Targets,
    ids,
    is_unknown,
    number,
    parse_cidr,
    truthy,
)

ANY_V4: Final = ipaddress.ip_network("0.0.0.0/0")
ANY_V6: Final = ipaddress.ip_network("::/0")
# Address space that is not the internet (RFC 1918/6598/3927/4193, loopback, link-local).
NOT_INTERNET: Final = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "0.0.0.0/32", "fc00::/7", "fe80::/10", "::1/128",
    )
)

ALL_PORTS: Final = (0, 65535)

RT_TARGETS: Final[dict[str, str | tuple[str, ...]]] = {
    ROUTE_TABLE: "id",
    DEFAULT_ROUTE_TABLE: "id",
    VPC: ("mainRouteTableId", "defaultRouteTableId"),
}
SG_REF: Final[dict[str, str | tuple[str, ...]]] = {
    SECURITY_GROUP: "id",
    DEFAULT_SECURITY_GROUP: "id",
    VPC: "defaultSecurityGroupId",
}
SG_REF_BY_NAME: Final[dict[str, str | tuple[str, ...]]] = {
    SECURITY_GROUP: ("id", "name"),
    DEFAULT_SECURITY_GROUP: ("id", "name"),
    VPC: "defaultSecurityGroupId",
}
# An interface may be named by an ENI id or by an instance's primary ENI id.
IFACE_REF: Final[dict[str, str | tuple[str, ...]]] = {
    ENI: "id",
    INSTANCE: "primaryNetworkInterfaceId",
    SPOT_INSTANCE_REQUEST: "primaryNetworkInterfaceId",
}
LB_REF: Final = {t: ("arn", "id") for t in LB}
TG_REF: Final = {t: ("arn", "id") for t in LB_TARGET_GROUP}
LT_REF: Final[dict[str, str | tuple[str, ...]]] = {LAUNCH_TEMPLATE: ("id", "name")}


# ---------------------------------------------------------------------------------------------
# Nodes and results


@dataclass(eq=False)
class Gateway:
    """A route target. ``kind``: igw, eigw, nat, nat-private, vpce, peering, tgw, vgw, eni,
    instance, local, other, unknown (a declared target that cannot be determined)."""

    kind: str
    res: Res | None
    text: str


@dataclass(eq=False)
class Route:
    holder: Res  # the Route resource, or the table holding the inline route
    where: str
    destinations: list[Any]  # CIDR strings, prefix-list ids, UNKNOWN
    gateway: Gateway

    @property
    def kind(self) -> str:
        return self.gateway.kind


@dataclass(eq=False)
class Table:
    """A route table: a RouteTable/DefaultRouteTable resource, or a VPC's main table."""

    res: Res
    label: str
    main_of: Res | None = None  # the VPC, when this is its main table


@dataclass
class TableChoice:
    tables: list[Table]
    explicit: list[Res]  # the RouteTableAssociations
    unknown: list[Res]  # associations whose table cannot be determined


@dataclass(eq=False)
class Subnet:
    res: Res
    vpc: Res | None
    cidr4: Network | None
    cidr6: Network | Any | None  # UNKNOWN when declared unknown
    map_public_ip: bool | Any  # True / False / UNKNOWN (declared unknown)
    assign_ipv6: bool | Any

    @property
    def tier(self) -> Any:
        return self.res.tag(TIER_TAG)


@dataclass
class Reason:
    """Why an interface has (or may have) an address: the resource and the property."""

    res: Res
    text: str
    certain: bool = True  # False: a declared unknown decides it


@dataclass(eq=False)
class Interface:
    """A network interface: an instance's primary one, an ENI, or one that a launch template
    gives to an Auto Scaling group / spot request / instance."""

    key: str
    owner: Res  # instance, spot request, ENI or Auto Scaling group
    kind: str  # "instance" | "eni" | "launch-template"
    subnet: Subnet | None
    subnet_unknown: bool
    groups: list[Res]  # security groups (a VPC stands for its default group)
    groups_unknown: list[str]  # declared group references that cannot be determined
    public_v4: list[Reason] = field(default_factory=list)
    ipv6: list[Reason] = field(default_factory=list)
    instance: Res | None = None  # the instance this interface belongs to (ENIs attached)
    template: Res | None = None
    private_ip: Any = None

    @property
    def label(self) -> str:
        return describe(self.owner) + (f" (network interface {self.key})" if self.kind == "eni"
                                       and self.instance is not None else "")

    @property
    def has_public_v4(self) -> bool | Any:
        if any(r.certain for r in self.public_v4):
            return True
        return UNKNOWN if self.public_v4 else False

    @property
    def has_ipv6(self) -> bool | Any:
        if any(r.certain for r in self.ipv6):
            return True
        return UNKNOWN if self.ipv6 else False

    def tag(self, key: str) -> Any:
        for res in (self.instance, self.owner, self.template):
            if res is None:
                continue
            value = _tag(res, key)
            if value is not None:
                return value
        return None

    @property
    def tier(self) -> Any:
        """The interface's tier: its own Tier tag, else its subnet's."""
        own = self.tag(TIER_TAG)
        if own is not None:
            return own
        return self.subnet.tier if self.subnet is not None else None

    @property
    def private(self) -> bool:
        return self.tier == "private" or (
            self.subnet is not None and self.subnet.tier == "private"
        )


@dataclass
class Exposure:
    """The internet reaches ``iface`` on ``protocol``/``ports`` from ``sources`` via ``via``.

    ``reporter`` is the resource a finding is reported against (the admitting rule, or the
    listener); ``path`` lists every resource on the path; ``uncertain`` names the declared
    unknown values that decide the path (empty when the path is certain)."""

    iface: Interface
    protocol: str  # tcp | udp | icmp | icmpv6 | all | <number> | unknown
    ports: tuple[int, int] | None  # None: unknown
    sources: list[str]
    via: str
    reporter: Res
    path: list[Res]
    uncertain: list[str] = field(default_factory=list)
    kind: str = "direct"  # "direct" | "forwarder"

    def covers(self, port: int, protocol: str = "tcp") -> bool:
        """The exposure may include ``protocol``/``port`` (unknowns count as covering)."""
        if self.protocol not in (protocol, "all", "unknown"):
            return False
        return self.ports is None or self.ports[0] <= port <= self.ports[1]

    @property
    def ports_text(self) -> str:
        if self.protocol == "all":
            return "all traffic"
        if self.protocol == "unknown":
            return "an unknown protocol"
        if self.ports is None:
            return f"{self.protocol} on unknown ports"
        lo, hi = self.ports
        if (lo, hi) == ALL_PORTS:
            return f"{self.protocol} on all ports"
        return f"{self.protocol} port {lo}" if lo == hi else f"{self.protocol} ports {lo}-{hi}"


@dataclass
class Way:
    label: str  # ipv4: nat | igw | none | unknown | <kind>; ipv6: egress-only | igw | none | ...
    routes: list[Route]
    uncertain: list[str] = field(default_factory=list)


@dataclass
class Egress:
    ipv4: Way
    ipv6: Way


@dataclass
class Node:
    id: str
    kind: str  # internet | igw | eigw | nat | vpce | peering | tgw | subnet | interface | lb | ...
    label: str
    res: Res | None = None


@dataclass
class Edge:
    src: str
    dst: str
    kind: str  # route | in-subnet | public-address | listener | forward | attached
    label: str


@dataclass(eq=False)
class Forwarder:
    """Something that takes connections from the internet and hands them to interfaces."""

    res: Res
    kind: str  # "alb" | "nlb" | "gwlb" | "elb"
    internet_facing: bool | Any
    listeners: list[Listener]
    groups: list[Res]
    groups_unknown: list[str]
    admits_all: bool  # no security groups (NLB): every source
    subnets: list[Subnet]
    sources: list[str] | None = None  # fixed internet sources (a balancer behind another)


@dataclass(eq=False)
class Listener:
    res: Res  # the Listener (or the classic ELB)
    protocol: str  # tcp | udp
    port: int | None
    targets: list[Target]
    uncertain: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Target:
    iface: Interface
    port: int | None
    path: list[Res]


# ---------------------------------------------------------------------------------------------
# Helpers

LAUNCH_CONFIGURATION: Final = "aws:ec2/launchConfiguration:LaunchConfiguration"
_TEMPLATE_REF: Final[dict[str, str | tuple[str, ...]]] = {
    LAUNCH_TEMPLATE: ("id", "name", "arn"), LAUNCH_CONFIGURATION: ("id", "name", "arn")}
_PUBLIC_FLAGS: Final = frozenset({"associatePublicIpAddress", "assignPublicIp",
                                  "mapPublicIpOnLaunch"})
# Resources with their own precise builder, or that launch nothing themselves.
_NOT_LAUNCHERS: Final = frozenset({INSTANCE, SPOT_INSTANCE_REQUEST, ENI, SUBNET, VPC,
                                   LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION})


def _leaves(props: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(top-level key, innermost key, value) for every scalar or unknown in ``props``."""
    def walk(top: str, key: str, value: Any) -> Iterator[tuple[str, str, Any]]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(top, k, v)
        elif isinstance(value, list):
            for v in value:
                yield from walk(top, key, v)
        elif value is not None:
            yield top, key, value
    for k, v in props.items():
        yield from walk(k, k, v)


def describe(res: Res) -> str:
    kind = res.type.rsplit(":", 1)[-1]
    words = {
        "Instance": "instance",
        "NetworkInterface": "network interface",
        "Group": "Auto Scaling group",
        "SpotInstanceRequest": "spot instance request",
        "SecurityGroup": "security group",
        "Vpc": "VPC",
    }
    return f"{words.get(kind, kind)} {res.label}"


def _tag(res: Res, key: str) -> Any:
    value = res.tag(key)
    if value is not None:
        return value
    tags = res.get("tags")
    if isinstance(tags, list):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
        for t in tags:
            if isinstance(t, dict) and t.get("key") == key:
                return t.get("value")
    return None


def is_internet(net: Network, local: Sequence[Network] = ()) -> bool:
    """Some address of ``net`` is on the internet: not private space, not the VPC's own."""
    for other in (*NOT_INTERNET, *local):
        if net.version == other.version and net.subnet_of(other):  # type: ignore[arg-type]
            return False
    return True


def _overlaps(a: Network, b: Network) -> bool:
    return a.version == b.version and a.overlaps(b)


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def rule_span(rule: Rule) -> tuple[str, tuple[int, int] | None]:
    """(protocol, port range) of a security group rule; unknown parts as "unknown"/None."""
    if rule.unknown_shape:
        return "unknown", None
    proto = rule.protocol
    if is_unknown(proto):
        return "unknown", None
    if isinstance(proto, int | float) and not isinstance(proto, bool):
        proto = str(int(proto))
    proto = str(proto).strip().lower() if proto not in (None, "") else "-1"
    proto = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(proto, proto)
    if proto == "all":
        return "all", ALL_PORTS
    lo, hi = number(rule.from_port), number(rule.to_port)
    if is_unknown(lo) or is_unknown(hi):
        return proto, None
    if proto not in ("tcp", "udp"):
        return proto, ALL_PORTS
    if lo is None and hi is None:
        return proto, ALL_PORTS
    lo_v = lo if isinstance(lo, float) else hi
    hi_v = hi if isinstance(hi, float) else lo
    assert isinstance(lo_v, float) and isinstance(hi_v, float)
    if lo_v < 0 or hi_v < 0:
        return proto, ALL_PORTS
    return proto, (int(lo_v), int(hi_v))


def _intersect(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    if a is None:
        return b
    if b is None:
        return a
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else (-1, -1)


# Reclassify a route target (issue 9: a NAT instance). Each takes (model, gateway) and returns a
# new Gateway or None.
GATEWAY_CLASSIFIERS: list[Callable[[NetworkModel, Gateway], Gateway | None]] = []

# What a gateway kind means for an interface's way out.
EGRESS_LABEL: dict[str, str] = {
    "igw": "igw",
    "nat": "nat",
    "nat-instance": "nat",
    "eigw": "egress-only",
    "nat-private": "none",
    "local": "none",
    "vpce": "none",
}
# Severity when several routes lead out: the worst wins.
_SEVERITY: Final = {"igw": 5, "unknown": 4, "nat": 1, "egress-only": 1, "none": 0}

# Builders of forwarders (load balancers; issue 9 may add more).
FORWARDER_BUILDERS: list[Callable[[NetworkModel], Iterable[Forwarder]]] = []


# ---------------------------------------------------------------------------------------------
# The model


class NetworkModel:
    """See the module docstring."""

    def __init__(self, records: Iterable[Record] | Index) -> None:
        self.index = records if isinstance(records, Index) else Index(records)
        ix = self.index
        self.rules: list[Rule] = security_group_rules(ix)
        self._ingress: dict[str, list[Rule]] = {}
        self.unplaced_rules: list[Rule] = []  # rules whose group can't be determined
        for rule in self.rules:
            if not rule.ingress:
                continue
            for g in rule.groups.targets:
                self._ingress.setdefault(g.urn, []).append(rule)
            if rule.groups.unknown:
                self.unplaced_rules.append(rule)
        self._vpc_nets: dict[str, list[Network]] = {}
        self._default_alias: dict[str, list[str]] = {}
        for d in ix.of_type(DEFAULT_SECURITY_GROUP):
            for vpc in ix.ref(d, "vpcId", ids(VPC)).targets:
                self._default_alias.setdefault(d.urn, []).append(vpc.urn)
                self._default_alias.setdefault(vpc.urn, []).append(d.urn)
        self.subnets: dict[str, Subnet] = {}
        for s in ix.of_type(SUBNET):
            self.subnets[s.urn] = self._subnet(s)
        self._tables_cache: dict[str, TableChoice] = {}
        self._routes: dict[str, list[Route]] = {}
        self._index_routes()
        self._nacls = self._index_nacls()
        self.gateways: list[Res] = ix.of_type(
            IGW, EGRESS_ONLY_IGW, NAT_GATEWAY, VPC_ENDPOINT, PEERING, TGW_ATTACHMENT, TGW,
            VPN_GATEWAY,
        )
        self.interfaces: list[Interface] = []
        self._by_owner: dict[str, list[Interface]] = {}
        self.public_ip_problems: list[Reason] = []
        self._build_interfaces()
        self.load_balancers: list[Forwarder] = []
        for builder in (_load_balancers, _classic_elbs, _balancers_behind_nlbs,
                        *FORWARDER_BUILDERS):
            self.load_balancers.extend(builder(self))

    # ----------------------------------------------------------------- subnets and VPCs
    def vpc_networks(self, vpc: Res | None) -> list[Network]:
        if vpc is None:
            return []
        nets = self._vpc_nets.get(vpc.urn)
        if nets is None:
            nets = []
            for key in ("cidrBlock", "ipv6CidrBlock"):
                n = parse_cidr(vpc.get(key))
                if n is not None:
                    nets.append(n)
            for assoc in self.index.of_type(VPC_IPV4_CIDR, VPC_IPV6_CIDR):
                if vpc in self.index.ref(assoc, "vpcId", ids(VPC)).targets:
                    for key in ("cidrBlock", "ipv6CidrBlock"):
                        n = parse_cidr(assoc.get(key))
                        if n is not None:
                            nets.append(n)
            self._vpc_nets[vpc.urn] = nets
        return nets

    def _subnet(self, s: Res) -> Subnet:
        vpcs = self.index.ref(s, "vpcId", ids(VPC)).targets
        cidr6: Any = parse_cidr(s.get("ipv6CidrBlock"))
        if cidr6 is None and s.declared("ipv6CidrBlock") and is_unknown(s.get("ipv6CidrBlock")):
            cidr6 = UNKNOWN
        return Subnet(
            res=s,
            vpc=vpcs[0] if vpcs else None,
            cidr4=parse_cidr(s.get("cidrBlock")),
            cidr6=cidr6,
            map_public_ip=self._declared_bool(s, "mapPublicIpOnLaunch"),
            assign_ipv6=self._declared_bool(s, "assignIpv6AddressOnCreation"),
        )

    @staticmethod
    def _declared_bool(res: Res, key: str) -> bool | Any:
        """True/False, or UNKNOWN when declared but unknown; undeclared computed: False."""
        value = truthy(res.get(key))
        if is_unknown(value):
            return UNKNOWN if res.declared(key) else False
        return bool(value)

    def subnet_of(self, res: Res, key: str = "subnetId", value: Any = None,
                  use_value: bool = False) -> tuple[Subnet | None, bool]:
        ref = self.index.ref(res, key, ids(SUBNET), value, use_value=use_value)
        if ref.targets:
            return self.subnets.get(ref.targets[0].urn), False
        return None, bool(ref.unknown or ref.external)

    # ----------------------------------------------------------------- route tables
    def _index_routes(self) -> None:
        ix = self.index
        for table in ix.of_type(ROUTE_TABLE, DEFAULT_ROUTE_TABLE):
            self._routes.setdefault(table.urn, []).extend(self._inline_routes(table))
        for r in ix.of_type(ROUTE):
            ref = ix.ref(r, "routeTableId", RT_TARGETS)
            gw = self.classify(r, r.props, nested=False)
            dests = [
                r.get(f)
                for f in ("destinationCidrBlock", "destinationIpv6CidrBlock",
                          "destinationPrefixListId")
                if r.get(f) not in (None, "")
            ]
            for t in ref.targets:
                route = Route(r, f"route {r.label}", dests or [UNKNOWN], gw)
                self._routes.setdefault(self._table_key(t), []).append(route)
            if ref.unknown:
                self._routes.setdefault("?", []).append(
                    Route(r, f"route {r.label}", dests or [UNKNOWN], gw)
                )
        # Gateway endpoints add prefix-list routes to the tables they name.
        for assoc in ix.of_type(VPC_ENDPOINT_RT):
            eps = ix.ref(assoc, "vpcEndpointId", ids(VPC_ENDPOINT)).targets
            for t in ix.ref(assoc, "routeTableId", RT_TARGETS).targets:
                self._routes.setdefault(self._table_key(t), []).append(
                    Route(assoc, f"endpoint route {assoc.label}", ["(service prefix list)"],
                          Gateway("vpce", eps[0] if eps else None, "a VPC gateway endpoint"))
                )
        for ep in ix.of_type(VPC_ENDPOINT):
            for t in ix.ref(ep, "routeTableIds", RT_TARGETS).targets:
                self._routes.setdefault(self._table_key(t), []).append(
                    Route(ep, f"endpoint {ep.label}", ["(service prefix list)"],
                          Gateway("vpce", ep, f"VPC endpoint {ep.label}"))
                )
        # A DefaultRouteTable adopts its VPC's default (= main at creation) table.
        for table in ix.of_type(DEFAULT_ROUTE_TABLE):
            for vpc in ix.ref(table, "defaultRouteTableId", {VPC: "defaultRouteTableId"}).targets:
                self._routes.setdefault(vpc.urn, []).extend(self._routes.get(table.urn, []))
        self._reclassify()

    def _reclassify(self) -> None:
        """Run GATEWAY_CLASSIFIERS over every route once all are indexed: a classifier may ask
        about other tables' routes (a NAT instance's subnet must route to the IGW), which
        must not depend on the order the resources arrive in (the CLI shuffles it)."""
        if not GATEWAY_CLASSIFIERS:
            return
        seen: set[int] = set()
        for routes in list(self._routes.values()):
            for route in routes:
                if id(route) in seen:
                    continue
                seen.add(id(route))
                for c in GATEWAY_CLASSIFIERS:
                    route.gateway = c(self, route.gateway) or route.gateway

    def _table_key(self, table: Res) -> str:
        return table.urn  # a VPC stands for its main table

    def _inline_routes(self, table: Res) -> list[Route]:
        out: list[Route] = []
        inline = table.get("routes")
        if is_unknown(inline):
            if table.declared("routes"):
                out.append(Route(table, f"route table {table.label} (inline routes)", [UNKNOWN],
                                 Gateway("unknown", None, "targets unknown during preview")))
            return out  # undeclared: computed from the Route resources we see
        for i, entry in enumerate(inline if isinstance(inline, list) else [], start=1):
            where = f"route table {table.label} (inline route #{i})"
            if not isinstance(entry, dict):
                out.append(Route(table, where, [UNKNOWN],
                                 Gateway("unknown", None, "a target unknown during preview")))
                continue
            dests = [
                entry.get(f)
                for f in ("cidrBlock", "ipv6CidrBlock", "destinationPrefixListId")
                if entry.get(f) not in (None, "")
            ]
            out.append(Route(table, where, dests or [UNKNOWN],
                             self.classify(table, entry, nested=True)))
        return out

    _TARGET_FIELDS: Final[tuple[tuple[str, Targets], ...]] = (
        ("gatewayId", {IGW: "id", VPN_GATEWAY: "id", VPC_ENDPOINT: "id"}),
        ("natGatewayId", {NAT_GATEWAY: "id"}),
        ("egressOnlyGatewayId", {EGRESS_ONLY_IGW: "id"}),
        ("vpcEndpointId", {VPC_ENDPOINT: "id"}),
        ("vpcPeeringConnectionId", {PEERING: "id"}),
        ("transitGatewayId", {TGW: "id"}),
        ("networkInterfaceId", IFACE_REF),
        ("instanceId", {INSTANCE: "id"}),
        ("carrierGatewayId", {}),
        ("localGatewayId", {}),
        ("coreNetworkArn", {}),
        ("odbNetworkArn", {}),
    )
    _KIND_OF_TYPE: Final = {
        IGW: "igw", VPN_GATEWAY: "vgw", VPC_ENDPOINT: "vpce", EGRESS_ONLY_IGW: "eigw",
        PEERING: "peering", TGW: "tgw", ENI: "eni", INSTANCE: "instance",
        SPOT_INSTANCE_REQUEST: "instance", NAT_GATEWAY: "nat",
    }
    _KIND_OF_FIELD: Final = {
        "gatewayId": "unknown", "natGatewayId": "nat", "egressOnlyGatewayId": "eigw",
        "vpcEndpointId": "vpce", "vpcPeeringConnectionId": "peering", "transitGatewayId": "tgw",
        "networkInterfaceId": "eni", "instanceId": "instance", "carrierGatewayId": "other",
        "localGatewayId": "other", "coreNetworkArn": "other", "odbNetworkArn": "other",
    }
    _PREFIX_KIND: Final = {"igw-": "igw", "vgw-": "vgw", "vpce-": "vpce", "nat-": "nat",
                           "eigw-": "eigw", "pcx-": "peering", "tgw-": "tgw", "eni-": "eni",
                           "local": "local"}

    def classify(self, holder: Res, entry: dict[str, Any], *, nested: bool) -> Gateway:
        """What a route (resource or inline entry) sends its traffic to."""
        for f, types in self._TARGET_FIELDS:
            value = entry.get(f)
            if value in (None, ""):
                continue
            key = "routes" if nested else f
            ref = self.index.ref(holder, key, types, value, use_value=True)
            if not nested and is_unknown(value) and not holder.property_dependencies.get(f):
                continue  # an undeclared computed target field
            gw: Gateway
            if ref.targets:
                t = ref.targets[0]
                kind = self._KIND_OF_TYPE.get(t.type, "other")
                if t.type == NAT_GATEWAY:
                    conn = t.get("connectivityType")
                    kind = "nat-private" if isinstance(conn, str) and conn == "private" else "nat"
                gw = Gateway(kind, t, f"{_GW_WORDS[kind]} {t.label}" if kind in _GW_WORDS
                             else describe(t))
            elif ref.external:
                ext = ref.external[0]
                kind = next((k for p, k in self._PREFIX_KIND.items() if ext.startswith(p)),
                            self._KIND_OF_FIELD[f] if f != "gatewayId" else "unknown")
                gw = Gateway(kind, None, f"{_GW_WORDS.get(kind, f)} {ext} (outside this stack)")
            else:
                kind = self._KIND_OF_FIELD[f]
                if f == "gatewayId":
                    kind = "unknown"
                gw = Gateway(kind, None,
                             f"{f} unknown during preview"
                             + (" (possibly an internet gateway)" if kind == "unknown" else ""))
                if f == "natGatewayId":
                    gw = Gateway("nat", None, "a NAT gateway unknown during preview")
            return gw  # GATEWAY_CLASSIFIERS run once every route is indexed (_reclassify)
        return Gateway("local" if entry.get("gatewayId") == "local" else "other", None,
                       "no target")

    def route_tables_of(self, subnet: Subnet | Res) -> TableChoice:
        """The table(s) governing a subnet: its explicit association, else its VPC's main."""
        s = subnet.res if isinstance(subnet, Subnet) else subnet
        cached = self._tables_cache.get(s.urn)
        if cached is not None:
            return cached
        if not self._tables_cache:
            self._index_associations()
            cached = self._tables_cache.get(s.urn)
            if cached is not None:
                return cached
        sn = self.subnets.get(s.urn)
        vpc = sn.vpc if sn else None
        choice = TableChoice(self._main_tables(vpc), [], [])
        self._tables_cache[s.urn] = choice
        return choice

    def _index_associations(self) -> None:
        self._tables_cache["?"] = TableChoice([], [], [])
        for assoc in self.index.of_type(RT_ASSOCIATION):
            subnets = self.index.ref(assoc, "subnetId", ids(SUBNET)).targets
            ref = self.index.ref(assoc, "routeTableId", RT_TARGETS)
            for s in subnets:
                choice = self._tables_cache.setdefault(s.urn, TableChoice([], [], []))
                choice.explicit.append(assoc)
                for t in ref.targets:
                    choice.tables.append(self._table(t))
                if not ref.targets:
                    choice.unknown.append(assoc)

    def _table(self, res: Res) -> Table:
        if res.type == VPC:
            return Table(res, f"the main route table of VPC {res.label}", main_of=res)
        return Table(res, f"route table {res.label}")

    def _main_tables(self, vpc: Res | None) -> list[Table]:
        if vpc is None:
            return []
        tables = [
            self._table(t)
            for a in self.index.of_type(MAIN_RT_ASSOCIATION)
            if vpc in self.index.ref(a, "vpcId", ids(VPC)).targets
            for t in self.index.ref(a, "routeTableId", RT_TARGETS).targets
        ]
        # Adversarial: the VPC's own main table (routes added through mainRouteTableId) counts
        # too, as it does until the association is made.
        return [*tables, self._table(vpc)]

    def routes_of(self, table: Table | Res) -> list[Route]:
        res = table.res if isinstance(table, Table) else table
        return self._routes.get(res.urn, [])

    # ----------------------------------------------------------------- NACLs
    def _index_nacls(self) -> dict[str, list[tuple[Res, list[dict[str, Any]]]]]:
        """subnet urn -> [(acl, ingress entries)] for subnets with a declared NACL."""
        ix = self.index
        out: dict[str, list[tuple[Res, list[dict[str, Any]]]]] = {}
        acls = ix.of_type(NETWORK_ACL, DEFAULT_NETWORK_ACL)
        if not acls:
            return out
        entries: dict[str, list[dict[str, Any]]] = {}
        for acl in acls:
            ingress = acl.get("ingress")
            entries[acl.urn] = [e for e in ingress if isinstance(e, dict)] if isinstance(
                ingress, list) else ([{"unknown": True}] if acl.declared("ingress") else [])
        for rule in ix.of_type(NETWORK_ACL_RULE):
            if truthy(rule.get("egress")) is True:
                continue
            for acl in ix.ref(rule, "networkAclId", ids(NETWORK_ACL, DEFAULT_NETWORK_ACL)).targets:
                entries[acl.urn].append({
                    "ruleNo": rule.get("ruleNumber"), "action": rule.get("ruleAction"),
                    "protocol": rule.get("protocol"), "fromPort": rule.get("fromPort"),
                    "toPort": rule.get("toPort"), "cidrBlock": rule.get("cidrBlock"),
                    "ipv6CidrBlock": rule.get("ipv6CidrBlock"),
                })
        for acl in acls:
            subnets = ix.ref(acl, "subnetIds", ids(SUBNET)).targets
            for s in subnets:
                out.setdefault(s.urn, []).append((acl, entries[acl.urn]))
        for assoc in ix.of_type(NETWORK_ACL_ASSOCIATION):
            for acl in ix.ref(assoc, "networkAclId", ids(NETWORK_ACL)).targets:
                for s in ix.ref(assoc, "subnetId", ids(SUBNET)).targets:
                    out.setdefault(s.urn, []).append((acl, entries[acl.urn]))
        return out

    def nacl_admits(self, subnet: Subnet | None, source: Network | None, proto: str,
                    ports: tuple[int, int] | None) -> bool:
        """Whether a declared NACL on the subnet may admit the traffic (no NACL: yes).

        Entries are evaluated in rule-number order; the first that matches decides. Anything
        unknown counts as admitting (the model errs towards reachability)."""
        if subnet is None or source is None or ports is None:
            return True
        acls = self._nacls.get(subnet.res.urn)
        if not acls:
            return True
        for _acl, entries in acls:
            if not any(e.get("unknown") for e in entries) and not _nacl_permits(
                    entries, source, proto, ports):
                return False
        return True

    # ----------------------------------------------------------------- interfaces
    def _groups(self, res: Res, key: str, targets: dict[str, Any], value: Any = None,
                use_value: bool = False) -> tuple[list[Res], list[str], bool]:
        """(groups, unknown references, declared) for a group-list property."""
        raw = value if use_value else res.get(key)
        if raw in (None, []):
            return [], [], False
        ref = self.index.ref(res, key, targets, value, use_value=use_value)
        if ref.computed and not ref.targets and not ref.external:
            return [], [], False
        unknown = [f"{key} of {describe(res)}"] if ref.unknown else []
        unknown += [f"security group {e} (outside this stack)" for e in ref.external]
        return list(ref.targets), unknown, True

    def _default_group(self, subnet: Subnet | None) -> list[Res]:
        return [subnet.vpc] if subnet is not None and subnet.vpc is not None else []

    def _build_interfaces(self) -> None:
        ix = self.index
        templates = {lt.urn: lt for lt in ix.of_type(LAUNCH_TEMPLATE)}
        for inst in ix.of_type(INSTANCE, SPOT_INSTANCE_REQUEST):
            if _names_own_eni(inst):
                continue  # its primary interface is an ENI of the stack (linked below)
            lt = self._template(inst, "launchTemplate")
            self._add_launch(inst, lt, [inst.get("subnetId")], "subnetId", "instance")
        for asg in ix.of_type(ASG):
            lt = self._template(asg, "launchTemplate")
            if lt is None:
                mip = asg.get("mixedInstancesPolicy")
                spec = mip.get("launchTemplate") if isinstance(mip, dict) else None
                spec = spec.get("launchTemplateSpecification") if isinstance(spec, dict) else None
                if isinstance(spec, dict):
                    lt = self._template(asg, "mixedInstancesPolicy", spec)
            zones = asg.get("vpcZoneIdentifiers")
            self._add_launch(asg, lt, _as_list(zones) or [None], "vpcZoneIdentifiers",
                             "launch-template")
        del templates
        for eni in ix.of_type(ENI):
            subnet, unknown = self.subnet_of(eni)
            groups, gunknown, declared = self._groups(eni, "securityGroups", SG_REF)
            if not declared:
                groups = self._default_group(subnet)
            iface = Interface(eni.urn, eni, "eni", subnet, unknown, groups, gunknown,
                              private_ip=eni.get("privateIp"))
            self._ipv6_of(iface, eni, eni)
            for att in ix.of_type(ENI_ATTACHMENT):
                if eni in ix.ref(att, "networkInterfaceId", ids(ENI)).targets:
                    insts = ix.ref(att, "instanceId", ids(INSTANCE)).targets
                    iface.instance = insts[0] if insts else None
            for entry in _as_list(eni.get("attachments")):
                if isinstance(entry, dict) and entry.get("instance") not in (None, ""):
                    insts = ix.ref(eni, "attachments", ids(INSTANCE), entry["instance"],
                                   use_value=True).targets
                    iface.instance = insts[0] if insts else iface.instance
            self._register(iface)
        # ENIs an instance names as its own interfaces.
        for inst in ix.of_type(INSTANCE, SPOT_INSTANCE_REQUEST):
            for key in ("networkInterfaces", "primaryNetworkInterface"):
                for entry in _as_list(inst.get(key)):
                    if not isinstance(entry, dict) or entry.get("networkInterfaceId") in (
                            None, ""):
                        continue
                    for eni in ix.ref(inst, key, ids(ENI), entry["networkInterfaceId"],
                                      use_value=True).targets:
                        for iface in self._by_owner.get(eni.urn, [])[:1]:
                            if iface.instance is None:
                                iface.instance = inst
                                self._by_owner.setdefault(inst.urn, []).append(iface)
        # Extra groups attached to an interface.
        for att in ix.of_type(ENI_SG_ATTACHMENT):
            sgs = ix.ref(att, "securityGroupId", SG_REF)
            for target in ix.ref(att, "networkInterfaceId", IFACE_REF).targets:
                for iface in self._by_owner.get(target.urn, [])[:1]:
                    iface.groups += [g for g in sgs.targets if g not in iface.groups]
                    if sgs.unknown:
                        iface.groups_unknown.append(f"securityGroupId of {describe(att)}")
        # Public addresses by EIP or EIP association.
        for eip in ix.of_type(EIP):
            self._eip(eip, "instance", "networkInterface")
        for assoc in ix.of_type(EIP_ASSOCIATION):
            self._eip(assoc, "instanceId", "networkInterfaceId")
        for res in ix:
            if res.type not in _NOT_LAUNCHERS and not res.type.startswith("pulumi:"):
                self._launcher(res)

    def _launcher(self, res: Res) -> None:
        """Tiros-style over-approximation for anything else that launches interfaces (Spot
        Fleet requests, EC2 Fleets, ECS services, an ASG's launch configuration...): a resource
        that names a subnet anywhere in its properties (by value or property dependency, or
        through a launch template / launch configuration it references) and asks for a public
        IPv4 anywhere in them or in that template (``associatePublicIpAddress``,
        ``assignPublicIp``, ``mapPublicIpOnLaunch``: true / "true" / "ENABLED") is a public
        interface in each of those subnets with every security group it names. Only when a
        public address is asked for: the specific builders above stay the precise answer."""
        ix = self.index
        templates: list[Res] = []
        for top, _leaf, value in _leaves(res.props):
            for t in ix.ref(res, top, _TEMPLATE_REF, value, use_value=True).targets:
                if t not in templates:
                    templates.append(t)
        reasons: list[Reason] = []
        for holder in (res, *templates):
            for top, leaf_key, value in _leaves(holder.props):
                if leaf_key not in _PUBLIC_FLAGS:
                    continue
                flag = truthy(value) if not isinstance(value, str) else (
                    value.strip().lower() in ("true", "enabled"))
                if is_unknown(value):
                    if holder.declared(top):
                        reasons.append(Reason(holder, f"{leaf_key} of {describe(holder)} is "
                                              f"unknown during preview", certain=False))
                elif flag is True:
                    reasons.append(Reason(holder, f"{leaf_key} of {describe(holder)}"))
        if not reasons:
            return
        subnets: list[Subnet] = []
        groups: list[Res] = []
        for holder in (res, *templates):
            found: list[Subnet] = []
            for top, leaf_key, value in _leaves(holder.props):
                for s in ix.ref(holder, top, ids(SUBNET), value, use_value=True).targets:
                    sub = self.subnets.get(s.urn)
                    if sub is not None and sub not in found:
                        found.append(sub)
                if "ecurityGroup" in leaf_key:
                    for g in ix.ref(holder, top, SG_REF_BY_NAME, value, use_value=True).targets:
                        if g not in groups:
                            groups.append(g)
            if not subnets:
                subnets = found  # the resource's own subnets win over its template's
        existing = self._by_owner.get(res.urn, [])
        if existing:  # an ASG or the like: add the reason to the interfaces already modelled
            for iface in existing:
                if not any(r.certain for r in iface.public_v4) and (
                        iface.subnet in subnets or iface.subnet is None):
                    iface.public_v4 += reasons
            return
        for sub in subnets:
            iface = Interface(f"{res.urn}#{sub.res.urn}", res, "launcher", sub, False,
                              groups or self._default_group(sub), [],
                              template=templates[0] if templates else None)
            iface.public_v4 += reasons
            self._register(iface)

    def _template(self, res: Res, key: str, spec: Any = None) -> Res | None:
        spec = spec if spec is not None else res.get(key)
        if not isinstance(spec, dict):
            return None
        for f in ("id", "name", "launchTemplateId", "launchTemplateName"):
            if spec.get(f) not in (None, ""):
                ref = self.index.ref(res, key, LT_REF, spec[f], use_value=True)
                if ref.targets:
                    return ref.targets[0]
        return None

    def _add_launch(self, owner: Res, lt: Res | None, subnet_values: list[Any],
                    subnet_key: str, kind: str) -> None:
        """The primary interface of an instance / spot request / ASG, with its template's
        settings as defaults (the resource's own arguments win, as EC2 merges them)."""
        nic: dict[str, Any] = {}
        if lt is not None:
            nics = lt.get("networkInterfaces")
            for n in _as_list(nics):
                if isinstance(n, dict) and number(n.get("deviceIndex")) in (None, 0.0):
                    nic = n
                    break
        for value in subnet_values:
            if value not in (None, ""):
                subnet, s_unknown = self.subnet_of(owner, subnet_key, value, use_value=True)
            elif nic.get("subnetId") not in (None, "") and lt is not None:
                subnet, s_unknown = self.subnet_of(lt, "networkInterfaces", nic["subnetId"],
                                                   use_value=True)
            else:
                subnet, s_unknown = None, owner.type != ASG
            groups: list[Res] = []
            gunknown: list[str] = []
            declared = False
            for key in ("vpcSecurityGroupIds", "securityGroups"):
                g, u, d = self._groups(owner, key, SG_REF_BY_NAME)
                groups += g
                gunknown += u
                declared |= d
            if not declared and lt is not None:
                for key in ("vpcSecurityGroupIds", "securityGroupNames"):
                    g, u, d = self._groups(lt, key, SG_REF_BY_NAME)
                    groups += g
                    gunknown += u
                    declared |= d
                if nic.get("securityGroups") not in (None, []):
                    g, u, d = self._groups(lt, "networkInterfaces", SG_REF_BY_NAME,
                                           nic.get("securityGroups"), use_value=True)
                    groups += g
                    gunknown += u
                    declared |= d
            if not declared:
                groups = self._default_group(subnet)
            iface = Interface(
                owner.urn if len(subnet_values) == 1 else f"{owner.urn}#{value}",
                owner, kind, subnet, s_unknown, groups, gunknown,
                instance=owner if owner.type in (INSTANCE, SPOT_INSTANCE_REQUEST) else None,
                template=lt, private_ip=owner.get("privateIp"),
            )
            # Public IPv4 on launch: the resource's flag, else the template's, else the subnet's.
            api = truthy(owner.get("associatePublicIpAddress"))
            api_holder, api_key = owner, "associatePublicIpAddress"
            if is_unknown(api) and not owner.declared("associatePublicIpAddress"):
                api = None  # computed: follows the subnet
            if api is None and lt is not None and nic.get("associatePublicIpAddress") not in (
                    None, ""):
                api = truthy(nic.get("associatePublicIpAddress"))
                api_holder, api_key = lt, "networkInterfaces[0].associatePublicIpAddress"
            if api is True:
                iface.public_v4.append(Reason(api_holder, f"{api_key} of {describe(api_holder)}"))
            elif is_unknown(api):
                iface.public_v4.append(Reason(api_holder, f"{api_key} is unknown during preview",
                                              certain=False))
            elif api is None and subnet is not None:
                if subnet.map_public_ip is True:
                    iface.public_v4.append(Reason(
                        subnet.res, f"its subnet {subnet.res.label} maps public IPs on launch "
                        f"(mapPublicIpOnLaunch) and {api_key} is not set"))
                elif is_unknown(subnet.map_public_ip):
                    iface.public_v4.append(Reason(
                        subnet.res, f"its subnet {subnet.res.label} has a mapPublicIpOnLaunch "
                        f"unknown during preview and {api_key} is not set", certain=False))
            self._ipv6_of(iface, owner, lt, nic)
            self._register(iface)

    def _ipv6_of(self, iface: Interface, res: Res, lt: Res | None,
                 nic: dict[str, Any] | None = None) -> None:
        sources: list[tuple[Res, dict[str, Any], str]] = [(res, res.props, "")]
        if lt is not None and nic:
            sources.append((lt, nic, "networkInterfaces[0]."))
        for holder, props, prefix in sources:
            count = number(props.get("ipv6AddressCount"))
            addrs = props.get("ipv6Addresses")
            if (isinstance(count, float) and count > 0) or (isinstance(addrs, list) and addrs):
                iface.ipv6.append(Reason(holder, f"{prefix}ipv6AddressCount/ipv6Addresses"))
                return
            if is_unknown(count) and holder.declared("ipv6AddressCount"):
                iface.ipv6.append(Reason(holder, f"{prefix}ipv6AddressCount is unknown during "
                                         f"preview", certain=False))
                return
        s = iface.subnet
        if s is not None:
            if s.assign_ipv6 is True:
                iface.ipv6.append(Reason(s.res, f"its subnet {s.res.label} assigns IPv6 "
                                         f"addresses on creation"))
            elif is_unknown(s.assign_ipv6):
                iface.ipv6.append(Reason(s.res, f"its subnet {s.res.label} has an "
                                         f"assignIpv6AddressOnCreation unknown during preview",
                                         certain=False))

    def _register(self, iface: Interface) -> None:
        self.interfaces.append(iface)
        self._by_owner.setdefault(iface.owner.urn, []).append(iface)
        if iface.instance is not None and iface.instance is not iface.owner:
            self._by_owner.setdefault(iface.instance.urn, []).append(iface)

    def _eip(self, res: Res, inst_key: str, eni_key: str) -> None:
        kind = "Elastic IP" if res.type == EIP else "Elastic IP association"
        for key, targets in ((inst_key, {INSTANCE: "id", SPOT_INSTANCE_REQUEST: "spotInstanceId"}),
                             (eni_key, IFACE_REF)):
            if not res.declared(key):
                continue
            ref = self.index.ref(res, key, targets)
            for t in ref.targets:
                for iface in self._by_owner.get(t.urn, [])[:1]:
                    iface.public_v4.append(Reason(res, f"{kind} {res.label} via {key}"))
            if ref.unknown or ref.external:
                self.public_ip_problems.append(Reason(
                    res, f"{kind} {res.label} attaches to {key} "
                    + ("that cannot be determined during preview" if ref.unknown
                       else f"{', '.join(ref.external)}, which is not part of this stack"),
                    certain=False))

    def interface_of(self, res: Res) -> list[Interface]:
        return list(self._by_owner.get(res.urn, []))

    # ----------------------------------------------------------------- queries
    def local_networks(self, iface: Interface) -> list[Network]:
        return self.vpc_networks(iface.subnet.vpc if iface.subnet else None)

    def ingress_rules(self, group: Res) -> list[Rule]:
        """The ingress rules of a group. A VPC's default group is one group whether it is named
        by the VPC's ``defaultSecurityGroupId`` or by a managed ``DefaultSecurityGroup``; an
        unmanaged default group admits only itself (nothing from the internet)."""
        rules = list(self._ingress.get(group.urn, []))
        for alias in self._default_alias.get(group.urn, []):
            rules += [r for r in self._ingress.get(alias, []) if r not in rules]
        return rules

    def _igw_routes(self, iface: Interface, source: Network | None, v6: bool) -> tuple[
            list[Route], list[str]]:
        """Routes from the interface's subnet to an internet gateway that cover ``source``."""
        if iface.subnet is None:
            return [], ([f"the subnet of {iface.label}"] if iface.subnet_unknown else [])
        choice = self.route_tables_of(iface.subnet)
        found: list[Route] = []
        uncertain = [f"the route table of {describe(a)}" for a in choice.unknown]
        for table in choice.tables:
            for route in self.routes_of(table):
                if route.kind not in ("igw", "unknown"):
                    continue
                if not self._route_covers(route, source, v6):
                    continue
                found.append(route)
                if route.kind == "unknown":
                    uncertain.append(f"the target of {route.where}")
        return found, uncertain

    @staticmethod
    def _route_covers(route: Route, source: Network | None, v6: bool) -> bool:
        for d in route.destinations:
            if is_unknown(d):
                return True
            net = parse_cidr(d)
            if net is None:  # a prefix list
                if isinstance(d, str) and d.startswith("pl-"):
                    return True
                continue
            if (net.version == 6) != v6:
                continue
            if source is None or _overlaps(net, source):
                return True
        return False

    def internet_ingress(self, iface: Interface) -> list[Exposure]:
        """Who on the internet reaches ``iface``, on what, and through what."""
        cached = getattr(iface, "_exposures", None)
        if cached is not None:
            return list(cached)
        out = self._direct(iface)
        for fwd in self.load_balancers:
            out += self._through(fwd, iface)
        iface._exposures = out  # type: ignore[attr-defined]
        return list(out)

    def _admitting(self, iface: Interface) -> Iterator[tuple[Rule, Res]]:
        for g in iface.groups:
            for rule in self.ingress_rules(g):
                yield rule, g

    def _direct(self, iface: Interface) -> list[Exposure]:
        out: list[Exposure] = []
        local = self.local_networks(iface)
        addr = {4: iface.has_public_v4, 6: iface.has_ipv6}
        if addr[4] is False and addr[6] is False:
            return out
        for rule, group in self._admitting(iface):
            proto, ports = rule_span(rule)
            for source, text, src_unknown in _rule_sources(rule):
                versions = (4, 6) if source is None else (source.version,)
                for v in versions:
                    if addr[v] is False:
                        continue
                    if source is not None and not is_internet(source, local):
                        continue
                    routes, r_unknown = self._igw_routes(iface, source, v == 6)
                    if not routes and not r_unknown:
                        continue
                    if not self.nacl_admits(iface.subnet, source, proto, ports):
                        continue
                    reasons = iface.public_v4 if v == 4 else iface.ipv6
                    uncertain = list(r_unknown)
                    if addr[v] is not True:
                        uncertain += [r.text for r in reasons if not r.certain]
                    if src_unknown:
                        uncertain.append(f"{_bare(text)} of {rule.where}")
                    if ports is None or proto == "unknown":
                        uncertain.append(f"the protocol/ports of {rule.where}")
                    via = ("public IPv4" if v == 4 else "IPv6 address") + " (" + "; ".join(
                        r.text for r in reasons) + ") + " + ", ".join(
                        sorted({r.gateway.text for r in routes})
                        or ["a route unknown during preview"])
                    out.append(Exposure(
                        iface, proto, ports, [text], via, rule.owner,
                        [rule.owner, group, *[r.holder for r in routes],
                         *[r.res for r in reasons]],
                        uncertain))
        if iface.groups_unknown and (addr[4] is not False or addr[6] is not False):
            out.append(Exposure(iface, "unknown", None, ["the internet (unknown groups)"],
                                "its public address", iface.owner, [iface.owner],
                                list(iface.groups_unknown)))
        return out

    def _through(self, fwd: Forwarder, iface: Interface) -> list[Exposure]:
        out: list[Exposure] = []
        if fwd.internet_facing is False:
            return out
        for listener in fwd.listeners:
            for target in listener.targets:
                if target.iface is not iface:
                    continue
                sources, s_unknown = self._forwarder_sources(fwd, listener)
                if not sources:
                    continue
                passed, a_unknown = self._admits_from(fwd, iface, listener.protocol,
                                                      target.port, sources)
                if not passed:
                    continue
                uncertain = s_unknown + a_unknown + list(listener.uncertain)
                if is_unknown(fwd.internet_facing):
                    uncertain.append(f"internal of {describe(fwd.res)}")
                port = target.port
                lis = f" listener {listener.res.label}" if listener.res is not fwd.res else ""
                out.append(Exposure(
                    iface, listener.protocol, (port, port) if port is not None else None,
                    passed,
                    f"{_FWD_WORDS.get(fwd.kind, 'load balancer')} {fwd.res.label}{lis} (port "
                    f"{listener.port if listener.port is not None else 'unknown'})",
                    listener.res, [listener.res, fwd.res, *target.path], uncertain,
                    kind="forwarder"))
        return out

    def _forwarder_sources(self, fwd: Forwarder, listener: Listener) -> tuple[list[str],
                                                                              list[str]]:
        if fwd.sources is not None:
            return list(fwd.sources), []
        if fwd.admits_all:
            return ["0.0.0.0/0", "::/0"], []
        sources: list[str] = []
        uncertain = list(fwd.groups_unknown)
        local = self.vpc_networks(fwd.subnets[0].vpc if fwd.subnets else None)
        for g in fwd.groups:
            for rule in self.ingress_rules(g):
                proto, ports = rule_span(rule)
                if proto not in (listener.protocol, "all", "unknown"):
                    continue
                if ports is not None and listener.port is not None and not (
                        ports[0] <= listener.port <= ports[1]):
                    continue
                for source, text, unk in _rule_sources(rule):
                    if source is not None and not is_internet(source, local):
                        continue
                    sources.append(text)
                    if unk or ports is None:
                        uncertain.append(f"{_bare(text)} of {rule.where}")
        if fwd.groups_unknown and not sources:
            sources.append("the internet (unknown groups)")
        return list(dict.fromkeys(sources)), uncertain

    def _admits_from(self, fwd: Forwarder, iface: Interface, proto: str, port: int | None,
                     sources: list[str]) -> tuple[list[str], list[str]]:
        """Which of the balancer's internet ``sources`` get through the target's groups on the
        target port. A rule naming the balancer's group, a VPC-internal CIDR (the balancer's
        nodes), a prefix list or an unknown source passes them all; an internet CIDR passes
        the part of them it covers (a balancer may preserve client addresses)."""
        uncertain: list[str] = list(iface.groups_unknown)
        passed: list[str] = list(sources) if iface.groups_unknown else []
        local = self.local_networks(iface)
        nets = {s: parse_cidr(s) for s in sources}
        for rule, _g in self._admitting(iface):
            r_proto, ports = rule_span(rule)
            if r_proto not in (proto, "all", "unknown"):
                continue
            if ports is not None and port is not None and not ports[0] <= port <= ports[1]:
                continue
            if ports is None or port is None or r_proto == "unknown":
                uncertain.append(f"the ports of {rule.where}")
            from_lb = any(g in fwd.groups for g in rule.sources.targets) or (
                fwd.admits_all and bool(rule.sources.targets))
            if from_lb or rule.sources.unknown:
                passed += sources
                continue
            for source, text, unk in _rule_sources(rule):
                if source is None or not is_internet(source, local):
                    passed += sources  # a prefix list, an unknown, or the balancer's nodes
                    if unk:
                        uncertain.append(f"{_bare(text)} of {rule.where}")
                    continue
                for s, net in nets.items():
                    if net is None:
                        passed.append(text)
                    elif _overlaps(net, source):
                        passed.append(str(source) if net.prefixlen <= source.prefixlen
                                      else s)
        return list(dict.fromkeys(passed)), uncertain

    def egress(self, iface: Interface) -> Egress:
        """The interface's way out to 0.0.0.0/0 and to ::/0."""
        return Egress(self._way(iface, 4), self._way(iface, 6))

    def _way(self, iface: Interface, version: int) -> Way:
        if iface.subnet is None:
            return Way("unknown" if iface.subnet_unknown else "none", [],
                       [f"the subnet of {iface.label}"] if iface.subnet_unknown else [])
        choice = self.route_tables_of(iface.subnet)
        if choice.unknown:
            return Way("unknown", [], [f"the route table of {describe(a)}"
                                       for a in choice.unknown])
        best = Way("none", [])
        local = self.vpc_networks(iface.subnet.vpc)
        for table in choice.tables:
            for route in self.routes_of(table):
                if not leads_out(route, version, local):
                    continue
                label = EGRESS_LABEL.get(route.kind, route.kind)
                if version == 4 and route.kind == "eigw":
                    label = "none"
                if label == "igw":
                    has = iface.has_public_v4 if version == 4 else iface.has_ipv6
                    if has is False:
                        label = "none"  # AWS drops it: no public address to translate to
                if _SEVERITY.get(label, 3) > _SEVERITY.get(best.label, 3) or best.label == "none":
                    if label != "none" or not best.routes:
                        best = Way(label, [route])
                elif label == best.label:
                    best.routes.append(route)
        return best

    def servers(self) -> dict[str, list[Interface]]:
        """Instance interfaces by the server's logical name: the instance's parent component's
        name when it has one (``web``, ``db``, ``bastion``), else the instance's own name."""
        out: dict[str, list[Interface]] = {}
        for iface in self.interfaces:
            inst = iface.instance or (iface.owner if iface.kind != "eni" else None)
            if inst is None:
                continue
            out.setdefault(server_name(inst, self.index), []).append(iface)
        return out

    # ----------------------------------------------------------------- graph
    def nodes(self) -> list[Node]:
        out = [Node("internet", "internet", "the internet")]
        for g in self.gateways:
            kind = self._KIND_OF_TYPE.get(g.type, "other")
            out.append(Node(g.urn, kind, describe(g), g))
        for s in self.subnets.values():
            out.append(Node(s.res.urn, "subnet", describe(s.res), s.res))
        for i in self.interfaces:
            out.append(Node(i.key, "interface", i.label, i.owner))
        seen: set[str] = set()
        for f in self.load_balancers:
            if f.res.urn not in seen:
                seen.add(f.res.urn)
                out.append(Node(f.res.urn, f.kind, describe(f.res), f.res))
        return out

    def edges(self) -> list[Edge]:
        out: list[Edge] = []
        for s in self.subnets.values():
            for table in self.route_tables_of(s).tables:
                for route in self.routes_of(table):
                    dst = route.gateway.res.urn if route.gateway.res is not None else (
                        f"{route.gateway.kind}:external")
                    out.append(Edge(s.res.urn, dst, "route",
                                    ", ".join(str(d) for d in route.destinations)))
        for i in self.interfaces:
            if i.subnet is not None:
                out.append(Edge(i.key, i.subnet.res.urn, "in-subnet", ""))
            for e in self.internet_ingress(i):
                src = "internet" if e.kind == "direct" else e.path[1].urn
                out.append(Edge(src, i.key, "public-address" if e.kind == "direct" else
                                "forward", f"{e.ports_text} from {', '.join(e.sources)}"))
        for g in self.gateways:
            kind = self._KIND_OF_TYPE.get(g.type, "other")
            if g.type == NAT_GATEWAY:
                subnet, _ = self.subnet_of(g)
                if subnet is not None:
                    out.append(Edge(g.urn, subnet.res.urn, "in-subnet", ""))
                conn = g.get("connectivityType")
                if isinstance(conn, str) and conn == "private":
                    continue
            if kind in ("igw", "eigw", "nat"):
                out.append(Edge(g.urn, "internet", "egress",
                                "outbound only" if kind != "igw" else "both ways"))
        for f in self.load_balancers:
            for s in f.subnets:
                out.append(Edge(f.res.urn, s.res.urn, "in-subnet", ""))
            if f.internet_facing is not False:
                for listener in f.listeners:
                    out.append(Edge("internet", f.res.urn, "listener",
                                    f"{listener.protocol} {listener.port}"))
        return out


_GW_WORDS: Final = {
    "igw": "internet gateway", "eigw": "egress-only internet gateway", "nat": "NAT gateway",
    "nat-private": "private NAT gateway", "vpce": "VPC endpoint", "peering": "peering connection",
    "tgw": "transit gateway", "vgw": "VPN gateway", "eni": "network interface",
    "instance": "instance",
}
_FWD_WORDS: Final = {"alb": "application load balancer", "nlb": "network load balancer",
                     "gwlb": "gateway load balancer", "elb": "classic load balancer"}


def server_name(inst: Res, index: Index) -> str:
    parent = index.by_urn.get(inst.parent) if inst.parent else None
    if parent is not None and parent.type != STACK_TYPE and not parent.type.startswith("aws:"):
        return parent.name
    return inst.name


def _names_own_eni(inst: Res) -> bool:
    """The instance is launched with an existing ENI as its primary interface."""
    primary = inst.get("primaryNetworkInterface")
    if isinstance(primary, dict) and primary.get("networkInterfaceId") not in (None, ""):
        return True
    for entry in _as_list(inst.get("networkInterfaces")):
        if isinstance(entry, dict) and number(entry.get("deviceIndex")) in (0.0, None) and \
                entry.get("networkInterfaceId") not in (None, ""):
            return True
    return False


def _bare(text: str) -> str:
    return text.replace(" (unknown during preview)", "")


def _rule_sources(rule: Rule) -> list[tuple[Network | None, str, bool]]:
    """(network or None when unknown/prefix list, text, unknown?) for each CIDR-like source."""
    out: list[tuple[Network | None, str, bool]] = []
    for c in rule.cidrs:
        if is_unknown(c.value):
            out.append((None, f"{c.field} (unknown during preview)", True))
        else:
            net = c.network
            if net is not None:
                out.append((net, str(net), False))
                continue
            # Not a valid CIDR (strict parsing refuses it): never dropped silently. Host bits
            # set ("203.0.113.5/8"): judged as the whole network it names (the adversarial
            # reading), under a text no office CIDR contains, so the rule is refused with the
            # value and the fix named. Anything else: an undeterminable source (fail closed).
            try:
                loose = ipaddress.ip_network(str(c.value).strip(), strict=False)
            except ValueError:
                out.append((None, f"{c.value!r} in {c.field} (not a valid CIDR; write a CIDR "
                            f"such as 203.0.113.0/24)", True))
                continue
            out.append((loose, f"{c.value} in {c.field} (host bits set, so not a valid CIDR; "
                        f"judged as {loose}: write the network address)", False))
    for pl in rule.prefix_lists:
        out.append((None, "prefix list " + ("(unknown during preview)" if is_unknown(pl)
                                            else str(pl)), is_unknown(pl)))
    if rule.unknown_shape:
        out.append((None, "sources unknown during preview", True))
    return out


def leads_out(route: Route, version: int, local: Sequence[Network]) -> bool:
    for d in route.destinations:
        if is_unknown(d):
            return route.kind != "vpce"
        net = parse_cidr(d)
        if net is None:
            if isinstance(d, str) and d.startswith("pl-") and route.kind not in ("vpce",):
                return version == 4
            continue
        if net.version == version and is_internet(net, local):
            return True
    return False


def _nacl_permits(entries: list[dict[str, Any]], source: Network, proto: str,
                  ports: tuple[int, int]) -> bool:
    def key(e: dict[str, Any]) -> float:
        n = number(e.get("ruleNo"))
        return n if isinstance(n, float) else 0.0

    for e in sorted(entries, key=key):
        cidr = parse_cidr(e.get("ipv6CidrBlock") if source.version == 6 else e.get("cidrBlock"))
        if cidr is None or not _overlaps(cidr, source):
            if is_unknown(e.get("cidrBlock")) or is_unknown(e.get("ipv6CidrBlock")):
                return True
            continue
        e_proto = str(e.get("protocol") if not is_unknown(e.get("protocol")) else "-1").lower()
        e_proto = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp"}.get(e_proto, e_proto)
        if e_proto not in ("all", proto) and proto != "all":
            continue
        lo, hi = number(e.get("fromPort")), number(e.get("toPort"))
        if isinstance(lo, float) and isinstance(hi, float) and e_proto != "all" and (
                (lo, hi) != (0.0, 0.0)) and (hi < ports[0] or lo > ports[1]):
            continue
        action = e.get("action")
        if is_unknown(action):
            return True
        # A deny only settles it when it covers the whole source and port range.
        if str(action).lower() == "allow":
            return True
        if source.subnet_of(cidr) and (e_proto == "all" or (  # type: ignore[arg-type]
                isinstance(lo, float) and isinstance(hi, float)
                and lo <= ports[0] and hi >= ports[1])):
            return False
    return False  # the implicit final deny


def model_of(index: Index) -> NetworkModel:
    """The stack's network model, built once per stack (the policies share it)."""
    model: NetworkModel = index.memo("network_model", lambda: NetworkModel(index))
    return model


# ---------------------------------------------------------------------------------------------
# Forwarders: load balancers


def _listener_protocol(value: Any) -> str:
    text = str(value).upper() if isinstance(value, str) else "TCP"
    return "udp" if text in ("UDP", "TCP_UDP") else "tcp"


def _load_balancers(model: NetworkModel) -> list[Forwarder]:
    ix = model.index
    out: list[Forwarder] = []
    lbs = ix.of_type(*LB)
    if not lbs:
        return out
    groups_targets = _tg_targets(model)
    listeners_of: dict[str, list[Res]] = {}
    for lis in ix.of_type(*LB_LISTENER):
        for lb in ix.ref(lis, "loadBalancerArn", LB_REF).targets:
            listeners_of.setdefault(lb.urn, []).append(lis)
    rules_of: dict[str, list[Res]] = {}
    for lr in ix.of_type(*LB_LISTENER_RULE):
        for lis in ix.ref(lr, "listenerArn", {t: ("arn", "id") for t in LB_LISTENER}).targets:
            rules_of.setdefault(lis.urn, []).append(lr)
    for lb in lbs:
        lb_type = lb.get("loadBalancerType")
        kind = {"network": "nlb", "gateway": "gwlb"}.get(
            lb_type if isinstance(lb_type, str) else "application", "alb")
        internal = truthy(lb.get("internal"))
        if is_unknown(internal) and not lb.declared("internal"):
            internal = False  # the AWS default: internet-facing
        facing: bool | Any = UNKNOWN if is_unknown(internal) else not internal
        groups, gunknown, declared = model._groups(lb, "securityGroups", SG_REF)
        subnets: list[Subnet] = []
        for s in ix.ref(lb, "subnets", ids(SUBNET)).targets:
            if s.urn in model.subnets:
                subnets.append(model.subnets[s.urn])
        mappings = lb.get("subnetMappings")
        for m in _as_list(mappings):
            if isinstance(m, dict) and m.get("subnetId") is not None:
                for s in ix.ref(lb, "subnetMappings", ids(SUBNET), m["subnetId"],
                                use_value=True).targets:
                    subnets.append(model.subnets[s.urn])
        if not declared and kind == "alb":
            groups = [subnets[0].vpc] if subnets and subnets[0].vpc is not None else []
        listeners: list[Listener] = []
        for lis in listeners_of.get(lb.urn, []):
            port = number(lis.get("port"))
            actions = _as_list(lis.get("defaultActions"))
            for lr in rules_of.get(lis.urn, []):
                actions += [(lr, a) for a in _as_list(lr.get("actions"))]
            targets: list[Target] = []
            uncertain: list[str] = []
            for a in actions:
                holder, action = (a if isinstance(a, tuple) else (lis, a))
                key = "actions" if holder is not lis else "defaultActions"
                for tg, unk in _forwarded_groups(model, holder, key, action):
                    if unk:
                        uncertain.append(unk)
                    for t in groups_targets.get(tg.urn if tg else "", []):
                        targets.append(Target(t.iface, t.port, [holder, *([tg] if tg else []),
                                                                 *t.path]))
            if is_unknown(port):
                uncertain.append(f"port of {describe(lis)}")
            listeners.append(Listener(
                lis, _listener_protocol(lis.get("protocol")),
                int(port) if isinstance(port, float) else (None if is_unknown(port) else 80),
                targets, uncertain))
        out.append(Forwarder(lb, kind, facing, listeners, groups, gunknown,
                             kind in ("nlb", "gwlb") and not declared, subnets))
    return out


def _forwarded_groups(model: NetworkModel, holder: Res, key: str,
                      action: Any) -> list[tuple[Res | None, str]]:
    """Target groups an action forwards to (None with a reason when undeterminable)."""
    if not isinstance(action, dict):
        return [(None, f"an action of {describe(holder)} unknown during preview")]
    arns = [action.get("targetGroupArn")]
    fwd = action.get("forward")
    if isinstance(fwd, dict):
        arns += [tg.get("arn") for tg in _as_list(fwd.get("targetGroups")) if isinstance(tg, dict)]
    out: list[tuple[Res | None, str]] = []
    for arn in arns:
        if arn in (None, ""):
            continue
        ref = model.index.ref(holder, key, TG_REF, arn, use_value=True)
        out += [(tg, "") for tg in ref.targets]
        if ref.unknown:
            out.append((None, f"a target group of {describe(holder)}"))
    return out


def _tg_targets(model: NetworkModel) -> dict[str, list[Target]]:
    """target group urn -> its targets (instances, IPs, Auto Scaling groups)."""
    ix = model.index
    out: dict[str, list[Target]] = {}
    for att in ix.of_type(*LB_TG_ATTACHMENT):
        for tg in ix.ref(att, "targetGroupArn", TG_REF).targets:
            port = number(att.get("port"))
            if not isinstance(port, float):
                port = number(tg.get("port"))
            p = int(port) if isinstance(port, float) else None
            target_id = att.get("targetId")
            ifaces: list[Interface] = []
            ref = ix.ref(att, "targetId", {INSTANCE: ("id", "privateIp"), ENI: "privateIp"})
            for t in ref.targets:
                ifaces += model.interface_of(t)[:1]
            if not ref.targets and isinstance(target_id, str):
                try:
                    ip = ipaddress.ip_address(target_id)
                except ValueError:
                    ip = None
                if ip is not None:  # an IP target: every interface of the subnet holding it
                    ifaces += [i for i in model.interfaces if i.subnet is not None and (
                        i.private_ip == target_id or (i.subnet.cidr4 is not None
                        and ip.version == 4 and ip in i.subnet.cidr4))]
            out.setdefault(tg.urn, []).extend(Target(i, p, [att]) for i in ifaces)
    for asg in ix.of_type(ASG):
        tgs = ix.ref(asg, "targetGroupArns", TG_REF).targets
        for tg in tgs:
            port = number(tg.get("port"))
            for i in model.interface_of(asg):
                out.setdefault(tg.urn, []).append(
                    Target(i, int(port) if isinstance(port, float) else None, [asg]))
    for att in ix.of_type(ASG_ATTACHMENT):
        for tg in ix.ref(att, "lbTargetGroupArn", TG_REF).targets:
            port = number(tg.get("port"))
            for asg in ix.ref(att, "autoscalingGroupName", {ASG: ("name", "id")}).targets:
                for i in model.interface_of(asg):
                    out.setdefault(tg.urn, []).append(
                        Target(i, int(port) if isinstance(port, float) else None, [att, asg]))
    return out


def _balancers_behind_nlbs(model: NetworkModel) -> list[Forwarder]:
    """An NLB listener forwarding to a target group of target type ``alb`` hands its traffic to
    the ALB registered in it (``TargetGroupAttachment(targetId=<ALB ARN>)``), internal or not:
    the ALB's listener on the target group's port then forwards to its own targets. Each such
    chain is a forwarder: the NLB's listener and internet sources, the ALB's groups (what its
    targets admit) and the ALB listener's targets. The ALB's groups must admit the port from
    some source (any source: the NLB's nodes are in the VPC; adversarial reading). See
    https://docs.aws.amazon.com/elasticloadbalancing/latest/network/application-load-balancer-target.html
    """
    ix = model.index
    albs = {f.res.urn: f for f in model.load_balancers if f.kind == "alb"}
    if not albs:
        return []
    behind: dict[str, list[tuple[Forwarder, int | None, Res]]] = {}
    for att in ix.of_type(*LB_TG_ATTACHMENT):
        for lb in ix.ref(att, "targetId", LB_REF).targets:
            if lb.urn not in albs:
                continue
            for tg in ix.ref(att, "targetGroupArn", TG_REF).targets:
                port = number(att.get("port"))
                if not isinstance(port, float):
                    port = number(tg.get("port"))
                behind.setdefault(tg.urn, []).append(
                    (albs[lb.urn], int(port) if isinstance(port, float) else None, att))
    out: list[Forwarder] = []
    for nlb in list(model.load_balancers):
        if nlb.kind != "nlb" or nlb.internet_facing is False:
            continue
        for listener in nlb.listeners:
            lis = listener.res
            actions = [(lis, "defaultActions", a) for a in _as_list(lis.get("defaultActions"))]
            for lr in ix.of_type(*LB_LISTENER_RULE):
                if lis in ix.ref(lr, "listenerArn",
                                 {t: ("arn", "id") for t in LB_LISTENER}).targets:
                    actions += [(lr, "actions", a) for a in _as_list(lr.get("actions"))]
            for holder, key, action in actions:
                for fwd_tg, _unk in _forwarded_groups(model, holder, key, action):
                    for alb, port, att in behind.get(fwd_tg.urn if fwd_tg else "", []):
                        if not _groups_admit(model, alb, port):
                            continue
                        sources, s_unknown = model._forwarder_sources(nlb, listener)
                        via = [holder, *([fwd_tg] if fwd_tg else []), att, alb.res]
                        targets = [
                            Target(t.iface, t.port, [*via, inner.res, *t.path])
                            for inner in alb.listeners
                            if inner.port is None or port is None or inner.port == port
                            for t in inner.targets
                        ]
                        out.append(Forwarder(
                            nlb.res, "nlb", nlb.internet_facing,
                            [Listener(lis, listener.protocol, listener.port, targets,
                                      [*listener.uncertain, *s_unknown])],
                            alb.groups, alb.groups_unknown, False, alb.subnets,
                            sources=sources))
    return out


def _groups_admit(model: NetworkModel, fwd: Forwarder, port: int | None) -> bool:
    """Some ingress rule of the balancer's groups admits tcp ``port`` (from any source)."""
    if fwd.groups_unknown or not fwd.groups:
        return True
    for g in fwd.groups:
        for rule in model.ingress_rules(g):
            proto, ports = rule_span(rule)
            if proto not in ("tcp", "all", "unknown"):
                continue
            if ports is None or port is None or ports[0] <= port <= ports[1]:
                return True
    return False


def _classic_elbs(model: NetworkModel) -> list[Forwarder]:
    ix = model.index
    out: list[Forwarder] = []
    for elb in ix.of_type(ELB):
        internal = truthy(elb.get("internal"))
        if is_unknown(internal) and not elb.declared("internal"):
            internal = False
        facing: bool | Any = UNKNOWN if is_unknown(internal) else not internal
        groups, gunknown, declared = model._groups(elb, "securityGroups", SG_REF)
        subnets = [model.subnets[s.urn] for s in ix.ref(elb, "subnets", ids(SUBNET)).targets]
        if not declared:
            groups = [subnets[0].vpc] if subnets and subnets[0].vpc is not None else []
        members: list[tuple[Interface, list[Res]]] = []
        for inst in ix.ref(elb, "instances", ids(INSTANCE)).targets:
            members += [(i, []) for i in model.interface_of(inst)[:1]]
        for att in ix.of_type(ELB_ATTACHMENT):
            if elb in ix.ref(att, "elb", {ELB: ("id", "name")}).targets:
                for inst in ix.ref(att, "instance", ids(INSTANCE)).targets:
                    members += [(i, [att]) for i in model.interface_of(inst)[:1]]
        for asg in ix.of_type(ASG):
            if elb in ix.ref(asg, "loadBalancers", {ELB: ("id", "name")}).targets:
                members += [(i, [asg]) for i in model.interface_of(asg)]
        listeners: list[Listener] = []
        for entry in _as_list(elb.get("listeners")):
            if not isinstance(entry, dict):
                continue
            lb_port, inst_port = number(entry.get("lbPort")), number(entry.get("instancePort"))
            ip = int(inst_port) if isinstance(inst_port, float) else None
            listeners.append(Listener(
                elb, _listener_protocol(entry.get("lbProtocol")),
                int(lb_port) if isinstance(lb_port, float) else None,
                [Target(i, ip, path) for i, path in members]))
        out.append(Forwarder(elb, "elb", facing, listeners, groups, gunknown, False, subnets))
    return out



# ---------------------------------------------------------------------------------------------
# Issue 9: a NAT instance (fck-nat style) is NAT only when it is one.

NAT_ROLE: Final = "nat"


def nat_instance_gateway(model: NetworkModel, gw: Gateway) -> Gateway | None:
    """A route to a network interface counts as NAT (kind ``nat-instance``) only when the
    interface is a NAT instance's fixed interface: ``sourceDestCheck`` literally false (AWS
    drops forwarded traffic otherwise), tagged ``Role=nat``, in a public-tier subnet whose
    table routes ``0.0.0.0/0`` to an internet gateway (its way out). A route to any other
    interface, or to an instance (``instanceId``: its primary interface can change), stays
    what it was and is refused. Unknowns (a preview) decide nothing in its favour: a declared
    unknown ``sourceDestCheck`` is not false."""
    eni = gw.res
    if gw.kind != "eni" or eni is None or eni.type != ENI:
        return None
    if eni.get("sourceDestCheck") is not False or eni.tag(ROLE_TAG) != NAT_ROLE:
        return None
    subnet, _ = model.subnet_of(eni)
    if subnet is None or subnet.tier != "public":
        return None
    choice = model.route_tables_of(subnet)
    if not any(
        r.kind == "igw" and leads_out(r, 4, model.vpc_networks(subnet.vpc))
        for t in choice.tables
        for r in model.routes_of(t)
    ):
        return None
    return Gateway("nat-instance", eni, f"NAT instance interface {eni.label}")


GATEWAY_CLASSIFIERS.append(nat_instance_gateway)

__all__ = [
    "ALL_PORTS",
    "EGRESS_LABEL",
    "FORWARDER_BUILDERS",
    "GATEWAY_CLASSIFIERS",
    "NAT_ROLE",
    "Edge",
    "Egress",
    "Exposure",
    "Forwarder",
    "Gateway",
    "Interface",
    "Listener",
    "NetworkModel",
    "Node",
    "Reason",
    "Record",
    "Route",
    "Subnet",
    "Table",
    "TableChoice",
    "Target",
    "Way",
    "describe",
    "is_internet",
    "leads_out",
    "model_of",
    "nat_instance_gateway",
    "rule_span",
    "server_name",
]
