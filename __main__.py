"""The course's week-1 network as code: reads config, wires the components, exports outputs."""

import pulumi
import pulumi_aws as aws

from components.access import (
    AccessArgs,
    AccessMode,
    InstanceConnect,
    SessionManager,
    render_keyless_ssh_config,
)
from components.ami import architecture, ubuntu_lts_ami
from components.bastion import Bastion, BastionArgs
from components.config import StackConfig
from components.network import TieredNetwork
from components.server import IngressRule, Server, ServerArgs
from components.settings import load_settings
from components.tags import Tier

settings = load_settings(StackConfig.from_runtime())
prefix = settings.prefix

# Project and stack tags on every resource, through the provider's default tags.
provider = aws.Provider(
    "aws",
    region=settings.region,
    default_tags=aws.ProviderDefaultTagsArgs(
        tags={"Project": pulumi.get_project(), "Stack": pulumi.get_stack(), "Owner": prefix}
    ),
)
opts = pulumi.ResourceOptions(providers=[provider])

network = TieredNetwork(prefix, settings.network.as_input(), opts)
amis: dict[str, pulumi.Output[str]] = {}


def ami_for(instance_type: str) -> pulumi.Output[str]:
    """One lookup per architecture: Graviton types get the arm64 image."""
    arch = architecture(instance_type)
    if arch not in amis:
        amis[arch] = ubuntu_lts_ami(arch, provider)
    return amis[arch]


access = settings.access


def access_args(servers: list[Server]) -> AccessArgs:
    return AccessArgs(
        prefix=prefix,
        mode=access,
        region=settings.region,
        vpc_id=network.vpc_id,
        vpc_cidr=settings.network.vpc_cidr,
        servers=servers,
        management_subnet_id=network.subnet_id(settings.management_subnet),
        # One private subnet per AZ for the SSM interface endpoints.
        endpoint_subnet_ids=[
            network.subnet_id(name)
            for name in {
                p.az: p.spec.name
                for p in reversed(settings.network.plan)
                if p.spec.tier is Tier.PRIVATE
            }.values()
        ],
        ssh_key_file=settings.ssh_key_file,
    )


# Session Manager comes first: the servers take its instance profile.
session_manager = SessionManager("ssm", access_args([]), opts) if access is AccessMode.SSM else None

servers: dict[str, Server] = {}
for plan in settings.servers:
    servers[plan.name] = Server(
        plan.name,
        ServerArgs(
            prefix=prefix,
            tier=plan.tier,
            subnet_id=network.subnet_id(plan.subnet),
            vpc_id=network.vpc_id,
            ami_id=ami_for(plan.instance_type),
            ssh_public_key=settings.ssh_public_key,
            instance_type=plan.instance_type,
            public_ip=plan.public_ip,
            service=plan.service,
            ingress=[
                IngressRule.internet(p, f"{plan.name} port {p} from the internet")
                for p in plan.internet_ports
            ]
            + [
                IngressRule.from_group(
                    servers[peer].security_group.id, p, f"{plan.name} port {p} from {peer}"
                )
                for peer, p in plan.peer_ports
            ],
            depends_on=network.egress_ready[plan.subnet],
            availability_zone=plan.availability_zone,
            data_volume_gib=plan.data_volume_gib,
            protect_data=settings.protect_data,
            instance_profile=(
                session_manager.instance_profile.name if session_manager is not None else None
            ),
            ipv6=settings.network.ipv6,
        ),
        opts,
    )

bastion: Bastion | None = None
if access is AccessMode.INSTANCE_CONNECT:
    InstanceConnect("eic", access_args(list(servers.values())), opts)
if access is not AccessMode.BASTION:
    ssh_config = pulumi.Output.all(*[s.instance.id for s in servers.values()]).apply(
        lambda ids: render_keyless_ssh_config(
            access,
            prefix,
            dict(zip(servers, ids, strict=True)),
            region=settings.region,
            key_file=settings.ssh_key_file,
        )
    )
else:
    bastion = Bastion(
        "bastion",
        BastionArgs(
            prefix=prefix,
            subnet_id=network.subnet_id(settings.management_subnet),
            vpc_id=network.vpc_id,
            vpc_cidr=settings.network.vpc_cidr,
            ami_id=ami_for(settings.bastion_instance_type),
            ssh_public_key=settings.ssh_public_key,
            office_cidrs=list(settings.office_cidrs),
            region=settings.region,
            servers=[s.ssh_target() for s in servers.values()],
            instance_type=settings.bastion_instance_type,
            idle_timeout_seconds=settings.idle_timeout_seconds,
            ssh_key_file=settings.ssh_key_file,
            ipv6=settings.network.ipv6,
            # auditLog: cloudwatch -- the audit trail leaves the box for an encrypted log group.
            audit_log=settings.audit_log,
            audit_log_retention_days=settings.audit_log_retention_days,
            protect_audit_log=settings.protect_data,
        ),
        # The instance and its EIP wait for the management subnet's route to the IGW.
        pulumi.ResourceOptions.merge(
            opts,
            pulumi.ResourceOptions(depends_on=network.egress_ready[settings.management_subnet]),
        ),
    )
    ssh_config = bastion.ssh_config

# Ids for StackReferences, named as awsx and terraform-aws-modules/vpc name them.
pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("managementSubnetIds", network.management_subnet_ids)
pulumi.export("subnetIds", network.subnet_ids)
pulumi.export("natGatewayIds", network.nat_gateway_ids)
pulumi.export("publicRouteTableId", network.public_route_table_id)
pulumi.export("privateRouteTableIds", network.private_route_table_ids)
if bastion is not None:
    pulumi.export("bastionPublicIp", bastion.public_ip)
    pulumi.export("bastionInstanceId", bastion.instance_id)
    pulumi.export("bastionSecurityGroupId", bastion.security_group_id)
    # Empty without ipv6: the same outputs whatever the options, for scripts.
    pulumi.export("bastionIpv6", bastion.ipv6_address or "")
pulumi.export("access", access.value)
pulumi.export("serverInstanceIds", {name: s.instance.id for name, s in servers.items()})
pulumi.export("serverPrivateIps", {name: s.private_ip for name, s in servers.items()})
pulumi.export("serverSecurityGroupIds", {name: s.security_group.id for name, s in servers.items()})
pulumi.export("natPublicIps", network.nat_public_ips)
pulumi.export("sshConfig", ssh_config)
pulumi.export("auditLogGroup", bastion.audit_log_group_name if bastion is not None else None)
