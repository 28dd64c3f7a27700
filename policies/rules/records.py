"""Plain resource records, the unknown marker and reference resolution. Pure Python.

This module (like ``_net`` and ``netmodel``) imports nothing from Pulumi, so the network model
can be fed both by the policy pack (``_wire.Stack`` builds records from pulumi_policy's
``PolicyResource``) and by the offline review (``review.reachability`` builds them from
``review.plan.RecordedResource``). A record is what the engine hands a stack policy: the type
token, URN, logical name, the properties as plain dicts/lists in the engine's camelCase names
(every unknown replaced by :data:`UNKNOWN`), the dependencies, the property dependencies and the
parent URN.

Resources are linked the way the engine links them: a reference such as a rule's
``securityGroupId`` is resolved by value when both sides are known (an update), and otherwise
through the property dependencies the SDK records for the input (always known, even in a
preview). An unknown value that has no property dependency at all was not declared by the
program (a computed output, "known after apply"): :meth:`Index.ref` marks it ``computed`` and
it counts as absent -- an undeclared computed value is not a verdict. A declared unknown that
cannot be resolved is ``unknown``: the rules fail closed on it.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final


class _Unknown:
    """A value the engine does not know yet (a preview of a resource being created)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; test it with is_unknown()")


UNKNOWN: Final = _Unknown()


def is_unknown(value: object) -> bool:
    return value is UNKNOWN


# ---------------------------------------------------------------------------------------------
# Resource type tokens (pulumi-aws 7.x)

VPC: Final = "aws:ec2/vpc:Vpc"
VPC_IPV4_CIDR: Final = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
VPC_IPV6_CIDR: Final = "aws:ec2/vpcIpv6CidrBlockAssociation:VpcIpv6CidrBlockAssociation"
SUBNET: Final = "aws:ec2/subnet:Subnet"
IGW: Final = "aws:ec2/internetGateway:InternetGateway"
IGW_ATTACHMENT: Final = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
EGRESS_ONLY_IGW: Final = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
CARRIER_GATEWAY: Final = "aws:ec2/carrierGateway:CarrierGateway"
NAT_GATEWAY: Final = "aws:ec2/natGateway:NatGateway"
VPC_ENDPOINT: Final = "aws:ec2/vpcEndpoint:VpcEndpoint"
VPC_ENDPOINT_RT: Final = (
    "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation"
)
PEERING: Final = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
PEERING_ACCEPTER: Final = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
TGW: Final = "aws:ec2transitgateway/transitGateway:TransitGateway"
TGW_ATTACHMENT: Final = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
VPN_GATEWAY: Final = "aws:ec2/vpnGateway:VpnGateway"
VGW_ROUTE_PROPAGATION: Final = "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"
EIP: Final = "aws:ec2/eip:Eip"
EIP_ASSOCIATION: Final = "aws:ec2/eipAssociation:EipAssociation"
ROUTE_TABLE: Final = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE: Final = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ROUTE: Final = "aws:ec2/route:Route"
RT_ASSOCIATION: Final = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_RT_ASSOCIATION: Final = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
SECURITY_GROUP: Final = "aws:ec2/securityGroup:SecurityGroup"
# Issue 9: EC2 Instance Connect Endpoint (pulumi-aws 7.x files it under ec2transitgateway).
INSTANCE_CONNECT_ENDPOINT: Final = (
    "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint"
)
DEFAULT_SECURITY_GROUP: Final = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS_RULE: Final = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
NETWORK_ACL: Final = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL: Final = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE: Final = "aws:ec2/networkAclRule:NetworkAclRule"
NETWORK_ACL_ASSOCIATION: Final = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
INSTANCE: Final = "aws:ec2/instance:Instance"
SPOT_INSTANCE_REQUEST: Final = "aws:ec2/spotInstanceRequest:SpotInstanceRequest"
LAUNCH_TEMPLATE: Final = "aws:ec2/launchTemplate:LaunchTemplate"
ASG: Final = "aws:autoscaling/group:Group"
ASG_ATTACHMENT: Final = "aws:autoscaling/attachment:Attachment"
ENI: Final = "aws:ec2/networkInterface:NetworkInterface"
ENI_ATTACHMENT: Final = "aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment"
ENI_SG_ATTACHMENT: Final = (
    "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment"
)
LB: Final = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LB_LISTENER: Final = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LB_LISTENER_RULE: Final = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
LB_TARGET_GROUP: Final = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
LB_TG_ATTACHMENT: Final = (
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws:alb/targetGroupAttachment:TargetGroupAttachment",
)
ELB: Final = "aws:elb/loadBalancer:LoadBalancer"
ELB_ATTACHMENT: Final = "aws:elb/attachment:Attachment"
# Issue 17 point 3: more ways to put interfaces behind a balancer, and the front doors.
ASG_TRAFFIC_SOURCE_ATTACHMENT: Final = (
    "aws:autoscaling/trafficSourceAttachment:TrafficSourceAttachment"
)
ECS_SERVICE: Final = "aws:ecs/service:Service"
ECS_TASK_SET: Final = "aws:ecs/taskSet:TaskSet"
SPOT_FLEET_REQUEST: Final = "aws:ec2/spotFleetRequest:SpotFleetRequest"
APIGW_VPC_LINK: Final = "aws:apigateway/vpcLink:VpcLink"
APIGW_INTEGRATION: Final = "aws:apigateway/integration:Integration"
APIGWV2_VPC_LINK: Final = "aws:apigatewayv2/vpcLink:VpcLink"
APIGWV2_INTEGRATION: Final = "aws:apigatewayv2/integration:Integration"
CLOUDFRONT_VPC_ORIGIN: Final = "aws:cloudfront/vpcOrigin:VpcOrigin"
GA_LISTENER: Final = "aws:globalaccelerator/listener:Listener"
GA_ENDPOINT_GROUP: Final = "aws:globalaccelerator/endpointGroup:EndpointGroup"
CLIENT_VPN_ENDPOINT: Final = "aws:ec2clientvpn/endpoint:Endpoint"
CLIENT_VPN_ASSOCIATION: Final = "aws:ec2clientvpn/networkAssociation:NetworkAssociation"
FLOW_LOG: Final = "aws:ec2/flowLog:FlowLog"
STACK_TYPE: Final = "pulumi:pulumi:Stack"

SG_TYPES: Final = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)

# Tags (docs/CONTRACT.md)
TIER_TAG: Final = "Tier"
ROLE_TAG: Final = "Role"
BASTION_ROLE: Final = "bastion"
TIERS: Final = ("public", "private", "management")


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Record:
    """The model's input: one resource as the engine hands it to a stack policy.

    ``props`` are plain (dicts, lists, str, float, bool, None) with every unknown replaced by
    :data:`UNKNOWN`; ``property_dependencies`` maps a property to the URNs it was built from.
    """

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    dependencies: Sequence[str] = ()
    parent: str = ""
    # The checked inputs the engine sent to ``Analyze`` for this URN, plain like ``props``;
    # None when none were seen (the adversarial reading of the stored state, see ``Res``).
    inputs: Mapping[str, Any] | None = None


# Fields whose stored value (what the provider's Read writes into the state, the outputs
# AnalyzeStack sends) also holds what OTHER resources or AWS put there: Optional+Computed
# attributes that Read fills from AWS (terraform-provider-aws: a group's ``ingress``/``egress``
# from every rule AWS holds, vpc_security_group.go resourceSecurityGroupRead; a table's
# ``routes`` from every route but local/propagated/endpoint ones, vpc_route_table.go
# flattenRoutes, and its ``propagatingVgws`` from every propagation, separate
# VpnGatewayRoutePropagation resources included; a NACL's entries and subnets; an
# instance's ``associatePublicIpAddress`` as "its primary ENI has an association", an EIP's
# included, and its groups as its ENI's, ec2_instance.go resourceInstanceRead; an EIP's
# ``instance`` and ``networkInterface`` as whatever it is associated with, ec2_eip.go
# resourceEIPRead). Where the program's checked
# inputs were seen, the pack trusts them for these fields: the value is what the program
# declares, and the stored value is kept aside in ``Res.stored`` (mirrors of separate
# resources, stale copies of resources this change deletes, or drift). See policies/README.md.
DECLARED_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    SECURITY_GROUP: ("ingress", "egress"),
    DEFAULT_SECURITY_GROUP: ("ingress", "egress"),
    ROUTE_TABLE: ("routes", "propagatingVgws"),
    DEFAULT_ROUTE_TABLE: ("routes", "propagatingVgws"),
    NETWORK_ACL: ("ingress", "egress", "subnetIds"),
    DEFAULT_NETWORK_ACL: ("ingress", "egress", "subnetIds"),
    INSTANCE: ("associatePublicIpAddress", "vpcSecurityGroupIds", "securityGroups",
               "ipv6AddressCount", "ipv6Addresses", "primaryNetworkInterface"),
    SPOT_INSTANCE_REQUEST: ("associatePublicIpAddress", "vpcSecurityGroupIds",
                            "securityGroups", "ipv6AddressCount", "ipv6Addresses",
                            "primaryNetworkInterface"),
    ENI: ("securityGroups", "attachments"),
    EIP: ("instance", "networkInterface"),
    EIP_ASSOCIATION: ("instanceId", "networkInterfaceId"),
    ASG: ("targetGroupArns", "loadBalancers"),
    ELB: ("instances",),
}


@dataclass(eq=False)
class Res:
    """One resource of the stack with plain (unknown-safe) properties.

    ``props`` are the stored outputs, except that where ``inputs`` were seen, each field of
    :data:`DECLARED_FIELDS` is the program's declaration (absent when it declares none) and
    the stored value moves to ``stored``."""

    type: str
    urn: str
    name: str
    props: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    parent: str = ""
    inputs: dict[str, Any] | None = None
    stored: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.inputs is None or self.stored:
            return
        for key in DECLARED_FIELDS.get(self.type, ()):
            self.stored[key] = self.props.pop(key, None)
            if self.inputs.get(key) is not None:
                self.props[key] = self.inputs[key]

    @property
    def inputs_seen(self) -> bool:
        return self.inputs is not None

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)

    def known_str(self, key: str) -> str | None:
        value = self.props.get(key)
        return value if isinstance(value, str) and value else None

    def declared(self, key: str) -> bool:
        """The program set this property (to something other than ""): its inputs hold it
        (when they were seen); else it is known, or unknown but built from resources.

        An unknown without property dependencies is a computed output nobody declared."""
        if self.inputs is not None:
            return self.inputs.get(key) not in (None, "")
        value = self.props.get(key)
        if value is None or value == "":  # the state writes an unset string as ""
            return False
        if is_unknown(value):
            return bool(self.property_dependencies.get(key))
        return True

    @property
    def label(self) -> str:
        return f"'{self.name}'"

    @property
    def tags(self) -> dict[str, Any] | _Unknown:
        """The effective tags: ``tagsAll`` (provider default tags included) when known."""
        tags_all = self.props.get("tagsAll")
        tags = self.props.get("tags")
        if isinstance(tags_all, dict):
            merged = dict(tags) if isinstance(tags, dict) else {}
            merged.update(tags_all)
            return merged
        if is_unknown(tags):
            return UNKNOWN
        return dict(tags) if isinstance(tags, dict) else {}

    def tag(self, key: str) -> str | _Unknown | None:
        tags = self.tags
        if isinstance(tags, _Unknown):
            return UNKNOWN
        value = tags.get(key)
        if is_unknown(value):
            return UNKNOWN
        return value if isinstance(value, str) else None


@dataclass
class Ref:
    """Where a reference property points: resources of this stack, ids outside it, a declared
    value that cannot be determined (``unknown``), or an undeclared computed value
    (``computed``: counts as absent)."""

    targets: list[Res] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    unknown: bool = False
    computed: bool = False

    @property
    def empty(self) -> bool:
        return not self.targets and not self.external and not self.unknown

    @property
    def resolved(self) -> bool:
        """Every part of the reference points at a resource of this stack."""
        return bool(self.targets) and not self.external and not self.unknown


def _elements(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


Targets = Mapping[str, "str | Sequence[str]"]


class Index:
    """The stack's resources, indexed by URN, type and output value (lookups are O(1), so the
    analysis grows linearly with the stack)."""

    def __init__(self, records: Iterable[Record | Res]) -> None:
        self.resources: list[Res] = []
        for r in records:
            if isinstance(r, Res):
                self.resources.append(r)
            else:
                self.resources.append(
                    Res(
                        type=r.type,
                        urn=r.urn,
                        name=r.name,
                        props=dict(r.props),
                        dependencies=list(r.dependencies),
                        property_dependencies={
                            k: list(v) for k, v in r.property_dependencies.items()
                        },
                        parent=r.parent,
                        inputs=dict(r.inputs) if r.inputs is not None else None,
                    )
                )
        self.by_urn: dict[str, Res] = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[Res]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)
        self._by_value: dict[tuple[str, str], dict[str, list[Res]]] = {}
        self._by_targets: dict[tuple[tuple[str, Any], ...], dict[str, list[Res]]] = {}
        self._by_targets_id: dict[int, tuple[Targets, dict[str, list[Res]]]] = {}
        self._referrers: dict[tuple[Any, ...], dict[str, list[Res]]] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, factory: Callable[[], Any]) -> Any:
        """A value derived from the whole stack (the rules, the network model), built once."""
        if key not in self._memo:
            self._memo[key] = factory()
        return self._memo[key]

    def of_type(self, *types: str) -> list[Res]:
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [r for t in types for r in self._by_type.get(t, ())]

    def __iter__(self) -> Iterator[Res]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def _value_index(self, typ: str, key: str) -> dict[str, list[Res]]:
        index = self._by_value.get((typ, key))
        if index is None:
            index = {}
            for r in self._by_type.get(typ, ()):
                v = r.props.get(key)
                if isinstance(v, str) and v:
                    index.setdefault(v, []).append(r)
            self._by_value[(typ, key)] = index
        return index

    def with_value(self, typ: str, key: str, value: str) -> list[Res]:
        return self._value_index(typ, key).get(value, [])

    def _targets_index(self, targets: Targets) -> dict[str, list[Res]]:
        """Value -> the resources whose output in ``targets`` equals it, in ``targets``' order
        (one ``with_value`` per type and field, concatenated): built once per ``targets``
        (found by identity first: the rules pass their module-level tables)."""
        seen = self._by_targets_id.get(id(targets))
        if seen is not None and seen[0] is targets:
            return seen[1]
        key = tuple(
            (typ, fields if isinstance(fields, str) else tuple(fields))
            for typ, fields in targets.items()
        )
        index = self._by_targets.get(key)
        if index is None:
            index = {}
            for typ, fields in key:
                for f in (fields,) if isinstance(fields, str) else fields:
                    for value, found in self._value_index(typ, f).items():
                        index.setdefault(value, []).extend(found)
            self._by_targets[key] = index
        self._by_targets_id[id(targets)] = (targets, index)  # holds targets: the id stays its
        return index

    def may_target(self, res: Res, key: str, targets: Targets, value: Any) -> bool:
        """Whether ``ref(res, key, targets, value, use_value=True)`` can have targets: ``value``
        equals an output in ``targets``, or ``key`` depends on a resource of those types (or,
        unknown, on one whose property ``key`` does: ``_through_outputs``). A
        cheap test for callers that resolve every leaf of a resource's properties."""
        if isinstance(value, str) and value in self._targets_index(targets):
            return True
        if self._dep_targets(res, key, targets):
            return True
        deps = res.property_dependencies.get(key, ())
        return bool(deps) and is_unknown(value) and bool(self._through_outputs(key, deps, targets))

    def _dep_targets(self, res: Res, key: str, targets: Targets) -> list[Res]:
        """The resources of ``targets``' types that ``key`` depends on."""
        return [
            d for u in res.property_dependencies.get(key, ())
            if (d := self.by_urn.get(u)) is not None and d.type in targets
        ]

    def ref(
        self,
        res: Res,
        key: str,
        targets: Targets,
        value: Any = None,
        *,
        use_value: bool = False,
    ) -> Ref:
        """Resolve the reference held in ``res``'s property ``key``.

        ``targets`` maps each acceptable target type to the output(s) of that type the value
        may equal (usually ``"id"``; e.g. a Vpc's ``defaultSecurityGroupId``). ``value`` (with
        ``use_value``) resolves a value nested inside ``key`` (an inline rule's
        ``securityGroups``) while still using ``key``'s property dependencies.

        Known values are matched against known outputs; values that match nothing are ids
        outside the stack, unless a dependency of the right type has an unknown output (then the
        dependency decides). Unknown values are resolved through the property dependencies; an
        unknown without any property dependency is an undeclared computed value (``computed``).
        """
        raw = value if use_value else res.props.get(key)
        deps = res.property_dependencies.get(key, [])
        dep_targets = self._dep_targets(res, key, targets)
        out = Ref()
        if is_unknown(raw):
            raw = [UNKNOWN]
        by_value = self._targets_index(targets)
        for element in _elements(raw):
            if isinstance(element, str):
                matched = by_value.get(element)
                if matched:
                    _add(out.targets, matched)
                    continue
                pending = [d for d in dep_targets if _any_unknown(d, targets[d.type])]
                if pending:
                    _add(out.targets, pending)
                else:
                    out.external.append(element)
            elif is_unknown(element):
                if dep_targets:
                    _add(out.targets, dep_targets)
                elif deps and (through := self._through_outputs(key, deps, targets)):
                    _add(out.targets, through)
                elif deps:
                    out.unknown = True
                else:
                    out.computed = True
        return out

    def _through_outputs(self, key: str, deps: Sequence[str], targets: Targets) -> list[Res]:
        """An unknown value built from other resources' outputs, none of ``targets``' types:
        each such resource's own property of the same name, resolved in turn (a route's table
        from ``assoc.route_table_id``, a rule's group from another rule's
        ``security_group_id``, a listener's balancer from another listener's
        ``load_balancer_arn``: the output echoes that input). Nothing when no dependency has
        that property (``ref`` then reports the value unknown). A guess: an output of another
        name that names a resource of the stack is not followed (the update, whose values are
        known, judges it; the README's model limits)."""
        found: list[Res] = []
        for urn in deps:
            d = self.by_urn.get(urn)
            if d is None or d.type in targets or key not in d.props:
                continue
            _add(found, self.ref(d, key, targets).targets)  # which follows d's own, in turn
        return found

    def referrers(self, target: Res, types: Sequence[str], key: str, fields: Targets) -> list[Res]:
        """Resources of ``types`` whose ``key`` refers to ``target``, in ``of_type`` order (a
        reverse index built once per question, so asking it of every target stays linear)."""
        question = (
            tuple(types),
            key,
            tuple((t, f if isinstance(f, str) else tuple(f)) for t, f in fields.items()),
        )
        index = self._referrers.get(question)
        if index is None:
            index = {}
            for r in self.of_type(*types):
                for t in self.ref(r, key, fields).targets:
                    found = index.setdefault(t.urn, [])
                    if not found or found[-1] is not r:
                        found.append(r)
            self._referrers[question] = index
        return list(index.get(target.urn, ()))


def _any_unknown(res: Res, fields: str | Sequence[str]) -> bool:
    names_ = [fields] if isinstance(fields, str) else list(fields)
    return any(not isinstance(res.props.get(n), str) for n in names_)


def _add(acc: list[Res], items: Iterable[Res]) -> None:
    for item in items:
        if item not in acc:
            acc.append(item)


ID: Final = "id"


@functools.cache
def ids(*types: str) -> Mapping[str, str]:
    """Targets by id: one read-only table per set of types (``Index`` finds it by identity)."""
    return MappingProxyType(dict.fromkeys(types, ID))


# ---------------------------------------------------------------------------------------------
# Small readers


def truthy(value: Any) -> bool | _Unknown | None:
    """A wire boolean: True/False, UNKNOWN, or None when absent."""
    if is_unknown(value):
        return UNKNOWN
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


_PROTOCOL_NUMBERS: Final = {-1: "all", 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}
PROTOCOL_NAMES: Final = frozenset(_PROTOCOL_NUMBERS.values())


def ip_protocol(value: Any) -> str | _Unknown:
    """A security group or NACL protocol as AWS receives it: "all", "tcp", "udp", "icmp",
    "icmpv6", another number as its decimal text ("50"), or UNKNOWN.

    terraform-provider-aws ``ProtocolForValue`` (internal/service/ec2/vpc_security_group.go,
    used by the inline rules, aws_security_group_rule and aws_network_acl) lower-cases the value,
    keeps a known name, and otherwise reads it with Go's ``strconv.Atoi``, so "006", "+6" and
    "06" are tcp and "-01" is all. Absent or empty: all (the rule's default, -1). Text that is
    neither a name nor a number is UNKNOWN: the rules judge it as possibly anything."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool):
        return UNKNOWN
    if isinstance(value, int | float):
        n = int(value)
        return _PROTOCOL_NUMBERS.get(n, str(n))
    if value is None or value == "":
        return "all"
    text = str(value).strip().lower()
    if text in PROTOCOL_NAMES:
        return text
    body = text[1:] if text[:1] in "+-" else text
    if body and body.isascii() and body.isdigit():
        n = int(text)
        return _PROTOCOL_NUMBERS.get(n, str(n))
    return UNKNOWN


def number(value: Any) -> float | _Unknown | None:
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(value: Any) -> Network | None:
    """A CIDR as written (``a.b.c.d/n`` with no host bits), or None when malformed."""
    if not isinstance(value, str) or "/" not in value:
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError:
        return None


def inside(net: Network, networks: Iterable[Network]) -> bool:
    """``net`` lies within one of ``networks`` of the same IP version."""
    for other in networks:
        if isinstance(net, ipaddress.IPv4Network) and isinstance(other, ipaddress.IPv4Network):
            if net.subnet_of(other):
                return True
        elif (
            isinstance(net, ipaddress.IPv6Network)
            and isinstance(other, ipaddress.IPv6Network)
            and net.subnet_of(other)
        ):
            return True
    return False


def listing(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items) if items else "none"


def names(resources: Iterable[Res]) -> str:
    return ", ".join(r.label for r in resources)


__all__ = [n for n in dir() if not n.startswith("__") and n not in ("annotations", "ipaddress")]
