"""The recorded plan: what the program registered, in wire form. Pure data, imported by every
other part of the review (``engine`` records it, ``analyzer`` sends it to the pack, ``report``
renders it); it imports none of them."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class RecordedResource:
    """One RegisterResource call, in wire form (camelCase keys, unknown sentinels kept)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str  # parent URN or ""
    provider: str  # provider reference "<urn>::<id>" or "" (default provider)
    inputs: dict
    outputs: dict
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    ignore_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    # The aliases the program asked for, as the engine receives them (alias.proto: a URN, or a
    # spec of name/type/parentUrn/noParent/stack/project left empty where they default).
    aliases: list[dict] = field(default_factory=list)


@dataclass
class LogEntry:
    severity: str  # debug | info | warning | error
    message: str
    urn: str = ""


@dataclass
class ProgramRun:
    mode: str  # "update" | "preview"
    stack: str
    project: str
    resources: list[RecordedResource]  # registration order; Stack and components included
    outputs: dict  # stack outputs, wire form; secrets shown as "[secret]"
    logs: list[LogEntry] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def custom_resources(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.custom]


def _package_version(package: str) -> str:
    try:
        return importlib.metadata.version(f"pulumi_{package}")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def with_default_providers(run: ProgramRun) -> Sequence[RecordedResource]:
    """The run's resources with the engine's default providers inserted before their first user,
    and each custom resource without an explicit provider pointed at its default provider."""
    out: list[RecordedResource] = []
    defaults: dict[str, RecordedResource] = {}
    for r in run.resources:
        package = r.type.split(":", 1)[0]
        if r.custom and not r.provider and package != "pulumi":
            prov = defaults.get(package)
            if prov is None:
                version = _package_version(package)
                name = f"default_{version.replace('.', '_').replace('-', '_')}"
                ptype = f"pulumi:providers:{package}"
                inputs: dict[str, Any] = {
                    k.split(":", 1)[1]: v
                    for k, v in run.config.items()
                    if k.startswith(package + ":")
                }
                inputs["version"] = version
                prov = RecordedResource(
                    urn=f"urn:pulumi:{run.stack}::{run.project}::{ptype}::{name}",
                    type=ptype,
                    name=name,
                    custom=True,
                    parent="",
                    provider="",
                    inputs=inputs,
                    outputs=dict(inputs),
                    dependencies=[],
                    property_dependencies={},
                    protect=False,
                )
                defaults[package] = prov
                out.append(prov)
            r = replace(r, provider=f"{prov.urn}::default-provider-id")
        out.append(r)
    return out
