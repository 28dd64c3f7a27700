"""One error type for bad input, raised before any resource is registered."""

from __future__ import annotations

import ipaddress
from typing import Any


class ConfigError(ValueError):
    """Bad input: names the setting, the value and the fix."""

    def __init__(self, setting: str, value: Any, problem: str, fix: str) -> None:
        self.setting = setting
        self.value = value
        super().__init__(f"{setting} = {value!r}: {problem}. Fix: {fix}")


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(setting: str, value: Any, *, version: int | None = None) -> IPNetwork:
    """Parse a CIDR strictly (no host bits); `version` restricts it to IPv4 or IPv6."""
    if not isinstance(value, str) or "/" not in value:
        raise ConfigError(
            setting, value, "not a CIDR block", "write an address and prefix, e.g. 192.168.10.0/24"
        )
    try:
        net = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        raise ConfigError(
            setting,
            value,
            f"not a valid CIDR block ({exc})",
            "write the network address with its prefix length, e.g. 192.168.10.0/24",
        ) from None
    if version is not None and net.version != version:
        raise ConfigError(
            setting,
            value,
            f"must be an IPv{version} CIDR block",
            f"use an IPv{version} block, e.g. 192.168.10.0/24",
        )
    return net


def parse_ipv4_cidr(setting: str, value: Any) -> ipaddress.IPv4Network:
    net = parse_cidr(setting, value, version=4)
    assert isinstance(net, ipaddress.IPv4Network)
    return net
