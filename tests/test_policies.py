"""The policy pack, driven through the real Analyzer protocol.

Every case is a small Pulumi program (a compliant tiered network, then one deliberate change)
run by the review engine under the mocks in both modes -- "update" (ids known) and "preview"
(a new stack: ids and everything built from them unknown) -- and analysed by the real pack
process (``python -u policies/``) over gRPC. Each case states the exact set of (policy,
resource) violations it must produce: a missing one is a hole, an extra one a false alarm.
No case may produce a "can't run policy" diagnostic: that is a mandatory policy skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from review import PolicyPack
from tests.runs import case_run

ROOT = Path(__file__).resolve().parent.parent
PACK_DIR = ROOT / "policies"
CONFIG_DIR = PACK_DIR / "config"
MODES = ("update", "preview")
PROGRAM_CONFIG = {"aws:region": "ap-northeast-2"}

MANDATORY = {
    "bastion-ssh-only-from-office",
    "servers-ssh-only-from-bastion",
    "private-tier-no-outside-cidrs",
    "private-subnets-egress-via-nat",
    "private-servers-no-public-ip",
    "nat-gateways-in-public-subnets",
    "tier-declared",
    "imdsv2-required",
    "root-volume-encrypted",
    "default-sg-no-rules",
    "network-types-known",
}
ADVISORY = {"vpc-flow-logs", "sg-rules-described", "no-undeclared-rules"}
OFFICE_KEY = "bastion-ssh-only-from-office.officeCidrs"
INERT_KEY = "network-types-known.inertTypes"


# ---------------------------------------------------------------------------------------------
# A compliant tiered network, built from pulumi_aws resources directly


@dataclass
class Opts:
    office_cidrs: tuple[str, ...] = ("203.0.113.0/24",)
    flow_log: bool = True
    priv_map_public_ip: bool | None = False  # None: not set (AWS default false)
    priv_subnet_tags: dict[str, str] | None = None
    priv_associated: bool = True
    priv_default_route: str = "nat"  # "nat" | "igw" | "none"
    nat_subnet: str = "pub"
    nat_connectivity: str | None = None
    bastion_subnet: str = "mgmt"
    bastion_tags: dict[str, str] | None = None
    db_subnet: str = "priv"
    db_tags: dict[str, str] | None = None
    db_public_ip: bool | None = False
    db_http_tokens: str | None = "required"  # None: no metadataOptions at all
    db_root_encrypted: bool | None = True  # None: no rootBlockDevice at all
    db_ssh_source: str = "bastion"  # which SG the db's SSH rule references
    web_extra_sgs: tuple[str, ...] = ()  # names of World.sgs also attached to the web server
    ipv6: bool = False  # an IPv6 block, ::/0 -> IGW in the public table, IPv6 on the bastion


class World:
    """vpc 10.0.0.0/24; public/private/management subnets; IGW; NAT; bastion, web and db."""

    def __init__(self, o: Opts) -> None:
        self.o = o
        self.vpc = aws.ec2.Vpc(
            "vpc",
            cidr_block="10.0.0.0/24",
            assign_generated_ipv6_cidr_block=True if o.ipv6 else None,
            tags={"Name": "t-vpc"},
        )
        if o.flow_log:
            aws.ec2.FlowLog(
                "vpc-flow-log",
                vpc_id=self.vpc.id,
                traffic_type="ALL",
                log_destination_type="s3",
                log_destination="arn:aws:s3:::t-flow-logs",
            )
        aws.ec2.DefaultSecurityGroup("default-sg", vpc_id=self.vpc.id, tags={"Name": "t-def"})
        self.igw = aws.ec2.InternetGateway("igw", vpc_id=self.vpc.id)
        self.subnets = {
            "pub": self.subnet("pub", "10.0.0.0/26", {"Tier": "public"}, True),
            "priv": self.subnet(
                "priv",
                "10.0.0.128/27",
                o.priv_subnet_tags if o.priv_subnet_tags is not None else {"Tier": "private"},
                o.priv_map_public_ip,
            ),
            "mgmt": self.subnet("mgmt", "10.0.0.160/27", {"Tier": "management"}, False),
        }
        self.public_rt = aws.ec2.RouteTable(
            "public-rt", vpc_id=self.vpc.id, tags={"Tier": "public"}
        )
        aws.ec2.Route(
            "public-default",
            route_table_id=self.public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.igw.id,
        )
        if o.ipv6:
            aws.ec2.Route(
                "public-default-v6",
                route_table_id=self.public_rt.id,
                destination_ipv6_cidr_block="::/0",
                gateway_id=self.igw.id,
            )
        for s in ("pub", "mgmt"):
            aws.ec2.RouteTableAssociation(
                f"{s}-assoc", subnet_id=self.subnets[s].id, route_table_id=self.public_rt.id
            )
        nat_eip = aws.ec2.Eip("nat-eip", domain="vpc", tags={"Tier": "public"})
        self.nat = aws.ec2.NatGateway(
            "nat",
            subnet_id=self.subnets[o.nat_subnet].id,
            allocation_id=nat_eip.allocation_id,
            connectivity_type=o.nat_connectivity,
            tags={"Tier": "public"},
        )
        self.private_rt = aws.ec2.RouteTable(
            "private-rt", vpc_id=self.vpc.id, tags={"Tier": "private"}
        )
        if o.priv_default_route == "nat":
            aws.ec2.Route(
                "private-default",
                route_table_id=self.private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=self.nat.id,
            )
        elif o.priv_default_route == "igw":
            aws.ec2.Route(
                "private-default",
                route_table_id=self.private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=self.igw.id,
            )
        if o.priv_associated:
            aws.ec2.RouteTableAssociation(
                "priv-assoc",
                subnet_id=self.subnets["priv"].id,
                route_table_id=self.private_rt.id,
            )

        self.sgs: dict[str, aws.ec2.SecurityGroup] = {}
        bastion_tags = o.bastion_tags or {"Role": "bastion", "Tier": "management"}
        self.sgs["bastion"] = self.sg("bastion-sg", {"Role": "bastion", "Tier": "management"})
        for i, cidr in enumerate(o.office_cidrs):
            v6 = ":" in cidr
            self.ingress(
                f"bastion-ssh-office-{i}",
                "bastion",
                22,
                cidr_ipv4=None if v6 else cidr,
                cidr_ipv6=cidr if v6 else None,
            )
        self.sgs["web"] = self.sg("web-sg", {"Role": "web", "Tier": "public"})
        self.ingress("web-https", "web", 443, cidr_ipv4="0.0.0.0/0")
        self.ingress("web-ssh", "web", 22, referenced_security_group_id=self.sgs["bastion"].id)
        self.sgs["db"] = self.sg("db-sg", {"Role": "db", "Tier": "private"})
        self.ingress("db-mysql", "db", 3306, referenced_security_group_id=self.sgs["web"].id)
        self.ingress(
            "db-ssh", "db", 22, referenced_security_group_id=self.sgs[o.db_ssh_source].id
        )
        for name in ("bastion", "web", "db"):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-egress",
                security_group_id=self.sgs[name].id,
                ip_protocol="-1",
                cidr_ipv4="0.0.0.0/0",
                description="all outbound",
            )

        self.bastion = self.instance(
            "bastion", o.bastion_subnet, bastion_tags, ["bastion"], public_ip=False,
            ipv6_count=1 if o.ipv6 else None,
        )
        aws.ec2.Eip("bastion-eip", domain="vpc", instance=self.bastion.id)
        self.web = self.instance(
            "web", "pub", {"Role": "web", "Tier": "public"}, ["web", *o.web_extra_sgs], True
        )
        self.db = self.instance(
            "db",
            o.db_subnet,
            o.db_tags if o.db_tags is not None else {"Role": "db", "Tier": "private"},
            ["db"],
            o.db_public_ip,
            http_tokens=o.db_http_tokens,
            root_encrypted=o.db_root_encrypted,
        )

    def subnet(
        self, name: str, cidr: str, tags: dict[str, str], public: bool | None
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            name,
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone="ap-northeast-2a",
            map_public_ip_on_launch=public,
            tags=tags,
        )

    def sg(self, name: str, tags: dict[str, str]) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(name, vpc_id=self.vpc.id, description=name, tags=tags)

    def ingress(self, name: str, sg: str, port: int, **kw: Any) -> None:
        kw.setdefault("description", name)
        aws.vpc.SecurityGroupIngressRule(
            name,
            security_group_id=self.sgs[sg].id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            **kw,
        )

    def instance(
        self,
        name: str,
        subnet: str,
        tags: dict[str, str],
        sgs: list[str],
        public_ip: bool | None,
        http_tokens: str | None = "required",
        root_encrypted: bool | None = True,
        ipv6_count: int | None = None,
    ) -> aws.ec2.Instance:
        return aws.ec2.Instance(
            name,
            ipv6_address_count=ipv6_count,
            ami="ami-0123456789abcdef0",
            instance_type="t3.micro",
            subnet_id=self.subnets[subnet].id,
            vpc_security_group_ids=[self.sgs[s].id for s in sgs],
            associate_public_ip_address=public_ip,
            metadata_options=(
                aws.ec2.InstanceMetadataOptionsArgs(http_tokens=http_tokens)
                if http_tokens is not None
                else None
            ),
            root_block_device=(
                aws.ec2.InstanceRootBlockDeviceArgs(encrypted=root_encrypted)
                if root_encrypted is not None
                else None
            ),
            tags=tags,
        )


Tweak = Callable[[World], None]
Expected = set[tuple[str, str | None]]  # (policy, resource name or None for the stack)


@dataclass
class Case:
    id: str
    expected: Expected
    opts: Opts = field(default_factory=Opts)
    tweak: Tweak | None = None
    preview_expected: Expected | None = None  # when preview must differ (fail closed)
    config: str | dict[str, Any] = "dev"

    def program(self) -> Callable[[], None]:
        def run() -> None:
            world = World(self.opts)
            if self.tweak is not None:
                self.tweak(world)

        return run

    def expected_for(self, mode: str) -> Expected:
        if mode == "preview" and self.preview_expected is not None:
            return self.preview_expected
        return self.expected


# ---------------------------------------------------------------------------------------------
# Running


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(PACK_DIR) as p:
        yield p


# The gates of `pulumi up` (resource policies, policies/rules/gates.py) -> the stack policies
# that judge the same facts.
GATES = {
    "ssh-rule-from-office-only": {"bastion-ssh-only-from-office", "servers-ssh-only-from-bastion"},
    "private-tier-no-public-ip-flag": {"private-servers-no-public-ip",
                                       "private-subnets-egress-via-nat", "tier-declared"},
    "host-hardening-declared": {"imdsv2-required", "root-volume-encrypted"},
}


def config_file(config: str | dict[str, Any], tmp_path: Path, *, gates: bool = False) -> Path:
    """The case's policy pack config. The case tables state what the stack policies judge, so
    by default the gates are disabled here (an update would otherwise stop at the first gate,
    before AnalyzeStack); ``gates=True`` keeps the config as it is (gates mandatory).
    ``test_policy_case`` runs every case with the gates too (``check_gates``)."""
    data = json.loads((CONFIG_DIR / f"{config}.json").read_text()) if isinstance(
        config, str) else dict(config)  # fmt: skip
    if not gates:
        data = {**dict.fromkeys(GATES, "disabled"), **data}
    path = tmp_path / f"policy-config{'-gates' if gates else ''}.json"
    path.write_text(json.dumps(data))
    return path


def resource_name(urn: str) -> str | None:
    """The logical name in a URN; None for the stack itself (a stack-level violation)."""
    if not urn or "::pulumi:pulumi:Stack::" in urn:
        return None
    return urn.rsplit("::", 1)[-1]


def analyze(pack: PolicyPack, case: Case, mode: str, tmp_path: Path, *,
            gates: bool = False) -> list[Any]:
    pack.configure(config_file(case.config, tmp_path, gates=gates))
    run = case_run(case, mode, PROGRAM_CONFIG)
    return list(pack.analyze(run))


def check_gates(pack: PolicyPack, diags: list[Any], case: Case, mode: str) -> bool:
    """The gates in a run with them on: silent in a dry run (the stack policies report, once);
    in an update, each gate finding is a violation the stack policies find on the same resource
    (never a false alarm), and a mandatory one stops the deployment before AnalyzeStack. True
    when a gate fired."""
    fired = [d for d in diags if d.policy in GATES]
    if mode != "update":
        assert not fired, f"a gate reported in a dry run: {[d.message for d in fired]}"
        seen = [(d.policy, d.urn, d.message) for d in diags]
        assert len(seen) == len(set(seen)), "a violation reported twice"
        return False
    expected = case.expected_for(mode)
    for d in fired:
        name = resource_name(d.urn)
        assert {(p, name) for p in GATES[d.policy]} & expected, (
            f"gate {d.policy} refused {name}, which the stack policies pass: {d.message}")
        assert d.level == "mandatory" and f"'{name}'" in d.message, d
    assert pack.stack_skipped == bool(fired), "a mandatory gate ends the update before the stack"
    return bool(fired)


def check(diags: list[Any], expected: Expected) -> None:
    skipped = [d for d in diags if "can't run policy" in d.message]
    assert not skipped, f"policies skipped: {[d.message for d in skipped]}"
    ours = [d for d in diags if d.policy in MANDATORY | ADVISORY]
    got = {(d.policy, resource_name(d.urn)) for d in ours}
    detail = "\n".join(f"  [{d.policy}/{d.level}] {d.urn}: {d.message}" for d in ours)
    assert got == expected, f"diagnostics differ:\n{detail}"
    for d in ours:
        level = "mandatory" if d.policy in MANDATORY else "advisory"
        assert str(d.level).lower().endswith(level), (d.policy, d.level)
        name = resource_name(d.urn)
        if name is not None:
            assert f"'{name}'" in d.message, f"message does not name {name}: {d.message}"
        else:  # a stack-level violation names the config key to fix
            assert OFFICE_KEY in d.message or INERT_KEY in d.message, d.message


# ---------------------------------------------------------------------------------------------
# Cases

B = "bastion-ssh-only-from-office"
S = "servers-ssh-only-from-bastion"
P = "private-tier-no-outside-cidrs"
N = "private-subnets-egress-via-nat"
I = "private-servers-no-public-ip"  # noqa: E741
G = "nat-gateways-in-public-subnets"
T = "tier-declared"
MD = "imdsv2-required"
RV = "root-volume-encrypted"
D = "default-sg-no-rules"
FL = "vpc-flow-logs"
DS = "sg-rules-described"
KT = "network-types-known"


def _bastion_rule(name: str, **kw: Any) -> Tweak:
    def tweak(w: World) -> None:
        w.ingress(name, "bastion", 22, **kw)

    return tweak


def _sg_rule(name: str, sg: str, **kw: Any) -> Tweak:
    def tweak(w: World) -> None:
        kw.setdefault("type", "ingress")
        kw.setdefault("description", name)
        aws.ec2.SecurityGroupRule(name, security_group_id=w.sgs[sg].id, **kw)

    return tweak


def _ingress_rule(name: str, sg: str, port: int, **kw: Any) -> Tweak:
    def tweak(w: World) -> None:
        w.ingress(name, sg, port, **kw)

    return tweak


def _db_ssh_from_bastion_sg_rule(w: World) -> None:
    aws.ec2.SecurityGroupRule(
        "db-ssh-2",
        type="ingress",
        security_group_id=w.sgs["db"].id,
        protocol="tcp",
        from_port=22,
        to_port=22,
        source_security_group_id=w.sgs["bastion"].id,
        description="SSH from the bastion",
    )


def _db_all_from_vpc(w: World) -> None:
    aws.vpc.SecurityGroupIngressRule(
        "db-all-vpc",
        security_group_id=w.sgs["db"].id,
        ip_protocol="-1",
        cidr_ipv4="10.0.0.0/24",
        description="everything from inside the VPC",
    )


def _office_from_eip(w: World) -> None:
    # The office CIDR is computed from another resource's output: unknown during preview.
    eip = aws.ec2.Eip("office-eip", domain="vpc")
    w.ingress(
        "bastion-ssh-computed",
        "bastion",
        22,
        cidr_ipv4=eip.public_ip.apply(lambda ip: f"{ip}/32"),
    )


def _fake_bastion_on_web(w: World) -> None:
    # Tagged Role=bastion but attached to the web server: the tag alone proves nothing.
    fake = w.sg("fake-bastion-sg", {"Role": "bastion", "Tier": "management"})
    w.sgs["fake"] = fake
    w.ingress("fake-ssh", "fake", 22, cidr_ipv4="203.0.113.0/24")
    aws.ec2.NetworkInterfaceSecurityGroupAttachment(
        "fake-on-web",
        security_group_id=fake.id,
        network_interface_id=w.web.primary_network_interface_id,
    )


def _default_sg_inline(w: World) -> None:
    aws.ec2.DefaultSecurityGroup(
        "default-sg-2",
        vpc_id=w.vpc.id,
        ingress=[
            aws.ec2.DefaultSecurityGroupIngressArgs(
                protocol="all", from_port=0, to_port=0, ipv6_cidr_blocks=["::/0"],
                description="everything",
            )
        ],
    )


def _inline_ingress_sg_on_web(w: World) -> None:
    aws.ec2.SecurityGroup(
        "web-admin-sg",
        vpc_id=w.vpc.id,
        description="admin",
        tags={"Role": "web", "Tier": "public"},
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=22, to_port=22, cidr_blocks=["203.0.113.0/24"],
                description="office SSH",
            )
        ],
    )


def _private_inline_sg_attached(w: World) -> None:
    # Not tagged private, but attached to the private db server through a second instance.
    sg = aws.ec2.SecurityGroup(
        "db-http-sg",
        vpc_id=w.vpc.id,
        description="http",
        tags={"Role": "db"},
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=80, to_port=80, cidr_blocks=["0.0.0.0/0"],
                description="http",
            )
        ],
    )
    aws.ec2.Instance(
        "db2",
        ami="ami-0123456789abcdef0",
        instance_type="t3.micro",
        subnet_id=w.subnets["priv"].id,
        vpc_security_group_ids=[sg.id],
        associate_public_ip_address=False,
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "db", "Tier": "private"},
    )


def _igw_inline_route_table(w: World) -> None:
    rt = aws.ec2.RouteTable(
        "private-rt-inline",
        vpc_id=w.vpc.id,
        routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=w.igw.id)],
        tags={"Tier": "private"},
    )
    aws.ec2.RouteTableAssociation(
        "priv-assoc-inline", subnet_id=w.subnets["priv"].id, route_table_id=rt.id
    )


def _ipv6_igw_route(w: World) -> None:
    aws.ec2.Route(
        "private-v6-igw",
        route_table_id=w.private_rt.id,
        destination_ipv6_cidr_block="::/0",
        gateway_id=w.igw.id,
    )


def _ipv6_eigw_route(w: World) -> None:
    eigw = aws.ec2.EgressOnlyInternetGateway("eigw", vpc_id=w.vpc.id)
    aws.ec2.Route(
        "private-v6-eigw",
        route_table_id=w.private_rt.id,
        destination_ipv6_cidr_block="::/0",
        egress_only_gateway_id=eigw.id,
    )


def _main_table_igw(w: World) -> None:
    aws.ec2.MainRouteTableAssociation(
        "main-public", vpc_id=w.vpc.id, route_table_id=w.public_rt.id
    )


def _eip_on_db(w: World) -> None:
    aws.ec2.Eip("db-eip", domain="vpc", instance=w.db.id)


def _eip_association_on_db(w: World) -> None:
    eip = aws.ec2.Eip("loose-eip", domain="vpc")
    aws.ec2.EipAssociation("db-eip-assoc", instance_id=w.db.id, allocation_id=eip.allocation_id)


def _private_nat(w: World) -> None:
    aws.ec2.NatGateway(
        "private-nat", subnet_id=w.subnets["priv"].id, connectivity_type="private"
    )


def _untagged_subnet(w: World) -> None:
    aws.ec2.Subnet(
        "loose", vpc_id=w.vpc.id, cidr_block="10.0.0.192/27", map_public_ip_on_launch=False
    )


def _launch_template(http_tokens: str | None, encrypted: bool) -> Tweak:
    def tweak(w: World) -> None:
        aws.ec2.LaunchTemplate(
            "lt",
            image_id="ami-0123456789abcdef0",
            metadata_options=(
                aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens=http_tokens)
                if http_tokens
                else None
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/sda1",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted=str(encrypted).lower()  # a string on the wire
                    ),
                )
            ],
        )

    return tweak


def _default_sg_egress(w: World) -> None:
    aws.ec2.DefaultSecurityGroup(
        "default-sg-3",
        vpc_id=w.vpc.id,
        egress=[
            aws.ec2.DefaultSecurityGroupEgressArgs(
                protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"],
                description="everything out",
            )
        ],
    )


def _rule_on_vpc_default_sg(w: World) -> None:
    aws.vpc.SecurityGroupIngressRule(
        "default-http",
        security_group_id=w.vpc.default_security_group_id,
        ip_protocol="tcp",
        from_port=80,
        to_port=80,
        cidr_ipv4="10.0.0.0/24",
        description="http inside the VPC",
    )


def _undescribed(w: World) -> None:
    aws.vpc.SecurityGroupIngressRule(
        "web-http",
        security_group_id=w.sgs["web"].id,
        ip_protocol="tcp",
        from_port=80,
        to_port=80,
        cidr_ipv4="0.0.0.0/0",
    )


def _nat_in_foreign_subnet(w: World) -> None:
    aws.ec2.NatGateway("foreign-nat", subnet_id="subnet-0123456789abcdef0",
                       allocation_id="eipalloc-0123456789abcdef0")


def _extra_instance(name: str, subnet_id: Any, tags: dict[str, str]) -> Tweak:
    def tweak(w: World) -> None:
        aws.ec2.Instance(
            name,
            ami="ami-0123456789abcdef0",
            instance_type="t3.micro",
            subnet_id=subnet_id(w) if callable(subnet_id) else subnet_id,
            vpc_security_group_ids=[w.sgs["web"].id],
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
            tags=tags,
        )

    return tweak


def _eip_on_private_eni(w: World) -> None:
    eni = aws.ec2.NetworkInterface("priv-eni", subnet_id=w.subnets["priv"].id)
    aws.ec2.Eip("eni-eip", domain="vpc", network_interface=eni.id)


def _private_default_via_eni(w: World) -> None:
    eni = aws.ec2.NetworkInterface("appliance-eni", subnet_id=w.subnets["pub"].id)
    aws.ec2.Route(
        "private-via-appliance",
        route_table_id=w.private_rt.id,
        destination_ipv6_cidr_block="::/0",
        network_interface_id=eni.id,
    )


def _web_ssh_port_from_output(w: World) -> None:
    port = w.nat.id.apply(lambda _: 22)
    aws.vpc.SecurityGroupIngressRule(
        "web-computed",
        security_group_id=w.sgs["web"].id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4="0.0.0.0/0",
        description="computed port",
    )


# ---------------------------------------------------------------------------------------------
# Doors the network model must see (issue 7), each with a compliant twin


def _lb(w: World, name: str, *, internal: bool = False, lb_type: str = "application",
        sg_ports: tuple[int, ...] | None = (443,)) -> aws.lb.LoadBalancer:
    """A load balancer in the public subnet; with a group admitting ``sg_ports`` from anywhere
    (None: no security group, which an NLB allows)."""
    groups: list[Any] = []
    if sg_ports is not None:
        w.sgs[name] = w.sg(f"{name}-sg", {"Role": "lb", "Tier": "public"})
        for port in sg_ports:
            w.ingress(f"{name}-in-{port}", name, port, cidr_ipv4="0.0.0.0/0")
        groups = [w.sgs[name].id]
    return aws.lb.LoadBalancer(
        name,
        internal=internal,
        load_balancer_type=lb_type,
        subnets=[w.subnets["pub"].id],
        security_groups=groups or None,
    )


def _forward(w: World, lb: aws.lb.LoadBalancer, name: str, listen: int, target: Any,
             target_port: int, protocol: str = "HTTPS", rule: bool = False) -> None:
    tg = aws.lb.TargetGroup(f"{name}-tg", port=target_port, protocol="TCP" if protocol in (
        "TCP", "TLS") else "HTTP", vpc_id=w.vpc.id, target_type="instance")
    aws.lb.TargetGroupAttachment(f"{name}-att", target_group_arn=tg.arn, target_id=target.id)
    forward = [aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)]
    if rule:
        listener = aws.lb.Listener(
            f"{name}-listener", load_balancer_arn=lb.arn, port=listen, protocol=protocol,
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="fixed-response",
                fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", status_code="404"))])
        aws.lb.ListenerRule(
            f"{name}-rule", listener_arn=listener.arn, priority=10,
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=tg.arn)],
            conditions=[aws.lb.ListenerRuleConditionArgs(
                path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/db/*"]))])
    else:
        aws.lb.Listener(f"{name}-listener", load_balancer_arn=lb.arn, port=listen,
                        protocol=protocol, default_actions=forward)


def _alb_to_db(rule: bool = False, internal: bool = False) -> Tweak:
    def tweak(w: World) -> None:
        lb = _lb(w, "alb", internal=internal)
        w.ingress("db-from-alb", "db", 3306, referenced_security_group_id=w.sgs["alb"].id)
        _forward(w, lb, "alb-db", 443, w.db, 3306, rule=rule)

    return tweak


def _nlb_to_db(internal: bool) -> Tweak:
    def tweak(w: World) -> None:
        lb = _lb(w, "nlb", internal=internal, lb_type="network", sg_ports=None)
        w.ingress("db-from-vpc", "db", 3306, cidr_ipv4="10.0.0.0/24")
        _forward(w, lb, "nlb-db", 3306, w.db, 3306, protocol="TCP")

    return tweak


def _alb_to_web(w: World) -> None:
    lb = _lb(w, "alb")
    w.ingress("web-from-alb", "web", 80, referenced_security_group_id=w.sgs["alb"].id)
    _forward(w, lb, "alb-web", 443, w.web, 80)


def _nlb_to_bastion(health_check_cidr: str | None) -> Tweak:
    # Port 2222 on an internet-facing NLB (no groups) forwarded to the bastion's port 22.
    def tweak(w: World) -> None:
        lb = _lb(w, "nlb", lb_type="network", sg_ports=None)
        if health_check_cidr:
            w.ingress("bastion-ssh-hc", "bastion", 22, cidr_ipv4=health_check_cidr)
        _forward(w, lb, "nlb-ssh", 2222, w.bastion, 22, protocol="TCP")

    return tweak


def _elb_to_db(w: World) -> None:
    w.ingress("db-from-vpc", "db", 3306, cidr_ipv4="10.0.0.0/24")
    w.sgs["elb"] = w.sg("elb-sg", {"Role": "lb", "Tier": "public"})
    w.ingress("elb-in", "elb", 3306, cidr_ipv4="0.0.0.0/0")
    aws.elb.LoadBalancer(
        "classic", subnets=[w.subnets["pub"].id], security_groups=[w.sgs["elb"].id],
        listeners=[aws.elb.LoadBalancerListenerArgs(
            lb_port=3306, lb_protocol="tcp", instance_port=3306, instance_protocol="tcp")],
        instances=[w.db.id])


def _hardened_lt(w: World, public: bool, name: str = "worker-lt") -> aws.ec2.LaunchTemplate:
    return aws.ec2.LaunchTemplate(
        name,
        image_id="ami-0123456789abcdef0",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required"),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/sda1",
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(encrypted="true"))],
        network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            device_index=0, associate_public_ip_address=str(public).lower(),
            security_groups=[w.sgs["db"].id])],
    )


def _asg_public_lt(public: bool) -> Tweak:
    def tweak(w: World) -> None:
        lt = _hardened_lt(w, public)
        aws.autoscaling.Group(
            "workers", min_size=1, max_size=2, vpc_zone_identifiers=[w.subnets["priv"].id],
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id=lt.id, version="$Latest"),
            tags=[aws.autoscaling.GroupTagArgs(key="Tier", value="private",
                                               propagate_at_launch=True)])

    return tweak


def _spot_public_lt(w: World) -> None:
    lt = _hardened_lt(w, True)
    aws.ec2.SpotInstanceRequest(
        "spot-worker", instance_type="t3.micro", subnet_id=w.subnets["priv"].id,
        launch_template=aws.ec2.SpotInstanceRequestLaunchTemplateArgs(id=lt.id),
        metadata_options=aws.ec2.SpotInstanceRequestMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.SpotInstanceRequestRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "worker", "Tier": "private"})


def _open_group_on_db_eni(w: World) -> None:
    sg = aws.ec2.SecurityGroup(
        "open-sg", vpc_id=w.vpc.id, description="open", tags={"Role": "ops"},
        ingress=[aws.ec2.SecurityGroupIngressArgs(
            protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"],
            description="everything")])
    aws.ec2.NetworkInterfaceSecurityGroupAttachment(
        "open-on-db", security_group_id=sg.id,
        network_interface_id=w.db.primary_network_interface_id)


def _vpc_group_on_db_eni(w: World) -> None:
    sg = aws.ec2.SecurityGroup(
        "vpc-sg", vpc_id=w.vpc.id, description="from the VPC", tags={"Role": "ops"},
        ingress=[aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp", from_port=9100, to_port=9100, cidr_blocks=["10.0.0.0/24"],
            description="metrics from the VPC")])
    aws.ec2.NetworkInterfaceSecurityGroupAttachment(
        "vpc-on-db", security_group_id=sg.id,
        network_interface_id=w.db.primary_network_interface_id)


def _main_table_nat_via_vpc_output(w: World) -> None:
    aws.ec2.Route("main-default", route_table_id=w.vpc.main_route_table_id,
                  destination_cidr_block="0.0.0.0/0", nat_gateway_id=w.nat.id)
    aws.ec2.RouteTableAssociation("priv-assoc-main", subnet_id=w.subnets["priv"].id,
                                  route_table_id=w.vpc.main_route_table_id)


def _eip_on_primary_eni(server: str) -> Tweak:
    def tweak(w: World) -> None:
        inst = w.db if server == "db" else w.bastion
        aws.ec2.Eip(f"{server}-eni-eip", domain="vpc",
                    network_interface=inst.primary_network_interface_id)

    return tweak


def _eip_association_on_db_eni(w: World) -> None:
    eip = aws.ec2.Eip("loose-eip", domain="vpc")
    aws.ec2.EipAssociation("db-eni-assoc", allocation_id=eip.allocation_id,
                           network_interface_id=w.db.primary_network_interface_id)


def _main_table_via_vpc_output(associate: bool) -> Tweak:
    def tweak(w: World) -> None:
        aws.ec2.Route("main-default", route_table_id=w.vpc.main_route_table_id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=w.igw.id)
        if associate:
            aws.ec2.RouteTableAssociation("priv-assoc-main", subnet_id=w.subnets["priv"].id,
                                          route_table_id=w.vpc.main_route_table_id)

    return tweak


def _second_eni_public_on_db(w: World) -> None:
    eni = aws.ec2.NetworkInterface("db-eth1", subnet_id=w.subnets["pub"].id,
                                   security_groups=[w.sgs["db"].id])
    aws.ec2.NetworkInterfaceAttachment("db-eth1-att", instance_id=w.db.id,
                                       network_interface_id=eni.id, device_index=1)
    aws.ec2.Eip("db-eth1-eip", domain="vpc", network_interface=eni.id)


def _private_ipv6_exposed(w: World, via: str) -> None:
    eigw = aws.ec2.EgressOnlyInternetGateway("eigw", vpc_id=w.vpc.id)
    target = {"gateway_id": w.igw.id} if via == "igw" else {"egress_only_gateway_id": eigw.id}
    aws.ec2.Route("private-v6", route_table_id=w.private_rt.id,
                  destination_ipv6_cidr_block="::/0", **target)
    aws.ec2.Instance(
        "db6", ami="ami-0123456789abcdef0", instance_type="t3.micro",
        subnet_id=w.subnets["priv"].id, vpc_security_group_ids=[w.sgs["db"].id],
        ipv6_address_count=1, associate_public_ip_address=False,
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "db", "Tier": "private"})
    w.ingress("db-v6-world", "db", 5432, cidr_ipv6="::/0")


def _endpoints_nacl_peering(w: World) -> None:
    aws.ec2.VpcEndpoint("s3", vpc_id=w.vpc.id, service_name="com.amazonaws.ap-northeast-2.s3",
                        vpc_endpoint_type="Gateway", route_table_ids=[w.private_rt.id])
    aws.ec2.VpcEndpoint("ssm", vpc_id=w.vpc.id, service_name="com.amazonaws.ap-northeast-2.ssm",
                        vpc_endpoint_type="Interface", subnet_ids=[w.subnets["priv"].id],
                        security_group_ids=[w.sgs["db"].id], private_dns_enabled=True)
    peer = aws.ec2.VpcPeeringConnection(
        "peer", vpc_id=w.vpc.id, peer_vpc_id="vpc-0abc1234def567890"
    )
    aws.ec2.Route("to-peer", route_table_id=w.private_rt.id, destination_cidr_block="10.1.0.0/16",
                  vpc_peering_connection_id=peer.id)
    aws.ec2.NetworkAcl(
        "priv-acl", vpc_id=w.vpc.id, subnet_ids=[w.subnets["priv"].id],
        ingress=[aws.ec2.NetworkAclIngressArgs(protocol="-1", rule_no=100, action="allow",
                                               cidr_block="10.0.0.0/16", from_port=0, to_port=0)],
        egress=[aws.ec2.NetworkAclEgressArgs(protocol="-1", rule_no=100, action="allow",
                                             cidr_block="0.0.0.0/0", from_port=0, to_port=0)])


def _nacl_blocks_web_ssh(block: bool) -> Tweak:
    # The web server opens 22 to the world, but a NACL on its subnet denies it (or not).
    def tweak(w: World) -> None:
        w.ingress("web-ssh-world", "web", 22, cidr_ipv4="0.0.0.0/0")
        entries = [aws.ec2.NetworkAclIngressArgs(protocol="-1", rule_no=200, action="allow",
                                                 cidr_block="0.0.0.0/0", from_port=0, to_port=0)]
        if block:
            entries.insert(0, aws.ec2.NetworkAclIngressArgs(
                protocol="tcp", rule_no=100, action="deny", cidr_block="0.0.0.0/0",
                from_port=22, to_port=22))
        aws.ec2.NetworkAcl("pub-acl", vpc_id=w.vpc.id, subnet_ids=[w.subnets["pub"].id],
                           ingress=entries)

    return tweak


def _db_on_public_eni(w: World) -> None:
    # A second DB server launched on an ENI in the public subnet that has an Elastic IP.
    eni = aws.ec2.NetworkInterface("db3-eth0", subnet_id=w.subnets["pub"].id,
                                   security_groups=[w.sgs["db"].id])
    aws.ec2.Eip("db3-eip", domain="vpc", network_interface=eni.id)
    aws.ec2.Instance(
        "db3", ami="ami-0123456789abcdef0", instance_type="t3.micro",
        primary_network_interface=aws.ec2.InstancePrimaryNetworkInterfaceArgs(
            network_interface_id=eni.id),
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "db", "Tier": "private"})


def _default_group_open(w: World) -> None:
    # A server with no groups declared gets the VPC's default group, opened by a rule.
    aws.vpc.SecurityGroupIngressRule(
        "default-ssh-world", security_group_id=w.vpc.default_security_group_id,
        ip_protocol="tcp", from_port=22, to_port=22, cidr_ipv4="0.0.0.0/0",
        description="ssh")
    aws.ec2.Instance(
        "web2", ami="ami-0123456789abcdef0", instance_type="t3.micro",
        subnet_id=w.subnets["pub"].id, associate_public_ip_address=True,
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "web2", "Tier": "public"})


DOORS: list[Case] = [
    # Forwarders: internet-facing load balancers.
    Case("door-alb-to-db", {(I, "alb-db-listener")}, tweak=_alb_to_db()),
    Case("door-alb-listener-rule-to-db", {(I, "alb-db-listener")}, tweak=_alb_to_db(rule=True)),
    Case("compliant-internal-alb-to-db", set(), tweak=_alb_to_db(internal=True)),
    Case("door-nlb-to-db", {(I, "nlb-db-listener")}, tweak=_nlb_to_db(internal=False)),
    Case("compliant-internal-nlb-to-db", set(), tweak=_nlb_to_db(internal=True)),
    Case("compliant-internet-alb-to-web", set(), tweak=_alb_to_web),
    Case("door-nlb-2222-to-bastion-22", {(B, "nlb-ssh-listener")},
         tweak=_nlb_to_bastion("10.0.0.0/24")),
    # The bastion admits only the office: through the NLB (client IPs kept) still only it.
    Case("compliant-nlb-to-bastion-office-only", set(), tweak=_nlb_to_bastion(None)),
    Case("door-classic-elb-to-db", {(I, "classic")}, tweak=_elb_to_db),
    # Launch templates.
    Case("door-asg-public-launch-template", {(I, "worker-lt")}, tweak=_asg_public_lt(True)),
    Case("compliant-asg-private-launch-template", set(), tweak=_asg_public_lt(False)),
    Case("door-spot-public-launch-template", {(I, "worker-lt")}, tweak=_spot_public_lt),
    # Groups attached afterwards.
    Case("door-open-group-on-db-eni", {(P, "open-sg"), (S, "open-sg")},
         tweak=_open_group_on_db_eni),
    Case("compliant-vpc-group-on-db-eni", set(), tweak=_vpc_group_on_db_eni),
    # Elastic IPs by any path.
    Case("door-eip-on-db-primary-eni", {(I, "db-eni-eip")}, tweak=_eip_on_primary_eni("db")),
    Case("compliant-eip-on-bastion-primary-eni", set(),
         tweak=_eip_on_primary_eni("bastion")),
    Case("door-eip-association-on-db-eni", {(I, "db-eni-assoc")},
         tweak=_eip_association_on_db_eni),
    Case("door-db-second-eni-public", {(I, "db-eth1-eip"), (N, "db-eth1")},
         tweak=_second_eni_public_on_db),
    # The tier mismatch is flagged by tier-declared; the model still sees the public ENI.
    Case("door-db-launched-on-public-eni", {(I, "db3-eip"), (N, "db3-eth0"), (T, "db3")},
         tweak=_db_on_public_eni),
    Case("door-default-group-open-to-web2", {(B, "default-ssh-world"), (S, "default-ssh-world"),
                                             (D, "default-ssh-world")},
         tweak=_default_group_open),
    # The main route table through vpc.mainRouteTableId.
    Case("door-main-table-via-vpc-output", {(N, "priv")}, tweak=_main_table_via_vpc_output(True)),
    Case("door-main-table-unassociated", {(N, "priv")}, Opts(priv_associated=False),
         tweak=_main_table_via_vpc_output(False)),
    Case("compliant-main-table-nat-via-vpc-output", set(), tweak=_main_table_nat_via_vpc_output),
    # IPv6 on the private tier.
    Case("door-private-ipv6-via-igw", {(N, "priv"), (I, "db-v6-world"), (P, "db-v6-world")},
         tweak=lambda w: _private_ipv6_exposed(w, "igw")),
    # Not reachable (egress-only), so only the defence-in-depth group rule fires.
    Case("private-ipv6-egress-only-unreachable", {(P, "db-v6-world")},
         tweak=lambda w: _private_ipv6_exposed(w, "eigw")),
    # Compliant designs AWS users build.
    Case("compliant-endpoints-nacl-peering", set(), tweak=_endpoints_nacl_peering),
    Case("compliant-nacl-denies-web-ssh", {(S, "web-ssh-world")}, tweak=_nacl_blocks_web_ssh(True)),
    Case("door-web-ssh-world-nacl-allows", {(B, "web-ssh-world"), (S, "web-ssh-world")},
         tweak=_nacl_blocks_web_ssh(False)),
]


CASES: list[Case] = [
    Case("compliant-dev", set()),
    Case("compliant-prod", set(), Opts(office_cidrs=("198.51.100.0/24", "2001:db8::/32")),
         config="prod"),
    Case("compliant-office-subnet", set(),
         tweak=_bastion_rule("bastion-ssh-narrow", cidr_ipv4="203.0.113.128/25")),
    Case("compliant-prod-v6-office-subnet", set(),
         Opts(office_cidrs=("198.51.100.0/24", "2001:db8:1::/48")), config="prod"),
    Case("compliant-no-nat-route", set(), Opts(priv_default_route="none")),
    Case("compliant-private-nat-in-private-subnet", set(), tweak=_private_nat),
    Case("compliant-ipv6-egress-only", set(), tweak=_ipv6_eigw_route),
    Case("compliant-db-ingress-inside-vpc", set(),
         tweak=_ingress_rule("db-from-pub", "db", 3306, cidr_ipv4="10.0.0.0/26")),
    Case("compliant-sg-rule-from-bastion", set(), tweak=_db_ssh_from_bastion_sg_rule),
    # 1. bastion-ssh-only-from-office
    Case("bastion-from-internet-v4", {(B, "bastion-ssh-world")},
         tweak=_bastion_rule("bastion-ssh-world", cidr_ipv4="0.0.0.0/0")),
    Case("bastion-from-internet-v6", {(B, "bastion-ssh-world6")}, Opts(ipv6=True),
         tweak=_bastion_rule("bastion-ssh-world6", cidr_ipv6="::/0")),
    # Rule 1 as written (issue 13 point 4): the rule is the violation even though, without an
    # IPv6 address or a ::/0 route, it reaches nothing today -- both can come later.
    Case("bastion-v6-rule-without-ipv6-address", {(B, "bastion-ssh-world6")},
         tweak=_bastion_rule("bastion-ssh-world6", cidr_ipv6="::/0")),
    # ... and no false alarm from it: an office CIDR that no route serves yet, SSH from the VPC
    # itself (not the internet), and another port open to the world on the bastion.
    Case("compliant-v6-office-rule-without-ipv6-address", set(),
         Opts(office_cidrs=("203.0.113.0/24", "2001:db8::/32")),
         config={B: {"officeCidrs": ["203.0.113.0/24", "2001:db8::/32"]}}),
    Case("compliant-bastion-ssh-from-the-vpc", set(),
         tweak=_bastion_rule("bastion-ssh-vpc", cidr_ipv4="10.0.0.0/24")),
    Case("compliant-bastion-https-from-the-world", set(),
         tweak=_ingress_rule("bastion-https", "bastion", 443, cidr_ipv4="0.0.0.0/0")),
    Case("bastion-from-office-superset", {(B, "bastion-ssh-wide")},
         tweak=_bastion_rule("bastion-ssh-wide", cidr_ipv4="203.0.0.0/16")),
    Case("bastion-v6-office-v4-only", {(B, "bastion-ssh-office-1")},
         Opts(office_cidrs=("203.0.113.0/24", "2001:db8::/32"), ipv6=True)),
    Case("bastion-all-protocols-sg-rule", {(B, "bastion-all")},
         tweak=_sg_rule("bastion-all", "bastion", protocol="-1", from_port=0, to_port=0,
                        cidr_blocks=["198.51.100.0/24"])),
    Case("bastion-computed-cidr", set(), tweak=_office_from_eip,
         preview_expected={(B, "bastion-ssh-computed")}),
    # Outside a management subnet the bastion's group is not the bastion's: nothing is.
    Case("bastion-prefix-list", {(B, "bastion-pl")},
         tweak=_bastion_rule("bastion-pl", prefix_list_id="pl-0123456789abcdef0")),
    # The port is computed (unknown in preview): the rule may admit SSH, so it fails closed.
    Case("web-ssh-computed-port", {(B, "web-computed"), (S, "web-computed")},
         tweak=_web_ssh_port_from_output),
    Case("bastion-on-wrong-subnet",
         {(B, "bastion-ssh-office-0"), (T, "bastion"), (S, "bastion-ssh-office-0"),
          (S, "web-ssh"), (S, "db-ssh")},
         Opts(bastion_subnet="pub")),
    Case("fake-bastion-tag", {(B, "fake-ssh"), (S, "fake-ssh")}, tweak=_fake_bastion_on_web),
    # Not attached to anything: no path from the internet, but still SSH not from the bastion.
    Case("web-inline-ssh-from-office", {(S, "web-admin-sg")},
         tweak=_inline_ingress_sg_on_web),
    Case("web-sg-rule-all-traffic", {(B, "web-all"), (S, "web-all")},
         tweak=_sg_rule("web-all", "web", protocol="all", from_port=0, to_port=0,
                        cidr_blocks=["0.0.0.0/0"])),
    Case("web-sg-rule-upper-tcp", {(B, "web-tcp"), (S, "web-tcp")},
         tweak=_sg_rule("web-tcp", "web", protocol="TCP", from_port=20, to_port=23,
                        cidr_blocks=["198.51.100.7/32"])),
    Case("db-all-protocols-from-vpc", {(S, "db-all-vpc")},
         tweak=_db_all_from_vpc),
    Case("db-tcp6-full-range", {(S, "db-range"), (P, "db-range")},
         tweak=_sg_rule("db-range", "db", protocol="6", from_port=0, to_port=65535,
                        cidr_blocks=["10.1.0.0/16"])),
    Case("default-sg-inline-all-v6", {(S, "default-sg-2"), (D, "default-sg-2")},
         tweak=_default_sg_inline),
    Case("config-whole-internet", {(B, None), (B, "bastion-ssh-office-0")},
         config={B: {"officeCidrs": ["0.0.0.0/0"]}}),
    Case("config-malformed", {(B, None), (B, "bastion-ssh-office-0")},
         config={B: {"officeCidrs": ["203.0.113.0/33"]}}),
    # 2. servers-ssh-only-from-bastion
    Case("db-ssh-from-web-sg", {(S, "db-ssh")}, Opts(db_ssh_source="web")),
    Case("db-ssh-from-self", {(S, "db-self")},
         tweak=_sg_rule("db-self", "db", protocol="tcp", from_port=22, to_port=22, self=True)),
    Case("db-ssh-prefix-list", {(S, "db-pl"), (P, "db-pl")},
         tweak=_ingress_rule("db-pl", "db", 22, prefix_list_id="pl-0123456789abcdef0")),
    # 3. private-tier-no-outside-cidrs
    Case("db-mysql-from-internet", {(P, "db-world")},
         tweak=_ingress_rule("db-world", "db", 3306, cidr_ipv4="0.0.0.0/0")),
    Case("db-v6-sg-rule", {(P, "db-v6")},
         tweak=_sg_rule("db-v6", "db", protocol="tcp", from_port=5432, to_port=5432,
                        ipv6_cidr_blocks=["::/0"])),
    Case("private-by-attachment-inline", {(P, "db-http-sg")}, tweak=_private_inline_sg_attached),
    # 4. private-subnets-egress-via-nat
    Case("private-subnet-maps-public-ip", {(N, "priv")}, Opts(priv_map_public_ip=True)),
    # Decision: an absent mapPublicIpOnLaunch is false (the AWS and provider default).
    Case("compliant-private-subnet-map-public-ip-unset", set(),
         Opts(priv_map_public_ip=None)),
    Case("private-route-to-igw", {(N, "priv")}, Opts(priv_default_route="igw")),
    Case("private-inline-route-to-igw", {(N, "priv")},
         Opts(priv_associated=False), tweak=_igw_inline_route_table),
    Case("private-v6-route-to-igw", {(N, "priv")}, tweak=_ipv6_igw_route),
    Case("private-v6-default-via-eni", {(N, "priv")}, tweak=_private_default_via_eni),
    Case("private-unassociated-main-igw", {(N, "priv")},
         Opts(priv_associated=False), tweak=_main_table_igw),
    # 5. private-servers-no-public-ip
    Case("db-associate-public-ip", {(I, "db")}, Opts(db_public_ip=True)),
    Case("db-eip", {(I, "db-eip")}, tweak=_eip_on_db),
    Case("db-eip-association", {(I, "db-eip-assoc")}, tweak=_eip_association_on_db),
    Case("eip-on-private-eni", {(I, "eni-eip")}, tweak=_eip_on_private_eni),
    Case("db-private-tag-in-public-subnet", {(I, "db"), (T, "db"), (N, "db")},
         Opts(db_subnet="pub", db_public_ip=None)),
    # 6. nat-gateways-in-public-subnets
    Case("nat-in-private-subnet", {(G, "nat")}, Opts(nat_subnet="priv")),
    Case("nat-in-foreign-subnet", {(G, "foreign-nat")}, tweak=_nat_in_foreign_subnet),
    # 7. tier-declared
    Case("subnet-without-tier", {(T, "loose")}, tweak=_untagged_subnet),
    Case("private-subnet-tag-dropped", {(T, "priv"), (T, "db")}, Opts(priv_subnet_tags={})),
    Case("instance-in-foreign-subnet", {(T, "ext")},
         tweak=_extra_instance("ext", "subnet-0123456789abcdef0",
                               {"Role": "ext", "Tier": "public"})),
    Case("instance-without-subnet", {(T, "nosubnet")},
         tweak=_extra_instance("nosubnet", None, {"Role": "x", "Tier": "public"})),
    Case("instance-tier-mismatch", {(T, "misplaced")},
         tweak=_extra_instance("misplaced", lambda w: w.subnets["mgmt"].id,
                               {"Role": "web2", "Tier": "public"})),
    Case("instance-without-role", {(T, "db")}, Opts(db_tags={"Tier": "private"})),
    Case("instance-tier-wrong-case", {(T, "db")}, Opts(db_tags={"Role": "db", "Tier": "Private"})),
    # 8. hardening
    Case("imdsv1-optional", {(MD, "db")}, Opts(db_http_tokens="optional")),
    Case("imds-unset", {(MD, "db")}, Opts(db_http_tokens=None)),
    Case("root-unencrypted", {(RV, "db")}, Opts(db_root_encrypted=False)),
    Case("root-device-unset", {(RV, "db")}, Opts(db_root_encrypted=None)),
    Case("launch-template-unhardened", {(MD, "lt"), (RV, "lt")},
         tweak=_launch_template(None, False)),
    Case("launch-template-hardened", set(), tweak=_launch_template("required", True)),
    Case("default-sg-inline-egress", {(D, "default-sg-3")}, tweak=_default_sg_egress),
    Case("rule-on-vpc-default-sg", {(D, "default-http")}, tweak=_rule_on_vpc_default_sg),
    Case("no-flow-log", {(FL, "vpc")}, Opts(flow_log=False)),
    Case("undescribed-rule", {(DS, "web-http")}, tweak=_undescribed),
]


CASES += DOORS


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_policy_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    diags = analyze(pack, case, mode, tmp_path, gates=True)
    if check_gates(pack, diags, case, mode):
        diags = analyze(pack, case, mode, tmp_path)  # the gates off: what AnalyzeStack judges
    check(diags, case.expected_for(mode))

