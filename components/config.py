"""The stack's configuration, read once and type-checked against Pulumi.yaml's declarations.

Pulumi.yaml's ``config:`` block is the registry of keys: each key in the project's namespace
declares its ``type`` (string, integer, boolean, or array of strings), a ``description`` and
usually a ``default``. This module reads that block at run time, so the set of keys, their types
and their defaults live in exactly one place, and:

- a key in the project's namespace that Pulumi.yaml does not declare is refused, naming the
  nearest declared key (``natStategy`` -> ``natStrategy``): a typo never silently falls back to
  a default that still bills;
- a value of the wrong type names the key, the value, the expected type and how to write it.

The CLI hands every value to the program as a string (scalars as text, lists as JSON:
``pulumi/sdk/python/lib/pulumi/runtime/config.py``), so parsing from text here is what a real
``pulumi up`` sees. Values come from ``PULUMI_CONFIG`` and ``set_all_config`` alike.

Adding a key (issue 9's ``ipv6``, issue 10's ``auditLog``, ...):

1. declare it in Pulumi.yaml under ``config:`` with ``type``, ``description`` and ``default``;
2. read it where it is used with ``conf.string/integer/boolean/strings("key")``.

Nothing else: unknown-key refusal, type checks, defaults and the README's config table test all
follow from the declaration (tests/test_settings.py checks every declared key is read).
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_monitor

from .errors import ConfigError

PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"
TYPES = ("string", "integer", "boolean", "array")
_INT_RE = re.compile(r"^-?\d+$")

# How to write a value of each type in Pulumi.<stack>.yaml (the fix of a type error).
_HOW = {
    "string": "write it as text, e.g. `key: value`",
    "integer": "write a whole number without quotes or units, e.g. `key: 600` "
    "(`pulumi config set key 600`)",
    "boolean": "write true or false without quotes (`pulumi config set key true`)",
    "array": "write a YAML list of strings, one `- item` per line",
}


def list_items(value: Any) -> list[str]:
    """What a user meant as the items of a list stored as one string: its JSON items, or its
    comma/space-separated words (``pulumi config set officeCidrs 1.2.3.4/32`` stores a string)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value) if value is not None else ""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, list):
        return [json.dumps(v) if not isinstance(v, str) else v for v in parsed]
    return [w for w in re.split(r"[,\s]+", text) if w]


def set_list_command(key: str, value: Any) -> str:
    """The CLI commands that store ``value`` as the list ``key``: one ``--path`` per item
    (without ``--path``, ``pulumi config set key X`` stores the string X)."""
    items = list_items(value) or ["<item>"]
    return "; ".join(
        f"pulumi config set --path '{key}[{i}]' {shlex.quote(item)}" for i, item in enumerate(items)
    )


@dataclass(frozen=True)
class Key:
    """One declared key of Pulumi.yaml's ``config:`` block."""

    name: str
    type: str
    description: str = ""
    default: Any = None


def declared_keys(project_file: Path = PROJECT_FILE) -> tuple[str, dict[str, Key]]:
    """The project's name and its declared config keys (Pulumi.yaml's ``config:`` block)."""
    data = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    keys: dict[str, Key] = {}
    for name, spec in (data.get("config") or {}).items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in TYPES or ":" in str(name):
            raise ValueError(f"{project_file}: config key {name!r} must declare a type of {TYPES}")
        keys[str(name)] = Key(str(name), kind, spec.get("description", ""), spec.get("default"))
    return str(data["name"]), keys


@dataclass
class StackConfig:
    """The stack's config map (``namespace:key`` -> text) checked against the declarations."""

    values: Mapping[str, Any]
    project: str
    keys: Mapping[str, Key]
    stack: str = "dev"
    read: set[str] = field(default_factory=set)

    @property
    def stack_file(self) -> str:
        return f"Pulumi.{self.stack}.yaml"

    def full_key(self, setting: str) -> str:
        """``subnets[1].cidr`` -> ``tiered-network:subnets[1].cidr`` (keys as the file has them)."""
        return setting if ":" in setting else f"{self.project}:{setting}"

    @classmethod
    def from_runtime(cls, project_file: Path = PROJECT_FILE) -> StackConfig:
        """The config the engine gave this program (``PULUMI_CONFIG`` and set_all_config)."""
        from pulumi.runtime.config import CONFIG, get_config_env

        project, keys = declared_keys(project_file)
        return cls({**get_config_env(), **CONFIG.get()}, project, keys, pulumi.get_stack())

    # -- whole-map checks
    def check_unknown(self) -> None:
        """Refuse keys of the project's namespace that Pulumi.yaml does not declare, and keys
        in a namespace that is a near miss of the project's (``tierednetwork:natStrategy``):
        the CLI passes any namespace through (providers own theirs), so such a key would be
        silently ignored and its setting left at the default."""
        ns = f"{self.project}:"
        for full in sorted(self.values):
            self._check_namespace(full)
            if not full.startswith(ns) or full[len(ns) :] in self.keys:
                continue
            key = full[len(ns) :]
            raise ConfigError(
                key,
                self.values[full],
                "is not a configuration key of this project",
                self.suggest(key),
            )

    def _check_namespace(self, full: str) -> None:
        namespace, _, key = full.partition(":")
        if not key or namespace == self.project:
            return
        squash = re.compile(r"[-_.\s]")
        near = squash.sub("", namespace.lower()) == squash.sub("", self.project.lower()) or (
            difflib.SequenceMatcher(None, namespace.lower(), self.project.lower()).ratio() >= 0.8
        )
        if near:
            fix = f"rename it to `{self.project}:{key}`"
            if key not in self.keys:
                fix += f"; and {self.suggest(key)}"
            raise ConfigError(
                full,
                self.values[full],
                f"namespace {namespace!r} is not this project's ({self.project!r}): the program "
                "would never read the key, and its setting would keep the default",
                fix,
            )

    def near_miss(self, full: str) -> str | None:
        """A key of the stack's config that is a near miss of ``full``, a key the program
        reads and the file lacks (``aws:regoin`` for ``aws:region``); None if there is none."""
        ns = f"{self.project}:"
        others = [
            k for k in self.values
            if k != full and not (k.startswith(ns) and k[len(ns) :] in self.keys)
        ]  # fmt: skip
        close = difflib.get_close_matches(full, others, n=1, cutoff=0.8)
        return close[0] if close else None

    def suggest(self, key: str) -> str:
        lowered = {k.lower(): k for k in self.keys}
        close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
        if close:
            return f"did you mean `{lowered[close[0]]}`? Rename the key (keys are case-sensitive)"
        return "remove it; the keys are declared in Pulumi.yaml: " + ", ".join(sorted(self.keys))

    # -- typed readers
    def raw(self, key: str) -> Any:
        """The text the engine gave for ``key`` (a declared key), or its declared default."""
        if ":" in key:
            return self.values.get(key)
        decl = self._declared(key)
        self.read.add(key)
        value = self.values.get(f"{self.project}:{key}")
        if value is None and decl.default is not None:
            return decl.default
        if value is None:
            raise ConfigError(
                key, None, "is not set", f"set it with `pulumi config set {key} <value>` (README)"
            )
        return value

    def string(self, key: str) -> str:
        self._expect(key, "string")
        value = self.raw(key)
        if not isinstance(value, str):
            return json.dumps(value)
        return value

    def integer(self, key: str) -> int:
        self._expect(key, "integer")
        value = self.raw(key)
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and _INT_RE.match(value.strip()))
        ):
            raise self._type_error(key, value, "integer")
        return int(value)

    def boolean(self, key: str) -> bool:
        self._expect(key, "boolean")
        value = self.raw(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip() in ("true", "false"):
            return value.strip() == "true"
        raise self._type_error(key, value, "boolean")

    def strings(self, key: str) -> list[str]:
        self._expect(key, "array")
        text = self.raw(key)
        value = text
        if isinstance(text, str):
            try:
                value = json.loads(text)
            except ValueError:
                raise self._type_error(key, text, "array") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._type_error(key, text, "array")
        return value

    # -- helpers
    def _declared(self, key: str) -> Key:
        try:
            return self.keys[key]
        except KeyError:
            raise KeyError(f"{key!r} is not declared in Pulumi.yaml's config block") from None

    def _expect(self, key: str, kind: str) -> None:
        if self._declared(key).type != kind:
            raise TypeError(f"{key!r} is declared {self.keys[key].type}, read as {kind}")

    def _type_error(self, key: str, value: Any, kind: str) -> ConfigError:
        expected = {"array": "a list of strings", "integer": "an integer"}.get(kind, f"a {kind}")
        fix = _HOW[kind].replace("`key", f"`{key}").replace(" key ", f" {key} ")
        default = self.keys[key].default if key in self.keys else None
        if kind == "integer" and isinstance(default, int) and not isinstance(default, bool):
            fix = fix.replace("600", str(default))
        if kind == "array":
            fix = (
                f"{fix}, or store a list: `{set_list_command(key, value)}` (without --path, "
                f"`pulumi config set {key} ...` stores one string)"
            )
        got = ", got a string" if isinstance(value, str) and kind == "array" else ""
        return ConfigError(
            key, value, f"must be {expected} (Pulumi.yaml declares it {kind}){got}", fix
        )


def real_update() -> bool:
    """True only in a real ``pulumi up``: not a preview (``pulumi.runtime.is_dry_run()``) and a
    resource monitor that is the engine's, not Pulumi's MockMonitor. The review's "update" mode
    and the unit tests run under mocks: they are told (a warning) rather than stopped, since
    nothing they do reaches AWS."""
    return not pulumi.runtime.is_dry_run() and not isinstance(get_monitor(), MockMonitor)
