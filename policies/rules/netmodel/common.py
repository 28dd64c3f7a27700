"""What every stage of the model shares: address space, reference tables, small readers.

Imports only :mod:`..records` and :mod:`.._net` (plain, Pulumi-free); every other module of the
model imports this one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from typing import Any, Final

from .._net import Rule
from ..records import (
    DEFAULT_ROUTE_TABLE,
    DEFAULT_SECURITY_GROUP,
    ELB,
    ENI,
    INSTANCE,
    LAUNCH_TEMPLATE,
    LB,
    LB_LISTENER,
    LB_TARGET_GROUP,
    ROUTE_TABLE,
    SECURITY_GROUP,
    SPOT_INSTANCE_REQUEST,
    VPC,
    Network,
    Res,
    ip_protocol,
    is_unknown,
    number,
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

# ---------------------------------------------------------------------------------------------
# Reference tables: which outputs of which types a reference property may name (Index.ref).

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
# Readers


# Types whose last token says too little ("Endpoint", "Integration", "LoadBalancer").
_TYPE_WORDS: Final = {
    **dict.fromkeys(LB, "load balancer"),
    **dict.fromkeys(LB_LISTENER, "listener"),
    ELB: "classic load balancer",
    "aws:apigateway/vpcLink:VpcLink": "API Gateway VPC link",
    "aws:apigateway/integration:Integration": "API Gateway integration",
    "aws:apigatewayv2/vpcLink:VpcLink": "API Gateway VPC link",
    "aws:apigatewayv2/integration:Integration": "API Gateway integration",
    "aws:cloudfront/vpcOrigin:VpcOrigin": "CloudFront VPC origin",
    "aws:globalaccelerator/listener:Listener": "Global Accelerator listener",
    "aws:globalaccelerator/endpointGroup:EndpointGroup": "Global Accelerator endpoint group",
    "aws:ec2clientvpn/endpoint:Endpoint": "Client VPN endpoint",
    # Holders of interfaces (holder_table.HOLDERS) whose last token is ambiguous.
    "aws:ec2clientvpn/networkAssociation:NetworkAssociation": "Client VPN network association",
    "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint":
        "EC2 Instance Connect Endpoint",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "VPC endpoint",
    "aws:ec2/spotFleetRequest:SpotFleetRequest": "Spot Fleet request",
    "aws:ec2/fleet:Fleet": "EC2 Fleet",
    "aws:ec2/launchTemplate:LaunchTemplate": "launch template",
    "aws:ec2/launchConfiguration:LaunchConfiguration": "launch configuration",
    "aws:ecs/service:Service": "ECS service",
    "aws:ecs/taskSet:TaskSet": "ECS task set",
    "aws:lambda/function:Function": "Lambda function",
    "aws:rds/instance:Instance": "RDS DB instance",
    "aws:rds/cluster:Cluster": "RDS cluster",
    "aws:rds/clusterInstance:ClusterInstance": "RDS cluster instance",
    "aws:elasticache/cluster:Cluster": "ElastiCache cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache replication group",
    "aws:elasticache/serverlessCache:ServerlessCache": "ElastiCache serverless cache",
    "aws:efs/mountTarget:MountTarget": "EFS mount target",
}


def describe(res: Res) -> str:
    if res.type in _TYPE_WORDS:
        return f"{_TYPE_WORDS[res.type]} {res.label}"
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


def tag_of(res: Res, key: str) -> Any:
    """A tag of ``res``: its tags map, or an Auto Scaling group's ``[{key, value}]`` list."""
    value = res.tag(key)
    if value is not None:
        return value
    tags = res.get("tags")
    if isinstance(tags, list):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
        for t in tags:
            if isinstance(t, dict) and t.get("key") == key:
                return t.get("value")
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def at_path(props: Any, path: str) -> list[Any]:
    """The values at ``path`` in ``props`` (``a.b``: key ``b`` of block ``a``), every list on
    the way walked element by element (a MaxItems=1 block may be a dict or a one-element list);
    ``name[primary]`` is the element of list ``name`` at device index 0 (or the first without
    one: a launch template's primary interface). An unknown on the way is an unknown value;
    absent and empty-string values are left out."""
    current: list[Any] = [props]
    for segment in path.split("."):
        name, _, selector = segment.partition("[")
        found: list[Any] = []
        for value in _flat(current):
            if is_unknown(value):
                found.append(value)
            elif isinstance(value, dict):
                item = value.get(name)
                if selector == "primary]":
                    item = _primary(item)
                if item is not None and item != "":
                    found.append(item)
        current = found
    return _flat(current)


def _flat(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out += _flat(v)
        elif v is not None and v != "":
            out.append(v)
    return out


def _primary(items: Any) -> Any:
    if is_unknown(items):
        return items
    for item in as_list(items):
        if is_unknown(item) or (isinstance(item, dict)
                                and number(item.get("deviceIndex")) in (None, 0.0)):
            return item
    return None


def top_of(path: str) -> str:
    """The top-level property a path starts in (its property dependencies are that one's)."""
    return path.split(".", 1)[0].split("[", 1)[0]


def leaves(props: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(top-level key, innermost key, value) for every scalar or unknown in ``props``; the
    engine's and the bridge's reserved keys (``__meta``, ``__pulumi_raw_state_delta``,
    ``__defaults``) are not properties and are skipped."""
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
        if not k.startswith("__"):
            yield from walk(k, k, v)


# ---------------------------------------------------------------------------------------------
# Addresses and rules


def is_internet(net: Network, local: Sequence[Network] = ()) -> bool:
    """Some address of ``net`` is on the internet: not private space, not the VPC's own."""
    for other in (*NOT_INTERNET, *local):
        if net.version == other.version and net.subnet_of(other):  # type: ignore[arg-type]
            return False
    return True


def overlaps(a: Network, b: Network) -> bool:
    return a.version == b.version and a.overlaps(b)


def rule_span(rule: Rule) -> tuple[str, tuple[int, int] | None]:
    """(protocol, port range) of a security group rule; unknown parts as "unknown"/None."""
    if rule.unknown_shape:
        return "unknown", None
    proto = ip_protocol(rule.protocol)
    if not isinstance(proto, str):
        return "unknown", None
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


def bare(text: str) -> str:
    return text.replace(" (unknown during preview)", "")


def rule_sources(rule: Rule) -> list[tuple[Network | None, str, bool]]:
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
