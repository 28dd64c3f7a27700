"""Bastion: the only door for administrators' SSH (lesson 4).

A host in the management subnet with an Elastic IP. Its security group admits SSH only from the
office CIDRs; it opens port 22 on each server it manages, from its own group only. Its
cloud-init turns the retrospective into configuration: hardened sshd, an idle timeout and
timestamped history in profile.d, an audit log of every command, and /etc/hosts and
~/.ssh/config entries that reach each server by its private IP (lessons 2 and 3).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .ami import architecture
from .audit import AuditLog
from .errors import ConfigError, parse_cidr
from .server import (
    SSH_PORT,
    Server,
    encrypted_root,
    imdsv2_required,
    instance_options,
    validate_public_key,
)
from .tags import BASTION_ROLE, Tier, resource_tags
from .userdata import HostEntry, bastion_user_data


def validate_office_cidrs(setting: str, cidrs: object) -> list[str]:
    """Office CIDRs: a non-empty list of IPv4/IPv6 blocks, none of them the whole internet."""
    if isinstance(cidrs, str) or not isinstance(cidrs, Sequence) or not cidrs:
        raise ConfigError(
            setting,
            cidrs,
            "needs a list of at least one CIDR",
            "set your office's public range, e.g. "
            "`pulumi config set --path 'officeCidrs[0]' 203.0.113.10/32`",
        )
    result = []
    for i, cidr in enumerate(cidrs):
        net = parse_cidr(f"{setting}[{i}]", cidr)
        if net.prefixlen == 0:
            raise ConfigError(
                f"{setting}[{i}]",
                cidr,
                "admits SSH from the whole internet",
                "use your office's public address or range (find it with `curl -s "
                "https://checkip.amazonaws.com`), e.g. 203.0.113.10/32",
            )
        result.append(str(net))
    if len(set(result)) != len(result):
        raise ConfigError(setting, list(cidrs), "lists a CIDR twice", "list each range once")
    return result


def validate_idle_timeout(setting: str, seconds: int) -> int:
    if not 60 <= seconds <= 3600:
        raise ConfigError(
            setting, seconds, "out of range", "use 60 to 3600 seconds (the course uses 600)"
        )
    return seconds


@dataclass(frozen=True)
class BastionArgs:
    """Inputs of Bastion. Validated at construction, before any resource is registered."""

    prefix: str
    subnet_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    ami_id: pulumi.Input[str]
    ssh_public_key: str
    office_cidrs: Sequence[str]
    servers: Sequence[Server] = ()
    instance_type: str = "t3.micro"
    admin_user: str = "ubuntu"
    idle_timeout_seconds: int = 600
    root_volume_gib: int = 16
    # auditLog: cloudwatch -- the group the CloudWatch agent ships the audit logs to, and the
    # instance profile that may write to it (None: the logs stay on the box).
    audit_log: AuditLog | None = None
    # The admin's private key on the laptop, named in the ssh_config output.
    ssh_key_file: str | None = None
    # Resources the instance and its EIP must wait for: the management subnet's association
    # and its default route (which implies the internet gateway is attached).
    depends_on: Sequence[pulumi.Resource] = ()
    # Issue 9: an IPv6 address too (ipv6: true), offered in ssh_config as <prefix>-bastion-v6.
    ipv6: bool = False

    def __post_init__(self) -> None:
        validate_office_cidrs("officeCidrs", self.office_cidrs)
        validate_public_key("sshPublicKey", self.ssh_public_key)
        parse_cidr("vpcCidr", self.vpc_cidr, version=4)
        if self.ssh_key_file is not None:
            validate_key_file("sshKeyFile", self.ssh_key_file)
        if not 60 <= self.idle_timeout_seconds <= 3600:
            raise ConfigError(
                "idleTimeoutSeconds",
                self.idle_timeout_seconds,
                "out of range",
                "use 60 to 3600 seconds (the course uses 600)",
            )


def validate_key_file(setting: str, path: object) -> str:
    """The admin's private key file as ssh_config's IdentityFile takes it: one token."""
    if (
        not isinstance(path, str)
        or not path.startswith(("~/", "/"))
        or any(c.isspace() for c in path)
        or '"' in path
    ):
        raise ConfigError(
            setting,
            path,
            "not a private key path for ssh_config (absolute or ~/..., no spaces)",
            "set the file you made with ssh-keygen, e.g. ~/.ssh/dev-key",
        )
    return path


def render_ssh_config(
    prefix: str,
    bastion_ip: str,
    servers: dict[str, str],
    user: str = "ubuntu",
    key_file: str | None = None,
    bastion_ipv6: str | None = None,
) -> str:
    """A file for ~/.ssh/config.d/ on the admin's laptop: each server by its private IP via
    ProxyJump, all with the same private key (`key_file`, default ~/.ssh/<prefix>-key)."""
    key_file = key_file or f"~/.ssh/{prefix}-key"
    lines = [
        f"# {prefix}: write with `pulumi stack output sshConfig > ~/.ssh/config.d/<stack>`",
        f"Host {prefix}-bastion",
        f"    HostName {bastion_ip}",
        f"    User {user}",
        f"    IdentityFile {key_file}",
        "    IdentitiesOnly yes",
        "",
    ]
    if bastion_ipv6:
        lines += [
            f"# The bastion over IPv6 (ipv6: true): `ssh {prefix}-bastion-v6`.",
            f"Host {prefix}-bastion-v6",
            f"    HostName {bastion_ipv6}",
            f"    User {user}",
            f"    IdentityFile {key_file}",
            "    IdentitiesOnly yes",
            "",
        ]
    for name, ip in servers.items():
        lines += [
            f"Host {prefix}-{name}",
            f"    HostName {ip}",
            f"    User {user}",
            f"    IdentityFile {key_file}",
            "    IdentitiesOnly yes",
            f"    ProxyJump {prefix}-bastion",
            "",
        ]
    return "\n".join(lines)


class Bastion(pulumi.ComponentResource):
    """The management tier's jump host (see module docstring)."""

    security_group: aws.ec2.SecurityGroup
    key_pair: aws.ec2.KeyPair
    instance: aws.ec2.Instance
    eip: aws.ec2.Eip
    public_ip: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    ssh_config: pulumi.Output[str]

    def __init__(
        self, name: str, args: BastionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tierednet:compute:Bastion", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def tags(logical: str) -> dict[str, str]:
            return resource_tags(args.prefix, logical, tier=Tier.MANAGEMENT, role=BASTION_ROLE)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.prefix} bastion: SSH from the office only",
            tags=tags(f"{name}-sg"),
            opts=child,
        )
        for i, cidr in enumerate(args.office_cidrs):
            v6 = ipaddress.ip_network(cidr).version == 6
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ssh-office-{i}",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=SSH_PORT,
                to_port=SSH_PORT,
                cidr_ipv4=None if v6 else cidr,
                cidr_ipv6=cidr if v6 else None,
                description=f"SSH from office {cidr}",
                tags=tags(f"{name}-ssh-office-{i}"),
                opts=child,
            )
        # Outbound: SSH into the VPC only, and HTTP(S) for package updates.
        for port, cidr, what in (
            (SSH_PORT, args.vpc_cidr, "SSH to servers in the VPC"),
            (80, "0.0.0.0/0", "HTTP for package updates"),
            (443, "0.0.0.0/0", "HTTPS for package updates"),
        ):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-out-{port}",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=cidr,
                description=what,
                tags=tags(f"{name}-out-{port}"),
                opts=child,
            )
        # The only SSH door into each server: from this group.
        for server in args.servers:
            server.admit_ssh_from(
                f"{name}-ssh-to-{server.server_name}",
                self.security_group.id,
                "bastion",
                f"SSH from the {args.prefix} bastion only",
                child,
            )

        self.key_pair = aws.ec2.KeyPair(
            f"{name}-key",
            key_name_prefix=f"{args.prefix}-",
            public_key=args.ssh_public_key,
            tags=tags(f"{name}-key"),
            opts=child,
        )

        audit = args.audit_log
        names = [s.server_name for s in args.servers]
        user_data = pulumi.Output.all(*[s.private_ip for s in args.servers]).apply(
            lambda ips: bastion_user_data(
                prefix=args.prefix,
                hosts=[
                    HostEntry(name=n, private_ip=ip, user=args.admin_user)
                    for n, ip in zip(names, ips, strict=True)
                ],
                admin_user=args.admin_user,
                idle_timeout_seconds=args.idle_timeout_seconds,
                cloudwatch_log_group=audit.log_group_name if audit else None,
                region=audit.region if audit else None,
                arch=architecture(args.instance_type),
            )
        )
        # The agent starts shipping at boot: the group and the role's permission come first.
        boot_after = list(args.depends_on) + (
            [audit.log_group, audit.role_policy] if audit else []
        )
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=args.ami_id,
            instance_type=args.instance_type,
            subnet_id=args.subnet_id,
            vpc_security_group_ids=[self.security_group.id],
            key_name=self.key_pair.key_name,
            # An instance profile's provider id is its name (what EC2 takes here).
            iam_instance_profile=audit.instance_profile.id if audit else None,
            # A public IP from boot so cloud-init can reach the package mirrors; the EIP below
            # replaces it as the stable address.
            associate_public_ip_address=True,
            ipv6_address_count=1 if args.ipv6 else None,
            user_data=user_data,
            user_data_replace_on_change=True,
            metadata_options=imdsv2_required(),
            root_block_device=encrypted_root(args.root_volume_gib),
            tags=tags(name),
            opts=instance_options(self, boot_after),
        )
        self.eip = aws.ec2.Eip(
            f"{name}-eip",
            domain="vpc",
            instance=self.instance.id,
            tags=tags(f"{name}-eip"),
            # Associating an EIP fails (Gateway.NotAttached) until the IGW is attached.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.public_ip = self.eip.public_ip
        self.private_ip = self.instance.private_ip
        self.ipv6_address: pulumi.Output[str] | None = (
            self.instance.ipv6_addresses.apply(lambda a: a[0] if a else "") if args.ipv6 else None
        )
        self.ssh_config = pulumi.Output.all(
            self.public_ip,
            self.ipv6_address if self.ipv6_address is not None else "",
            *[s.private_ip for s in args.servers],
        ).apply(
            lambda vals: render_ssh_config(
                args.prefix,
                vals[0],
                dict(zip(names, vals[2:], strict=True)),
                args.admin_user,
                args.ssh_key_file,
                bastion_ipv6=vals[1] or None,
            )
        )
        self.register_outputs(
            {"publicIp": self.public_ip, "securityGroupId": self.security_group.id}
        )
