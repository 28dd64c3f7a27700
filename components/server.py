"""Server: one instance in a tier's subnet with its own security group.

Ingress is declared by the caller, one rule per `aws.vpc.SecurityGroupIngressRule` so each
rule's source stays attributable in a preview: from the internet (public tier only) or from
another server's group. SSH is never declared here: the Bastion component opens port 22 on the
servers it manages, from its own group only (lesson 4: the bastion is the only door).
The service runs as a systemd unit with Restart=on-failure (lesson 1: not nohup, not `&`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

from .errors import ConfigError, code_errors, require_plain
from .ssh_door import SSH_PORT, SshTarget, admit_ssh
from .tags import BASTION_ROLE, NAME_RE, Tier, resource_tags
from .userdata import ServiceSpec, server_user_data


@dataclass(frozen=True)
class IngressRule:
    """One inbound TCP port (or range) from the internet or from a security group."""

    port: int
    description: str
    to_port: int | None = None
    from_internet: bool = False
    security_group_id: pulumi.Input[str] | None = None

    @staticmethod
    def internet(port: int, description: str, to_port: int | None = None) -> IngressRule:
        return IngressRule(port, description, to_port, from_internet=True)

    @staticmethod
    def from_group(
        security_group_id: pulumi.Input[str], port: int, description: str
    ) -> IngressRule:
        return IngressRule(port, description, security_group_id=security_group_id)

    @property
    def last_port(self) -> int:
        return self.port if self.to_port is None else self.to_port


@dataclass(frozen=True)
class ServerArgs:
    """Inputs of Server. Validated at construction, before any resource is registered."""

    prefix: str
    tier: Tier
    subnet_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    ami_id: pulumi.Input[str]
    ssh_public_key: str
    instance_type: str = "t3.micro"
    ingress: Sequence[IngressRule] = ()
    service: ServiceSpec | None = None
    public_ip: bool = False
    root_volume_gib: int = 16
    # The service's data on its own encrypted EBS volume (service.data_dir), which outlives
    # the instance: needs the subnet's AZ. protect_data adds Pulumi's protect (prod).
    data_volume_gib: int | None = None
    availability_zone: str | None = None
    protect_data: bool = False
    role: str | None = None  # defaults to the server's name
    # Issue 9: an instance profile (access: ssm gives AmazonSSMManagedInstanceCore), and an
    # IPv6 address from the subnet's /64 with a ::/0 egress rule (ipv6: true).
    instance_profile: pulumi.Input[str] | None = None
    ipv6: bool = False
    # Resources the instance must wait for, e.g. TieredNetwork.egress_ready[subnet].
    depends_on: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        with code_errors("ServerArgs"):
            self._validate()

    def _validate(self) -> None:
        # A member or its string value alike: the code compares tiers with `is`.
        object.__setattr__(self, "tier", Tier.parse("tier", self.tier))
        for setting, value, kind, example in (
            ("prefix", self.prefix, str, "'jdoe'"),
            ("sshPublicKey", self.ssh_public_key, str, "'ssh-ed25519 AAAA... you@laptop'"),
            ("instanceType", self.instance_type, str, "'t3.micro'"),
            ("publicIp", self.public_ip, bool, "False"),
            ("rootVolumeGiB", self.root_volume_gib, int, "16"),
            ("protectData", self.protect_data, bool, "True"),
            ("ipv6", self.ipv6, bool, "True"),
        ):
            require_plain(setting, value, kind, example)
        if self.data_volume_gib is not None:
            require_plain("dataVolumeGiB", self.data_volume_gib, int, "20")
        validate_server(
            "",
            tier=self.tier,
            public_ip=self.public_ip,
            ingress=self.ingress,
            ssh_public_key=self.ssh_public_key,
            root_volume_gib=self.root_volume_gib,
        )
        if self.data_volume_gib is not None:
            if not 1 <= self.data_volume_gib <= 16384:
                raise ConfigError(
                    "dataVolumeGiB", self.data_volume_gib, "out of range", "use 1 to 16384"
                )
            if self.service is None or self.service.data_dir is None:
                raise ConfigError(
                    "dataVolumeGiB",
                    self.data_volume_gib,
                    "the service keeps no data (ServiceSpec.data_dir is unset)",
                    "drop the data volume or set the service's data_dir",
                )
            if not self.availability_zone:
                raise ConfigError(
                    "availabilityZone",
                    self.availability_zone,
                    "a data volume must be created in the instance's AZ",
                    "pass the subnet's AZ",
                )


def validate_server(
    where: str,
    *,
    tier: Tier,
    public_ip: bool,
    ingress: Sequence[IngressRule],
    ssh_public_key: str,
    root_volume_gib: int = 16,
) -> None:
    """The checks behind ServerArgs, also run by the stack settings before anything exists."""
    tier = Tier.parse(_at(where, "tier"), tier)
    if public_ip and tier is not Tier.PUBLIC:
        raise ConfigError(
            _at(where, "publicIp"),
            True,
            f"a {tier.value}-tier server must not have a public IP",
            "reach it through the bastion by its private IP, and the internet through NAT",
        )
    validate_public_key(_at(where, "sshPublicKey"), ssh_public_key)
    if not 8 <= root_volume_gib <= 1024:
        raise ConfigError(
            _at(where, "rootVolumeGiB"), root_volume_gib, "out of range", "use 8 to 1024 GiB"
        )
    for i, rule in enumerate(ingress):
        setting = _at(where, f"ingress[{i}]")
        if not (1 <= rule.port <= rule.last_port <= 65535):
            raise ConfigError(
                setting,
                f"{rule.port}-{rule.last_port}",
                "not a valid port range",
                "use ports between 1 and 65535, from <= to",
            )
        if rule.port <= SSH_PORT <= rule.last_port:
            raise ConfigError(
                setting,
                f"{rule.port}-{rule.last_port}",
                "servers take SSH only from the bastion",
                "remove the rule and list the server in BastionArgs.servers",
            )
        if rule.from_internet == (rule.security_group_id is not None):
            raise ConfigError(
                setting,
                rule.description,
                "needs exactly one source",
                "use IngressRule.internet(...) or IngressRule.from_group(...)",
            )
        if rule.from_internet and tier is not Tier.PUBLIC:
            raise ConfigError(
                setting,
                f"{rule.port} from the internet",
                f"a {tier.value}-tier server is not reachable from the internet",
                "admit traffic from another server's group",
            )
        if not rule.description:
            raise ConfigError(setting, "", "rule has no description", "say what the port is for")


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


# What EC2 ImportKeyPair takes (the key pair and, so, the instances' keys): Ed25519, and RSA of
# at least 2048 bits. ECDSA and FIDO (sk-*) keys are refused by AWS. The docs list RSA lengths
# up to 4096; longer keys are refused here too (the adversarial reading).
RSA_MIN_BITS, RSA_MAX_BITS = 2048, 4096
_MAKE_KEY = "make one with `ssh-keygen -t ed25519 -f ~/.ssh/<prefix>-key`"


def validate_public_key(setting: str, key: object) -> None:
    """One OpenSSH public key line that EC2 ImportKeyPair accepts, parsed for real with
    cryptography's load_ssh_public_key (a truncated or altered key fails here, not in AWS)."""
    if not isinstance(key, str) or not key.strip():
        raise ConfigError(
            setting,
            key,
            "no SSH public key given",
            f"{_MAKE_KEY} and set it with "
            '`pulumi config set sshPublicKey "$(cat ~/.ssh/<prefix>-key.pub)"`',
            code_fix=f"{_MAKE_KEY} and pass its .pub file's single line",
        )
    if "PRIVATE KEY" in key:
        raise ConfigError(
            setting, "<redacted>", "this is a private key", "use the .pub file instead"
        )
    lines = [line for line in key.strip().splitlines() if line.strip()]
    if len(lines) > 1:
        raise ConfigError(
            setting,
            f"<{len(lines)} lines>",
            f"holds {len(lines)} lines; a key pair takes exactly one public key",
            "set one key (the .pub file's single line); add other admins' keys on the hosts",
        )
    parts = key.split()
    shown = key.strip()[:40] + ("..." if len(key.strip()) > 40 else "")
    if len(parts) < 2 or parts[0] not in ("ssh-ed25519", "ssh-rsa"):
        kind = parts[0] if parts else ""
        refused = kind.startswith(("ecdsa-", "sk-", "ssh-dss"))
        raise ConfigError(
            setting,
            shown,
            f"EC2 does not import {kind} keys" if refused else "not an OpenSSH public key",
            f"use an Ed25519 key ({_MAKE_KEY}) or RSA of {RSA_MIN_BITS}+ bits; paste the .pub "
            "file's single line (ssh-ed25519 AAAA... comment), never the private key",
        )
    if any(p.startswith(("ssh-", "ecdsa-", "sk-")) for p in parts[2:]):
        raise ConfigError(
            setting,
            shown,
            "holds several keys on one line; a key pair takes exactly one public key",
            "set one key (the .pub file's single line)",
        )
    try:
        public = load_ssh_public_key(f"{parts[0]} {parts[1]}".encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            setting,
            shown,
            f"the key data is not a valid {parts[0]} key ({exc}); it may be truncated",
            "paste the whole .pub line unchanged (ssh-keygen -y -f <private key> prints it)",
        ) from None
    if isinstance(public, rsa.RSAPublicKey) and not (
        RSA_MIN_BITS <= public.key_size <= RSA_MAX_BITS
    ):
        raise ConfigError(
            setting,
            shown,
            f"a {public.key_size}-bit RSA key; EC2 takes {RSA_MIN_BITS} to {RSA_MAX_BITS} bits",
            f"{_MAKE_KEY}, or `ssh-keygen -t rsa -b 4096`",
        )
    if not isinstance(public, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise ConfigError(setting, shown, "EC2 imports only Ed25519 and RSA keys", _MAKE_KEY)


def imdsv2_required() -> aws.ec2.InstanceMetadataOptionsArgs:
    """IMDSv2 only (session tokens), one hop: shared by Server and Bastion."""
    return aws.ec2.InstanceMetadataOptionsArgs(
        http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
    )


def encrypted_root(volume_gib: int) -> aws.ec2.InstanceRootBlockDeviceArgs:
    """An encrypted gp3 root volume: shared by Server and Bastion."""
    return aws.ec2.InstanceRootBlockDeviceArgs(
        encrypted=True, volume_type="gp3", volume_size=volume_gib, delete_on_termination=True
    )


def instance_options(
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Input[pulumi.Resource]],
    ignore: Sequence[str] = (),
) -> pulumi.ResourceOptions:
    """A new Ubuntu image must not silently replace a server (and its data) on the next `up`:
    the AMI is read at creation only; take a new one on purpose with `pulumi up --replace`."""
    return pulumi.ResourceOptions(
        parent=parent, depends_on=list(depends_on), ignore_changes=["ami", *ignore]
    )


class Server(pulumi.ComponentResource):
    """An instance in a tier's subnet with its own security group."""

    security_group: aws.ec2.SecurityGroup
    instance: aws.ec2.Instance
    private_ip: pulumi.Output[str]
    public_ip: pulumi.Output[str]
    server_name: str
    tier: Tier
    role: str

    def __init__(
        self, name: str, args: ServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not NAME_RE.match(name):
            raise ConfigError(
                "server name",
                name,
                "must be lowercase letters, digits and hyphens",
                "name it like 'web'",
            )
        role = args.role or name
        if role == BASTION_ROLE:
            raise ConfigError(
                "server role",
                role,
                "is reserved for the bastion",
                "use the Bastion component, or another role name",
            )
        super().__init__("tierednet:compute:Server", name, None, opts)
        self.server_name = name
        self.tier = args.tier
        self.role = role
        self._prefix = args.prefix
        child = pulumi.ResourceOptions(parent=self)

        def tags(logical: str) -> dict[str, str]:
            return resource_tags(args.prefix, logical, tier=args.tier, role=role)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.prefix} {name} ({args.tier.value} tier)",
            tags=tags(f"{name}-sg"),
            opts=child,
        )
        for i, rule in enumerate(args.ingress):
            # (suffix, cidr_ipv4, cidr_ipv6, referenced group): the internet is two rules.
            sources: list[tuple[str, str | None, str | None, pulumi.Input[str] | None]] = (
                [("ipv4", "0.0.0.0/0", None, None), ("ipv6", None, "::/0", None)]
                if rule.from_internet
                else [(f"sg{i}", None, None, rule.security_group_id)]
            )
            for suffix, cidr_ipv4, cidr_ipv6, group_id in sources:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-in-{rule.port}-{suffix}",
                    security_group_id=self.security_group.id,
                    ip_protocol="tcp",
                    from_port=rule.port,
                    to_port=rule.last_port,
                    cidr_ipv4=cidr_ipv4,
                    cidr_ipv6=cidr_ipv6,
                    referenced_security_group_id=group_id,
                    description=rule.description,
                    tags=tags(f"{name}-in-{rule.port}"),
                    opts=child,
                )
        # Outbound: anything (package updates go out through the IGW or, privately, NAT;
        # over IPv6 through the IGW, or the egress-only IGW when private).
        outbound: list[tuple[str, str | None, str | None, str]] = [
            ("out-all", "0.0.0.0/0", None, "all outbound (updates via IGW or NAT)")
        ]
        if args.ipv6:
            outbound.append(
                (
                    "out-all-ipv6",
                    None,
                    "::/0",
                    "all outbound over IPv6 (IGW, or egress-only IGW when private)",
                )
            )
        for suffix, cidr_ipv4, cidr_ipv6, description in outbound:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{suffix}",
                security_group_id=self.security_group.id,
                ip_protocol="-1",
                cidr_ipv4=cidr_ipv4,
                cidr_ipv6=cidr_ipv6,
                description=description,
                tags=tags(f"{name}-{suffix}"),
                opts=child,
            )

        # The service's data lives on its own volume, not on the instance: replacing the
        # instance (a new AMI on purpose, a new subnet) re-attaches it instead of losing it.
        self.data_volume: aws.ebs.Volume | None = None
        user_data: pulumi.Input[str]
        render = dict(
            prefix=args.prefix,
            name=name,
            service=args.service,
            ssh_authorized_keys=(args.ssh_public_key,),
        )
        if args.data_volume_gib is not None:
            assert args.availability_zone is not None
            self.data_volume = aws.ebs.Volume(
                f"{name}-data",
                availability_zone=args.availability_zone,
                size=args.data_volume_gib,
                type="gp3",
                encrypted=True,
                final_snapshot=True,  # even a deliberate delete leaves a snapshot
                tags=tags(f"{name}-data"),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect_data),
            )
            user_data = self.data_volume.id.apply(
                lambda vid: server_user_data(**render, data_volume_id=vid)  # type: ignore[arg-type]
            )
        else:
            user_data = server_user_data(**render)  # type: ignore[arg-type]

        # User data runs once, at first boot (cloud-init's per-instance modules). A change to it
        # (a rotated key, an edited service) would otherwise stop and start the instance for
        # nothing, or replace it with user_data_replace_on_change: it is read at creation only.
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=args.ami_id,
            instance_type=args.instance_type,
            subnet_id=args.subnet_id,
            vpc_security_group_ids=[self.security_group.id],
            associate_public_ip_address=args.public_ip,
            ipv6_address_count=1 if args.ipv6 else None,
            iam_instance_profile=args.instance_profile,
            user_data=user_data,
            user_data_replace_on_change=False,
            tags=tags(name),
            metadata_options=imdsv2_required(),
            root_block_device=encrypted_root(args.root_volume_gib),
            opts=instance_options(self, args.depends_on, ignore=["userData"]),
        )
        if self.data_volume is not None:
            aws.ec2.VolumeAttachment(
                f"{name}-data-attachment",
                device_name="/dev/sdf",
                instance_id=self.instance.id,
                volume_id=self.data_volume.id,
                # Stop the old instance before detaching: the DB flushes and shuts down cleanly.
                stop_instance_before_detaching=True,
                # The volume attaches to one instance at a time: detach from the old one first.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
        self.private_ip = self.instance.private_ip
        self.public_ip = self.instance.public_ip
        self.register_outputs(
            {"privateIp": self.private_ip, "securityGroupId": self.security_group.id}
        )

    def ssh_target(self) -> SshTarget:
        """This server as the Bastion takes it (BastionArgs.servers)."""
        return SshTarget(
            name=self.server_name,
            private_ip=self.private_ip,
            security_group_id=self.security_group.id,
            tier=self.tier,
            role=self.role,
        )

    def admit_ssh_from(
        self,
        resource_name: str,
        group_id: pulumi.Input[str],
        source: str,
        description: str,
        opts: pulumi.ResourceOptions,
    ) -> aws.vpc.SecurityGroupIngressRule:
        """The server's one SSH door (components/ssh_door.py): tcp 22 from ``group_id`` only."""
        return admit_ssh(
            resource_name, self.ssh_target(), group_id, source, description, self._prefix, opts
        )
