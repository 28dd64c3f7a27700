"""A VPC with a public and a management subnet and a bastion: nothing else reachable.

The smallest useful use of the components from your own Pulumi program (`pip install
tiered-network`, then `import tierednet`). No private subnet, so no NAT (natStrategy none costs
nothing); the bastion's audit log goes to an encrypted CloudWatch Logs group (the default).
"""

import pulumi
import pulumi_aws as aws
from tierednet import (
    Bastion,
    BastionArgs,
    NatStrategy,
    SubnetArgs,
    TieredNetwork,
    TieredNetworkArgs,
    ubuntu_lts_ami,
)

config = pulumi.Config()
region = aws.config.region or "ap-northeast-2"

network = TieredNetwork(
    "demo",
    TieredNetworkArgs(
        prefix="demo",
        region=region,
        vpc_cidr="10.20.0.0/24",
        availability_zones=[f"{region}a"],
        subnets=[
            SubnetArgs(name="public", tier="public", az="a", size=26),
            SubnetArgs(name="mgmt", tier="management", az="a", size=27),
        ],
        nat_strategy=NatStrategy.NONE,  # or "none": the same
    ),
)

bastion = Bastion(
    "bastion",
    BastionArgs(
        prefix="demo",
        region=region,
        subnet_id=network.subnets["mgmt"].id,
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc.cidr_block,  # an Output: the VPC's own block
        ami_id=ubuntu_lts_ami("x86_64"),
        ssh_public_key=config.require("sshPublicKey"),
        office_cidrs=[config.require("officeCidr")],
    ),
    # The instance and its Elastic IP wait for the management subnet's route to the IGW.
    pulumi.ResourceOptions(depends_on=network.egress_ready["mgmt"]),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("managementSubnetIds", network.management_subnet_ids)
pulumi.export("bastionPublicIp", bastion.public_ip)
pulumi.export("bastionSecurityGroupId", bastion.security_group_id)
pulumi.export("sshConfig", bastion.ssh_config)
