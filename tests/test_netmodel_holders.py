"""The holder table (policies/rules/netmodel/holder_table.py), on plain records: adding a holder
is one entry, every path form of an entry is read, and what an entry cannot resolve fails
closed with the value named."""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules.netmodel import HOLDER_TYPES, HOLDERS, NetworkModel, holder_table
from policies.rules.netmodel.holder_table import Flag, Holder, Reading, Via
from policies.rules.records import UNKNOWN, Record

STACK = "urn:pulumi:dev::t::"
INVENTED = "aws:fictional/appliance:Appliance"
INVENTED_GROUP = "aws:fictional/placement:Placement"


def _rec(typ: str, name: str, deps: dict[str, list[str]] | None = None,
         **props: Any) -> Record:
    return Record(typ, f"{STACK}{typ}::{name}", name, props, deps or {})


def _urn(typ: str, name: str) -> str:
    return f"{STACK}{typ}::{name}"


SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
VPC = "aws:ec2/vpc:Vpc"


def _world(*extra: Record) -> list[Record]:
    return [
        _rec(VPC, "vpc", id="vpc-1", cidrBlock="10.0.0.0/16", defaultSecurityGroupId="sg-def"),
        _rec(SUBNET, "pub", id="subnet-pub", vpcId="vpc-1", cidrBlock="10.0.0.0/24",
             mapPublicIpOnLaunch=True, tags={"Tier": "public"}),
        _rec(SUBNET, "priv", id="subnet-priv", vpcId="vpc-1", cidrBlock="10.0.1.0/24",
             mapPublicIpOnLaunch=False, tags={"Tier": "private"}),
        _rec(SG, "app", id="sg-app", vpcId="vpc-1"),
        *extra,
    ]


def _names(model: NetworkModel, owner: str) -> list[tuple[str | None, list[str], bool, bool]]:
    """(subnet, groups, public IPv4, IPv6) of each interface of ``owner``."""
    out = []
    for i in model.interfaces:
        if i.owner.name == owner:
            out.append((i.subnet.res.name if i.subnet else None, [g.name for g in i.groups],
                        i.has_public_v4 is True, i.has_ipv6 is True))
    return out


def test_adding_a_holder_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """An invented type that places interfaces through a placement resource it references (a
    nested path, a Via, a flag with a value): without an entry the model does not see it; with
    one entry it does, and its public address reaches private-servers-no-public-ip's question."""
    records = _world(
        _rec(INVENTED_GROUP, "spread", id="pl-1", subnets=["subnet-pub", "subnet-priv"]),
        _rec(INVENTED, "box", id="box-1", placement={"ref": "pl-1"},
             network={"groups": ["sg-app"], "publicAccess": "ENABLED"}),
    )
    assert INVENTED not in HOLDER_TYPES
    assert _names(NetworkModel(records), "box") == []
    entry = Holder(INVENTED, "service",
                   subnets=(Via("placement.ref", {INVENTED_GROUP: "id"}, "subnets"),),
                   groups=("network.groups",), public_v4=(Flag("network.publicAccess"),))
    monkeypatch.setattr(holder_table, "HOLDERS", (*HOLDERS, entry))
    model = NetworkModel(records)
    assert _names(model, "box") == [("pub", ["app"], True, False),
                                    ("priv", ["app"], True, False)]
    (private,) = [i for i in model.interfaces if i.owner.name == "box" and i.private]
    assert [r.text for r in private.public_v4] == ["network.publicAccess of Appliance 'box'"]
    assert len({i.key for i in model.interfaces}) == len(model.interfaces)  # keys stay unique


def test_the_table_covers_the_holders_of_issue_17() -> None:
    assert {
        "aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
        "aws:autoscaling/group:Group", "aws:ec2/spotFleetRequest:SpotFleetRequest",
        "aws:ec2/fleet:Fleet", "aws:ec2/networkInterface:NetworkInterface",
        "aws:ecs/service:Service", "aws:ecs/taskSet:TaskSet", "aws:lambda/function:Function",
        "aws:rds/instance:Instance", "aws:rds/cluster:Cluster",
        "aws:rds/clusterInstance:ClusterInstance", "aws:elasticache/cluster:Cluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/serverlessCache:ServerlessCache", "aws:efs/mountTarget:MountTarget",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2clientvpn/networkAssociation:NetworkAssociation",
        "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint",
    } == HOLDER_TYPES
    assert isinstance(HOLDER_TYPES, frozenset)


def test_the_table_names_real_inputs() -> None:
    """Every path's top-level property is an input of the type in pulumi-aws 7.x (the SDK's
    resource class takes it as a keyword argument); inside an ``each`` block, the block's is
    (its paths run in tests/test_policies_attacks.py and test_policies_holders.py)."""
    import inspect
    import re

    import pulumi_aws as aws

    for entry in (*HOLDERS, *holder_table.TEMPLATES.values()):
        found = re.match(r"aws:([^/]+)/[^:]+:(\w+)", entry.type)
        assert found is not None
        module, cls = found.groups()
        klass = getattr(getattr(aws, "lambda_" if module == "lambda" else module), cls)
        params = set(inspect.signature(klass._internal_init).parameters)
        camel = {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), p) for p in params}
        tops = [s if isinstance(s, str) else s.ref for s in (*entry.subnets, *entry.groups)]
        tops += [f.path for f in (*entry.public_v4, *entry.ipv6)] + list(entry.templates)
        for path in [entry.each] if entry.each else tops:
            top = path.split(".")[0].split("[")[0]
            assert top in camel, (entry.type, path)


def test_spot_fleet_blocks_each_place_their_own_interfaces() -> None:
    fleet = "aws:ec2/spotFleetRequest:SpotFleetRequest"
    records = _world(_rec(fleet, "fleet", launchSpecifications=[
        {"subnetId": "subnet-priv", "vpcSecurityGroupIds": ["sg-app"],
         "associatePublicIpAddress": False},
        {"subnetId": "subnet-pub", "ipv6AddressCount": 1},
    ]))
    assert _names(NetworkModel(records), "fleet") == [
        ("priv", ["app"], False, False),
        ("pub", ["vpc"], True, True),  # the VPC's default group; the subnet maps public IPs
    ]


def test_an_unresolvable_subnet_group_fails_closed() -> None:
    """A DB in a subnet group of another stack asking for a public address: the subnet is
    undeterminable and the address a public-IP problem naming the group."""
    rds = "aws:rds/instance:Instance"
    model = NetworkModel(_world(_rec(rds, "db", dbSubnetGroupName="shared",
                                     publiclyAccessible=True, vpcSecurityGroupIds=["sg-app"])))
    (iface,) = [i for i in model.interfaces if i.owner.name == "db"]
    assert iface.subnet is None and iface.subnet_unknown
    (problem,) = model.public_ip_problems
    assert "dbSubnetGroupName 'shared'" in problem.text and "publiclyAccessible" in problem.text
    # AWS's own "default" group is the default VPC's: not the stack's, nothing to refuse.
    model = NetworkModel(_world(_rec(rds, "db", dbSubnetGroupName="default",
                                     publiclyAccessible=True)))
    assert [i for i in model.interfaces if i.owner.name == "db"] == []
    assert model.public_ip_problems == []


def test_a_template_outside_the_stack_fails_closed() -> None:
    asg = "aws:autoscaling/group:Group"
    model = NetworkModel(_world(_rec(asg, "workers", vpcZoneIdentifiers=["subnet-priv"],
                                     launchTemplate={"id": "lt-0abc", "version": "$Latest"})))
    (iface,) = [i for i in model.interfaces if i.owner.name == "workers"]
    assert iface.has_public_v4 is UNKNOWN and "lt-0abc" in iface.public_v4[0].text
    assert iface.groups_unknown and "lt-0abc" in iface.groups_unknown[0]


def test_a_declared_unknown_flag_is_uncertain_and_an_undeclared_one_absent() -> None:
    svc = "aws:ecs/service:Service"
    net = {"subnets": ["subnet-priv"], "assignPublicIp": UNKNOWN}
    declared = _rec(svc, "svc", {"networkConfiguration": [_urn(SUBNET, "priv"),
                                                          _urn(SG, "app")]},
                    networkConfiguration=net)
    (iface,) = [i for i in NetworkModel(_world(declared)).interfaces if i.owner.name == "svc"]
    assert iface.has_public_v4 is UNKNOWN
    assert "assignPublicIp" in iface.public_v4[0].text
    # A computed top-level value nobody declared (no property dependency) is absent.
    lam = "aws:lambda/function:Function"
    computed = _rec(lam, "fn", vpcConfig=UNKNOWN)
    assert [i for i in NetworkModel(_world(computed)).interfaces if i.owner.name == "fn"] == []


def test_flag_tests() -> None:
    from policies.rules.netmodel.addresses import _gives

    assert _gives(Flag("x"), "ENABLED") and _gives(Flag("x"), True) and _gives(Flag("x"), "true")
    assert not _gives(Flag("x"), "DISABLED") and not _gives(Flag("x"), False)
    assert _gives(Flag("n", Reading.COUNT), 2.0) and not _gives(Flag("n", Reading.COUNT), 0)
    assert _gives(Flag("t", Reading.ONE_OF, ("dual",)), "DUAL")
    assert not _gives(Flag("t", Reading.ONE_OF, ("dual",)), "IPV4")


def test_a_launched_instance_has_its_launch_tags() -> None:
    """A Spot Fleet launch specification's tags, and a template's instance tag specifications,
    are the launched instance's: Tier=private there makes a private-tier interface."""
    fleet = "aws:ec2/spotFleetRequest:SpotFleetRequest"
    lt = "aws:ec2/launchTemplate:LaunchTemplate"
    asg = "aws:autoscaling/group:Group"
    model = NetworkModel(_world(
        _rec(fleet, "fleet", launchSpecifications=[
            {"subnetId": "subnet-pub", "tags": {"Tier": "private"}}]),
        _rec(lt, "tpl", id="lt-1", tagSpecifications=[
            {"resourceType": "volume", "tags": {"Tier": "public"}},
            {"resourceType": "instance", "tags": {"Tier": "private"}}]),
        _rec(asg, "workers", vpcZoneIdentifiers=["subnet-pub"], launchTemplate={"id": "lt-1"}),
    ))
    for owner in ("fleet", "workers"):
        (iface,) = [i for i in model.interfaces if i.owner.name == owner]
        assert iface.private and iface.has_public_v4 is True, owner


def test_a_subnet_group_whose_subnets_cannot_be_read_fails_closed() -> None:
    rds = "aws:rds/instance:Instance"
    group = "aws:rds/subnetGroup:SubnetGroup"
    model = NetworkModel(_world(Record(group, _urn(group, "dbs"), "dbs", {"name": "dbs"}),
                                _rec(rds, "db", dbSubnetGroupName="dbs",
                                     publiclyAccessible=True)))
    (iface,) = [i for i in model.interfaces if i.owner.name == "db"]
    assert iface.subnet is None and iface.subnet_unknown
    (problem,) = model.public_ip_problems
    assert "subnetIds cannot be determined" in problem.text
