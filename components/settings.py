"""Stack settings: read the stack's config once, validate all of it, and return typed args.

Everything here runs before the first resource is registered, so a bad value stops the
program with a message naming the key, the value and the fix, and nothing is half-created.
Defaults live in Pulumi.yaml's `config:` block (the single source); the Pulumi CLI and the
review engine both apply them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi

from .audit import AuditLogMode, validate_retention_days
from .bastion import validate_idle_timeout, validate_office_cidrs
from .errors import ConfigError
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
_INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")

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


T = TypeVar("T")


def _get(setting: str, read: Callable[[str], T | None]) -> T:
    try:
        value = read(setting)
    except pulumi.ConfigTypeError as exc:
        raise ConfigError(
            setting, str(exc), "has the wrong type", "see Pulumi.yaml for the key's type"
        ) from None
    if value is None:
        raise ConfigError(
            setting,
            None,
            "is not set",
            f"set it with `pulumi config set {setting} <value>` (see README)",
        )
    return value


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
    if not _INSTANCE_TYPE_RE.match(value):
        raise ConfigError(setting, value, "not an EC2 instance type", "use e.g. t3.micro")
    return value


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


def load_settings(cfg: Any, region: str | None) -> StackSettings:
    """Read and validate the whole stack config (`cfg` is a pulumi.Config)."""
    if not region:
        raise ConfigError(
            "aws:region", region, "is not set", "run `pulumi config set aws:region ap-northeast-2`"
        )
    prefix = _get("prefix", cfg.get)
    subnets = _get("subnets", cfg.get_object)
    if not isinstance(subnets, list):
        raise ConfigError("subnets", subnets, "must be a list", "see Pulumi.yaml")
    azs = _get("availabilityZones", cfg.get_object)
    if not isinstance(azs, list) or not all(isinstance(a, str) for a in azs):
        raise ConfigError(
            "availabilityZones", azs, "must be a list of AZ names", f"e.g. [{region}a, {region}c]"
        )
    network = NetworkArgs(
        prefix=prefix,
        region=region,
        vpc_cidr=_get("vpcCidr", cfg.get),
        availability_zones=tuple(azs),
        subnets=tuple(parse_subnet(f"subnets[{i}]", s) for i, s in enumerate(subnets)),
        nat_strategy=NatStrategy.parse("natStrategy", _get("natStrategy", cfg.get)),
        flow_logs=_get("flowLogs", cfg.get_bool),
        flow_log_retention_days=_get("flowLogRetentionDays", cfg.get_int),
        protect_vpc=_get("protectVpc", cfg.get_bool),
    )
    office = validate_office_cidrs("officeCidrs", cfg.get_object("officeCidrs"))
    key = cfg.get("sshPublicKey")
    validate_public_key("sshPublicKey", key)
    assert isinstance(key, str)

    mgmt_name = _get("managementSubnet", cfg.get)
    mgmt = _subnet_of("managementSubnet", mgmt_name, network.plan)
    if mgmt.spec.tier is not Tier.MANAGEMENT:
        raise ConfigError(
            "managementSubnet",
            mgmt_name,
            f"is a {mgmt.spec.tier.value} subnet",
            "put the bastion in a management-tier subnet",
        )

    web_subnet = _subnet_of("webSubnet", _get("webSubnet", cfg.get), network.plan)
    db_subnet = _subnet_of("dbSubnet", _get("dbSubnet", cfg.get), network.plan)
    servers = (
        ServerPlan(
            name="web",
            subnet=web_subnet.spec.name,
            tier=web_subnet.spec.tier,
            instance_type=_instance_type("webInstanceType", _get("webInstanceType", cfg.get)),
            public_ip=_get("webPublicIp", cfg.get_bool),
            internet_ports=(80, 443),
            peer_ports=(),
            service=WEB_SERVICE,
        ),
        ServerPlan(
            name="db",
            subnet=db_subnet.spec.name,
            tier=db_subnet.spec.tier,
            instance_type=_instance_type("dbInstanceType", _get("dbInstanceType", cfg.get)),
            public_ip=False,
            internet_ports=(),
            peer_ports=(("web", 3306),),
            service=DB_SERVICE,
        ),
    )
    for plan in servers:
        validate_server(
            plan.name,
            tier=plan.tier,
            public_ip=plan.public_ip,
            ssh_public_key=key,
            ingress=[IngressRule.internet(p, f"port {p}") for p in plan.internet_ports]
            + [IngressRule.from_group("validation", p, f"port {p}") for _, p in plan.peer_ports],
        )
    return StackSettings(
        prefix=prefix,
        region=region,
        network=network,
        office_cidrs=tuple(office),
        ssh_public_key=key,
        management_subnet=mgmt_name,
        bastion_instance_type=_instance_type(
            "bastionInstanceType", _get("bastionInstanceType", cfg.get)
        ),
        idle_timeout_seconds=validate_idle_timeout(
            "idleTimeoutSeconds", _get("idleTimeoutSeconds", cfg.get_int)
        ),
        servers=servers,
        audit_log=AuditLogMode.parse("auditLog", _get("auditLog", cfg.get)),
        audit_log_retention_days=validate_retention_days(
            "auditLogRetentionDays", _get("auditLogRetentionDays", cfg.get_int)
        ),
    )
