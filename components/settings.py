"""Stack settings: read the stack's config once, validate all of it, and return typed args.

Everything here runs before the first resource is registered, so a bad value stops the
program with a message naming the key, the value and the fix, and nothing is half-created.
Keys, their types and defaults are declared once, in Pulumi.yaml's `config:` block; reading
and type-checking them is components/config.py (see its docstring for how to add a key).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi

from .access import AccessMode
from .ami import validate_instance_type
from .audit import AuditLogMode, validate_retention_days
from .bastion import validate_idle_timeout, validate_key_file, validate_office_cidrs
from .config import StackConfig, real_update
from .errors import ConfigError
from .nat_instance import validate_nat_instance_type
from .network import NatStrategy, NetworkArgs, PlannedSubnet, SubnetSpec
from .server import IngressRule, validate_public_key, validate_server
from .tags import Tier
from .userdata import ServiceSpec

# The course says "external", "internal" and "management"; the code says public/private.
TIER_ALIASES = {
    "public": Tier.PUBLIC,
    "external": Tier.PUBLIC,
    "private": Tier.PRIVATE,
    "internal": Tier.PRIVATE,
    "management": Tier.MANAGEMENT,
    "mgmt": Tier.MANAGEMENT,
}

WEB_SERVICE = ServiceSpec(
    name="nginx",
    description="web server (nginx)",
    packages=("nginx",),
)
DB_SERVICE = ServiceSpec(
    name="mariadb",
    description="database server (MariaDB)",
    packages=("mariadb-server",),
    # Listen on the private interface so the web tier can reach 3306 (its SG still decides who).
    files=(("/etc/mysql/mariadb.conf.d/60-bind.cnf", "[mysqld]\nbind-address = 0.0.0.0\n"),),
    data_dir="/var/lib/mysql",
)


@dataclass(frozen=True)
class ServerPlan:
    """One of the stack's servers: where it goes and who may reach it."""

    name: str
    subnet: str
    tier: Tier
    instance_type: str
    public_ip: bool
    internet_ports: tuple[int, ...]
    peer_ports: tuple[tuple[str, int], ...]  # (server name, port) allowed in
    service: ServiceSpec
    availability_zone: str = ""
    data_volume_gib: int | None = None  # the service's data on its own EBS volume


@dataclass(frozen=True)
class StackSettings:
    prefix: str
    region: str
    network: NetworkArgs
    office_cidrs: tuple[str, ...]
    ssh_public_key: str
    management_subnet: str
    bastion_instance_type: str
    idle_timeout_seconds: int
    servers: tuple[ServerPlan, ...]
    audit_log: AuditLogMode = AuditLogMode.CLOUDWATCH
    audit_log_retention_days: int = 365
    protect_data: bool = False
    ssh_key_file: str = "~/.ssh/id_ed25519"
    access: AccessMode = AccessMode.BASTION


def parse_subnet(setting: str, text: object) -> SubnetSpec:
    """`name:tier:az:size-or-cidr`, e.g. `external-a:public:a:/26` or `internal:private:a:/27`."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) != 4:
        raise ConfigError(
            setting,
            text,
            "not of the form name:tier:az:size",
            "write e.g. external-a:public:a:/26 or internal:private:a:192.168.10.128/27",
        )
    name, tier_text, az, block = (p.strip() for p in parts)
    tier = TIER_ALIASES.get(tier_text.lower())
    if tier is None:
        raise ConfigError(
            f"{setting}.tier",
            tier_text,
            "unknown tier",
            "use public, private or management (or the course's external/internal)",
        )
    if block.startswith("/") or block.isdigit():
        try:
            size = int(block.lstrip("/"))
        except ValueError:
            raise ConfigError(
                f"{setting}.size", block, "not a prefix length", "write e.g. /26"
            ) from None
        return SubnetSpec(name=name, tier=tier, az=az, size=size)
    return SubnetSpec(name=name, tier=tier, az=az, cidr=block)


def _instance_type(setting: str, value: str) -> str:
    return validate_instance_type(setting, value)


def live_availability_zones(region: str) -> list[str]:
    """The AZs AWS offers this account in the region now (an invoke; the mocks answer it)."""
    import pulumi_aws as aws

    return list(aws.get_availability_zones(state="available").names)


def check_availability_zones(network: NetworkArgs, available: Sequence[str]) -> None:
    for i, az in enumerate(network.availability_zones):
        if az not in available:
            raise ConfigError(
                f"availabilityZones[{i}]",
                az,
                f"AWS offers no available AZ {az} in {network.region} to this account "
                f"(aws.get_availability_zones: {', '.join(available) or 'none'})",
                f"use one of {', '.join(available)}, or change aws:region",
            )


def _subnet_of(setting: str, name: str, plan: tuple[PlannedSubnet, ...]) -> PlannedSubnet:
    for p in plan:
        if p.spec.name == name:
            return p
    raise ConfigError(
        setting,
        name,
        "no subnet of that name",
        "use one of: " + ", ".join(p.spec.name for p in plan),
    )


def load_settings(
    conf: StackConfig,
    *,
    deploying: bool | None = None,
    zones: Callable[[str], Sequence[str]] = live_availability_zones,
) -> StackSettings:
    """Read and validate the whole stack config, before any resource exists.

    Errors name the stack file and the full key (one line, a pulumi.RunError). The shipped
    placeholders (SSH key, documentation-range office CIDRs) are a warning in a preview and an
    error in a real update (`deploying`, by default components.config.real_update()).
    """
    try:
        settings = _load(conf)
        check_availability_zones(settings.network, zones(settings.region))
    except ConfigError as err:
        raise err.located(conf.stack_file, conf.full_key(err.setting)) from None
    found = [e.located(conf.stack_file, conf.full_key(e.setting)) for e in placeholders(settings)]
    if found and (real_update() if deploying is None else deploying):
        raise found[0]
    for warning in found:
        pulumi.log.warn(f"{warning} (a preview allows it; `pulumi up` refuses it)")
    return settings


# The example values Pulumi.<stack>.yaml ships with: never deployable.
PLACEHOLDER_KEY_DATA = frozenset(
    {"AAAAC3NzaC1lZDI1NTE5AAAAIHBsYWNlaG9sZGVyLXJlcGxhY2Utd2l0aC15b3VyLWtl"}
)
DOCUMENTATION_RANGES = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)  # RFC 5737, RFC 3849


def placeholders(settings: StackSettings) -> list[ConfigError]:
    """The shipped example values still in the stack, each as the error a real update raises."""
    found = []
    if settings.ssh_public_key.split()[1] in PLACEHOLDER_KEY_DATA:
        found.append(
            ConfigError(
                "sshPublicKey",
                settings.ssh_public_key[:40] + "...",
                "is the shipped placeholder key; nobody holds its private key",
                'set yours: `pulumi config set sshPublicKey "$(cat ~/.ssh/<prefix>-key.pub)"`',
            )
        )
    for i, cidr in enumerate(settings.office_cidrs):
        net = ipaddress.ip_network(cidr)
        if any(net.version == d.version and net.overlaps(d) for d in DOCUMENTATION_RANGES):
            found.append(
                ConfigError(
                    f"officeCidrs[{i}]",
                    cidr,
                    "is a documentation range (RFC 5737/3849): no office is there",
                    "set your office's public range (`curl -s "
                    f"-{net.version} {_WHATS_MY_IP[net.version]}`) here and in "
                    "policies/config/<stack>.json",
                )
            )
    return found


def validate_region(setting: str, region: object) -> str:
    """A region pulumi-aws knows (its ``Region`` enum, generated with the provider). The
    provider itself refuses a region it does not know unless ``skipRegionValidation`` is set
    (terraform-provider-aws, docs/add-a-new-region.md: "Until the provider is aware of the new
    region, automatic region validation will fail"), but only when it is configured, after
    the program ran; the mocks would invent AZs for any name. So the program refuses first.
    A region newer than the pinned pulumi-aws is refused too: the fix says to upgrade it."""
    import pulumi_aws as aws

    known = [r.value for r in aws.Region]
    if not region:
        raise ConfigError(
            setting, region, "is not set", "run `pulumi config set aws:region ap-northeast-2`"
        )
    if region not in known:
        close = difflib.get_close_matches(str(region), known, n=3, cutoff=0.6)
        raise ConfigError(
            setting,
            region,
            "is not a region pulumi-aws knows (pulumi_aws.Region)",
            f"use one of {', '.join(close or known[:4])}, ... (`pulumi config set aws:region "
            f"{(close or known)[0]}`); a region newer than pulumi-aws needs a newer pulumi-aws "
            "in requirements.txt",
        )
    return str(region)


# Private and local address space: never the source AWS sees for an office on the internet.
# 100.64.0.0/10 (carrier-grade NAT) is left out: it is shared, not private (RFC 6598).
PRIVATE_RANGES = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
        "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8",  # loopback, link-local, "this network"
        "fc00::/7", "fe80::/10", "::1/128",  # unique local, link-local, loopback
    )
)  # fmt: skip


# What answers with the caller's public address, per IP version: checkip.amazonaws.com (what the
# README uses) for IPv4, icanhazip.com for IPv6 (checkip.amazonaws.com is taken to answer over
# IPv4 only; not checked from this offline box).
_WHATS_MY_IP = {4: "https://checkip.amazonaws.com", 6: "https://icanhazip.com"}


def check_office_public(office: Sequence[str]) -> None:
    """An office range must be public address space: the bastion sits behind the internet
    gateway, which delivers packets with the office's public (NATed) source address, so a
    private range never matches. (This program builds no VPN or peering through which a
    private source could arrive.)"""
    for i, cidr in enumerate(office):
        net = ipaddress.ip_network(cidr)
        hit = next((r for r in PRIVATE_RANGES if net.version == r.version and net.overlaps(r)),
                   None)  # fmt: skip
        if hit is not None:
            raise ConfigError(
                f"officeCidrs[{i}]",
                cidr,
                f"is private address space ({hit}): the bastion is reached through the internet "
                "gateway, which shows your office's public address, never this one",
                "set your office's public address: `pulumi config set --path "
                f"'officeCidrs[{i}]' \"$(curl -s -{net.version} {_WHATS_MY_IP[net.version]})"
                f"/{net.max_prefixlen}\"`",
            )


def validate_private_key_file(setting: str, path: object) -> str:
    """``sshKeyFile`` is ssh's IdentityFile: the private half, never the ``.pub`` file."""
    value = validate_key_file(setting, path)
    if value.endswith(".pub"):
        raise ConfigError(
            setting,
            value,
            "is the public half of the key pair: ssh's IdentityFile needs the private key",
            f"`pulumi config set sshKeyFile {value.removesuffix('.pub')}` (the same name "
            "without .pub; its .pub line goes in sshPublicKey)",
        )
    return value


def _load(conf: StackConfig) -> StackSettings:
    conf.check_unknown()
    region_given = conf.raw("aws:region")
    near = None if region_given else conf.near_miss("aws:region")
    if near is not None:
        raise ConfigError(
            "aws:region",
            None,
            f"is not set, but the file has {near!r}",
            f"did you mean aws:region? Rename `{near}` to `aws:region` (keys are case-sensitive)",
        )
    region = validate_region("aws:region", region_given)
    prefix = conf.string("prefix")
    subnets = conf.strings("subnets")
    azs = conf.strings("availabilityZones")
    network = NetworkArgs(
        prefix=prefix,
        region=region,
        vpc_cidr=conf.string("vpcCidr"),
        availability_zones=tuple(azs),
        subnets=tuple(parse_subnet(f"subnets[{i}]", s) for i, s in enumerate(subnets)),
        nat_strategy=NatStrategy.parse("natStrategy", conf.string("natStrategy")),
        flow_logs=conf.boolean("flowLogs"),
        flow_log_retention_days=conf.integer("flowLogRetentionDays"),
        protect_vpc=conf.boolean("protectVpc"),
        ipv6=conf.boolean("ipv6"),
        nat_instance_count=conf.integer("natInstanceCount"),
        nat_instance_type=validate_nat_instance_type(
            "natInstanceType", conf.string("natInstanceType")
        ),
    )
    access = AccessMode.parse("access", conf.string("access"))
    # Only the bastion takes SSH from the office; the keyless modes admit no CIDR at all.
    office_given = conf.strings("officeCidrs")
    office = (
        validate_office_cidrs("officeCidrs", office_given)
        if access is AccessMode.BASTION or office_given
        else []
    )
    if office and access is not AccessMode.BASTION:
        raise ConfigError(
            "officeCidrs",
            office,
            f"access {access.value} has no bastion: nothing admits SSH from a CIDR",
            "remove officeCidrs from the stack file, or set access: bastion",
        )
    check_office_public(office)
    check_office_reachable(office, network)
    key = conf.string("sshPublicKey")
    validate_public_key("sshPublicKey", key)

    mgmt_name = conf.string("managementSubnet")
    mgmt = _subnet_of("managementSubnet", mgmt_name, network.plan)
    if mgmt.spec.tier is not Tier.MANAGEMENT:
        raise ConfigError(
            "managementSubnet",
            mgmt_name,
            f"is a {mgmt.spec.tier.value} subnet",
            "put the bastion in a management-tier subnet",
        )

    wanted = example_servers("servers", conf.strings("servers"))

    # Only the servers the stack creates are read (a bastion-only stack needs no webSubnet).
    def web() -> ServerPlan:
        web_subnet = _subnet_of("webSubnet", conf.string("webSubnet"), network.plan)
        if web_subnet.spec.tier is not Tier.PUBLIC:
            # the web server serves port 80 to the internet: only a public subnet can
            publics = [p.spec.name for p in network.plan if p.spec.tier is Tier.PUBLIC]
            raise ConfigError(
                "webSubnet",
                web_subnet.spec.name,
                f"a {web_subnet.spec.tier.value} subnet, but the web server serves port 80 "
                f"to the internet",
                f"set webSubnet to a public subnet ({', '.join(publics) or 'add one'})",
            )
        return ServerPlan(
            name="web",
            subnet=web_subnet.spec.name,
            tier=web_subnet.spec.tier,
            instance_type=_instance_type("webInstanceType", conf.string("webInstanceType")),
            public_ip=conf.boolean("webPublicIp"),
            # nginx's default site serves HTTP only: open what the service listens on. Add 443
            # together with a TLS server block (ServiceSpec.files) and a certificate.
            internet_ports=(80,),
            peer_ports=(),
            service=WEB_SERVICE,
            availability_zone=web_subnet.az,
        )

    def db() -> ServerPlan:
        db_subnet = _subnet_of("dbSubnet", conf.string("dbSubnet"), network.plan)
        return ServerPlan(
            name="db",
            subnet=db_subnet.spec.name,
            tier=db_subnet.spec.tier,
            instance_type=_instance_type("dbInstanceType", conf.string("dbInstanceType")),
            public_ip=False,
            internet_ports=(),
            peer_ports=(("web", 3306),) if "web" in wanted else (),
            service=DB_SERVICE,
            availability_zone=db_subnet.az,
            data_volume_gib=_data_volume("dbDataVolumeGiB", conf.integer("dbDataVolumeGiB")),
        )

    builders = {"web": web, "db": db}
    servers = tuple(builders[name]() for name in EXAMPLE_SERVERS if name in wanted)
    for plan in servers:
        if plan.public_ip and plan.tier is not Tier.PUBLIC:
            raise ConfigError(
                f"{plan.name}PublicIp",
                True,
                f"{plan.name} is in {plan.subnet}, a {plan.tier.value} subnet: only public-tier "
                "servers may have a public IP",
                f"set {plan.name}PublicIp: false, or put {plan.name} in a public subnet",
            )
        validate_server(
            plan.name,
            tier=plan.tier,
            public_ip=plan.public_ip,
            ssh_public_key=key,
            ingress=[IngressRule.internet(p, f"port {p}") for p in plan.internet_ports]
            + [IngressRule.from_group("validation", p, f"port {p}") for _, p in plan.peer_ports],
        )
    offline = conf.strings("serversWithoutInternet")
    names = [p.name for p in servers]
    for i, name in enumerate(offline):
        if name not in names:
            raise ConfigError(
                f"serversWithoutInternet[{i}]", name, "no server of that name", f"use {names}"
            )
    for plan in servers:
        if plan.name not in offline:
            check_egress(plan, network)
    return StackSettings(
        prefix=prefix,
        region=region,
        network=network,
        office_cidrs=tuple(office),
        ssh_public_key=key,
        management_subnet=mgmt_name,
        bastion_instance_type=_instance_type(
            "bastionInstanceType", conf.string("bastionInstanceType")
        ),
        idle_timeout_seconds=validate_idle_timeout(
            "idleTimeoutSeconds", conf.integer("idleTimeoutSeconds")
        ),
        servers=servers,
        audit_log=AuditLogMode.parse("auditLog", conf.string("auditLog")),
        audit_log_retention_days=validate_retention_days(
            "auditLogRetentionDays", conf.integer("auditLogRetentionDays")
        ),
        protect_data=conf.boolean("protectData"),
        ssh_key_file=validate_private_key_file("sshKeyFile", conf.string("sshKeyFile")),
        access=access,
    )


EXAMPLE_SERVERS = ("web", "db")


def example_servers(setting: str, names: Sequence[str]) -> tuple[str, ...]:
    """Which of the course's example servers the stack creates (``servers``): any of web and
    db, each once; none leaves a VPC with its way in (the bastion) alone."""
    for i, name in enumerate(names):
        if name not in EXAMPLE_SERVERS:
            raise ConfigError(
                f"{setting}[{i}]",
                name,
                "is not one of the example servers",
                f"list any of {', '.join(EXAMPLE_SERVERS)} (or none: `servers: []`)",
            )
        if name in names[:i]:
            raise ConfigError(f"{setting}[{i}]", name, "is listed twice", "list each server once")
    return tuple(names)


def check_office_reachable(office: Sequence[str], network: NetworkArgs) -> None:
    """An office range must be able to reach the bastion: without `ipv6: true` the VPC is
    IPv4-only (no IPv6 block, no IPv6 route to the internet gateway), so an IPv6 range never
    can (issue 8, item 6). With it, the bastion has an IPv6 address and the public table a
    ::/0 route to the IGW (issue 9)."""
    for i, cidr in enumerate(office):
        if ipaddress.ip_network(cidr).version == 6 and not network.ipv6:
            raise ConfigError(
                f"officeCidrs[{i}]",
                cidr,
                "an IPv6 range, but the VPC has no IPv6: the bastion is reachable over IPv4 "
                "only, so SSH from this range can never reach it",
                "set ipv6: true, or use your office's public IPv4 range "
                "(`curl -s -4 https://checkip.amazonaws.com`)",
            )


def egress_path(plan: ServerPlan, network: NetworkArgs) -> str | None:
    """How the server reaches the internet at first boot, or None. Public and management
    subnets route 0.0.0.0/0 to the internet gateway, which serves only instances with a public
    IP; private subnets route through NAT unless natStrategy is none."""
    if plan.tier is Tier.PRIVATE:
        if network.nat_strategy is NatStrategy.INSTANCE:
            return "NAT instance"
        return None if network.nat_strategy is NatStrategy.NONE else "NAT gateway"
    return "internet gateway (public IP)" if plan.public_ip else None


def check_egress(plan: ServerPlan, network: NetworkArgs) -> None:
    """Refuse a server with no way out: cloud-init's first package install would fail and
    leave it without its service (issue 8, item 3)."""
    if egress_path(plan, network) is not None:
        return
    packages = ", ".join(plan.service.packages) or "its packages"
    ack = f"or list {plan.name} in serversWithoutInternet if its image already has {packages}"
    if plan.tier is Tier.PRIVATE:
        raise ConfigError(
            "natStrategy",
            network.nat_strategy.value,
            f"{plan.name} is in the private subnet {plan.subnet}, which has no route to the "
            f"internet without NAT: cloud-init cannot install {packages}",
            f"use natStrategy single, one-per-az or instance, {ack}",
        )
    value: object
    if plan.name == "web":
        setting, value = "webPublicIp", False
        fix = f"set webPublicIp: true (it serves the internet from a public subnet), {ack}"
    else:
        setting, value = f"{plan.name}Subnet", plan.subnet
        fix = f"put {plan.name} in a private subnet (through NAT), {ack}"
    raise ConfigError(
        setting,
        value,
        f"{plan.name} is in {plan.subnet}, a {plan.tier.value} subnet whose only way out is the "
        f"internet gateway, but it has no public IP: cloud-init cannot install {packages}",
        fix,
    )


def _data_volume(setting: str, gib: int) -> int:
    if not 1 <= gib <= 16384:
        raise ConfigError(setting, gib, "out of range", "use 1 to 16384 GiB (gp3's limits)")
    return gib
