"""TieredNetwork: one VPC, tiered subnets, an internet gateway, NAT and explicit route tables.

The course's week-1 network, generalised: subnets are described one by one (tier, AZ, and a
size or an explicit CIDR), so its uneven layout -- two /26 public subnets, a /27 private and a
/27 management subnet in a /24 -- is expressible. Lesson 5 (IGW vs NAT) is the routing:
public and management subnets route 0.0.0.0/0 to the internet gateway; private subnets reach
the internet only through a NAT gateway that sits in a public subnet.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .ami import architecture
from .errors import ConfigChoice, ConfigError, parse_ipv4_cidr
from .iam import assume_role_policy
from .nat_instance import NatInstance, NatInstanceArgs, al2023_ami
from .tags import NAME_RE, Tier, resource_tags

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

    SINGLE = "single"  # one NAT gateway shared by every private subnet (cheapest; dev)
    ONE_PER_AZ = "one-per-az"  # a NAT gateway per AZ with private subnets (no cross-AZ SPOF)
    NONE = "none"  # private subnets get no default route at all
    INSTANCE = "instance"  # a NAT instance per AZ (or natInstanceCount: 1), fck-nat style

    @classmethod
    def noun(cls) -> str:
        return "NAT strategy"


@dataclass(frozen=True)
class SubnetSpec:
    """One subnet: a tier, an AZ, and either a prefix length (`size`) or an explicit `cidr`."""

    name: str
    tier: Tier
    az: str
    size: int | None = None
    cidr: str | None = None
    # Only a public subnet may hand out public IPs on launch; the default is off everywhere.
    map_public_ip_on_launch: bool = False


@dataclass(frozen=True)
class PlannedSubnet:
    spec: SubnetSpec
    cidr: ipaddress.IPv4Network
    az: str


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of TieredNetwork. Validated (and the subnets carved) at construction."""

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
        object.__setattr__(self, "plan", plan_network(self))


def _resolve_az(setting: str, az: str, region: str, azs: Sequence[str]) -> str:
    full = f"{region}{az}" if re.fullmatch(r"[a-z]", az) else az
    if full not in azs:
        raise ConfigError(
            setting,
            az,
            f"AZ {full} is not one of availabilityZones {list(azs)}",
            "add the AZ to availabilityZones or place the subnet in a listed AZ",
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
    if not isinstance(args.nat_strategy, NatStrategy):
        NatStrategy.parse("natStrategy", args.nat_strategy)
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
        if not isinstance(spec.tier, Tier):
            raise ConfigError(
                f"{where}.tier",
                spec.tier,
                "unknown tier",
                "use one of: " + ", ".join(t.value for t in Tier),
            )
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
        )
    if args.nat_instance_count not in (0, 1):
        raise ConfigError(
            "natInstanceCount",
            args.nat_instance_count,
            "must be 0 (one NAT instance per AZ with private subnets) or 1 (a single one)",
            "set natInstanceCount to 0 or 1",
        )
    if args.nat_instance_count and args.nat_strategy is not NatStrategy.INSTANCE:
        raise ConfigError(
            "natInstanceCount",
            args.nat_instance_count,
            f"applies to natStrategy instance, not {args.nat_strategy.value}",
            "remove natInstanceCount, or set natStrategy: instance",
        )
    # A NAT per AZ (gateways one-per-az, or instances with natInstanceCount 0) sits in a public
    # subnet of that AZ: every AZ with private subnets needs one.
    per_az = {
        NatStrategy.ONE_PER_AZ: ("NAT gateway", "use natStrategy single"),
        NatStrategy.INSTANCE: ("NAT instance", "set natInstanceCount: 1"),
    }.get(args.nat_strategy)
    if per_az and (args.nat_strategy is NatStrategy.ONE_PER_AZ or args.nat_instance_count == 0):
        missing = sorted(private_azs - public_azs)
        if missing:
            what, alternative = per_az
            raise ConfigError(
                "natStrategy",
                args.nat_strategy.value,
                f"AZs {missing} have private subnets but no public subnet for their {what}",
                f"add a public subnet in each of those AZs, or {alternative}",
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


def _nth_ipv6_subnet(index: int, vpc_block: str) -> str:
    return ipv6_subnet(vpc_block, index)


def ipv6_subnet(vpc_block: str, index: int) -> str:
    """The `index`-th /64 of the VPC's /56 (256 of them: AWS's per-subnet size)."""
    vpc = ipaddress.IPv6Network(vpc_block)
    if vpc.prefixlen > 64:
        raise ValueError(f"the VPC's IPv6 block {vpc_block} is smaller than a /64")
    count = 2 ** (64 - vpc.prefixlen)
    if not 0 <= index < count:
        raise ValueError(f"subnet {index} does not fit the {count} /64s of {vpc_block}")
    return str(ipaddress.IPv6Network((int(vpc.network_address) + (index << 64), 64)))


class TieredNetwork(pulumi.ComponentResource):
    """A VPC with public, private and management tiers (see module docstring)."""

    vpc: aws.ec2.Vpc
    subnets: dict[str, aws.ec2.Subnet]
    subnet_tiers: dict[str, Tier]
    internet_gateway: aws.ec2.InternetGateway
    nat_gateways: dict[str, aws.ec2.NatGateway]  # by AZ
    public_route_table: aws.ec2.RouteTable
    private_route_tables: dict[str, aws.ec2.RouteTable]  # by AZ, or "shared"
    flow_log: aws.ec2.FlowLog | None
    # Per subnet: what must exist before an instance there can reach the internet (its
    # association and its table's default route). Instances depend on these so cloud-init's
    # first package install does not race the NAT gateway.
    egress_ready: dict[str, list[pulumi.Resource]]
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    nat_public_ips: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tierednet:network:TieredNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.prefix

        def tags(logical: str, tier: Tier | None = None) -> dict[str, str]:
            return resource_tags(prefix, logical, tier=tier)

        self.vpc_cidr = args.vpc_cidr
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            assign_generated_ipv6_cidr_block=True if args.ipv6 else None,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect_vpc),
        )
        self.vpc_id = self.vpc.id

        # Take over the default security group and leave it with no rules at all.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, tags=tags("default-sg"), opts=child
        )

        self.subnets = {}
        self.subnet_tiers = {}
        for index, planned in enumerate(args.plan):
            spec = planned.spec
            self.subnet_tiers[spec.name] = spec.tier
            # The subnet's /64 is the index-th /64 of the VPC's Amazon-provided /56, in
            # declaration order like the IPv4 carving, so appending a subnet moves none.
            ipv6_cidr: pulumi.Output[str] | None = (
                self.vpc.ipv6_cidr_block.apply(functools.partial(_nth_ipv6_subnet, index))
                if args.ipv6
                else None
            )
            self.subnets[spec.name] = aws.ec2.Subnet(
                f"{name}-{spec.name}",
                vpc_id=self.vpc.id,
                cidr_block=str(planned.cidr),
                ipv6_cidr_block=ipv6_cidr,
                assign_ipv6_address_on_creation=True if args.ipv6 else None,
                availability_zone=planned.az,
                map_public_ip_on_launch=spec.map_public_ip_on_launch,
                tags=tags(spec.name, spec.tier),
                opts=child,
            )

        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=tags("igw"), opts=child
        )

        # Public and management subnets share one table whose default route is the IGW.
        self.public_route_table = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            tags=tags("public-rt", Tier.PUBLIC),
            opts=child,
        )
        public_default = aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=self.public_route_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
            opts=child,
        )
        self.egress_only_gateway: aws.ec2.EgressOnlyInternetGateway | None = None
        if args.ipv6:
            aws.ec2.Route(
                f"{name}-public-default-ipv6",
                route_table_id=self.public_route_table.id,
                destination_ipv6_cidr_block="::/0",
                gateway_id=self.internet_gateway.id,
                opts=child,
            )
            self.egress_only_gateway = aws.ec2.EgressOnlyInternetGateway(
                f"{name}-eigw", vpc_id=self.vpc.id, tags=tags("eigw"), opts=child
            )

        # NAT gateways live in public subnets (the first public subnet of their AZ).
        first_public: dict[str, PlannedSubnet] = {}
        for p in args.plan:
            if p.spec.tier is Tier.PUBLIC:
                first_public.setdefault(p.az, p)
        private = [p for p in args.plan if p.spec.tier is Tier.PRIVATE]
        private_azs = list(dict.fromkeys(p.az for p in private))
        if not private or args.nat_strategy is NatStrategy.NONE:
            nat_azs: list[str] = []
        elif args.nat_strategy is NatStrategy.SINGLE:
            nat_azs = [
                private_azs[0] if private_azs[0] in first_public else next(iter(first_public))
            ]
        else:
            nat_azs = private_azs
        if args.nat_strategy is NatStrategy.INSTANCE and private and args.nat_instance_count == 1:
            nat_azs = nat_azs[:1] if nat_azs[0] in first_public else [next(iter(first_public))]

        self.nat_gateways = {}
        self.nat_instances: dict[str, NatInstance] = {}
        if args.nat_strategy is NatStrategy.INSTANCE and nat_azs:
            ami = al2023_ami(architecture(args.nat_instance_type), parent=self)
            for az in nat_azs:
                suffix = az[len(args.region) :]
                self.nat_instances[az] = NatInstance(
                    f"{name}-nat-instance-{suffix}",
                    NatInstanceArgs(
                        prefix=prefix,
                        suffix=suffix,
                        vpc_id=self.vpc.id,
                        vpc_cidr=args.vpc_cidr,
                        public_subnet_id=self.subnets[first_public[az].spec.name].id,
                        ami_id=ami,
                        instance_type=args.nat_instance_type,
                        depends_on=[self.internet_gateway],
                    ),
                    child,
                )
        for az in (nat_azs if args.nat_strategy is not NatStrategy.INSTANCE else []):
            suffix = az[len(args.region) :]
            eip = aws.ec2.Eip(
                f"{name}-nat-{suffix}-eip",
                domain="vpc",
                tags=tags(f"nat-{suffix}-eip", Tier.PUBLIC),
                opts=child,
            )
            self.nat_gateways[az] = aws.ec2.NatGateway(
                f"{name}-nat-{suffix}",
                subnet_id=self.subnets[first_public[az].spec.name].id,
                allocation_id=eip.allocation_id,
                connectivity_type="public",
                tags=tags(f"nat-{suffix}", Tier.PUBLIC),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]),
            )

        # Private route tables: one shared table, or one per AZ for one-per-az.
        self.private_route_tables = {}
        default_routes: dict[str, aws.ec2.Route] = {}
        per_az = args.nat_strategy is NatStrategy.ONE_PER_AZ or (
            args.nat_strategy is NatStrategy.INSTANCE and len(nat_azs) > 1
        )
        for key in private_azs if per_az else (["shared"] if private else []):
            logical = f"private-{key[len(args.region) :]}-rt" if per_az else "private-rt"
            table = aws.ec2.RouteTable(
                f"{name}-{logical}",
                vpc_id=self.vpc.id,
                tags=tags(logical, Tier.PRIVATE),
                opts=child,
            )
            self.private_route_tables[key] = table
            nat_az = key if per_az else (nat_azs[0] if nat_azs else None)
            if nat_az in self.nat_instances:
                # To the fixed interface, never to an instance: a replacement keeps the route.
                default_routes[key] = aws.ec2.Route(
                    f"{name}-{logical}-default",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    network_interface_id=self.nat_instances[nat_az].interface_id,
                    opts=child,
                )
            elif nat_az is not None:
                default_routes[key] = aws.ec2.Route(
                    f"{name}-{logical}-default",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=self.nat_gateways[nat_az].id,
                    opts=child,
                )
            if self.egress_only_gateway is not None:
                aws.ec2.Route(
                    f"{name}-{logical}-default-ipv6",
                    route_table_id=table.id,
                    destination_ipv6_cidr_block="::/0",
                    egress_only_gateway_id=self.egress_only_gateway.id,
                    opts=child,
                )

        # Every subnet gets an explicit association; none is left on the VPC's main table.
        self.egress_ready = {}
        for p in args.plan:
            if p.spec.tier is Tier.PRIVATE:
                key = p.az if per_az else "shared"
                table = self.private_route_tables[key]
                route = default_routes.get(key)
            else:
                table, route = self.public_route_table, public_default
            association = aws.ec2.RouteTableAssociation(
                f"{name}-{p.spec.name}-rta",
                subnet_id=self.subnets[p.spec.name].id,
                route_table_id=table.id,
                opts=child,
            )
            self.egress_ready[p.spec.name] = [association, *([route] if route else [])]

        self.flow_log = self._flow_logs(name, args) if args.flow_logs else None

        self.nat_public_ips = pulumi.Output.all(
            *[nat.public_ip for nat in self.nat_gateways.values()],
            *[nat.public_ip for nat in self.nat_instances.values()],
        ).apply(list)
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "subnetIds": {n: s.id for n, s in self.subnets.items()},
                "natPublicIps": self.nat_public_ips,
            }
        )

    def subnet_id(self, subnet: str) -> pulumi.Output[str]:
        return self.subnets[subnet].id

    def _flow_logs(self, name: str, args: NetworkArgs) -> aws.ec2.FlowLog:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/{args.prefix}/vpc-flow-logs/{name}",
            retention_in_days=args.flow_log_retention_days,
            tags=resource_tags(args.prefix, "flow-logs"),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"),
            tags=resource_tags(args.prefix, "flow-logs-role"),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogGroups",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        return aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags=resource_tags(args.prefix, "flow-log"),
            # Created only once the role may write, or delivery starts out failing.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
