"""Every server has a way out for cloud-init's first package install (item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RecordingMocks
from tests.test_settings import refused, registered_before_refusal, run, stack_config

DEV_SUBNETS = [
    "external-a:public:a:/26",
    "external-c:public:c:/26",
    "internal:private:a:/27",
    "management:management:a:/27",
]

NO_WAY_OUT: list[tuple[dict[str, Any], str, str]] = [
    ({"webPublicIp": False}, "webPublicIp", "web is in external-a, a public subnet"),
    ({"dbSubnet": "external-c"}, "dbSubnet", "db is in external-c, a public subnet"),
    ({"dbSubnet": "management"}, "dbSubnet", "db is in management, a management subnet"),
    ({"natStrategy": "none"}, "natStrategy", "db is in the private subnet internal"),
]


@pytest.mark.parametrize(("overrides", "setting", "words"), NO_WAY_OUT)
def test_a_server_without_a_way_out_is_refused(
    overrides: dict[str, Any], setting: str, words: str
) -> None:
    err = refused(**overrides)
    assert err.setting == setting
    text = str(err)
    assert words in text and "cloud-init cannot install" in text
    assert "serversWithoutInternet" in text


@pytest.mark.parametrize(("overrides", "setting", "words"), NO_WAY_OUT[:2])
def test_it_is_refused_before_any_resource(
    mocks: RecordingMocks, overrides: dict[str, Any], setting: str, words: str
) -> None:
    assert registered_before_refusal(mocks, stack_config("dev", **overrides)) == []


def test_the_acknowledgement_key_lets_a_baked_image_go_without() -> None:
    done = run("dev", natStrategy="none", serversWithoutInternet=["db"])
    assert not [r for r in done.resources if r.type == "aws:ec2/natGateway:NatGateway"]
    err = refused(serversWithoutInternet=["dbb"])
    assert err.setting == "serversWithoutInternet[0]"


def test_ipv6_office_cidrs_are_refused_while_the_vpc_has_no_ipv6() -> None:
    """Item 6: an IPv6 office range could never reach the IPv4-only bastion."""
    err = refused(officeCidrs=["100.64.1.0/24", "2001:db8:1::/48"])
    assert err.setting == "officeCidrs[1]" and err.value == "2001:db8:1::/48"
    assert "VPC has no IPv6" in str(err) and "IPv4" in str(err)


def test_ipv6_office_cidrs_are_refused_before_any_resource(mocks: RecordingMocks) -> None:
    config = stack_config("prod", officeCidrs=["2001:db8:1::/48"])
    assert registered_before_refusal(mocks, config) == []
