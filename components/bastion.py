"""Bastion: the only door for administrators' SSH (lesson 4).

A host in the management subnet with an Elastic IP. Its security group admits SSH only from the
office CIDRs; it opens port 22 on each server it manages (``servers``, SshTarget), from its own
group only. Its cloud-init turns the retrospective into configuration: hardened sshd, an idle
timeout and timestamped history in profile.d, an audit log of every command, and /etc/hosts and
~/.ssh/config entries that reach each server by its private IP (lessons 2 and 3). With
``audit_log`` cloudwatch (the default) it owns an AuditLog: the command log and auditd's log
leave the box for a KMS-encrypted CloudWatch Logs group.

``BastionArgs`` is a TypedDict (the component plugin's schema is inferred from it, pulumi
``provider/experimental/analyzer.py``; no ``from __future__ import annotations`` here). Fields
wrapped in ``pulumi.Input`` may come from another resource: a plain value is validated before
any resource is registered, an Output when it resolves (its resources wait on it). What the
instance must wait for (the management subnet's route) is ``opts.depends_on``.
"""

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Required, TypedDict, cast

import pulumi
import pulumi_aws as aws

from .ami import architecture
from .audit import AuditLog, AuditLogArgs, AuditLogMode, validate_retention_days
from .errors import (
    ConfigError,
    check_keys,
    code_errors,
    is_output,
    parse_cidr,
    plain_int,
    require_plain,
)
from .server import encrypted_root, imdsv2_required, instance_options, validate_public_key
from .ssh_door import SSH_PORT, SshTarget, admit_ssh
from .tags import BASTION_ROLE, NAME_RE, Tier, resource_tags
from .userdata import HostEntry, bastion_user_data

# The type tokens before the component provider host (which serves `<package>:index:<Class>`)
# and where the stack program used to put the audit log (beside the bastion, not in it):
# stacks created before keep their resources through these aliases.
PREVIOUS_TYPE = "tierednet:compute:Bastion"


def validate_office_cidrs(setting: str, cidrs: object) -> list[str]:
    """Office CIDRs: a non-empty list of IPv4/IPv6 blocks, none of them the whole internet."""
    if isinstance(cidrs, str) or not isinstance(cidrs, Sequence) or not cidrs:
        raise ConfigError(
            setting,
            cidrs,
            "needs a list of at least one CIDR",
            "set your office's public range, e.g. "
            "`pulumi config set --path 'officeCidrs[0]' 203.0.113.10/32`",
            code_fix="pass your office's public range, e.g. office_cidrs=['203.0.113.10/32']",
        )
    result = [validate_office_cidr(f"{setting}[{i}]", cidr) for i, cidr in enumerate(cidrs)]
    if len(set(result)) != len(result):
        raise ConfigError(setting, list(cidrs), "lists a CIDR twice", "list each range once")
    return result


def validate_office_cidr(setting: str, cidr: object) -> str:
    """One office range: a CIDR block (IPv4 or IPv6), never the whole internet."""
    net = parse_cidr(setting, cidr)
    if net.prefixlen == 0:
        raise ConfigError(
            setting,
            cidr,
            "admits SSH from the whole internet",
            "use your office's public address or range (find it with `curl -s "
            "https://checkip.amazonaws.com`), e.g. 203.0.113.10/32",
        )
    return str(net)


def validate_idle_timeout(setting: str, seconds: int) -> int:
    if not 60 <= seconds <= 3600:
        raise ConfigError(
            setting, seconds, "out of range", "use 60 to 3600 seconds (the course uses 600)"
        )
    return seconds


class BastionArgs(TypedDict, total=False):
    """Inputs of Bastion."""

    prefix: Required[str]
    """Owner prefix for the Name tags and the key pair, e.g. jdoe."""
    subnet_id: Required[pulumi.Input[str]]
    """The management subnet the bastion goes in (its route table must send 0.0.0.0/0 to an
    internet gateway: the bastion has a public Elastic IP)."""
    vpc_id: Required[pulumi.Input[str]]
    """The VPC of the subnet."""
    vpc_cidr: Required[pulumi.Input[str]]
    """The VPC's IPv4 block: the only destination the bastion may SSH to."""
    ami_id: Required[pulumi.Input[str]]
    """The image: Ubuntu LTS (cloud-init, systemd, auditd), e.g. from ubuntu_lts_ami."""
    ssh_public_key: Required[pulumi.Input[str]]
    """The admins' OpenSSH public key line (Ed25519, or RSA of 2048-4096 bits), for the key pair."""
    office_cidrs: Required[list[pulumi.Input[str]]]
    """The only source ranges allowed to SSH in (IPv4 or IPv6; never /0)."""
    region: str
    """The AWS region (the audit log's KMS key policy names CloudWatch Logs there); needed with
    audit_log cloudwatch."""
    servers: list[SshTarget]
    """The servers it manages: SSH on each is admitted from the bastion's group only, and each
    gets a hosts entry and a ProxyJump entry in ssh_config."""
    instance_type: str
    """EC2 instance type (default t3.micro; Graviton types need the arm64 image)."""
    admin_user: str
    """The login user of the image (default ubuntu)."""
    idle_timeout_seconds: int
    """Idle shell timeout (TMOUT), 60 to 3600 seconds (default 600)."""
    root_volume_gib: int
    """Encrypted gp3 root volume size in GiB, 8 to 1024 (default 16)."""
    audit_log: AuditLogMode
    """Where the command log and auditd log go: cloudwatch (default; an encrypted log group the
    bastion owns) or local (on the box only)."""
    audit_log_retention_days: int
    """Days CloudWatch keeps the audit log: one of CloudWatch Logs' values (default 365)."""
    protect_audit_log: bool
    """Pulumi's protect on the audit log group and its KMS key (default false)."""
    ssh_key_file: str
    """The admins' private key on the laptop, as ssh_config's IdentityFile (default
    ~/.ssh/<prefix>-key)."""
    ipv6: bool
    """Give the bastion an IPv6 address too (its subnet needs an IPv6 block; default false)."""


@dataclass(frozen=True)
class BastionSpec:
    """BastionArgs validated, defaults filled in."""

    prefix: str
    subnet_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    ami_id: pulumi.Input[str]
    ssh_public_key: pulumi.Input[str]
    office_cidrs: tuple[pulumi.Input[str], ...]
    region: str | None
    servers: tuple[SshTarget, ...]
    instance_type: str
    admin_user: str
    idle_timeout_seconds: int
    root_volume_gib: int
    audit_log: AuditLogMode
    audit_log_retention_days: int
    protect_audit_log: bool
    ssh_key_file: str | None
    ipv6: bool


def _checked(value: pulumi.Input[str], check: Any) -> pulumi.Input[str]:
    """A plain value checked now; an Output checked when it resolves (what waits on it fails
    with the same message, and nothing is created from a bad value)."""
    if is_output(value):
        return pulumi.Output.from_input(value).apply(check)
    return cast(pulumi.Input[str], check(value))


def bastion_spec(args: BastionArgs) -> BastionSpec:
    """Validate BastionArgs (config-style settings; Bastion reports them in code terms)."""
    given = cast(Mapping[str, Any], args)
    check_keys("", given, BastionArgs)
    prefix = given["prefix"]
    require_plain("prefix", prefix, str, "'jdoe'")
    if not NAME_RE.match(prefix):
        raise ConfigError(
            "prefix", prefix, "must be lowercase letters, digits and hyphens", "use e.g. 'jdoe'"
        )
    office = given["office_cidrs"]
    if isinstance(office, str) or not isinstance(office, Sequence) or not office:
        validate_office_cidrs("officeCidrs", office)  # raises, naming the fix
    if not any(is_output(c) for c in office):
        validate_office_cidrs("officeCidrs", office)
    office_cidrs = tuple(
        _checked(c, lambda v, i=i: validate_office_cidr(f"officeCidrs[{i}]", v))
        for i, c in enumerate(office)
    )
    plain: dict[str, Any] = {
        "instance_type": ("instanceType", str, "'t3.micro'", "t3.micro"),
        "admin_user": ("adminUser", str, "'ubuntu'", "ubuntu"),
        "idle_timeout_seconds": ("idleTimeoutSeconds", int, "600", 600),
        "root_volume_gib": ("rootVolumeGiB", int, "16", 16),
        "audit_log_retention_days": ("auditLogRetentionDays", int, "365", 365),
        "protect_audit_log": ("protectAuditLog", bool, "True", False),
        "ipv6": ("ipv6", bool, "True", False),
    }
    values = {}
    for key, (setting, kind, example, default) in plain.items():
        values[key] = given.get(key, default)
        if kind is int:
            values[key] = plain_int(setting, values[key], example)
        require_plain(setting, values[key], kind, example)
    validate_idle_timeout("idleTimeoutSeconds", values["idle_timeout_seconds"])
    if not 8 <= values["root_volume_gib"] <= 1024:
        raise ConfigError(
            "rootVolumeGiB", values["root_volume_gib"], "out of range", "use 8 to 1024 GiB"
        )
    audit = AuditLogMode.parse("auditLog", given.get("audit_log", AuditLogMode.CLOUDWATCH))
    region = given.get("region")
    if region is not None:
        require_plain("region", region, str, "'ap-northeast-2'")
    if audit is AuditLogMode.CLOUDWATCH:
        validate_retention_days("auditLogRetentionDays", values["audit_log_retention_days"])
        if not region:
            raise ConfigError(
                "region",
                region,
                "is required with audit_log cloudwatch (the log group's KMS key policy names "
                "CloudWatch Logs in the region)",
                "pass region='ap-northeast-2' (the provider's region), or "
                'audit_log=AuditLogMode.LOCAL (or "local") to keep the logs on the bastion',
            )
    key_file = given.get("ssh_key_file")
    if key_file is not None:
        validate_key_file("sshKeyFile", key_file)
    servers = tuple(_target(f"servers[{i}]", t) for i, t in enumerate(given.get("servers", [])))
    names = [t["name"] for t in servers]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigError(f"servers[{i}].name", n, "names a server twice", "name each once")
    return BastionSpec(
        prefix=prefix,
        subnet_id=given["subnet_id"],
        vpc_id=given["vpc_id"],
        vpc_cidr=_checked(given["vpc_cidr"], lambda v: str(parse_cidr("vpcCidr", v, version=4))),
        ami_id=given["ami_id"],
        ssh_public_key=_checked(given["ssh_public_key"], _public_key),
        office_cidrs=office_cidrs,
        region=region,
        servers=servers,
        audit_log=audit,
        ssh_key_file=key_file,
        **values,
    )


def _public_key(key: str) -> str:
    validate_public_key("sshPublicKey", key)
    return key


def _target(setting: str, target: SshTarget) -> SshTarget:
    check_keys(f"{setting}.", cast(Mapping[str, Any], target), SshTarget)
    require_plain(f"{setting}.name", target["name"], str, "'web'")
    if not NAME_RE.match(target["name"]):
        raise ConfigError(
            f"{setting}.name",
            target["name"],
            "must be lowercase letters, digits and hyphens",
            "name it like 'web'",
        )
    out = SshTarget(
        name=target["name"],
        private_ip=target["private_ip"],
        security_group_id=target["security_group_id"],
    )
    if "tier" in target:
        out["tier"] = Tier.parse(f"{setting}.tier", target["tier"])
    if "role" in target:
        require_plain(f"{setting}.role", target["role"], str, "'web'")
        out["role"] = target["role"]
    return out


def _waits_for(opts: pulumi.ResourceOptions | None) -> list[pulumi.Input[pulumi.Resource]]:
    """The component's depends_on, which its instance and EIP wait for too (children do not
    inherit it)."""
    given = opts.depends_on if opts is not None else None
    if given is None:
        return []
    if isinstance(given, Sequence):
        return list(given)
    return [cast(pulumi.Input[pulumi.Resource], given)]


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
    """The management tier's jump host: SSH in from the office CIDRs only, out to the VPC only;
    the only SSH door into the servers it manages; every command audited."""

    security_group: aws.ec2.SecurityGroup
    """The bastion's security group."""
    security_group_id: pulumi.Output[str]
    """The bastion's security group id (servers admit SSH from this group only)."""
    key_pair: aws.ec2.KeyPair
    """The EC2 key pair of the admins' public key."""
    instance: aws.ec2.Instance
    """The bastion instance (IMDSv2 only, encrypted root volume)."""
    instance_id: pulumi.Output[str]
    """The bastion instance's id."""
    eip: aws.ec2.Eip
    """The bastion's Elastic IP."""
    public_ip: pulumi.Output[str]
    """The bastion's stable public IPv4 address (its Elastic IP)."""
    private_ip: pulumi.Output[str]
    """The bastion's private IPv4 address."""
    ipv6_address: pulumi.Output[str] | None
    """The bastion's IPv6 address (ipv6 true), else unset."""
    ssh_config: pulumi.Output[str]
    """A file for ~/.ssh/config.d/: <prefix>-bastion by its EIP, each server by private IP with
    ProxyJump."""
    audit_log_group_name: pulumi.Output[str] | None
    """The CloudWatch Logs group of the audit trail (audit_log cloudwatch), else unset."""

    def __init__(
        self, name: str, args: BastionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        with code_errors("BastionArgs"):
            spec = bastion_spec(args)
        super().__init__(
            "tierednet:index:Bastion",
            name,
            None,
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=PREVIOUS_TYPE)])
            ),
        )
        self._build(name, spec, _waits_for(opts))

    def _build(
        self, name: str, args: BastionSpec, waits_for: list[pulumi.Input[pulumi.Resource]]
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)

        def tags(logical: str) -> dict[str, str]:
            return resource_tags(args.prefix, logical, tier=Tier.MANAGEMENT, role=BASTION_ROLE)

        # auditLog: cloudwatch -- the audit trail leaves the box for an encrypted log group. The
        # stack program used to create it beside the bastion, at the root: the alias keeps it.
        self.audit_log: AuditLog | None = None
        if args.audit_log is AuditLogMode.CLOUDWATCH:
            assert args.region is not None
            self.audit_log = AuditLog(
                f"{name}-audit",
                AuditLogArgs(
                    prefix=args.prefix,
                    region=args.region,
                    retention_days=args.audit_log_retention_days,
                    protect=args.protect_audit_log,
                ),
                pulumi.ResourceOptions(
                    parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
                ),
            )
        audit = self.audit_log

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.prefix} bastion: SSH from the office only",
            tags=tags(f"{name}-sg"),
            opts=child,
        )
        self.security_group_id = self.security_group.id
        for i, cidr in enumerate(args.office_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ssh-office-{i}",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=SSH_PORT,
                to_port=SSH_PORT,
                cidr_ipv4=_derived(cidr, lambda c: c if _version(c) == 4 else None),
                cidr_ipv6=_derived(cidr, lambda c: c if _version(c) == 6 else None),
                description=_derived(cidr, lambda c: f"SSH from office {c}"),
                tags=tags(f"{name}-ssh-office-{i}"),
                opts=child,
            )
        # Outbound: SSH into the VPC only, and HTTP(S) for package updates.
        for port, dest, what in (
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
                cidr_ipv4=dest,
                description=what,
                tags=tags(f"{name}-out-{port}"),
                opts=child,
            )
        # The only SSH door into each server: from this group.
        for target in args.servers:
            admit_ssh(
                f"{name}-ssh-to-{target['name']}",
                target,
                self.security_group.id,
                "bastion",
                f"SSH from the {args.prefix} bastion only",
                args.prefix,
                child,
            )

        self.key_pair = aws.ec2.KeyPair(
            f"{name}-key",
            key_name_prefix=f"{args.prefix}-",
            public_key=args.ssh_public_key,
            tags=tags(f"{name}-key"),
            opts=child,
        )

        names = [t["name"] for t in args.servers]
        ips = [t["private_ip"] for t in args.servers]
        user_data = pulumi.Output.all(*ips).apply(
            lambda got: bastion_user_data(
                prefix=args.prefix,
                hosts=[
                    HostEntry(name=n, private_ip=ip, user=args.admin_user)
                    for n, ip in zip(names, got, strict=True)
                ],
                admin_user=args.admin_user,
                idle_timeout_seconds=args.idle_timeout_seconds,
                cloudwatch_log_group=audit.log_group_name if audit else None,
                region=audit.region if audit else None,
                arch=architecture(args.instance_type),
            )
        )
        # The agent starts shipping at boot: the group and the role's permission come first.
        boot_after = waits_for + ([audit.log_group, audit.role_policy] if audit else [])
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
        self.instance_id = self.instance.id
        self.eip = aws.ec2.Eip(
            f"{name}-eip",
            domain="vpc",
            instance=self.instance.id,
            tags=tags(f"{name}-eip"),
            # Associating an EIP fails (Gateway.NotAttached) until the IGW is attached.
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits_for),
        )
        self.public_ip = self.eip.public_ip
        self.private_ip = self.instance.private_ip
        self.ipv6_address = (
            self.instance.ipv6_addresses.apply(lambda a: a[0] if a else "") if args.ipv6 else None
        )
        self.audit_log_group_name = audit.log_group.name if audit else None
        self.ssh_config = pulumi.Output.all(
            self.public_ip,
            self.ipv6_address if self.ipv6_address is not None else "",
            *ips,
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
            {
                "publicIp": self.public_ip,
                "privateIp": self.private_ip,
                "securityGroupId": self.security_group_id,
                "instanceId": self.instance_id,
            }
        )


def _version(cidr: str) -> int:
    return ipaddress.ip_network(cidr).version


def _derived(value: pulumi.Input[str], fn: Any) -> Any:
    """``fn(value)``: plain for a plain value (a preview shows it, and the policy pack reads
    it), an Output for an Output."""
    if is_output(value):
        return pulumi.Output.from_input(value).apply(fn)
    return fn(value)
