"""Every enum-typed argument takes its member or its string value, read the same way, and refuses
another string, another type and an Output by name (issue 14: ``nat_strategy="none"`` used to
pass the validator and then create two NAT gateways, because the code compares with ``is``).

The enum-typed arguments of the package (found by ``test_every_enum_typed_arg_is_listed``):
TieredNetworkArgs.nat_strategy, SubnetArgs.tier, NetworkArgs.nat_strategy, SubnetSpec.tier,
BastionArgs.audit_log, SshTarget.tier, ServerArgs.tier, AccessArgs.mode, and the ``mode`` of
``render_keyless_ssh_config``. Each gets a member, its string value, a wrong string and an
Output; the member and the string must register exactly the same resources.
"""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

import components
from components.access import AccessArgs, AccessMode, render_keyless_ssh_config
from components.audit import AuditLogMode
from components.bastion import Bastion, BastionArgs
from components.errors import ConfigChoice, ConfigError
from components.network import (
    NatStrategy,
    NetworkArgs,
    SubnetArgs,
    SubnetSpec,
    TieredNetwork,
    TieredNetworkArgs,
)
from components.server import Server, ServerArgs
from components.ssh_door import SshTarget
from components.tags import Tier
from tests.conftest import RecordingMocks, build

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBsYWNlaG9sZGVyLXJlcGxhY2Utd2l0aC15b3VyLWtl t@example"


def an_output(value: str) -> pulumi.Output[str]:
    return pulumi.Output.from_input(value)


def registered(program: Callable[[], object]) -> list[tuple[str, str, dict[str, Any]]]:
    """What ``program`` registers under fresh mocks (type, name, inputs), in a stable order
    (registrations race each other)."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="tiered-network", stack="test", preview=False)
    build(program)
    return sorted(((r.type, r.name, r.inputs) for r in mocks.registered), key=lambda r: r[:2])


def refused(program: Callable[[], object]) -> ConfigError:
    """The ConfigError ``program`` raises, having registered nothing."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="tiered-network", stack="test", preview=False)
    with pytest.raises(ConfigError) as err:
        build(program)
    assert mocks.registered == [], "refused only after registering resources"
    assert "\n" not in str(err.value)
    return err.value


def subnets(private_tier: object = Tier.PRIVATE) -> list[SubnetArgs]:
    return [
        SubnetArgs(name="public-a", tier=Tier.PUBLIC, az="a", size=26),
        SubnetArgs(name="public-c", tier=Tier.PUBLIC, az="c", size=26),
        SubnetArgs(name="app", tier=private_tier, az="a", size=27),  # type: ignore[typeddict-item]
        SubnetArgs(name="mgmt", tier=Tier.MANAGEMENT, az="a", size=27),
    ]


def network(**changes: Any) -> TieredNetworkArgs:
    args = TieredNetworkArgs(
        prefix="jdoe",
        region="ap-northeast-2",
        vpc_cidr="192.168.10.0/24",
        availability_zones=["ap-northeast-2a", "ap-northeast-2c"],
        subnets=subnets(),
    )
    args.update(changes)  # type: ignore[typeddict-item]
    return args


def nats(resources: list[tuple[str, str, dict[str, Any]]]) -> int:
    return sum(t == "aws:ec2/natGateway:NatGateway" for t, _, _ in resources)


# ------------------------------------------------------------------ every enum arg is here
TESTED = {
    ("TieredNetworkArgs", "nat_strategy"),
    ("SubnetArgs", "tier"),
    ("NetworkArgs", "nat_strategy"),
    ("SubnetSpec", "tier"),
    ("BastionArgs", "audit_log"),
    ("SshTarget", "tier"),
    ("ServerArgs", "tier"),
    ("AccessArgs", "mode"),
    ("render_keyless_ssh_config", "mode"),
}


def test_every_enum_typed_arg_is_listed() -> None:
    """Each args type (and public function) of the package with an enum-typed field."""
    found = set()
    for name in components.__all__:
        obj = getattr(components, name)
        if inspect.isclass(obj) and not issubclass(obj, (enum.Enum, pulumi.Resource)):
            hints = typing.get_type_hints(obj, localns=vars(pulumi.output))
        else:
            continue
        for field, hint in hints.items():
            kinds = typing.get_args(hint) or (hint,)
            inner = [typing.get_args(k) or (k,) for k in kinds]
            if any(inspect.isclass(k) and issubclass(k, ConfigChoice) for ks in inner for k in ks):
                found.add((name, field))
    hints = typing.get_type_hints(render_keyless_ssh_config)
    assert issubclass(hints["mode"], ConfigChoice)
    found.add(("render_keyless_ssh_config", "mode"))
    assert found == TESTED


# ------------------------------------------------------------------ TieredNetworkArgs.nat_strategy
@pytest.mark.parametrize(
    ("member", "value", "expected_nats"),
    [
        (NatStrategy.NONE, "none", 0),
        (NatStrategy.SINGLE, "single", 1),
        (NatStrategy.ONE_PER_AZ, "one-per-az", 1),  # one AZ has private subnets
    ],
)
def test_nat_strategy_string_is_the_member(
    member: NatStrategy, value: str, expected_nats: int
) -> None:
    by_member = registered(lambda: TieredNetwork("jdoe", network(nat_strategy=member)))
    by_string = registered(lambda: TieredNetwork("jdoe", network(nat_strategy=value)))
    assert by_string == by_member
    assert nats(by_string) == expected_nats


def test_nat_strategy_wrong_string_and_output_are_refused_in_code_terms() -> None:
    err = refused(lambda: TieredNetwork("jdoe", network(nat_strategy="two")))
    assert str(err) == (
        "TieredNetworkArgs.nat_strategy = 'two': unknown NAT strategy. Fix: pass one of "
        'NatStrategy.SINGLE or "single", NatStrategy.ONE_PER_AZ or "one-per-az", '
        'NatStrategy.NONE or "none", NatStrategy.INSTANCE or "instance"'
    )
    err = refused(lambda: TieredNetwork("jdoe", network(nat_strategy=an_output("none"))))
    assert str(err).startswith("TieredNetworkArgs.nat_strategy = <an Output>: is an Output")
    assert 'NatStrategy.SINGLE or "single"' in str(err)
    # Another enum's member is not a NAT strategy, even when its value is a string.
    err = refused(lambda: TieredNetwork("jdoe", network(nat_strategy=Tier.PUBLIC)))
    assert "unknown NAT strategy" in str(err)


# ------------------------------------------------------------------ SubnetArgs.tier
def test_subnet_tier_string_is_the_member() -> None:
    by_member = registered(lambda: TieredNetwork("jdoe", network(subnets=subnets(Tier.PRIVATE))))
    by_string = registered(lambda: TieredNetwork("jdoe", network(subnets=subnets("private"))))
    assert by_string == by_member
    tiers = {n: i["tags"]["Tier"] for t, n, i in by_string if t == "aws:ec2/subnet:Subnet"}
    assert tiers["jdoe-app"] == "private"


def test_subnet_tier_wrong_string_and_output_are_refused() -> None:
    err = refused(lambda: TieredNetwork("jdoe", network(subnets=subnets("internal-ish"))))
    assert str(err).startswith("TieredNetworkArgs.subnets[2].tier = 'internal-ish': unknown tier.")
    assert 'Tier.PRIVATE or "private"' in str(err)
    err = refused(lambda: TieredNetwork("jdoe", network(subnets=subnets(an_output("private")))))
    assert str(err).startswith("TieredNetworkArgs.subnets[2].tier = <an Output>: is an Output")


# ------------------------------------------------------------------ the validated dataclasses
def test_network_args_and_subnet_spec_parse_the_same_way() -> None:
    spec = SubnetSpec("app", "private", "a", size=27)  # type: ignore[arg-type]
    assert spec.tier is Tier.PRIVATE
    args = NetworkArgs(
        prefix="jdoe",
        region="ap-northeast-2",
        vpc_cidr="192.168.10.0/24",
        availability_zones=["ap-northeast-2a"],
        subnets=[SubnetSpec("pub", "public", "a", size=26), spec],  # type: ignore[arg-type]
        nat_strategy="none",  # type: ignore[arg-type]
    )
    assert args.nat_strategy is NatStrategy.NONE
    assert args.as_input()["nat_strategy"] is NatStrategy.NONE
    with pytest.raises(ConfigError, match=r"^tier = 'dmz': unknown tier\. Fix: use one of"):
        SubnetSpec("x", "dmz", "a", size=26)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^tier = <an Output>: is an Output"):
        SubnetSpec("x", an_output("public"), "a", size=26)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^natStrategy = 'two': unknown NAT strategy"):
        NetworkArgs(**{**_dataclass_fields(args), "nat_strategy": "two"})
    with pytest.raises(ConfigError, match=r"^natStrategy = <an Output>: is an Output"):
        NetworkArgs(**{**_dataclass_fields(args), "nat_strategy": an_output("none")})


def _dataclass_fields(args: NetworkArgs) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(args, f.name) for f in dataclasses.fields(args) if f.init}


# ------------------------------------------------------------------ BastionArgs.audit_log
def bastion(**changes: Any) -> BastionArgs:
    args = BastionArgs(
        prefix="jdoe",
        region="ap-northeast-2",
        subnet_id="subnet-mgmt",
        vpc_id="vpc-1",
        vpc_cidr="192.168.10.0/24",
        ami_id="ami-1",
        ssh_public_key=KEY,
        office_cidrs=["198.51.100.7/32"],
    )
    args.update(changes)  # type: ignore[typeddict-item]
    return args


@pytest.mark.parametrize(
    ("member", "value", "audit_groups"),
    [(AuditLogMode.LOCAL, "local", 0), (AuditLogMode.CLOUDWATCH, "cloudwatch", 1)],
)
def test_audit_log_string_is_the_member(
    member: AuditLogMode, value: str, audit_groups: int
) -> None:
    by_member = registered(lambda: Bastion("bastion", bastion(audit_log=member)))
    by_string = registered(lambda: Bastion("bastion", bastion(audit_log=value)))
    assert by_string == by_member
    assert sum(t == "aws:cloudwatch/logGroup:LogGroup" for t, _, _ in by_string) == audit_groups


def test_audit_log_wrong_string_and_output_are_refused() -> None:
    err = refused(lambda: Bastion("bastion", bastion(audit_log="syslog")))
    assert str(err).startswith("BastionArgs.audit_log = 'syslog': unknown audit log mode.")
    assert 'AuditLogMode.LOCAL or "local"' in str(err)
    err = refused(lambda: Bastion("bastion", bastion(audit_log=an_output("local"))))
    assert str(err).startswith("BastionArgs.audit_log = <an Output>: is an Output")


# ------------------------------------------------------------------ SshTarget.tier
def target(tier: object) -> SshTarget:
    return SshTarget(
        name="app",
        private_ip="192.168.10.140",
        security_group_id="sg-app",
        tier=tier,  # type: ignore[typeddict-item]
    )


def test_ssh_target_tier_string_is_the_member() -> None:
    by_member = registered(
        lambda: Bastion("bastion", bastion(servers=[target(Tier.PRIVATE)], audit_log="local"))
    )
    by_string = registered(
        lambda: Bastion("bastion", bastion(servers=[target("private")], audit_log="local"))
    )
    assert by_string == by_member
    (door,) = [i for _, n, i in by_string if n == "bastion-ssh-to-app"]
    assert door["tags"]["Tier"] == "private"


def test_ssh_target_tier_wrong_string_and_output_are_refused() -> None:
    err = refused(lambda: Bastion("bastion", bastion(servers=[target("backend")])))
    assert str(err).startswith("BastionArgs.servers[0].tier = 'backend': unknown tier.")
    err = refused(lambda: Bastion("bastion", bastion(servers=[target(an_output("private"))])))
    assert str(err).startswith("BastionArgs.servers[0].tier = <an Output>: is an Output")


# ------------------------------------------------------------------ ServerArgs.tier
def server(tier: object) -> ServerArgs:
    return ServerArgs(
        prefix="jdoe",
        tier=tier,  # type: ignore[arg-type]
        subnet_id="subnet-app",
        vpc_id="vpc-1",
        ami_id="ami-1",
        ssh_public_key=KEY,
    )


def test_server_tier_string_is_the_member() -> None:
    by_member = registered(lambda: Server("app", server(Tier.PRIVATE)))
    by_string = registered(lambda: Server("app", server("private")))
    assert by_string == by_member
    assert server("private").tier is Tier.PRIVATE


def test_server_tier_wrong_string_and_output_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"^ServerArgs\.tier = 'dmz': unknown tier\. Fix: pass"):
        server("dmz")
    with pytest.raises(ConfigError, match=r"^ServerArgs\.tier = <an Output>: is an Output"):
        server(an_output("private"))


# ------------------------------------------------------------------ AccessArgs.mode
def access(mode: object) -> AccessArgs:
    return AccessArgs(
        prefix="jdoe",
        mode=mode,  # type: ignore[arg-type]
        region="ap-northeast-2",
        vpc_id="vpc-1",
        vpc_cidr="192.168.10.0/24",
        management_subnet_id="subnet-mgmt",
        endpoint_subnet_ids=["subnet-app"],
    )


def test_access_mode_string_is_the_member() -> None:
    assert access("ssm") == access(AccessMode.SSM)
    assert access("instance-connect").mode is AccessMode.INSTANCE_CONNECT
    with pytest.raises(ConfigError, match=r"^AccessArgs\.mode = 'vpn': unknown access mode\."):
        access("vpn")
    with pytest.raises(ConfigError, match=r"^AccessArgs\.mode = <an Output>: is an Output"):
        access(an_output("ssm"))
    # The bastion's mode is the Bastion component's, by member or by string alike.
    for mode in (AccessMode.BASTION, "bastion"):
        with pytest.raises(ConfigError, match="is the Bastion component's mode"):
            access(mode)


def test_keyless_ssh_config_mode_string_is_the_member() -> None:
    servers = {"web": "i-0123"}
    for member in (AccessMode.SSM, AccessMode.INSTANCE_CONNECT):
        by_string = render_keyless_ssh_config(
            member.value,  # type: ignore[arg-type]
            "jdoe",
            servers,
            region="ap-northeast-2",
        )
        assert by_string == render_keyless_ssh_config(
            member, "jdoe", servers, region="ap-northeast-2"
        )
    with pytest.raises(ConfigError, match="unknown access mode"):
        render_keyless_ssh_config("vpn", "jdoe", servers, region="ap-northeast-2")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="is an Output"):
        render_keyless_ssh_config(an_output("ssm"), "jdoe", servers, region="ap-northeast-2")  # type: ignore[arg-type]


# ------------------------------------------------------------------ plain non-enum args
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"flow_logs": "false"}, "TieredNetworkArgs.flow_logs = 'false': must be a bool"),
        ({"ipv6": an_output("true")}, "TieredNetworkArgs.ipv6 = <an Output>: is an Output"),
        ({"vpc_cidr": an_output("10.0.0.0/16")}, "TieredNetworkArgs.vpc_cidr = <an Output>"),
        ({"nat_instance_count": True}, "TieredNetworkArgs.nat_instance_count = True: must be"),
        ({"nat_stratgy": "none"}, "TieredNetworkArgs.nat_stratgy = 'none': TieredNetworkArgs has "
         "no field 'nat_stratgy'. Fix: did you mean 'nat_strategy'?"),
    ],
)  # fmt: skip
def test_plain_args_refuse_outputs_wrong_types_and_typos(changes: dict, words: str) -> None:
    err = refused(lambda: TieredNetwork("jdoe", network(**changes)))
    assert str(err).startswith(words), str(err)
