"""The recorded plan: what the program registered, in wire form. Pure data, imported by every
other part of the review (``engine`` records it, ``analyzer`` sends it to the pack, ``report``
renders it); it imports none of them."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
URN_PREFIX = "urn:pulumi:"


def urn_qualified_type(urn: str) -> str:
    """The qualified type of a URN (``urn:pulumi:<stack>::<project>::<qualified type>::<name>``;
    a name may itself contain ``::``, the type never does)."""
    parts = urn.split("::")
    return parts[2] if len(parts) >= 4 and urn.startswith(URN_PREFIX) else ""


def urn_name(urn: str) -> str:
    """The resource name of a URN (everything after the third ``::``)."""
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else ""


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """A URN as the engine makes it (pulumi/pulumi ``pkg/resource/deploy/deployment.go``
    ``generateURN``, ``sdk/go/common/resource/urn/urn.go`` ``New``): a child's qualified type is
    its parent's qualified type, ``$``, its own type; the root stack's type is left out."""
    qualified = type_
    parent_type = urn_qualified_type(parent) if parent else ""
    if parent_type and parent_type != STACK_TYPE:
        qualified = f"{parent_type}${type_}"
    return f"{URN_PREFIX}{stack}::{project}::{qualified}::{name}"


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


class RunMode(StrEnum):
    """How the program is run. ``update``: ``pulumi up`` of a new stack (every value known);
    ``preview``: ``pulumi preview`` of a new stack (what the plan does not know is unknown);
    ``baseline``: ``pulumi preview`` against the state of a ``pulumi stack export``;
    ``deployed``: a no-op preview against the program's own update as AWS would store it."""

    UPDATE = "update"
    PREVIEW = "preview"
    BASELINE = "baseline"
    DEPLOYED = "deployed"

    @classmethod
    def parse(cls, value: RunMode | str) -> RunMode:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"mode must be one of {', '.join(m.value for m in cls)}, not {value!r}"
            ) from None

    @property
    def dry_run(self) -> bool:
        """A preview (the CLI's PULUMI_DRY_RUN): every mode but ``update``."""
        return self is not RunMode.UPDATE


class Op(StrEnum):
    """A step's operation (pulumi/pulumi ``pkg/resource/deploy/step.go`` ``StepOp``)."""

    SAME = "same"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


# step.go RawPrefix; a preview shows a replacement's steps as one "+-" (pkg/backend/display
# progress.go getStepOp), also when it deletes before creating.
PREFIX: dict[Op, str] = {
    Op.SAME: "  ",
    Op.CREATE: "+ ",
    Op.UPDATE: "~ ",
    Op.REPLACE: "+-",
    Op.DELETE: "- ",
}
# pkg/backend/display/diff.go renderSummaryEvent walks deploy.StepOps in this order
SUMMARY_ORDER: tuple[Op, ...] = (Op.CREATE, Op.UPDATE, Op.DELETE, Op.REPLACE)


@dataclass(frozen=True)
class Step:
    """What a preview against old state does to one resource (``review.steps`` decides)."""

    urn: str
    type: str
    name: str
    op: Op
    diffs: tuple[str, ...] = ()  # changed paths (dotted; a list's elements share one path)
    replaces: tuple[str, ...] = ()  # the changed paths that force replacement
    delete_before_replace: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urn": self.urn, "op": self.op.value}
        if self.diffs:
            out["diffs"] = list(self.diffs)
        if self.replaces:
            out["replaces"] = list(self.replaces)
        return out


def step_summary(steps: Sequence[Step]) -> list[str]:
    """The ``Resources:`` block of ``pulumi preview`` (``renderSummaryEvent``): one line per
    kind of change, then "N changes. M unchanged" (the total only with two kinds or more)."""
    counts = {op: sum(1 for s in steps if s.op is op) for op in Op}
    lines = ["Resources:"]
    kinds = changes = 0
    for op in SUMMARY_ORDER:
        if counts[op]:
            lines.append(f"    {PREFIX[op]}{counts[op]} to {op.value}")
            kinds += 1
            changes += counts[op]
    pieces = []
    if kinds >= 2:
        pieces.append(f"{changes} change{'s' if changes != 1 else ''}")
    if counts[Op.SAME]:
        pieces.append(f"{counts[Op.SAME]} unchanged")
    if pieces:
        lines.append("    " + ". ".join(pieces))
    return lines


@dataclass
class LogEntry:
    severity: str  # debug | info | warning | error
    message: str
    urn: str = ""


@dataclass
class ProgramRun:
    mode: str  # a RunMode value: "update" | "preview" | "baseline" | "deployed"
    stack: str
    project: str
    resources: list[RecordedResource]  # registration order; Stack and components included
    outputs: dict  # stack outputs, wire form; secrets shown as "[secret]"
    logs: list[LogEntry] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    # baseline and deployed runs: one step per resource, then the deletes
    steps: list[Step] = field(default_factory=list)
    shape: str = ""  # deployed runs: the shape of the state ("fresh" | "refreshed")
    baseline: str = ""  # baseline runs: the export file, as named

    @property
    def dry_run(self) -> bool:
        return RunMode.parse(self.mode).dry_run

    @property
    def label(self) -> str:
        """The run's name in the report: its mode, with the deployed state's shape."""
        return f"{self.mode}-{self.shape}" if self.mode == RunMode.DEPLOYED and self.shape else (
            str(self.mode)
        )

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
