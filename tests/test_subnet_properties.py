"""Subnets never move (item 2): carving is a pure function of the layout, in declaration order.

Property tests (hypothesis) over random VPCs and layouts of sized and explicit subnets, and the
issue's own example: appending a subnet whose explicit CIDR an earlier sized subnet holds.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.errors import ConfigError
from components.network import NatStrategy, NetworkArgs, PlannedSubnet, SubnetSpec
from components.settings import parse_subnet
from components.tags import Tier
from tests.test_settings import refused

REGION = "ap-northeast-2"


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, list[SubnetSpec]]:
    vpc = ipaddress.ip_network(f"10.{draw(st.integers(0, 255))}.0.0/16")
    vpc = next(vpc.subnets(new_prefix=draw(st.integers(16, 26))))
    specs = []
    for i in range(draw(st.integers(1, 8))):
        size = draw(st.integers(vpc.prefixlen, 28))
        tier = draw(st.sampled_from(list(Tier)))
        if draw(st.booleans()):
            blocks = 2 ** (size - vpc.prefixlen)
            block = list(vpc.subnets(new_prefix=size))[draw(st.integers(0, min(blocks, 64) - 1))]
            specs.append(SubnetSpec(f"s{i}", tier, "a", cidr=str(block)))
        else:
            specs.append(SubnetSpec(f"s{i}", tier, "a", size=size))
    return str(vpc), specs


def plan(vpc: str, specs: list[SubnetSpec]) -> tuple[PlannedSubnet, ...] | None:
    try:
        return NetworkArgs(
            prefix="p",
            region=REGION,
            vpc_cidr=vpc,
            availability_zones=(f"{REGION}a", f"{REGION}c"),
            subnets=tuple(specs),
            nat_strategy=NatStrategy.NONE,
        ).plan
    except ConfigError:
        return None


@settings(max_examples=300, deadline=None)
@given(layouts())
def test_carving_is_deterministic_disjoint_and_inside_the_vpc(
    layout: tuple[str, list[SubnetSpec]],
) -> None:
    vpc, specs = layout
    first = plan(vpc, specs)
    assert plan(vpc, specs) == first
    if first is None:
        return
    net = ipaddress.ip_network(vpc)
    for a, p in enumerate(first):
        assert p.cidr.subnet_of(net)  # type: ignore[arg-type]
        if p.spec.cidr is not None:
            assert str(p.cidr) == p.spec.cidr
        else:
            assert p.cidr.prefixlen == p.spec.size
        for q in first[a + 1 :]:
            assert not p.cidr.overlaps(q.cidr), (p, q)


@settings(max_examples=300, deadline=None)
@given(layouts(), st.data())
def test_appending_never_moves_an_earlier_subnet(
    layout: tuple[str, list[SubnetSpec]], data: st.DataObject
) -> None:
    vpc, specs = layout
    cut = data.draw(st.integers(1, len(specs)))
    before, after = plan(vpc, specs[:cut]), plan(vpc, specs)
    if after is not None:
        assert before is not None  # an invalid layout never becomes valid by appending
        assert after[:cut] == before


def test_the_issues_example_is_refused_naming_both_subnets_and_cidrs() -> None:
    """dev + `extra:private:c:192.168.10.0/28`: the first /26 already holds that block."""
    err = refused(
        subnets=[
            "external-a:public:a:/26",
            "external-c:public:c:/26",
            "internal:private:a:/27",
            "management:management:a:/27",
            "extra:private:c:192.168.10.0/28",
        ]
    )
    assert err.setting == "subnets[4].cidr" and err.value == "192.168.10.0/28"
    text = str(err)
    assert "extra (192.168.10.0/28) overlaps subnets[0] external-a (192.168.10.0/26)" in text
    assert "e.g. 192.168.10.192/28" in text


@pytest.mark.parametrize("extra", ["extra:private:c:/28", "extra:private:c:192.168.10.192/28"])
def test_appending_to_dev_keeps_every_existing_subnet(extra: str) -> None:
    dev = ["external-a:public:a:/26", "external-c:public:c:/26", "internal:private:a:/27"]
    specs = [parse_subnet("s", s) for s in dev]
    before = plan("192.168.10.0/24", specs)
    after = plan("192.168.10.0/24", [*specs, parse_subnet("s", extra)])
    assert before is not None and after is not None
    assert after[:3] == before
