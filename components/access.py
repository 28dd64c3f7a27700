"""Keyless ways in: EC2 Instance Connect Endpoint or Session Manager instead of a bastion.

``access`` (AccessMode) picks one:

* ``bastion`` -- the Bastion component (SSH from the office CIDRs; components/bastion.py);
* ``instance-connect`` -- an EC2 Instance Connect Endpoint in the management subnet, no public
  host; servers admit SSH only from the endpoint's security group, and the endpoint's group
  sends SSH only to the servers (``aws.ec2transitgateway.InstanceConnectEndpoint`` is where
  pulumi-aws 7.x files the ``AWS::EC2::InstanceConnectEndpoint`` resource);
* ``ssm`` -- no inbound SSH at all: an instance profile with ``AmazonSSMManagedInstanceCore``,
  interface endpoints for ``ssm`` and ``ssmmessages`` in the private subnets (443 from the VPC),
  and the Session Manager preferences document (``SSM-SessionManagerRunShell``, type Session;
  scripts/ssm-session-preferences.json) logging every session to CloudWatch Logs.

The ``sshConfig`` output uses ``ProxyCommand aws ec2-instance-connect open-tunnel`` or
``ProxyCommand aws ssm start-session`` (AWS-StartSSHSession) accordingly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .errors import ConfigChoice, ConfigError, code_errors, parse_cidr
from .iam import assume_role_policy
from .server import Server
from .tags import Tier, resource_tags

SSH_PORT = 22
SCRIPTS = Path(__file__).resolve().parent / "scripts"
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
SESSION_DOCUMENT = "SSM-SessionManagerRunShell"
SSM_SERVICES = ("ssm", "ssmmessages")


class AccessMode(ConfigChoice):
    """How admins reach the servers."""

    BASTION = "bastion"
    INSTANCE_CONNECT = "instance-connect"
    SSM = "ssm"

    @classmethod
    def noun(cls) -> str:
        return "access mode"


def session_preferences(log_group: str) -> str:
    """The Session Manager preferences document's content, logging to `log_group`."""
    text = (SCRIPTS / "ssm-session-preferences.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    doc["inputs"]["cloudWatchLogGroupName"] = log_group
    return json.dumps(doc, indent=2)


def render_keyless_ssh_config(
    mode: AccessMode,
    prefix: str,
    servers: dict[str, str],
    *,
    region: str,
    user: str = "ubuntu",
    key_file: str = "~/.ssh/id_ed25519",
) -> str:
    """ssh_config for ~/.ssh/config.d/<stack>: each server by instance id through a ProxyCommand."""
    mode = AccessMode.parse("access", mode)
    if mode is AccessMode.INSTANCE_CONNECT:
        proxy = f"aws ec2-instance-connect open-tunnel --region {region} --instance-id %h"
    elif mode is AccessMode.SSM:
        proxy = (
            f"aws ssm start-session --region {region} --target %h "
            "--document-name AWS-StartSSHSession --parameters portNumber=%p"
        )
    else:
        raise ValueError("the bastion renders its own ssh_config (components/bastion.py)")
    lines = [
        f"# {prefix} ({mode.value}): write with "
        "`pulumi stack output sshConfig > ~/.ssh/config.d/<stack>`"
    ]
    for name, instance_id in servers.items():
        lines += [
            f"Host {prefix}-{name}",
            f"    HostName {instance_id}",
            f"    User {user}",
            f"    IdentityFile {key_file}",
            "    IdentitiesOnly yes",
            f"    ProxyCommand {proxy}",
            "",
        ]
    return "\n".join(lines)


@dataclass(frozen=True)
class AccessArgs:
    """Inputs of Access (instance-connect or ssm). Validated at construction."""

    prefix: str
    mode: AccessMode
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    servers: Sequence[Server] = ()
    management_subnet_id: pulumi.Input[str] | None = None  # the EIC endpoint's subnet
    endpoint_subnet_ids: Sequence[pulumi.Input[str]] = ()  # ssm: one private subnet per AZ
    ssh_key_file: str = "~/.ssh/id_ed25519"
    log_retention_days: int = 90

    def __post_init__(self) -> None:
        with code_errors("AccessArgs"):
            self._validate()

    def _validate(self) -> None:
        # A member or its string value alike: the code compares modes with `is`.
        object.__setattr__(self, "mode", AccessMode.parse("mode", self.mode))
        parse_cidr("vpcCidr", self.vpc_cidr, version=4)
        if self.mode is AccessMode.BASTION:
            raise ConfigError(
                "access",
                self.mode.value,
                "is the Bastion component's mode",
                "use components.bastion.Bastion",
            )
        if self.mode is AccessMode.INSTANCE_CONNECT and self.management_subnet_id is None:
            raise ConfigError(
                "managementSubnet",
                None,
                "instance-connect needs a subnet",
                "set managementSubnet to a management-tier subnet",
            )
        if self.mode is AccessMode.SSM and not self.endpoint_subnet_ids:
            raise ConfigError(
                "access",
                "ssm",
                "the ssm endpoints need a private subnet",
                "add a private subnet, or use access: instance-connect",
            )


class InstanceConnect(pulumi.ComponentResource):
    """``access: instance-connect``: the endpoint, its group, and each server's only SSH door."""

    security_group: aws.ec2.SecurityGroup
    endpoint: aws.ec2transitgateway.InstanceConnectEndpoint

    def __init__(
        self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.mode is not AccessMode.INSTANCE_CONNECT:
            raise ConfigError(
                "access",
                args.mode.value,
                "is not instance-connect",
                "use SessionManager for ssm, Bastion for bastion",
            )
        super().__init__("tierednet:access:InstanceConnect", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def tags(logical: str, tier: Tier | None = Tier.MANAGEMENT) -> dict[str, str]:
            return resource_tags(args.prefix, logical, tier=tier, role=args.mode.value)

        self.security_group, self.endpoint = _build_instance_connect(name, args, tags, child)
        self.register_outputs({"endpointId": self.endpoint.id})


class SessionManager(pulumi.ComponentResource):
    """``access: ssm``: built before the servers, which take its instance profile."""

    security_group: aws.ec2.SecurityGroup
    instance_profile: aws.iam.InstanceProfile

    def __init__(
        self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.mode is not AccessMode.SSM:
            raise ConfigError(
                "access",
                args.mode.value,
                "is not ssm",
                "use InstanceConnect for instance-connect, Bastion for bastion",
            )
        super().__init__("tierednet:access:SessionManager", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def tags(logical: str, tier: Tier | None = Tier.MANAGEMENT) -> dict[str, str]:
            return resource_tags(args.prefix, logical, tier=tier, role=args.mode.value)

        self.security_group, self.instance_profile = _build_ssm(name, args, tags, child)
        self.register_outputs({"instanceProfile": self.instance_profile.name})


def _build_instance_connect(
    name: str, args: AccessArgs, tags: Callable[..., dict[str, str]], child: pulumi.ResourceOptions
) -> tuple[aws.ec2.SecurityGroup, aws.ec2transitgateway.InstanceConnectEndpoint]:
    group = aws.ec2.SecurityGroup(
        f"{name}-eice-sg",
        vpc_id=args.vpc_id,
        description=f"{args.prefix} EC2 Instance Connect Endpoint: SSH to the servers only",
        tags=tags(f"{name}-eice-sg"),
        opts=child,
    )
    for server in args.servers:
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-eice-to-{server.server_name}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=SSH_PORT,
            to_port=SSH_PORT,
            referenced_security_group_id=server.security_group.id,
            description=f"SSH to {server.server_name}",
            tags=tags(f"{name}-eice-to-{server.server_name}"),
            opts=child,
        )
        server.admit_ssh_from(
            f"{name}-ssh-to-{server.server_name}",
            group.id,
            "eice",
            "SSH from the EC2 Instance Connect Endpoint only",
            child,
        )
    endpoint = aws.ec2transitgateway.InstanceConnectEndpoint(
        f"{name}-eice",
        subnet_id=args.management_subnet_id,
        security_group_ids=[group.id],
        preserve_client_ip=False,
        tags=tags(f"{name}-eice"),
        opts=child,
    )
    return group, endpoint


def _build_ssm(
    name: str, args: AccessArgs, tags: Callable[..., dict[str, str]], child: pulumi.ResourceOptions
) -> tuple[aws.ec2.SecurityGroup, aws.iam.InstanceProfile]:
    group = aws.ec2.SecurityGroup(
        f"{name}-endpoints-sg",
        vpc_id=args.vpc_id,
        description=f"{args.prefix} SSM interface endpoints: HTTPS from the VPC",
        tags=tags(f"{name}-endpoints-sg", Tier.PRIVATE),
        opts=child,
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-endpoints-443",
        security_group_id=group.id,
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4=args.vpc_cidr,
        description="HTTPS to the SSM endpoints from the VPC",
        tags=tags(f"{name}-endpoints-443", Tier.PRIVATE),
        opts=child,
    )
    for service in SSM_SERVICES:
        aws.ec2.VpcEndpoint(
            f"{name}-{service}",
            vpc_id=args.vpc_id,
            service_name=f"com.amazonaws.{args.region}.{service}",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=list(args.endpoint_subnet_ids),
            security_group_ids=[group.id],
            tags=tags(f"{name}-{service}", Tier.PRIVATE),
            opts=child,
        )
    role = aws.iam.Role(
        f"{name}-ssm-role",
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        tags=tags(f"{name}-ssm-role"),
        opts=child,
    )
    aws.iam.RolePolicyAttachment(
        f"{name}-ssm-core", role=role.name, policy_arn=SSM_CORE_POLICY, opts=child
    )
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-sessions",
        name=f"/{args.prefix}/ssm-sessions",
        retention_in_days=args.log_retention_days,
        tags=tags(f"{name}-sessions"),
        opts=child,
    )
    aws.iam.RolePolicy(
        f"{name}-session-logs",
        role=role.id,
        policy=log_group.arn.apply(_session_log_policy),
        opts=child,
    )
    profile = aws.iam.InstanceProfile(
        f"{name}-ssm-profile", role=role.name, tags=tags(f"{name}-ssm-profile"), opts=child
    )
    aws.ssm.Document(
        f"{name}-session-preferences",
        name=SESSION_DOCUMENT,
        document_type="Session",
        document_format="JSON",
        content=log_group.name.apply(session_preferences),
        tags=tags(f"{name}-session-preferences"),
        opts=child,
    )
    return group, profile


def _session_log_policy(log_group_arn: str) -> str:
    """The instance may write its session transcripts to the sessions log group only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{log_group_arn}:*",
                },
                {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
            ],
        }
    )
