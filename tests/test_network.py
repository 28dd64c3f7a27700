"""TieredNetwork: subnet carving, validation, routing per NAT strategy, tags (update mode)."""

from __future__ import annotations

import dataclasses

import pytest

from components.errors import ConfigError
from components.network import (
    NatStrategy,
    NetworkArgs,
    SubnetSpec,
    TieredNetwork,
    TieredNetworkArgs,
)
from components.tags import Tier
from tests.conftest import RecordingMocks, build, resolve

REGION = "ap-northeast-2"
COURSE = (
    SubnetSpec("external-a", Tier.PUBLIC, "a", size=26),
    SubnetSpec("external-c", Tier.PUBLIC, "c", size=26),
    SubnetSpec("internal", Tier.PRIVATE, "a", size=27),
    SubnetSpec("management", Tier.MANAGEMENT, "a", size=27),
)


def network_args(**changes: object) -> TieredNetworkArgs:
    """The course's network as TieredNetwork takes it (a dict)."""
    return course_args(**changes).as_input()


def course_args(**changes: object) -> NetworkArgs:
    base = dict(
        prefix="jdoe",
        region=REGION,
        vpc_cidr="192.168.10.0/24",
        availability_zones=(f"{REGION}a", f"{REGION}c"),
        subnets=COURSE,
    )
    base.update(changes)
    return NetworkArgs(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------ planning (pure)


def test_course_layout_is_carved_in_declaration_order() -> None:
    plan = {p.spec.name: (str(p.cidr), p.az) for p in course_args().plan}
    assert plan == {
        "external-a": ("192.168.10.0/26", f"{REGION}a"),
        "external-c": ("192.168.10.64/26", f"{REGION}c"),
        "internal": ("192.168.10.128/27", f"{REGION}a"),
        "management": ("192.168.10.160/27", f"{REGION}a"),
    }


def test_explicit_cidrs_are_kept_and_sized_subnets_fill_around_them() -> None:
    subnets = (
        SubnetSpec("mgmt", Tier.MANAGEMENT, "a", cidr="192.168.10.0/27"),
        SubnetSpec("web", Tier.PUBLIC, "a", size=26),
        SubnetSpec("app", Tier.PRIVATE, "c", size=27),
    )
    plan = {p.spec.name: str(p.cidr) for p in course_args(subnets=subnets).plan}
    assert plan == {"mgmt": "192.168.10.0/27", "web": "192.168.10.64/26", "app": "192.168.10.32/27"}


def test_appending_a_subnet_never_moves_existing_ones() -> None:
    before = {p.spec.name: p.cidr for p in course_args().plan}
    more = (*COURSE, SubnetSpec("extra", Tier.PRIVATE, "c", size=27))
    after = {p.spec.name: p.cidr for p in course_args(subnets=more).plan}
    assert {k: after[k] for k in before} == before
    assert str(after["extra"]) == "192.168.10.192/27"


@pytest.mark.parametrize(
    ("changes", "setting", "words"),
    [
        ({"vpc_cidr": "192.168.10.0/33"}, "vpcCidr", "not a valid CIDR"),
        ({"vpc_cidr": "192.168.10.1/24"}, "vpcCidr", "host bits set"),
        ({"vpc_cidr": "banana"}, "vpcCidr", "not a CIDR"),
        ({"vpc_cidr": "10.0.0.0/8"}, "vpcCidr", "/16 and /28"),
        (
            {"subnets": (SubnetSpec("x", Tier.PUBLIC, "a", cidr="10.0.0.0/26"),)},
            "subnets[0].cidr",
            "outside the VPC",
        ),
        (
            {
                "subnets": (
                    SubnetSpec("x", Tier.PUBLIC, "a", cidr="192.168.10.0/25"),
                    SubnetSpec("y", Tier.PRIVATE, "a", cidr="192.168.10.64/26"),
                )
            },
            "subnets[1].cidr",
            "overlaps subnets[0]",
        ),
        (
            {"subnets": (*COURSE, SubnetSpec("big", Tier.PRIVATE, "a", size=25))},
            "subnets[4].size",
            "does not fit",
        ),
        (
            {"subnets": (SubnetSpec("x", Tier.PUBLIC, "a", size=30),)},
            "subnets[0].size",
            "/16 and /28",
        ),
        ({"subnets": (SubnetSpec("x", Tier.PUBLIC, "a"),)}, "subnets[0]", "exactly one"),
        (
            {"subnets": (SubnetSpec("x", Tier.PUBLIC, "b", size=26),)},
            "subnets[0].az",
            "not one of availabilityZones",
        ),
        (
            {"availability_zones": ("us-east-1a",)},
            "availabilityZones[0]",
            "not an AZ of region ap-northeast-2",
        ),
        ({"availability_zones": ()}, "availabilityZones", "no AZs"),
        (
            {
                "subnets": (
                    SubnetSpec("x", Tier.PUBLIC, "a", size=26),
                    SubnetSpec("x", Tier.PRIVATE, "a", size=27),
                )
            },
            "subnets[1].name",
            "duplicate",
        ),
        (
            {
                "subnets": (
                    SubnetSpec("x", Tier.PRIVATE, "a", size=26, map_public_ip_on_launch=True),
                )
            },
            "subnets[0].mapPublicIpOnLaunch",
            "must not hand out public IPs",
        ),
        (
            {"subnets": (SubnetSpec("priv", Tier.PRIVATE, "a", size=26),)},
            "natStrategy",
            "needs a public subnet",
        ),
        (
            {
                "subnets": (
                    SubnetSpec("pub", Tier.PUBLIC, "a", size=26),
                    SubnetSpec("priv", Tier.PRIVATE, "c", size=26),
                ),
                "nat_strategy": NatStrategy.ONE_PER_AZ,
            },
            "natStrategy",
            "no public subnet for their NAT gateway",
        ),
        ({"prefix": "J Doe"}, "prefix", "lowercase"),
    ],
)
def test_bad_layouts_are_refused_with_the_setting_and_fix(
    changes: dict[str, object], setting: str, words: str
) -> None:
    with pytest.raises(ConfigError) as err:
        course_args(**changes)
    assert err.value.setting == setting
    assert words in str(err.value)
    assert "Fix:" in str(err.value)


def test_unknown_nat_strategy_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="use one of: single, one-per-az, none"):
        NatStrategy.parse("natStrategy", "two")


# ------------------------------------------------------------------ resources (mocks)


def _ids(mocks: RecordingMocks, suffix: str) -> dict[str, str]:
    """name -> id of the registered resources of a type (ids are '<name>-id' in update mode)."""
    return {r.name: r.outputs.get("id", f"{r.name}-id") for r in mocks.of_type(suffix)}


def _routes(mocks: RecordingMocks) -> dict[str, dict[str, str]]:
    return {r.inputs["routeTableId"]: r.inputs for r in mocks.of_type(":Route")}


def test_single_nat_routes_private_through_one_nat_in_a_public_subnet(
    mocks: RecordingMocks,
) -> None:
    net = build(lambda: TieredNetwork("jdoe", network_args()))
    subnets = {r.name: r for r in mocks.of_type(":Subnet")}
    assert {
        n: (r.inputs["cidrBlock"], r.inputs["availabilityZone"]) for n, r in subnets.items()
    } == {
        "jdoe-external-a": ("192.168.10.0/26", f"{REGION}a"),
        "jdoe-external-c": ("192.168.10.64/26", f"{REGION}c"),
        "jdoe-internal": ("192.168.10.128/27", f"{REGION}a"),
        "jdoe-management": ("192.168.10.160/27", f"{REGION}a"),
    }
    assert all(r.inputs["mapPublicIpOnLaunch"] is False for r in subnets.values())
    assert {n: r.inputs["tags"]["Tier"] for n, r in subnets.items()} == {
        "jdoe-external-a": "public",
        "jdoe-external-c": "public",
        "jdoe-internal": "private",
        "jdoe-management": "management",
    }
    assert subnets["jdoe-internal"].inputs["tags"]["Name"] == "jdoe-internal"

    nats = mocks.of_type(":NatGateway")
    assert len(nats) == 1
    assert nats[0].inputs["subnetId"] == subnets["jdoe-external-a"].outputs["id"]
    assert len(mocks.of_type(":Eip")) == 1

    tables = _ids(mocks, ":RouteTable")
    routes = _routes(mocks)
    igw_id = mocks.of_type(":InternetGateway")[0].outputs["id"]
    public = routes[tables["jdoe-public-rt"]]
    assert (public["destinationCidrBlock"], public["gatewayId"]) == ("0.0.0.0/0", igw_id)
    private = routes[tables["jdoe-private-rt"]]
    assert (private["destinationCidrBlock"], private["natGatewayId"]) == (
        "0.0.0.0/0",
        nats[0].outputs["id"],
    )
    assert "gatewayId" not in private

    # Every subnet explicitly associated; private to the private table, the rest to public.
    assoc = {
        r.inputs["subnetId"]: r.inputs["routeTableId"]
        for r in mocks.of_type(":RouteTableAssociation")
    }
    sid = {n: r.outputs["id"] for n, r in subnets.items()}
    assert assoc == {
        sid["jdoe-external-a"]: tables["jdoe-public-rt"],
        sid["jdoe-external-c"]: tables["jdoe-public-rt"],
        sid["jdoe-management"]: tables["jdoe-public-rt"],
        sid["jdoe-internal"]: tables["jdoe-private-rt"],
    }
    # The default security group is taken over with no rules.
    default_sg = mocks.of_type(":DefaultSecurityGroup")
    assert len(default_sg) == 1
    assert not default_sg[0].inputs.get("ingress") and not default_sg[0].inputs.get("egress")
    assert mocks.of_type(":FlowLog") == []
    assert resolve(net.nat_public_ips) == [nats[0].outputs["publicIp"]]


def test_one_per_az_gives_each_private_az_its_own_nat(mocks: RecordingMocks) -> None:
    subnets = (*COURSE, SubnetSpec("internal-c", Tier.PRIVATE, "c", size=27))
    build(
        lambda: TieredNetwork(
            "jdoe", network_args(subnets=subnets, nat_strategy=NatStrategy.ONE_PER_AZ)
        )
    )
    subnet_ids = _ids(mocks, ":Subnet")
    nats = {r.name: r for r in mocks.of_type(":NatGateway")}
    assert {n: r.inputs["subnetId"] for n, r in nats.items()} == {
        "jdoe-nat-a": subnet_ids["jdoe-external-a"],
        "jdoe-nat-c": subnet_ids["jdoe-external-c"],
    }
    tables = _ids(mocks, ":RouteTable")
    routes = _routes(mocks)
    assert routes[tables["jdoe-private-a-rt"]]["natGatewayId"] == nats["jdoe-nat-a"].outputs["id"]
    assert routes[tables["jdoe-private-c-rt"]]["natGatewayId"] == nats["jdoe-nat-c"].outputs["id"]
    assoc = {
        r.inputs["subnetId"]: r.inputs["routeTableId"]
        for r in mocks.of_type(":RouteTableAssociation")
    }
    assert assoc[subnet_ids["jdoe-internal"]] == tables["jdoe-private-a-rt"]
    assert assoc[subnet_ids["jdoe-internal-c"]] == tables["jdoe-private-c-rt"]


def test_nat_none_leaves_private_subnets_without_a_default_route(mocks: RecordingMocks) -> None:
    build(lambda: TieredNetwork("jdoe", network_args(nat_strategy=NatStrategy.NONE)))
    assert mocks.of_type(":NatGateway") == []
    assert mocks.of_type(":Eip") == []
    tables = _ids(mocks, ":RouteTable")
    routes = _routes(mocks)
    assert tables["jdoe-private-rt"] not in routes
    assert tables["jdoe-public-rt"] in routes


def test_flow_logs_and_protection(mocks: RecordingMocks) -> None:
    build(
        lambda: TieredNetwork(
            "jdoe", network_args(flow_logs=True, protect_vpc=True, flow_log_retention_days=365)
        )
    )
    vpc = mocks.of_type(":Vpc")[0]
    (flow,) = mocks.of_type(":FlowLog")
    assert flow.inputs["vpcId"] == vpc.outputs["id"]
    assert flow.inputs["trafficType"] == "ALL"
    (group,) = mocks.of_type(":LogGroup")
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    assert group.inputs["retentionInDays"] == 365
    (policy,) = mocks.of_type(":RolePolicy")
    assert group.outputs["arn"] in policy.inputs["policy"]


def test_args_are_immutable_and_validated_before_any_resource(mocks: RecordingMocks) -> None:
    with pytest.raises(ConfigError):
        build(lambda: TieredNetwork("jdoe", network_args(vpc_cidr="nope")))
    assert mocks.registered == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        course_args().vpc_cidr = "10.0.0.0/16"  # type: ignore[misc]
