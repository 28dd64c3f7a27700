"""The whole program (__main__.py) with the dev and prod stack configs, under the review engine.

The engine runs the program exactly as `make review` does (Pulumi.yaml defaults overlaid by
Pulumi.<stack>.yaml, AwsMocks in update mode), so these tests and the review share one path.
"""

from __future__ import annotations

import ipaddress
import json
import re
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.errors import ConfigError
from review import ProgramRun, RecordedResource, load_stack_config, run_program
from review.errors import ProgramError
from tests.conftest import RecordingMocks, build

ROOT = Path(__file__).resolve().parent.parent
AWS = "aws:ec2/"


def run(stack: str, **overrides: Any) -> ProgramRun:
    config = load_stack_config(ROOT, stack)
    for key, value in overrides.items():
        full = key if ":" in key else f"tiered-network:{key}"
        config[full] = value if isinstance(value, str) else json.dumps(value)
    return run_program(ROOT / "__main__.py", config=config, mode="update", stack=stack)


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run("dev")


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run("prod")


def of_type(run: ProgramRun, token: str) -> list[RecordedResource]:
    return [r for r in run.resources if r.type == token]


def by_id(run: ProgramRun, token: str) -> dict[str, RecordedResource]:
    return {r.outputs["id"]: r for r in of_type(run, token)}


def test_dev_mirrors_the_course(dev: ProgramRun) -> None:
    subnets = {r.inputs["tags"]["Name"]: r.inputs for r in of_type(dev, AWS + "subnet:Subnet")}
    assert {
        n: (s["cidrBlock"], s["availabilityZone"][-1], s["tags"]["Tier"])
        for n, s in subnets.items()
    } == {
        "dev-external-a": ("192.168.10.0/26", "a", "public"),
        "dev-external-c": ("192.168.10.64/26", "c", "public"),
        "dev-internal": ("192.168.10.128/27", "a", "private"),
        "dev-management": ("192.168.10.160/27", "a", "management"),
    }
    assert len(of_type(dev, AWS + "natGateway:NatGateway")) == 1
    assert of_type(dev, AWS + "flowLog:FlowLog") == []
    (vpc,) = of_type(dev, AWS + "vpc:Vpc")
    assert vpc.protect is False
    instances = {r.inputs["tags"]["Role"]: r for r in of_type(dev, AWS + "instance:Instance")}
    assert set(instances) == {"bastion", "web", "db"}
    for inst in instances.values():
        assert inst.inputs["metadataOptions"]["httpTokens"] == "required"
        assert inst.inputs["rootBlockDevice"]["encrypted"] is True
    assert instances["db"].inputs["associatePublicIpAddress"] is False
    assert instances["web"].inputs["associatePublicIpAddress"] is True
    # Every component child has its component as parent; nothing hangs off the stack but them.
    by_urn = dev.by_urn()
    components = {r.urn for r in dev.resources if not r.custom and r.type.startswith("tierednet:")}
    assert {by_urn[u].type for u in components} == {
        "tierednet:index:TieredNetwork",  # served by the component plugin (plugin/)
        "tierednet:compute:Server",
        "tierednet:index:Bastion",
        "tierednet:audit:AuditLog",  # auditLog: cloudwatch, the default, inside the bastion
    }
    for r in dev.resources:
        if r.custom and r.type.startswith("aws:") and not r.type.startswith("pulumi:providers"):
            assert r.parent in components, f"{r.name} is not inside a component"


def test_dev_security_groups_follow_the_course(dev: ProgramRun) -> None:
    sgs = {
        r.outputs["id"]: r.inputs["tags"]["Role"]
        for r in of_type(dev, AWS + "securityGroup:SecurityGroup")
    }
    rules = of_type(dev, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    seen: set[tuple[str, int, str]] = set()
    for r in rules:
        i = r.inputs
        source = i.get("cidrIpv4") or i.get("cidrIpv6") or sgs[i["referencedSecurityGroupId"]]
        seen.add((sgs[i["securityGroupId"]], int(i["fromPort"]), source))
    assert seen == {
        ("bastion", 22, "203.0.113.0/24"),
        ("web", 80, "0.0.0.0/0"),
        ("web", 80, "::/0"),
        ("web", 22, "bastion"),
        ("db", 3306, "web"),
        ("db", 22, "bastion"),
    }


def test_dev_outputs_and_bastion_hosts_carry_private_ips(dev: ProgramRun) -> None:
    out = dev.outputs
    instances = {r.inputs["tags"]["Role"]: r for r in of_type(dev, AWS + "instance:Instance")}
    ips = {role: instances[role].outputs["privateIp"] for role in ("web", "db")}
    assert out["serverPrivateIps"] == ips
    assert ipaddress.ip_address(ips["web"]) in ipaddress.ip_network("192.168.10.0/26")
    assert ipaddress.ip_address(ips["db"]) in ipaddress.ip_network("192.168.10.128/27")
    (eip,) = [e for e in of_type(dev, AWS + "eip:Eip") if "instance" in e.inputs]
    assert out["bastionPublicIp"] == eip.outputs["publicIp"]
    (nat,) = of_type(dev, AWS + "natGateway:NatGateway")
    assert out["natPublicIps"] == [nat.outputs["publicIp"]]
    for role, ip in ips.items():
        assert re.search(rf"Host dev-{role}\n    HostName {re.escape(ip)}\n", out["sshConfig"])
    assert out["sshConfig"].count("ProxyJump dev-bastion") == 2
    user_data = instances["bastion"].inputs["userData"]
    assert f"{ips['web']} web" in user_data and f"{ips['db']} db" in user_data
    assert "Restart=on-failure" in instances["db"].inputs["userData"]


def test_instances_wait_for_their_subnets_egress_and_keep_their_ami(dev: ProgramRun) -> None:
    """Real-AWS ordering the mocks can't show: cloud-init's first apt run needs the routes."""
    urn = {r.name: r.urn for r in dev.resources}
    instances = {r.inputs["tags"]["Role"]: r for r in of_type(dev, AWS + "instance:Instance")}
    expect = {
        "web": {"dev-external-a-rta", "dev-public-default"},
        "db": {"dev-internal-rta", "dev-private-rt-default"},
        "bastion": {"dev-management-rta", "dev-public-default"},
    }
    for role, names in expect.items():
        assert {urn[n] for n in names} <= set(instances[role].dependencies), role
        assert instances[role].ignore_changes[0] == "ami", role
    # The private default route leads to the NAT gateway, so the DB waits for NAT as well.
    (private_route,) = [r for r in of_type(dev, AWS + "route:Route") if "natGatewayId" in r.inputs]
    assert urn["dev-nat-a"] in private_route.dependencies
    # The bastion's EIP waits for the management subnet's route, i.e. an attached IGW.
    (eip,) = [e for e in of_type(dev, AWS + "eip:Eip") if "instance" in e.inputs]
    assert urn["dev-public-default"] in eip.dependencies
    (public_route,) = [r for r in of_type(dev, AWS + "route:Route") if "gatewayId" in r.inputs]
    assert urn["dev-igw"] in public_route.dependencies


def test_prod_spreads_over_three_azs_with_a_nat_each(prod: ProgramRun) -> None:
    subnets = by_id(prod, AWS + "subnet:Subnet")
    nats = of_type(prod, AWS + "natGateway:NatGateway")
    assert sorted(subnets[n.inputs["subnetId"]].inputs["availabilityZone"] for n in nats) == [
        "ap-northeast-2a",
        "ap-northeast-2b",
        "ap-northeast-2c",
    ]
    assert all(subnets[n.inputs["subnetId"]].inputs["tags"]["Tier"] == "public" for n in nats)
    # Each private subnet's table routes to the NAT gateway of its own AZ.
    nat_az = {
        n.outputs["id"]: subnets[n.inputs["subnetId"]].inputs["availabilityZone"] for n in nats
    }
    routes = {r.inputs["routeTableId"]: r.inputs for r in of_type(prod, AWS + "route:Route")}
    assoc = {
        a.inputs["subnetId"]: a.inputs["routeTableId"]
        for a in of_type(prod, AWS + "routeTableAssociation:RouteTableAssociation")
    }
    assert set(assoc) == set(subnets)
    private = [s for s in subnets.values() if s.inputs["tags"]["Tier"] == "private"]
    assert len(private) == 3
    for s in private:
        route = routes[assoc[s.outputs["id"]]]
        assert nat_az[route["natGatewayId"]] == s.inputs["availabilityZone"]
    (flow,) = of_type(prod, AWS + "flowLog:FlowLog")
    (vpc,) = of_type(prod, AWS + "vpc:Vpc")
    assert flow.inputs["vpcId"] == vpc.outputs["id"]
    (policy,) = [
        r
        for r in of_type(prod, "aws:iam/rolePolicy:RolePolicy")
        if r.name.endswith("flow-logs-policy")
    ]
    assert policy.urn in flow.dependencies  # the role may write before the log starts
    assert vpc.protect is True
    office = {
        r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6")
        for r in of_type(prod, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name.startswith("bastion-ssh-office")
    }
    assert office == {"198.51.100.0/24"}
    assert len(prod.outputs["natPublicIps"]) == 3


def test_provider_default_tags_carry_project_and_stack(dev: ProgramRun) -> None:
    (provider,) = [r for r in dev.resources if r.type == "pulumi:providers:aws"]
    tags = (
        json.loads(provider.inputs["defaultTags"])["tags"]
        if isinstance(provider.inputs["defaultTags"], str)
        else provider.inputs["defaultTags"]["tags"]
    )
    assert tags == {"Project": "tiered-network", "Stack": "dev", "Owner": "dev"}
    assert provider.inputs["region"] == "ap-northeast-2"


def test_stack_office_cidrs_lie_inside_the_packs() -> None:
    """The pack's list is the account guardians' and may be wider (prod's allows an IPv6
    range for later); the stack's must lie inside it (see review/pipeline.py)."""
    for stack in ("dev", "prod"):
        stack_cidrs = json.loads(load_stack_config(ROOT, stack)["tiered-network:officeCidrs"])
        pack = json.loads((ROOT / "policies" / "config" / f"{stack}.json").read_text())
        pack_cidrs = next(
            v["officeCidrs"] for v in pack.values() if isinstance(v, dict) and "officeCidrs" in v
        )
        nets = [ipaddress.ip_network(c) for c in pack_cidrs]
        for cidr in stack_cidrs:
            net = ipaddress.ip_network(cidr)
            assert any(net.version == p.version and net.subnet_of(p) for p in nets), stack


BAD_INPUT = [
    ({"vpcCidr": "192.168.10.0/33"}, "vpcCidr", "not a valid CIDR"),
    ({"subnets": ["web:public:a:10.0.0.0/26"]}, "subnets[0].cidr", "outside the VPC"),
    (
        {"subnets": ["a:public:a:192.168.10.0/25", "b:private:a:192.168.10.64/26"]},
        "subnets[1].cidr",
        "overlaps",
    ),
    (
        {"subnets": ["a:public:a:/25", "b:private:a:/25", "c:management:a:/27"]},
        "subnets[2].size",
        "does not fit",
    ),
    ({"subnets": ["a:public:a"]}, "subnets[0]", "name:tier:az:size"),
    ({"subnets": ["a:dmz:a:/26"]}, "subnets[0].tier", "unknown tier"),
    ({"availabilityZones": ["us-east-1a"]}, "availabilityZones[0]", "not an AZ of region"),
    (
        {
            "subnets": [
                "external-a:public:a:/26",
                "internal:private:b:/27",
                "management:management:a:/27",
            ]
        },
        "subnets[1].az",
        "not one of",
    ),
    ({"officeCidrs": ["0.0.0.0/0"]}, "officeCidrs[0]", "whole internet"),
    ({"officeCidrs": ["::/0"]}, "officeCidrs[0]", "whole internet"),
    ({"sshPublicKey": ""}, "sshPublicKey", "ssh-keygen"),
    ({"natStrategy": "two"}, "natStrategy", "single, one-per-az, none"),
    ({"webSubnet": "internal"}, "webSubnet", "serves port 80 to the internet"),
    ({"managementSubnet": "external-a"}, "managementSubnet", "is a public subnet"),
    ({"idleTimeoutSeconds": "5"}, "idleTimeoutSeconds", "60 to 3600"),
    ({"webInstanceType": "huge"}, "webInstanceType", "not an EC2 instance type"),
]


@pytest.mark.parametrize(("overrides", "setting", "words"), BAD_INPUT)
def test_bad_config_is_refused_naming_key_value_and_fix(
    overrides: dict[str, Any], setting: str, words: str
) -> None:
    with pytest.raises(ProgramError) as err:
        run("dev", **overrides)
    original = err.value.original
    assert isinstance(original, ConfigError), err.value
    assert original.setting == setting
    assert words in str(original) and "Fix:" in str(original)


def test_missing_office_cidrs_and_key_are_refused() -> None:
    config = load_stack_config(ROOT, "dev")
    for key in ("tiered-network:officeCidrs", "tiered-network:sshPublicKey"):
        broken = {k: v for k, v in config.items() if k != key}
        with pytest.raises(ProgramError) as err:
            run_program(ROOT / "__main__.py", config=broken, mode="update", stack="dev")
        assert isinstance(err.value.original, ConfigError)
        assert err.value.original.setting == key.split(":")[1]


def test_bad_input_registers_nothing(mocks: RecordingMocks) -> None:
    """Validation runs before the first resource: a refused stack leaves nothing half-made."""
    config = load_stack_config(ROOT, "dev")
    config["tiered-network:officeCidrs"] = '["0.0.0.0/0"]'
    pulumi.runtime.config.set_all_config(config, [])
    with pytest.raises(ConfigError):
        build(lambda: runpy.run_path(str(ROOT / "__main__.py")))
    assert mocks.registered == []
    # The same run with the office CIDR fixed registers the whole stack.
    config["tiered-network:officeCidrs"] = '["203.0.113.0/24"]'
    pulumi.runtime.config.set_all_config(config, [])
    build(lambda: runpy.run_path(str(ROOT / "__main__.py")))
    assert len(mocks.of_type(":Instance")) == 3
