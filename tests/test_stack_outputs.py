"""The stack outputs docs/CONTRACT.md promises to other stacks: named there, and each the ids it
says (the subnets of a tier by their Tier tag, the groups by their Role tag)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8")


def _section() -> str:
    section = CONTRACT.split("## Stack outputs other stacks read", 1)[1].split("\n## ", 1)[0]
    return section.split("- The same ids", 1)[0]  # then the components' own names


def test_every_output_the_contract_names_is_exported(stack_runs: Any) -> None:
    named = set(re.findall(r"`(\w+(?:Ids?|Id))`", _section()))
    assert {"vpcId", "publicSubnetIds", "privateSubnetIds", "subnetIds"} <= named
    assert named <= set(stack_runs("dev").outputs)


def test_the_ids_are_the_ones_the_contract_says(stack_runs: Any) -> None:
    for stack in ("dev", "prod"):
        run = stack_runs(stack)
        out = run.outputs
        subnets = [r for r in run.resources if r.type == "aws:ec2/subnet:Subnet"]
        for tier in ("public", "private", "management"):
            expected = [s.outputs["id"] for s in subnets if s.inputs["tags"]["Tier"] == tier]
            assert out[f"{tier}SubnetIds"] == expected, (stack, tier)
        assert out["subnetIds"] == {
            s.inputs["tags"]["Name"].split("-", 1)[1]: s.outputs["id"] for s in subnets
        }
        nats = [r.outputs["id"] for r in run.resources if r.type.endswith(":NatGateway")]
        assert sorted(out["natGatewayIds"]) == sorted(nats) and nats
        groups = {
            r.inputs["tags"]["Role"]: r.outputs["id"]
            for r in run.resources
            if r.type == "aws:ec2/securityGroup:SecurityGroup" and "Role" in r.inputs["tags"]
        }
        assert out["bastionSecurityGroupId"] == groups["bastion"]
        assert out["serverSecurityGroupIds"] == {"web": groups["web"], "db": groups["db"]}
        tables = {
            r.inputs["tags"]["Name"]: r.outputs["id"]
            for r in run.resources
            if r.type == "aws:ec2/routeTable:RouteTable"
        }
        (public,) = [i for n, i in tables.items() if n.endswith("-public-rt")]
        assert out["publicRouteTableId"] == public
        assert sorted(out["privateRouteTableIds"]) == sorted(
            i for n, i in tables.items() if "-private-" in n
        )
