"""TieredNetwork: one VPC, tiered subnets, an internet gateway, NAT and explicit route tables.

The course's week-1 network, generalised: subnets are described one by one (tier, AZ, and a
size or an explicit CIDR), so its uneven layout -- two /26 public subnets, a /27 private and a
/27 management subnet in a /24 -- is expressible. Lesson 5 (IGW vs NAT) is the routing:
public and management subnets route 0.0.0.0/0 to the internet gateway; private subnets reach
the internet only through a NAT gateway that sits in a public subnet.
"""

import functools
import ipaddress
import json

import pulumi
import pulumi_aws as aws

from .ami import architecture
from .errors import code_errors
from .iam import assume_role_policy
from .nat_instance import NatInstance, NatInstanceArgs, al2023_ami
from .network_args import (
    LOG_RETENTION_DAYS,
    NatStrategy,
    NetworkArgs,
    PlannedSubnet,
    SubnetArgs,
    SubnetSpec,
    TieredNetworkArgs,
    plan_network,
)
from .tags import Tier, resource_tags

__all__ = [
    "LOG_RETENTION_DAYS",
    "NatStrategy",
    "NetworkArgs",
    "PlannedSubnet",
    "SubnetArgs",
    "SubnetSpec",
    "TieredNetwork",
    "TieredNetworkArgs",
    "ipv6_subnet",
    "plan_network",
]

# The type token before the component provider host (which serves `<package>:index:<Class>`):
# stacks created before keep their resources through this alias.
PREVIOUS_TYPE = "tierednet:network:TieredNetwork"


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
    """A VPC with public, private and management subnets, an internet gateway, NAT (gateways or
    instances) and an explicit route table for every subnet."""

    vpc: aws.ec2.Vpc
    """The VPC."""
    vpc_id: pulumi.Output[str]
    """The VPC's id."""
    vpc_cidr: str
    """The VPC's IPv4 block."""
    subnets: dict[str, aws.ec2.Subnet]
    """The subnets by name."""
    subnet_tiers: dict[str, Tier]
    """Each subnet's tier, by name."""
    subnet_ids: pulumi.Output[dict[str, str]]
    """Subnet ids by subnet name."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Ids of the public subnets, in declaration order."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Ids of the private subnets, in declaration order."""
    management_subnet_ids: pulumi.Output[list[str]]
    """Ids of the management subnets (the bastion's tier), in declaration order."""
    internet_gateway: aws.ec2.InternetGateway
    """The internet gateway."""
    internet_gateway_id: pulumi.Output[str]
    """The internet gateway's id."""
    nat_gateways: dict[str, aws.ec2.NatGateway]
    """The NAT gateways by AZ (none with nat_strategy instance or none)."""
    nat_gateway_ids: pulumi.Output[list[str]]
    """Ids of the NAT gateways."""
    nat_public_ips: pulumi.Output[list[str]]
    """Public IPs of the NAT gateways or the NAT instances' fixed interfaces."""
    public_route_table: aws.ec2.RouteTable
    """The route table of the public and management subnets (0.0.0.0/0 to the IGW)."""
    public_route_table_id: pulumi.Output[str]
    """The public route table's id."""
    private_route_tables: dict[str, aws.ec2.RouteTable]
    """The private subnets' route tables, by AZ (one-per-az) or under "shared"."""
    private_route_table_ids: pulumi.Output[list[str]]
    """Ids of the private route tables."""
    flow_log: aws.ec2.FlowLog | None
    """The VPC flow log (flow_logs true), else unset."""

    def __init__(
        self, name: str, args: TieredNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        with code_errors("TieredNetworkArgs"):
            spec = NetworkArgs.from_input(args)
        super().__init__(
            "tierednet:index:TieredNetwork",
            name,
            None,
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=PREVIOUS_TYPE)])
            ),
        )
        self._build(name, spec)

    def _build(self, name: str, args: NetworkArgs) -> None:
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
        for az in nat_azs if args.nat_strategy is not NatStrategy.INSTANCE else []:
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
        # Per subnet: what must exist before an instance there can reach the internet (its
        # association and its table's default route). Instances depend on these so cloud-init's
        # first package install does not race the NAT gateway.
        self.egress_ready: dict[str, list[pulumi.Resource]] = {}
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

        def ids(resources: list[pulumi.CustomResource]) -> pulumi.Output[list[str]]:
            return pulumi.Output.all(*[r.id for r in resources]).apply(list)

        def of_tier(tier: Tier) -> list[pulumi.CustomResource]:
            return [s for n, s in self.subnets.items() if self.subnet_tiers[n] is tier]

        self.subnet_ids = pulumi.Output.all(**{n: s.id for n, s in self.subnets.items()}).apply(
            dict
        )
        self.public_subnet_ids = ids(of_tier(Tier.PUBLIC))
        self.private_subnet_ids = ids(of_tier(Tier.PRIVATE))
        self.management_subnet_ids = ids(of_tier(Tier.MANAGEMENT))
        self.internet_gateway_id = self.internet_gateway.id
        self.nat_gateway_ids = ids(list(self.nat_gateways.values()))
        self.public_route_table_id = self.public_route_table.id
        self.private_route_table_ids = ids(list(self.private_route_tables.values()))
        self.nat_public_ips = pulumi.Output.all(
            *[nat.public_ip for nat in self.nat_gateways.values()],
            *[nat.public_ip for nat in self.nat_instances.values()],
        ).apply(list)
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "subnetIds": self.subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "managementSubnetIds": self.management_subnet_ids,
                "internetGatewayId": self.internet_gateway_id,
                "natGatewayIds": self.nat_gateway_ids,
                "natPublicIps": self.nat_public_ips,
                "publicRouteTableId": self.public_route_table_id,
                "privateRouteTableIds": self.private_route_table_ids,
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
