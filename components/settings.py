"""Stack settings: read the stack's config once, validate all of it, and return typed args.

Everything here runs before the first resource is registered, so a bad value stops the
program with a message naming the key, the value and the fix, and nothing is half-created.
Keys, their types and defaults are declared once, in Pulumi.yaml's `config:` block; reading
and type-checking them is components/config.py (see its docstring for how to add a key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bastion import validate_idle_timeout, validate_office_cidrs
from .config import StackConfig
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


def load_settings(conf: StackConfig) -> StackSettings:
    """Read and validate the whole stack config, before any resource exists."""
    conf.check_unknown()
    region = conf.raw("aws:region")
    if not region:
        raise ConfigError(
            "aws:region", region, "is not set", "run `pulumi config set aws:region ap-northeast-2`"
        )
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
    )
    office = validate_office_cidrs("officeCidrs", conf.strings("officeCidrs"))
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

    web_subnet = _subnet_of("webSubnet", conf.string("webSubnet"), network.plan)
    db_subnet = _subnet_of("dbSubnet", conf.string("dbSubnet"), network.plan)
    servers = (
        ServerPlan(
            name="web",
            subnet=web_subnet.spec.name,
            tier=web_subnet.spec.tier,
            instance_type=_instance_type("webInstanceType", conf.string("webInstanceType")),
            public_ip=conf.boolean("webPublicIp"),
            internet_ports=(80, 443),
            peer_ports=(),
            service=WEB_SERVICE,
        ),
        ServerPlan(
            name="db",
            subnet=db_subnet.spec.name,
            tier=db_subnet.spec.tier,
            instance_type=_instance_type("dbInstanceType", conf.string("dbInstanceType")),
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
            "bastionInstanceType", conf.string("bastionInstanceType")
        ),
        idle_timeout_seconds=validate_idle_timeout(
            "idleTimeoutSeconds", conf.integer("idleTimeoutSeconds")
        ),
        servers=servers,
    )
