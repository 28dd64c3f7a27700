"""Reading the engine's wire form safely, and linking resources without their ids.

What a policy sees is not the Python program: property names are the engine's camelCase
names (``fromPort``, ``cidrBlocks``), numbers arrive as floats, and during a preview of a new
stack every id, arn and IP of a resource being created -- and every input built from one -- is
an *unknown* sentinel string. ``pulumi_policy`` wraps the properties in a proxy that raises
``UnknownValueError`` on any access to such a value, and the SDK turns that exception into an
advisory "can't run policy ... during preview" diagnostic: a mandatory policy that touches an
unknown is silently skipped.

This module therefore never reads a property through the proxy. :func:`plain` copies the
proxied properties into ordinary dicts and lists (through the proxies' raw ``__target``
containers, which do not check for unknowns) and replaces every sentinel with the
:data:`UNKNOWN` marker, so rules can decide what an unknown means -- usually: fail closed.

Resources are linked the way the engine links them: a reference such as a rule's
``securityGroupId`` is resolved by id when both ids are known (an update), and otherwise through
the property dependencies the SDK records for the input (always known, even in a preview).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation, Secret, StackValidationArgs

# The proxies are private to pulumi_policy, but they are the only way to see a value without
# triggering UnknownValueError: both hand out their raw container for the key "__target"
# (pulumi_policy's own serializer relies on this).
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)
from pulumi_policy.secret import _DictSecretsProxy, _ListSecretsProxy

_SENTINELS: Final = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


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


def plain(value: Any) -> Any:
    """A deep copy of a (possibly proxied) wire value with sentinels replaced by UNKNOWN."""
    if isinstance(value, _DictProxy | _ListProxy | _DictSecretsProxy | _ListSecretsProxy):
        value = value["__target"]
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Resource type tokens (pulumi-aws 7.x)

VPC: Final = "aws:ec2/vpc:Vpc"
VPC_IPV4_CIDR: Final = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
VPC_IPV6_CIDR: Final = "aws:ec2/vpcIpv6CidrBlockAssociation:VpcIpv6CidrBlockAssociation"
SUBNET: Final = "aws:ec2/subnet:Subnet"
IGW: Final = "aws:ec2/internetGateway:InternetGateway"
EGRESS_ONLY_IGW: Final = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY: Final = "aws:ec2/natGateway:NatGateway"
EIP: Final = "aws:ec2/eip:Eip"
EIP_ASSOCIATION: Final = "aws:ec2/eipAssociation:EipAssociation"
ROUTE_TABLE: Final = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE: Final = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ROUTE: Final = "aws:ec2/route:Route"
RT_ASSOCIATION: Final = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_RT_ASSOCIATION: Final = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
SECURITY_GROUP: Final = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP: Final = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS_RULE: Final = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INSTANCE: Final = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE: Final = "aws:ec2/launchTemplate:LaunchTemplate"
ENI: Final = "aws:ec2/networkInterface:NetworkInterface"
ENI_ATTACHMENT: Final = "aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment"
ENI_SG_ATTACHMENT: Final = (
    "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment"
)
FLOW_LOG: Final = "aws:ec2/flowLog:FlowLog"

SG_TYPES: Final = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)

# Tags (docs/CONTRACT.md)
TIER_TAG: Final = "Tier"
ROLE_TAG: Final = "Role"
BASTION_ROLE: Final = "bastion"
TIERS: Final = ("public", "private", "management")


# ---------------------------------------------------------------------------------------------
# Resources


@dataclass(eq=False)
class Res:
    """One resource of the stack with plain (unknown-safe) properties."""

    type: str
    urn: str
    name: str
    props: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)

    def known_str(self, key: str) -> str | None:
        value = self.props.get(key)
        return value if isinstance(value, str) and value else None

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
    """Where a reference property points: resources of this stack, ids outside it, or nowhere
    that can be determined (an unknown value without a usable property dependency)."""

    targets: list[Res] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    unknown: bool = False

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


class Stack:
    """The resources handed to a stack policy, indexed for lookups."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources: list[Res] = []
        for r in resources:
            self.resources.append(
                Res(
                    type=r.resource_type,
                    urn=r.urn,
                    name=r.name,
                    props=plain(r.props),
                    dependencies=[d.urn for d in r.dependencies],
                    property_dependencies={
                        k: [d.urn for d in v] for k, v in r.property_dependencies.items()
                    },
                )
            )
        self.by_urn: dict[str, Res] = {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[Res]:
        return [r for r in self.resources if r.type in types]

    def __iter__(self) -> Iterator[Res]:
        return iter(self.resources)

    def ref(
        self,
        res: Res,
        key: str,
        targets: Mapping[str, str | Sequence[str]],
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
        outside the stack, unless a dependency of the right type has an unknown id (then the
        dependency decides). Unknown values are resolved through the property dependencies.
        """
        raw = value if use_value else res.props.get(key)
        dep_targets = [
            d
            for u in res.property_dependencies.get(key, [])
            if (d := self.by_urn.get(u)) is not None and d.type in targets
        ]
        out = Ref()
        if is_unknown(raw):
            raw = [UNKNOWN]
        for element in _elements(raw):
            if isinstance(element, str):
                matched = [
                    r
                    for r in self.of_type(*targets)
                    if element in _outputs_of(r, targets[r.type])
                ]
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
                else:
                    out.unknown = True
        return out

    def referrers(
        self, target: Res, types: Sequence[str], key: str, fields: Mapping[str, str | Sequence[str]]
    ) -> list[Res]:
        """Resources of ``types`` whose ``key`` refers to ``target``."""
        return [r for r in self.of_type(*types) if target in self.ref(r, key, fields).targets]


def _outputs_of(res: Res, fields: str | Sequence[str]) -> list[str]:
    names = [fields] if isinstance(fields, str) else list(fields)
    return [v for n in names if isinstance(v := res.props.get(n), str) and v]


def _any_unknown(res: Res, fields: str | Sequence[str]) -> bool:
    names = [fields] if isinstance(fields, str) else list(fields)
    return any(not isinstance(res.props.get(n), str) for n in names)


def _add(acc: list[Res], items: Iterable[Res]) -> None:
    for item in items:
        if item not in acc:
            acc.append(item)


ID: Final = "id"


def ids(*types: str) -> dict[str, str]:
    return dict.fromkeys(types, ID)


# ---------------------------------------------------------------------------------------------
# Small readers


def truthy(value: Any) -> bool | _Unknown | None:
    """A wire boolean: True/False, UNKNOWN, or None when absent."""
    if is_unknown(value):
        return UNKNOWN
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


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


# ---------------------------------------------------------------------------------------------
# Fail closed, never skip


StackValidate = Callable[[StackValidationArgs, ReportViolation], None]


def fail_closed(name: str) -> Callable[[StackValidate], StackValidate]:
    """Wrap a stack validation so that it can't be skipped or crash the analysis.

    The SDK turns an ``UnknownValueError`` escaping a policy into an advisory "can't run policy
    ... during preview" -- a silent hole for a mandatory policy -- and any other exception into
    a failed gRPC call. The rules never touch the proxy, but should one slip through, report a
    violation (at the policy's own level) that says so instead.
    """

    def wrap(validate: StackValidate) -> StackValidate:
        @functools.wraps(validate)
        def guarded(args: StackValidationArgs, report: ReportViolation) -> None:
            try:
                validate(args, report)
            except UnknownValueError as exc:
                report(
                    f"Policy '{name}' needed a value that is unknown during preview "
                    f"({exc.message}), so the stack cannot be shown to comply. Make the value "
                    f"known at preview time (a literal or a value derived from config).",
                    None,
                )
            except Exception as exc:
                report(
                    f"Policy '{name}' failed while checking the stack ({type(exc).__name__}: "
                    f"{exc}), so the stack cannot be shown to comply. Report this to the policy "
                    f"pack's owners.",
                    None,
                )

        return guarded

    return wrap
