"""NatInstance: a NAT instance in the manner of fck-nat, for one AZ's private subnets.

A fixed network interface (source/dest check off, tagged ``Role=nat``) with an EIP sits in a
public subnet; private route tables send ``0.0.0.0/0`` to that interface, so a replacement
instance keeps the address and the routes. An Auto Scaling group of one (Amazon Linux 2023
arm64, ``t4g.nano`` by default) heals a dead instance.

How the fixed interface reaches the instance (two ways AWS supports; this takes fck-nat's):
a launch template may name an existing interface as device index 0 (EC2 Auto Scaling user
guide, "Create a launch template that uses an existing network interface": a group of one, in
that interface's AZ), but then a replacement can only launch once the old instance has let go
of it, which an instance refresh or a launch-before-terminate replacement never waits for. So,
as fck-nat does (``service/fck-nat.sh``), the instance attaches the interface itself at boot as
device index 1 with ``aws ec2 attach-network-interface`` (scripts/nat-instance.sh, which first
takes it back from a dead predecessor), using a role allowed to attach and detach only that
interface. Its primary interface gets a transient public IP for that first call and the
package install; egress then leaves through the fixed interface's EIP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .ami import architecture, validate_instance_type
from .errors import ConfigError, parse_cidr
from .iam import assume_role_policy
from .tags import Tier, resource_tags
from .userdata import STRICT, render_cloud_config

NAT_ROLE = "nat"
SCRIPTS = Path(__file__).resolve().parent / "scripts"
SCRIPT_PATH = "/usr/local/sbin/nat-instance"
CONF_PATH = "/etc/nat-instance.conf"
AL2023_OWNER = "amazon"
# (suffix, ip_protocol, (from_port, to_port) or None for all): everything but TCP 22.
NAT_INGRESS: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("tcp-below-ssh", "tcp", (0, 21)),
    ("tcp-above-ssh", "tcp", (23, 65535)),
    ("udp", "udp", (0, 65535)),
    ("icmp", "icmp", (-1, -1)),
)
AL2023_NAME = "al2023-ami-2023.*-kernel-6.1-{arch}"


def al2023_ami(arch: str = "arm64", parent: pulumi.Resource | None = None) -> pulumi.Output[str]:
    """The newest Amazon Linux 2023 image for `arch` (arm64 for Graviton), owned by Amazon."""
    result = aws.ec2.get_ami_output(
        most_recent=True,
        owners=[AL2023_OWNER],
        filters=[
            aws.ec2.GetAmiFilterArgs(name="name", values=[AL2023_NAME.format(arch=arch)]),
            aws.ec2.GetAmiFilterArgs(name="architecture", values=[arch]),
            aws.ec2.GetAmiFilterArgs(name="virtualization-type", values=["hvm"]),
        ],
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    return result.id


def validate_nat_instance_type(setting: str, value: str) -> str:
    """A Graviton type pulumi-aws knows: the NAT instance runs Amazon Linux 2023 arm64."""
    validate_instance_type(setting, value)
    if architecture(value) != "arm64":
        raise ConfigError(
            setting,
            value,
            "the NAT instance runs Amazon Linux 2023 arm64, which needs a Graviton type",
            "use a Graviton type, e.g. t4g.nano",
        )
    return value


def nat_user_data(eni_id: str, vpc_cidr: str) -> str:
    """cloud-config: iptables, the conf naming the fixed interface, and the boot script."""
    return render_cloud_config(
        {
            "packages": ["iptables-nft"],
            "write_files": [
                {
                    "path": CONF_PATH,
                    "permissions": "0644",
                    "content": f"eni_id={eni_id}\nvpc_cidr={vpc_cidr}\n",
                },
                {
                    "path": SCRIPT_PATH,
                    "permissions": "0755",
                    "content": (SCRIPTS / "nat-instance.sh").read_text(encoding="utf-8"),
                },
            ],
            # No logins on the NAT instance: no key pair, and sshd off (use Session Manager).
            # STRICT: a failed step fails cloud-init (issue 16), not only the last one.
            "runcmd": [STRICT, ["systemctl", "disable", "--now", "sshd"], [SCRIPT_PATH]],
        }
    )


@dataclass(frozen=True)
class NatInstanceArgs:
    """Inputs of NatInstance. Validated at construction, before any resource is registered."""

    prefix: str
    suffix: str  # the AZ letter, e.g. "a"
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_id: pulumi.Input[str]
    ami_id: pulumi.Input[str]
    instance_type: str = "t4g.nano"
    # What the EIP must wait for: associating it fails (Gateway.NotAttached) until the VPC's
    # internet gateway is attached.
    depends_on: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        parse_cidr("vpcCidr", self.vpc_cidr, version=4)
        validate_nat_instance_type("natInstanceType", self.instance_type)


class NatInstance(pulumi.ComponentResource):
    """See the module docstring."""

    security_group: aws.ec2.SecurityGroup
    interface: aws.ec2.NetworkInterface
    eip: aws.ec2.Eip
    group: aws.autoscaling.Group
    interface_id: pulumi.Output[str]
    public_ip: pulumi.Output[str]

    def __init__(
        self, name: str, args: NatInstanceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tierednet:network:NatInstance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def tags(part: str) -> dict[str, str]:
            # Name = <prefix>-nat-instance-<az>-<part> (the resource name already has the prefix)
            return resource_tags(
                args.prefix, f"nat-instance-{args.suffix}{part}", tier=Tier.PUBLIC, role=NAT_ROLE
            )

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.prefix} NAT instance: forwards the VPC's traffic only",
            tags=tags("-sg"),
            opts=child,
        )
        # The VPC's traffic to forward, on every port but SSH: nothing admits SSH from a CIDR
        # (the pack's servers-ssh-only-from-bastion), so private servers cannot SSH out to the
        # internet through it either, and the instance itself takes no SSH (sshd is off).
        for suffix, proto, ports in NAT_INGRESS:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-in-vpc-{suffix}",
                security_group_id=self.security_group.id,
                ip_protocol=proto,
                from_port=ports[0] if ports else None,
                to_port=ports[1] if ports else None,
                cidr_ipv4=args.vpc_cidr,
                description=f"Forward {suffix} from the VPC",
                tags=tags(f"-in-vpc-{suffix}"),
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out",
            security_group_id=self.security_group.id,
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            description="Forwarded traffic to the internet",
            tags=tags("-out"),
            opts=child,
        )
        self.interface = aws.ec2.NetworkInterface(
            f"{name}-eni",
            subnet_id=args.public_subnet_id,
            security_groups=[self.security_group.id],
            source_dest_check=False,
            description=f"{args.prefix} NAT instance {args.suffix}: fixed interface",
            tags=tags("-eni"),
            opts=child,
        )
        self.interface_id = self.interface.id
        self.eip = aws.ec2.Eip(
            f"{name}-eip",
            domain="vpc",
            network_interface=self.interface.id,
            tags=tags("-eip"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.public_ip = self.eip.public_ip

        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=tags("-role"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-attach-eni",
            role=role.id,
            policy=self.interface.arn.apply(_attach_policy),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-profile", role=role.name, tags=tags("-profile"), opts=child
        )
        user_data = self.interface.id.apply(
            lambda eni: base64.b64encode(nat_user_data(eni, args.vpc_cidr).encode()).decode()
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            image_id=args.ami_id,
            instance_type=args.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true",
                        volume_size=8,
                        volume_type="gp3",
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="true",
                    security_groups=[self.security_group.id],
                    delete_on_termination="true",
                )
            ],
            user_data=user_data,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags=tags("-instance")
                )
            ],
            tags=tags("-lt"),
            opts=child,
        )
        self.group = aws.autoscaling.Group(
            f"{name}-asg",
            min_size=1,
            max_size=1,
            desired_capacity=1,
            vpc_zone_identifiers=[args.public_subnet_id],
            health_check_type="EC2",
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            tags=[
                aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True)
                for k, v in tags("-instance").items()
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.eip]),
        )
        self.register_outputs({"interfaceId": self.interface_id, "publicIp": self.public_ip})


def _attach_policy(eni_arn: str) -> str:
    """The instance may attach (and take back from a dead predecessor) its fixed interface only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface"],
                    "Resource": [eni_arn, "arn:aws:ec2:*:*:instance/*"],
                },
                {"Effect": "Allow", "Action": "ec2:DescribeNetworkInterfaces", "Resource": "*"},
            ],
        }
    )
