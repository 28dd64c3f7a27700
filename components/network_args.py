"""TieredNetwork's inputs: the args a user passes (``TieredNetworkArgs``, ``SubnetArgs``), their
validated form (``NetworkArgs``, ``SubnetSpec``) and the subnet plan carved from them.

``TieredNetworkArgs`` is a TypedDict, as Pulumi's component guidelines have it: the component
provider host (``pulumi.provider.experimental``, ``analyzer.py``) infers the plugin's schema from
its annotations and each field's docstring, and ``Construct`` hands the component a dict of
these keys. A field wrapped in ``pulumi.Input`` may come from another resource; the others are
plain (``plain: true`` in the schema) because they decide which resources exist or are carved
before any is registered: an Output there is refused by name, never read as truthy.
``NetworkArgs.from_input`` validates a dict into a ``NetworkArgs``; ``NetworkArgs`` (built by
the stack settings from config) runs the same checks, so an enum field takes a member or its
string value alike. No ``from __future__ import annotations`` here: the analyzer reads the
annotations as objects.
"""

import ipaddress
import re
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NotRequired, Required, Self, TypedDict, cast

from .errors import (
    ConfigChoice,
    ConfigError,
    check_keys,
    parse_ipv4_cidr,
    plain_int,
    require_plain,
)
from .tags import NAME_RE, Tier

# The values CloudWatch Logs' PutRetentionPolicy accepts (retentionInDays).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
_AZ_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")


class NatStrategy(ConfigChoice):
    """How private subnets reach the internet (lesson 5)."""

    SINGLE = "single"
    """One NAT gateway shared by every private subnet (cheapest; dev)."""
    ONE_PER_AZ = "one-per-az"
    """A NAT gateway per AZ with private subnets (no cross-AZ single point of failure)."""
    NONE = "none"
    """Private subnets get no default route at all."""
    INSTANCE = "instance"
    """A NAT instance per AZ with private subnets (or one: nat_instance_count 1), fck-nat style."""

    @classmethod
    def noun(cls) -> str:
        return "NAT strategy"


class SubnetArgs(TypedDict):
    """One subnet: a tier, an AZ, and either a prefix length (size) or an explicit CIDR."""

    name: str
    """Subnet name, unique in the network: lowercase letters, digits and hyphens (Name tag
    `<prefix>-<name>`, resource `<network>-<name>`)."""
    tier: Tier
    """public, private or management (a Tier member or its string value)."""
    az: str
    """The AZ: a letter of the region (`a`) or a full AZ name listed in availability_zones."""
    size: NotRequired[int]
    """Prefix length (16-28) of a block carved from vpc_cidr in declaration order; or give cidr."""
    cidr: NotRequired[str]
    """An explicit IPv4 block inside vpc_cidr; or give size."""
    map_public_ip_on_launch: NotRequired[bool]
    """Hand out public IPs on launch (public subnets only; default false)."""


class TieredNetworkArgs(TypedDict, total=False):
    """Inputs of TieredNetwork (see NetworkArgs for the defaults)."""

    prefix: Required[str]
    """Owner prefix for every Name tag, e.g. jdoe."""
    region: Required[str]
    """The AWS region of the provider, e.g. ap-northeast-2 (AZ names are checked against it)."""
    vpc_cidr: Required[str]
    """The VPC's IPv4 block, /16 to /28. Plain: every subnet is carved from it before any
    resource is registered."""
    availability_zones: Required[list[str]]
    """AZs the subnets may use, each of the region, e.g. [ap-northeast-2a, ap-northeast-2c]."""
    subnets: Required[list[SubnetArgs]]
    """The subnets, in order; appending one never moves an earlier one."""
    nat_strategy: NatStrategy
    """How private subnets reach the internet: single (default), one-per-az, instance or none."""
    flow_logs: bool
    """Send VPC flow logs to CloudWatch Logs (default false)."""
    flow_log_retention_days: int
    """Days CloudWatch keeps the flow logs: one of CloudWatch Logs' values (default 90)."""
    protect_vpc: bool
    """Pulumi's protect on the VPC (default false)."""
    ipv6: bool
    """Dual stack: an Amazon-provided /56 on the VPC and a /64 per subnet (default false)."""
    nat_instance_count: int
    """With nat_strategy instance: 0 for one NAT instance per AZ with private subnets, 1 for a
    single one (default 0)."""
    nat_instance_type: str
    """EC2 type of the NAT instances: Graviton, they run Amazon Linux 2023 arm64 (t4g.nano)."""


@contextmanager
def _under(prefix: str) -> Any:
    """Errors of a nested value name its place: ``tier`` -> ``subnets[1].tier``."""
    try:
        yield
    except ConfigError as err:
        raise ConfigError(
            f"{prefix}.{err.setting}", err.value, err.problem, err.fix, code_fix=err.code_fix
        ) from None


@dataclass(frozen=True)
class SubnetSpec:
    """One subnet, validated: SubnetArgs as a dataclass (``tier`` parsed: a member or its
    string value)."""

    name: str
    tier: Tier
    az: str
    size: int | None = None
    cidr: str | None = None
    # Only a public subnet may hand out public IPs on launch; the default is off everywhere.
    map_public_ip_on_launch: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "tier", Tier.parse("tier", self.tier))
        require_plain("name", self.name, str, "'external-a'")
        require_plain("az", self.az, str, "'a' or 'ap-northeast-2a'")
        if self.size is not None:
            object.__setattr__(self, "size", plain_int("size", self.size, "26"))
        if self.cidr is not None:
            require_plain("cidr", self.cidr, str, "'192.168.10.0/26'")
        require_plain("mapPublicIpOnLaunch", self.map_public_ip_on_launch, bool, "False")

    @classmethod
    def from_input(cls, setting: str, given: "SubnetArgs | SubnetSpec") -> Self:
        if isinstance(given, cls):
            return given
        check_keys(f"{setting}.", cast(Mapping[str, Any], given), SubnetArgs)
        with _under(setting):
            return cls(**cast(Mapping[str, Any], given))

    def as_input(self) -> SubnetArgs:
        out = SubnetArgs(name=self.name, tier=self.tier, az=self.az)
        if self.size is not None:
            out["size"] = self.size
        if self.cidr is not None:
            out["cidr"] = self.cidr
        if self.map_public_ip_on_launch:
            out["map_public_ip_on_launch"] = True
        return out


@dataclass(frozen=True)
class PlannedSubnet:
    spec: SubnetSpec
    cidr: ipaddress.IPv4Network
    az: str


@dataclass(frozen=True)
class NetworkArgs:
    """TieredNetworkArgs, validated (and the subnets carved) at construction: what the stack
    settings build from config, and what TieredNetwork builds from its args."""

    prefix: str
    region: str
    vpc_cidr: str
    availability_zones: Sequence[str]
    subnets: Sequence[SubnetSpec]
    nat_strategy: NatStrategy = NatStrategy.SINGLE
    flow_logs: bool = False
    flow_log_retention_days: int = 90
    protect_vpc: bool = False
    # Issue 9: an Amazon-provided /56 on the VPC and a /64 per subnet; NAT instances.
    ipv6: bool = False
    nat_instance_count: int = 0  # 0: one per AZ with private subnets; 1: a single one
    nat_instance_type: str = "t4g.nano"
    plan: tuple[PlannedSubnet, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "nat_strategy", NatStrategy.parse("natStrategy", self.nat_strategy)
        )
        for setting, value, kind, example in (
            ("prefix", self.prefix, str, "'jdoe'"),
            ("region", self.region, str, "'ap-northeast-2'"),
            ("vpcCidr", self.vpc_cidr, str, "'192.168.10.0/24'"),
            ("flowLogs", self.flow_logs, bool, "True"),

            ("protectVpc", self.protect_vpc, bool, "True"),
            ("ipv6", self.ipv6, bool, "True"),

            ("natInstanceType", self.nat_instance_type, str, "'t4g.nano'"),
        ):
            require_plain(setting, value, kind, example)
        for name, setting, example in (
            ("flow_log_retention_days", "flowLogRetentionDays", "90"),
            ("nat_instance_count", "natInstanceCount", "1"),
        ):
            object.__setattr__(self, name, plain_int(setting, getattr(self, name), example))
        if isinstance(self.availability_zones, str):
            raise ConfigError(
                "availabilityZones",
                self.availability_zones,
                "must be a list of AZ names, not one string",
                f"pass [{self.availability_zones!r}]",
            )
        for i, az in enumerate(self.availability_zones):
            require_plain(f"availabilityZones[{i}]", az, str, "'ap-northeast-2a'")
        object.__setattr__(self, "availability_zones", tuple(self.availability_zones))
        subnets = []
        for i, spec in enumerate(self.subnets):
            subnets.append(SubnetSpec.from_input(f"subnets[{i}]", spec))
        object.__setattr__(self, "subnets", tuple(subnets))
        object.__setattr__(self, "plan", plan_network(self))

    @classmethod
    def from_input(cls, args: TieredNetworkArgs) -> Self:
        """Validate TieredNetworkArgs (a dict, as ``Construct`` and Python users pass it); a
        NetworkArgs (already validated, e.g. the stack settings') is taken as it is."""
        if isinstance(args, cls):
            return args
        given = cast(Mapping[str, Any], args)
        check_keys("", given, TieredNetworkArgs)
        if isinstance(given["subnets"], (str, Mapping)) or not isinstance(
            given["subnets"], Sequence
        ):
            raise ConfigError(
                "subnets",
                given["subnets"],
                "must be a list of SubnetArgs",
                "pass [SubnetArgs(...)]",
            )
        return cls(**given)

    def as_input(self) -> TieredNetworkArgs:
        """The same network as TieredNetworkArgs (what TieredNetwork takes)."""
        return TieredNetworkArgs(
            prefix=self.prefix,
            region=self.region,
            vpc_cidr=self.vpc_cidr,
            availability_zones=list(self.availability_zones),
            subnets=[s.as_input() for s in self.subnets],
            nat_strategy=self.nat_strategy,
            flow_logs=self.flow_logs,
            flow_log_retention_days=self.flow_log_retention_days,
            protect_vpc=self.protect_vpc,
            ipv6=self.ipv6,
            nat_instance_count=self.nat_instance_count,
            nat_instance_type=self.nat_instance_type,
        )


def _resolve_az(setting: str, az: str, region: str, azs: Sequence[str]) -> str:
    full = f"{region}{az}" if re.fullmatch(r"[a-z]", az) else az
    if full not in azs:
        raise ConfigError(
            setting,
            az,
            f"AZ {full} is not one of availabilityZones {list(azs)}",
            "add the AZ to availabilityZones or place the subnet in a listed AZ",
            code_fix="add the AZ to availability_zones or place the subnet in a listed AZ",
        )
    return full


def plan_network(args: NetworkArgs) -> tuple[PlannedSubnet, ...]:
    """Validate the layout and carve every subnet from the VPC CIDR (pure; no resources)."""
    if not NAME_RE.match(args.prefix):
        raise ConfigError(
            "prefix",
            args.prefix,
            "must be lowercase letters, digits and hyphens",
            "use the owner's short prefix, e.g. 'jdoe'",
        )
    vpc = parse_ipv4_cidr("vpcCidr", args.vpc_cidr)
    if not 16 <= vpc.prefixlen <= 28:
        raise ConfigError(
            "vpcCidr",
            args.vpc_cidr,
            "AWS VPCs must be between /16 and /28",
            "use e.g. 192.168.10.0/24",
        )
    if not args.availability_zones:
        raise ConfigError(
            "availabilityZones",
            [],
            "no AZs given",
            f"list AZs of {args.region}, e.g. [{args.region}a, {args.region}c]",
        )
    for i, az in enumerate(args.availability_zones):
        if (
            not _AZ_RE.match(az)
            or not az.startswith(args.region)
            or len(az) != len(args.region) + 1
        ):
            raise ConfigError(
                f"availabilityZones[{i}]",
                az,
                f"not an AZ of region {args.region}",
                f"use an AZ name such as {args.region}a, or change aws:region",
                code_fix=f"use an AZ name such as {args.region}a, or pass the AZs' region",
            )
    if len(set(args.availability_zones)) != len(args.availability_zones):
        raise ConfigError(
            "availabilityZones",
            list(args.availability_zones),
            "lists an AZ twice",
            "list each AZ once",
        )
    if not args.subnets:
        raise ConfigError("subnets", [], "no subnets given", "describe at least one subnet")
    if args.flow_log_retention_days not in LOG_RETENTION_DAYS:
        near = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - args.flow_log_retention_days))
        raise ConfigError(
            "flowLogRetentionDays",
            args.flow_log_retention_days,
            "not a retention CloudWatch Logs accepts",
            f"use {near} or another of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )

    # Carve in declaration order: subnet i depends only on subnets 0..i-1, so appending a
    # subnet (sized or with an explicit CIDR) never moves an existing one -- a moved subnet is
    # a replaced subnet, and every server in it with it. An explicit CIDR that collides with an
    # earlier subnet is refused rather than pushing that subnet elsewhere.
    names: set[str] = set()
    cidrs: dict[int, ipaddress.IPv4Network] = {}
    for i, spec in enumerate(args.subnets):
        where = f"subnets[{i}]"
        if not NAME_RE.match(spec.name):
            raise ConfigError(
                f"{where}.name",
                spec.name,
                "must be lowercase letters, digits and hyphens",
                "name it like 'external-a'",
            )
        if spec.name in names:
            raise ConfigError(f"{where}.name", spec.name, "duplicate subnet name", "rename it")
        names.add(spec.name)
        if spec.map_public_ip_on_launch and spec.tier is not Tier.PUBLIC:
            raise ConfigError(
                f"{where}.mapPublicIpOnLaunch",
                True,
                f"a {spec.tier.value} subnet must not hand out public IPs",
                "only public subnets may auto-assign public IPs",
            )
        if (spec.size is None) == (spec.cidr is None):
            raise ConfigError(
                where,
                spec.name,
                "needs exactly one of a size (/NN) or an explicit CIDR",
                "give e.g. /26 or 192.168.10.0/26",
                code_fix="pass size=26 or cidr='192.168.10.0/26', not both",
            )
        earlier = [(j, args.subnets[j].name, net) for j, net in cidrs.items()]
        if spec.cidr is not None:
            net = parse_ipv4_cidr(f"{where}.cidr", spec.cidr)
            if not net.subnet_of(vpc):
                raise ConfigError(
                    f"{where}.cidr",
                    spec.cidr,
                    f"outside the VPC {vpc}",
                    f"choose a block inside {vpc}",
                )
            _check_subnet_size(f"{where}.cidr", spec.cidr, net.prefixlen)
            for j, other, other_net in earlier:
                if net.overlaps(other_net):
                    block = _first_free(vpc, net.prefixlen, [n for _, _, n in earlier])
                    hint = f"e.g. {block}, " if block else ""
                    raise ConfigError(
                        f"{where}.cidr",
                        spec.cidr,
                        f"subnet {spec.name} ({net}) overlaps subnets[{j}] {other} ({other_net}),"
                        " declared earlier",
                        f"give {spec.name} a free block ({hint}or a size such as /{net.prefixlen})"
                        f"; moving {other} would replace it and its servers",
                    )
            cidrs[i] = net
            continue
        assert spec.size is not None
        _check_subnet_size(f"{where}.size", spec.size, spec.size)
        if spec.size < vpc.prefixlen:
            raise ConfigError(
                f"{where}.size",
                f"/{spec.size}",
                f"larger than the VPC {vpc}",
                f"use a prefix of /{vpc.prefixlen} or longer",
            )
        taken = [n for _, _, n in earlier]
        found = _first_free(vpc, spec.size, taken)
        if found is None:
            left = vpc.num_addresses - sum(t.num_addresses for t in taken)
            raise ConfigError(
                f"{where}.size",
                f"/{spec.size}",
                f"does not fit in {vpc} ({left} addresses left, not in one aligned block)",
                "shrink the subnets, enlarge vpcCidr, or give explicit CIDRs",
            )
        cidrs[i] = found

    planned = tuple(
        PlannedSubnet(
            spec,
            cidrs[i],
            _resolve_az(f"subnets[{i}].az", spec.az, args.region, args.availability_zones),
        )
        for i, spec in enumerate(args.subnets)
    )

    private_azs = {p.az for p in planned if p.spec.tier is Tier.PRIVATE}
    public_azs = {p.az for p in planned if p.spec.tier is Tier.PUBLIC}
    if private_azs and args.nat_strategy is not NatStrategy.NONE and not public_azs:
        raise ConfigError(
            "natStrategy",
            args.nat_strategy.value,
            "a NAT gateway needs a public subnet, and the layout has none",
            "add a public subnet or set natStrategy to none",
            code_fix='add a public subnet or pass nat_strategy=NatStrategy.NONE (or "none")',
        )
    if args.nat_instance_count not in (0, 1):
        raise ConfigError(
            "natInstanceCount",
            args.nat_instance_count,
            "must be 0 (one NAT instance per AZ with private subnets) or 1 (a single one)",
            "set natInstanceCount to 0 or 1",
            code_fix="pass nat_instance_count=0 or 1",
        )
    if args.nat_instance_count and args.nat_strategy is not NatStrategy.INSTANCE:
        raise ConfigError(
            "natInstanceCount",
            args.nat_instance_count,
            f"applies to natStrategy instance, not {args.nat_strategy.value}",
            "remove natInstanceCount, or set natStrategy: instance",
            code_fix="drop nat_instance_count, or pass nat_strategy=NatStrategy.INSTANCE "
            '(or "instance")',
        )
    # A NAT per AZ (gateways one-per-az, or instances with natInstanceCount 0) sits in a public
    # subnet of that AZ: every AZ with private subnets needs one.
    per_az = {
        NatStrategy.ONE_PER_AZ: (
            "NAT gateway",
            "use natStrategy single",
            'pass nat_strategy=NatStrategy.SINGLE (or "single")',
        ),
        NatStrategy.INSTANCE: (
            "NAT instance",
            "set natInstanceCount: 1",
            "pass nat_instance_count=1",
        ),
    }.get(args.nat_strategy)
    if per_az and (args.nat_strategy is NatStrategy.ONE_PER_AZ or args.nat_instance_count == 0):
        missing = sorted(private_azs - public_azs)
        if missing:
            what, alternative, in_code = per_az
            raise ConfigError(
                "natStrategy",
                args.nat_strategy.value,
                f"AZs {missing} have private subnets but no public subnet for their {what}",
                f"add a public subnet in each of those AZs, or {alternative}",
                code_fix=f"add a public subnet in each of those AZs, or {in_code}",
            )
    return planned


def _first_free(
    vpc: ipaddress.IPv4Network, prefixlen: int, taken: Sequence[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network | None:
    """The lowest aligned /prefixlen block of `vpc` that overlaps nothing in `taken`."""
    for candidate in vpc.subnets(new_prefix=prefixlen):
        if not any(candidate.overlaps(t) for t in taken):
            return candidate
    return None


def _check_subnet_size(setting: str, value: object, prefixlen: int) -> None:
    if not 16 <= prefixlen <= 28:
        raise ConfigError(
            setting,
            value,
            "AWS subnets must be between /16 and /28",
            "use a prefix length from 16 to 28",
        )
