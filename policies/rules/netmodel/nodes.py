"""The model's vocabulary: the nodes each stage builds and the answers the queries give.

Plain dataclasses, in the order of the flow: places (:class:`Subnet`), holders of interfaces
(:class:`Interface` with the :class:`Reason` it has an address), routes and gateways
(:class:`Table`, :class:`Route`, :class:`Gateway`), forwarders (:class:`Forwarder`,
:class:`Listener`, :class:`Target`), then the answers (:class:`Exposure`, :class:`Egress` /
:class:`Way`) and the graph for diagrams (:class:`Node`, :class:`Edge`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._net import Rule
from ..records import TIER_TAG, UNKNOWN, Network, Res
from .common import ALL_PORTS, describe, tag_of

# ---------------------------------------------------------------------------------------------
# Places


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


# ---------------------------------------------------------------------------------------------
# Holders of interfaces


@dataclass
class Reason:
    """Why an interface has (or may have) an address: the resource and the property."""

    res: Res
    text: str
    certain: bool = True  # False: a declared unknown decides it


@dataclass(eq=False)
class Interface:
    """A network interface a holder places (:data:`.holder_table.HOLDERS`): an instance's
    primary one, an ENI, one that a launch template gives to an Auto Scaling group / fleet /
    spot request / instance, an ECS task's, a Lambda function's, a managed service's (RDS,
    ElastiCache, EFS, an endpoint), or a launcher's (a type with no entry)."""

    key: str
    owner: Res  # the holder: instance, spot request, ENI, Auto Scaling group, service, ...
    kind: str  # "instance" | "eni" | "launch-template" | "task" | "function" | "service" |
    # "launcher"
    subnet: Subnet | None
    subnet_unknown: bool
    groups: list[Res]  # security groups (a VPC stands for its default group)
    groups_unknown: list[str]  # declared group references that cannot be determined
    public_v4: list[Reason] = field(default_factory=list)
    ipv6: list[Reason] = field(default_factory=list)
    instance: Res | None = None  # the instance this interface belongs to (ENIs attached)
    template: Res | None = None
    private_ip: Any = None
    # Tags the launched instance gets that its holder's own tags do not show: a Spot Fleet
    # launch specification's ``tags``, a launch template's instance ``tagSpecifications``.
    launch_tags: dict[str, Any] = field(default_factory=dict)

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
        if key in self.launch_tags:
            return self.launch_tags[key]
        for res in (self.instance, self.owner, self.template):
            if res is None:
                continue
            value = tag_of(res, key)
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


# ---------------------------------------------------------------------------------------------
# Routes and gateways


@dataclass(eq=False)
class Gateway:
    """A route target. ``kind``: igw, eigw, nat, nat-private, nat-instance, vpce, peering, tgw,
    vgw, eni, instance, local, other, unknown (a declared target that cannot be determined)."""

    kind: str
    res: Res | None
    text: str


@dataclass(frozen=True)
class PrefixList:
    """A route destination that is a prefix list: a ``ManagedPrefixList`` of this stack with
    every entry known is judged by its entries (issue 17 point 4); any other (AWS-managed,
    outside the stack, an entry unknown) has ``networks`` None and may hold any address."""

    text: str  # "prefix list 'corp'", "prefix list pl-0123..."
    networks: tuple[Network, ...] | None

    def __str__(self) -> str:
        if self.networks is None:
            return self.text
        return f"{self.text} ({', '.join(str(n) for n in self.networks)})"


@dataclass(eq=False)
class Route:
    holder: Res  # the Route resource, or the table holding the inline route
    where: str
    destinations: list[Any]  # CIDR strings, PrefixList, other prefix-list ids, UNKNOWN
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


# ---------------------------------------------------------------------------------------------
# Forwarders


@dataclass(eq=False)
class Forwarder:
    """Something that takes connections from the internet and hands them to interfaces: a load
    balancer, or a front door (:mod:`.doors`: API Gateway, CloudFront, Global Accelerator,
    Client VPN) with the balancer or interfaces behind it.

    ``groups`` are the groups the traffic carries when it reaches a target (the balancer's, a
    VPC link's, a Client VPN endpoint's): a target rule naming one admits every source.
    ``foreign_groups``: the service's own group lives outside the stack (Global Accelerator's
    ``GlobalAccelerator``, CloudFront's ``CloudFront-VPCOrigins-Service-SG``, a balancer of
    another stack), so a rule naming a group outside the stack may name it."""

    res: Res
    kind: str  # "alb" | "nlb" | "gwlb" | "elb" | "apigw" | "cloudfront" | "ga" | "client-vpn" ...
    internet_facing: bool | Any
    listeners: list[Listener]
    groups: list[Res]
    groups_unknown: list[str]
    admits_all: bool  # no security groups (NLB): every source
    subnets: list[Subnet]
    sources: list[str] | None = None  # fixed internet sources (a front door, a chain)
    words: str = ""  # how messages name it ("Global Accelerator endpoint group"); "": by kind
    behind: Res | None = None  # the balancer a front door or a chain hands its traffic to
    foreign_groups: bool = False
    exposure: str = "forwarder"  # the Exposure.kind it gives: "forwarder" | "vpn"
    # False: the target sees the forwarder's own addresses, never the client's (a proxy or a
    # source NAT: API Gateway, CloudFront, Client VPN), so a rule admitting an internet CIDR
    # admits none of its traffic. True (balancers, Global Accelerator): either may be seen.
    client_addresses: bool = True


@dataclass(eq=False)
class Listener:
    res: Res  # the Listener (or the classic ELB, or the front door's resource)
    protocol: str  # tcp | udp | all
    port: int | None
    targets: list[Target]
    uncertain: list[str] = field(default_factory=list)
    port_hi: int | None = None  # a port range (Global Accelerator): port..port_hi


@dataclass(eq=False)
class Target:
    iface: Interface
    port: int | None  # None: unknown
    path: list[Res]
    port_hi: int | None = None  # a port range: port..port_hi
    uncertain: list[str] = field(default_factory=list)  # unknowns that make it a target

    @property
    def span(self) -> tuple[int, int] | None:
        if self.port is None:
            return None
        return (self.port, self.port_hi if self.port_hi is not None else self.port)


# ---------------------------------------------------------------------------------------------
# Answers


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
class Admission:
    """A source a security group of an interface admits on a port: what the rule says,
    whether or not an address and a route make it reachable today."""

    rule: Rule
    group: Res
    source: Network | None  # None: a prefix list, or unknown during preview
    text: str
    unknown: bool  # a declared unknown decides it (the source, the protocol or the ports)


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
