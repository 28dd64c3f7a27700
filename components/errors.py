"""One error type for bad input, raised before any resource is registered.

ConfigError is a ``pulumi.RunError``: the real Python language host prints a RunError as one
line (``str(e)``) and anything else as "Program failed with an unhandled exception" plus a
traceback (pulumi/pulumi, sdk/python/cmd/pulumi-language-python-exec, ``except
pulumi.RunError``). Its message never spans lines.
"""

from __future__ import annotations

import difflib
import inspect
import ipaddress
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Self

import pulumi


class ConfigError(pulumi.RunError, ValueError):
    """Bad input: names the setting, the value and the fix (and, from the stack settings, the
    stack file and the namespaced key).

    One check serves two readers. ``setting`` is the config-style path (``natStrategy``,
    ``subnets[1].cidr``) and ``fix`` says what to write in the stack file; ``code_fix`` (when
    the two differ) says what to pass in code. The stack program's settings turn the error into
    ``located`` (stack file and key, ``fix``); a component turns it into ``in_code`` (the args
    class and its snake_case field, ``code_fix``). A value of None is "not set"; a boolean
    reads ``true``/``false`` in the stack file's terms (``located``), ``True``/``False`` in
    code's."""

    def __init__(
        self,
        setting: str,
        value: Any,
        problem: str,
        fix: str,
        *,
        where: str = "",
        code_fix: str = "",
        yaml_values: bool = False,
    ) -> None:
        self.setting = setting
        self.value = value
        self.problem = problem
        self.fix = fix
        self.code_fix = code_fix
        self.where = where
        name = where or setting
        if value is None:  # nothing was given: say so, never Python's None
            said = f"{name} {problem}" if problem.startswith("is ") else (
                f"{name} is not set: {problem}"
            )
        else:
            said = f"{name} = {_shown(value, yaml_values=yaml_values)}: {problem}"
        text = f"{said}. Fix: {fix}"
        super().__init__(" ".join(text.split()))

    def located(self, stack_file: str, key: str) -> ConfigError:
        """The same error, naming the stack file and the full key, e.g.
        ``Pulumi.dev.yaml: tiered-network:natStrategy = 'two': ...``."""
        return ConfigError(
            self.setting,
            self.value,
            self.problem,
            self.fix,
            where=f"{stack_file}: {key}",
            code_fix=self.code_fix,
            yaml_values=True,
        )

    def in_code(self, args_class: str) -> ConfigError:
        """The same error for someone writing code: the args field in Python's spelling and the
        fix in code terms, e.g. ``TieredNetworkArgs.nat_strategy = 'two': unknown NAT
        strategy. Fix: pass NatStrategy.SINGLE or "single", ...``. An error already in code
        terms (``where`` set) is returned unchanged."""
        if self.where:
            return self
        return ConfigError(
            self.setting,
            self.value,
            self.problem,
            self.code_fix or self.fix,
            where=f"{args_class}.{python_path(self.setting)}",
            code_fix=self.code_fix,
        )


def _shown(value: Any, *, yaml_values: bool = False) -> str:
    """The value as its reader writes it: a boolean as Python does (``True``), or, in the stack
    file's terms (``yaml_values``), as YAML and Pulumi config write it (``true``)."""
    # str()/repr() of an Output is no value at all (and str() raises): say what it is.
    if isinstance(value, pulumi.Output):
        return "<an Output>"
    if isinstance(value, bool) and yaml_values:
        return "true" if value else "false"
    return repr(value)


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def python_path(setting: str) -> str:
    """``subnets[1].mapPublicIpOnLaunch`` -> ``subnets[1].map_public_ip_on_launch`` (acronyms
    as Python writes them: ``dataVolumeGiB`` -> ``data_volume_gib``)."""
    return _CAMEL.sub(lambda m: "_" + m.group(1), setting.replace("GiB", "Gib")).lower()


@contextmanager
def code_errors(args_class: str) -> Iterator[None]:
    """Inside a component's validation: a ConfigError leaves in code terms (``in_code``)."""
    try:
        yield
    except ConfigError as err:
        raise err.in_code(args_class) from None


def is_output(value: object) -> bool:
    """An Output (or anything awaitable) where a plain value was needed."""
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def require_plain(setting: str, value: object, kind: type | tuple[type, ...], example: str) -> None:
    """A plain argument (it decides which resources exist, or is carved before any of them):
    refuse an Output, and a value of another type, instead of reading it wrongly (an Output
    or the string "false" is truthy; a bool is an int)."""
    if is_output(value):
        raise ConfigError(
            setting,
            value,
            "is an Output, but it must be known when the program runs (it decides which "
            "resources are created, and resources are never created inside an apply)",
            f"pass a plain value, e.g. {example} (read it from config, not from another resource)",
        )
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ConfigError(setting, value, f"must be a {names}", f"pass e.g. {example}")


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(setting: str, value: Any, *, version: int | None = None) -> IPNetwork:
    """Parse a CIDR strictly (no host bits); `version` restricts it to IPv4 or IPv6."""
    if not isinstance(value, str) or "/" not in value:
        fix = "write an address and prefix, e.g. 192.168.10.0/24"
        try:  # one address: the block of that address alone
            address = ipaddress.ip_address(value.strip()) if isinstance(value, str) else None
        except ValueError:
            address = None
        if address is not None:
            fix = f"write an address and prefix: {address}/{address.max_prefixlen} for it alone"
        raise ConfigError(setting, value, "not a CIDR block", fix)
    try:
        net = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        try:  # host bits set: the network the given address lies in
            network = ipaddress.ip_network(value.strip(), strict=False)
            fix = f"write the network address with its prefix length: {network}"
        except ValueError:
            fix = "write the network address with its prefix length, e.g. 192.168.10.0/24"
        raise ConfigError(setting, value, f"not a valid CIDR block ({exc})", fix) from None
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
    """A mode (an enum, not boolean soup), chosen in config or in code: ``parse`` takes a
    member or its string value alike -- the same check for both -- and refuses anything else
    (another string, an Output, another type), naming the setting, the value and the choices.
    Code compares members with ``is``, so every arg of this type goes through ``parse`` first.
    Subclasses name what they choose."""

    @classmethod
    def noun(cls) -> str:
        return cls.__name__

    @classmethod
    def parse(cls, setting: str, value: object) -> Self:
        """``NatStrategy.parse("natStrategy", "single") is NatStrategy.SINGLE``."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str) and not isinstance(value, StrEnum):
            try:
                return cls(value)
            except ValueError:
                pass
        config = "use one of: " + ", ".join(m.value for m in cls)
        code = "pass one of " + ", ".join(f'{cls.__name__}.{m.name} or "{m.value}"' for m in cls)
        first = next(iter(cls))
        if is_output(value):
            raise ConfigError(
                setting,
                value,
                f"is an Output, but the {cls.noun()} decides which resources are created, so "
                "it must be known when the program runs",
                f'pass a plain value, e.g. {cls.__name__}.{first.name} or "{first.value}"',
            )
        raise ConfigError(setting, value, f"unknown {cls.noun()}", config, code_fix=code)


def plain_int(setting: str, value: object, example: str) -> int:
    """A plain integer; an integral float is taken as its integer: it is what ``Construct``
    delivers (JSON numbers are floats on the wire, and pulumi 3.272's
    ``provider/experimental/component.py`` ``map_input_properties`` computes ``int(value)`` for
    an integer property, then overwrites it with the float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    require_plain(setting, value, int, example)
    assert isinstance(value, int)
    return value


def check_keys(setting: str, given: Mapping[str, Any], typed: type) -> None:
    """Refuse a key the TypedDict does not declare (a typo would otherwise fall back to a
    default that still bills), naming the nearest one; and a missing required key."""
    if not isinstance(given, Mapping):
        raise ConfigError(
            setting.rstrip(".") or "args",
            given,
            f"must be a {typed.__name__} (a dict)",
            f"pass {typed.__name__}(...)",
        )
    declared = list(typed.__annotations__)
    for key in given:
        if key not in declared:
            near = difflib.get_close_matches(str(key), declared, n=1, cutoff=0.6)
            raise ConfigError(
                f"{setting}{key}",
                given[key],
                f"{typed.__name__} has no field {key!r}",
                f"did you mean {near[0]!r}?" if near else "use one of " + ", ".join(declared),
            )
    for key in sorted(typed.__required_keys__):  # type: ignore[attr-defined]
        if key not in given:
            raise ConfigError(
                f"{setting}{key}", None, "is required", f"pass {key}=... in {typed.__name__}"
            )
