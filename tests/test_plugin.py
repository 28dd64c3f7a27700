"""The component plugin (plugin/): started as the engine starts it, its schema and Construct.

``tests/plugin_host.py`` runs ``.venv/bin/python plugin <engine address>`` (the dev venv holds
the package as ``tierednet``, installed by the Makefile as a user's ``pip install`` would) and
talks to it over gRPC: GetSchema as ``pulumi package add`` asks it (the SDK is generated from
it), Construct as the engine sends it for a program in another language, with Pulumi's own
MockMonitor behind a real gRPC server as the resource monitor.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pulumi_aws
import pytest
import tierednet
from google.protobuf import json_format

from tests.plugin_host import Plugin, running_plugin

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
NETWORK, BASTION = "tierednet:index:TieredNetwork", "tierednet:index:Bastion"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBsYWNlaG9sZGVyLXJlcGxhY2Utd2l0aC15b3VyLWtl t@example"


@pytest.fixture(scope="module")
def plugin() -> Iterator[Plugin]:
    # The working directory is not the plugin's (RunPlugin sets cmd.Dir to the user's pwd).
    with running_plugin(PYTHON, ROOT / "plugin", cwd=ROOT / "tests") as running:
        yield running


@pytest.fixture(scope="module")
def schema(plugin: Plugin) -> dict[str, Any]:
    return plugin.schema()


def network_inputs(**changes: Any) -> dict[str, Any]:
    """TieredNetwork's inputs in the wire form an SDK sends (camelCase, enums as strings)."""
    inputs: dict[str, Any] = {
        "prefix": "jdoe",
        "region": "ap-northeast-2",
        "vpcCidr": "192.168.10.0/24",
        "availabilityZones": ["ap-northeast-2a", "ap-northeast-2c"],
        "subnets": [
            {"name": "external-a", "tier": "public", "az": "a", "size": 26},
            {"name": "external-c", "tier": "public", "az": "c", "size": 26},
            {"name": "internal", "tier": "private", "az": "a", "size": 27},
            {"name": "management", "tier": "management", "az": "a", "size": 27},
        ],
    }
    inputs.update(changes)
    return inputs


def test_the_schema_names_the_package_its_version_and_both_components(
    schema: dict[str, Any],
) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" in project["dynamic"]
    assert schema["name"] == "tierednet"
    assert schema["version"] == tierednet.__version__
    assert set(schema["resources"]) == {NETWORK, BASTION}
    assert all(r["isComponent"] for r in schema["resources"].values())
    # Resource outputs refer to pulumi-aws's own schema, at the pinned version.
    aws = {d["name"]: d["version"] for d in schema["dependencies"]}
    assert aws == {"aws": pulumi_aws._utilities.get_version()}
    assert schema["resources"][NETWORK]["properties"]["vpc"]["$ref"] == (
        f"/aws/v{aws['aws']}/schema.json#/resources/aws:ec2%2Fvpc:Vpc"
    )


def _described(where: str, prop: dict[str, Any], missing: list[str]) -> None:
    if not (prop.get("description") or "").strip():
        missing.append(where)
    for sub in ("items", "additionalProperties"):
        if sub in prop:
            _described(f"{where}.{sub}", prop[sub], missing)


def test_every_input_output_type_and_enum_value_has_a_description(schema: dict[str, Any]) -> None:
    missing: list[str] = []
    for token, res in schema["resources"].items():
        if not res.get("description"):
            missing.append(token)
        for kind in ("inputProperties", "properties"):
            for name, prop in res[kind].items():
                _described(f"{token}.{kind}.{name}", prop, missing)
    for token, typ in schema["types"].items():
        if not typ.get("description"):
            missing.append(token)
        for name, prop in typ.get("properties", {}).items():
            _described(f"{token}.{name}", prop, missing)
        for value in typ.get("enum", []):
            if not value.get("description"):
                missing.append(f"{token}={value['value']}")
    assert missing == []
    assert len(schema["resources"][NETWORK]["inputProperties"]) == len(
        tierednet.TieredNetworkArgs.__annotations__
    )
    assert len(schema["resources"][BASTION]["inputProperties"]) == len(
        tierednet.BastionArgs.__annotations__
    )


def test_enums_are_the_python_enums_and_structure_deciding_inputs_are_plain(
    schema: dict[str, Any],
) -> None:
    for enum in (tierednet.NatStrategy, tierednet.Tier, tierednet.AuditLogMode):
        values = [v["value"] for v in schema["types"][f"tierednet:index:{enum.__name__}"]["enum"]]
        assert values == [m.value for m in enum]
    net = schema["resources"][NETWORK]
    assert net["inputProperties"]["natStrategy"] == {
        "$ref": "#/types/tierednet:index:NatStrategy",
        "plain": True,
        "description": net["inputProperties"]["natStrategy"]["description"],
    }
    assert net["inputProperties"]["subnets"]["plain"] is True
    assert set(net["requiredInputs"]) == {
        "prefix",
        "region",
        "vpcCidr",
        "availabilityZones",
        "subnets",
    }
    bastion = schema["resources"][BASTION]["inputProperties"]
    # What may come from another resource is an Input (not plain) in every language.
    for name in ("subnetId", "vpcId", "vpcCidr", "amiId", "sshPublicKey"):
        assert "plain" not in bastion[name], name
    assert "plain" not in bastion["officeCidrs"]["items"]
    assert bastion["auditLog"]["$ref"] == "#/types/tierednet:index:AuditLogMode"
    target = schema["types"]["tierednet:index:SshTarget"]["properties"]
    assert "plain" not in target["privateIp"] and "plain" not in target["securityGroupId"]
    outputs = schema["resources"][NETWORK]["properties"]
    for name in ("publicSubnetIds", "privateSubnetIds", "subnetIds", "natGatewayIds", "vpcId"):
        assert name in outputs, name
    assert {"securityGroupId", "publicIp", "privateIp"} <= set(
        schema["resources"][BASTION]["properties"]
    )


def test_construct_builds_the_network_with_string_enums_as_another_language_sends_them(
    plugin: Plugin,
) -> None:
    before = len(plugin.monitor.registered)
    response = plugin.construct(NETWORK, "wire", network_inputs(natStrategy="none"))
    assert response.urn == "urn:pulumi:dev::tiered-network::tierednet:index:TieredNetwork::wire"
    made = plugin.monitor.registered[before:]
    (component,) = [r for r in made if r.name == "wire"]
    assert component.type == NETWORK and not component.custom
    # Stacks made before the token change keep the component (and so its children).
    assert component.aliases == [
        {"spec": {"type": "tierednet:network:TieredNetwork", "parentUrn": ""}}
    ]
    children = [r for r in made if r is not component]
    assert all(r.parent == response.urn for r in children)
    # "none" is NatStrategy.NONE: no NAT gateway, no EIP (the bug this issue fixes made two).
    assert not [
        r for r in children if r.type in ("aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip")
    ]
    subnets = {r.name: r for r in children if r.type == "aws:ec2/subnet:Subnet"}
    assert {n: s.inputs["cidrBlock"] for n, s in subnets.items()} == {
        "wire-external-a": "192.168.10.0/26",
        "wire-external-c": "192.168.10.64/26",
        "wire-internal": "192.168.10.128/27",
        "wire-management": "192.168.10.160/27",
    }
    # The wire's integer sizes (floats in JSON) were read as integers.
    state = json_format.MessageToDict(response.state)
    assert state["publicSubnetIds"] == ["wire-external-a-id", "wire-external-c-id"]
    assert state["privateSubnetIds"] == ["wire-internal-id"]
    assert state["managementSubnetIds"] == ["wire-management-id"]
    assert state["natGatewayIds"] == []
    assert state["subnetTiers"] == {
        "external-a": "public",
        "external-c": "public",
        "internal": "private",
        "management": "management",
    }

    before = len(plugin.monitor.registered)
    single = plugin.construct(NETWORK, "single", network_inputs(natStrategy="single"))
    nats = [
        r for r in plugin.monitor.registered[before:] if r.type == "aws:ec2/natGateway:NatGateway"
    ]
    assert len(nats) == 1
    assert json_format.MessageToDict(single.state)["natGatewayIds"] == ["single-nat-a-id"]


def _status_details(error: grpc.RpcError) -> str:
    from pulumi.runtime.proto import errors_pb2

    text = [error.details() or ""]
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == "grpc-status-details-bin":
            from google.rpc import status_pb2

            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                errors = errors_pb2.InputPropertiesError()
                detail.Unpack(errors)
                text += [f"{e.property_path}: {e.reason}" for e in errors.errors]
    return "\n".join(text)


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        # The SDK maps enum strings before the component runs: a wrong one is the property's error.
        ({"natStrategy": "two"}, grpc.StatusCode.INVALID_ARGUMENT,
         "natStrategy: Invalid value two"),
        ({"subnets": [{"name": "x", "tier": "dmz", "az": "a", "size": 26}]},
         grpc.StatusCode.INVALID_ARGUMENT, "subnets[0].tier"),
        # The component's own checks, in code terms (args class, Python field name, fix).
        ({"vpcCidr": "10.0.0.0/8"}, grpc.StatusCode.UNKNOWN,
         "TieredNetworkArgs.vpc_cidr = '10.0.0.0/8': AWS VPCs must be between /16 and /28"),
        ({"natInstanceCount": 1}, grpc.StatusCode.UNKNOWN,
         'TieredNetworkArgs.nat_instance_count = 1: applies to natStrategy instance, not single. '
         'Fix: drop nat_instance_count, or pass nat_strategy=NatStrategy.INSTANCE (or "instance")'),
    ],
)  # fmt: skip
def test_construct_refuses_bad_inputs_before_registering_anything(
    plugin: Plugin, changes: dict[str, Any], code: grpc.StatusCode, words: str
) -> None:
    before = len(plugin.monitor.registered)
    with pytest.raises(grpc.RpcError) as err:
        plugin.construct(NETWORK, "bad", network_inputs(**changes))
    assert err.value.code() == code  # type: ignore[attr-defined]
    assert words in _status_details(err.value)
    assert plugin.monitor.registered[before:] == []


@pytest.mark.parametrize(
    ("key", "value", "code", "words"),
    [
        # From another resource, an input reaches the provider as an Output (server.py
        # _select_value): an enum the SDK cannot map, a plain bool the component refuses.
        ("natStrategy", "none", grpc.StatusCode.INVALID_ARGUMENT, "natStrategy: Invalid value"),
        ("ipv6", True, grpc.StatusCode.UNKNOWN,
         "TieredNetworkArgs.ipv6 = <an Output>: is an Output, but it must be known"),
    ],
)  # fmt: skip
def test_construct_refuses_structure_deciding_inputs_that_come_from_another_resource(
    plugin: Plugin, key: str, value: Any, code: grpc.StatusCode, words: str
) -> None:
    before = len(plugin.monitor.registered)
    other = "urn:pulumi:dev::tiered-network::aws:ssm/parameter:Parameter::choice"
    with pytest.raises(grpc.RpcError) as err:
        plugin.construct(
            NETWORK, "from-other", network_inputs(**{key: value}), dependencies={key: [other]}
        )
    assert err.value.code() == code  # type: ignore[attr-defined]
    assert words in _status_details(err.value)
    assert plugin.monitor.registered[before:] == []


def test_construct_builds_the_bastion_with_its_audit_log_and_ssh_doors(plugin: Plugin) -> None:
    before = len(plugin.monitor.registered)
    response = plugin.construct(
        BASTION,
        "jump",
        {
            "prefix": "jdoe",
            "region": "ap-northeast-2",
            "subnetId": "subnet-mgmt",
            "vpcId": "vpc-1",
            "vpcCidr": "192.168.10.0/24",
            "amiId": "ami-1",
            "sshPublicKey": KEY,
            "officeCidrs": ["198.51.100.7/32"],
            "servers": [
                {"name": "app", "privateIp": "192.168.10.140", "securityGroupId": "sg-app"}
            ],
            "idleTimeoutSeconds": 300,
        },
    )
    made = {r.name: r for r in plugin.monitor.registered[before:]}
    assert made["jump"].type == BASTION
    assert made["jump-audit"].type == "tierednet:audit:AuditLog"  # cloudwatch by default
    assert made["jump-audit"].parent == response.urn
    office = made["jump-ssh-office-0"].inputs
    assert (office["cidrIpv4"], office["fromPort"], office.get("cidrIpv6")) == (
        "198.51.100.7/32",
        22,
        None,
    )
    door = made["jump-ssh-to-app"].inputs
    assert door["securityGroupId"] == "sg-app"
    assert door["referencedSecurityGroupId"] == "jump-sg-id"  # the bastion's group only
    user_data = made["jump-instance"].inputs["userData"]
    assert "192.168.10.140 app" in user_data and "TMOUT=300" in user_data
    state = json_format.MessageToDict(response.state)
    assert state["securityGroupId"] == "jump-sg-id"
    assert state["publicIp"] and state["privateIp"]
    assert "ProxyJump jdoe-bastion" in state["sshConfig"]
    assert state["auditLogGroupName"] == "/jdoe/bastion/audit"
