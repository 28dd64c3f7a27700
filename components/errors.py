"""One error type for bad input, raised before any resource is registered.

ConfigError is a ``pulumi.RunError``: the real Python language host prints a RunError as one
line (``str(e)``) and anything else as "Program failed with an unhandled exception" plus a
traceback (pulumi/pulumi, sdk/python/cmd/pulumi-language-python-exec, ``except
pulumi.RunError``). Its message never spans lines.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Any, Self

import pulumi


class ConfigError(pulumi.RunError, ValueError):
    """Bad input: names the setting, the value and the fix (and, from the stack settings, the
    stack file and the namespaced key)."""

    def __init__(
        self, setting: str, value: Any, problem: str, fix: str, *, where: str = ""
    ) -> None:
        self.setting = setting
        self.value = value
        self.problem = problem
        self.fix = fix
        self.where = where
        text = f"{where or setting} = {value!r}: {problem}. Fix: {fix}"
        super().__init__(" ".join(text.split()))

    def located(self, stack_file: str, key: str) -> ConfigError:
        """The same error, naming the stack file and the full key, e.g.
        ``Pulumi.dev.yaml: tiered-network:natStrategy = 'two': ...``."""
        return ConfigError(
            self.setting, self.value, self.problem, self.fix, where=f"{stack_file}: {key}"
        )


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


class ConfigChoice(StrEnum):
    """A mode chosen in config (an enum, not boolean soup): ``parse`` refuses any other value,
    naming the setting, the value and the choices. Subclasses name what they choose."""

    @classmethod
    def noun(cls) -> str:
        return cls.__name__

    @classmethod
    def parse(cls, setting: str, value: object) -> Self:
        try:
            return cls(str(value))
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ConfigError(
                setting, value, f"unknown {cls.noun()}", f"use one of: {choices}"
            ) from None
