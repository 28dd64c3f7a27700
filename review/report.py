"""The review's result (``ReviewReport``) and its text and JSON renderings. Imports data only."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .analyzer import Diagnostic, ResolvedPolicy
from .cost import Bill
from .mocks import UNKNOWN
from .plan import (
    PREFIX,
    STACK_TYPE,
    Op,
    ProgramRun,
    RecordedResource,
    Step,
    step_summary,
    with_default_providers,
)
from .reachability import matrix as reachability_matrix
from .reachability import render as render_reachability

WIDTH = 100  # the text report's lines (but for the plan tree and the policies' own messages)


@dataclass
class ModeResult:
    mode: str
    run: ProgramRun
    diagnostics: list[Diagnostic]


@dataclass
class ReviewReport:
    project: str
    stack: str
    project_dir: Path
    pack_dir: Path
    config_file: Path
    pack_name: str
    pack_version: str
    policies: dict[str, ResolvedPolicy]
    results: list[ModeResult]
    timings: dict[str, float] = field(default_factory=dict)
    cost: Bill | None = None  # the plan's monthly bill (from the update run)
    cost_error: str = ""  # why there is no bill (e.g. no price table for the region)
    config_warnings: list[str] = field(default_factory=list)  # as the CLI warns on the config

    # -- classification
    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for r in self.results for d in r.diagnostics]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory" and not d.cant_run]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "advisory" and not d.cant_run]

    @property
    def remediated(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "remediate"]

    @property
    def cant_run(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.cant_run]

    @property
    def blocking_cant_run(self) -> list[Diagnostic]:
        """Holes in mandatory policies: they could not check what they must enforce."""
        return [d for d in self.cant_run if d.policy_level in ("mandatory", "remediate")]

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory or self.blocking_cant_run else 0

    def run(self, mode: str) -> ProgramRun | None:
        return next((r.run for r in self.results if r.mode == mode), None)

    @property
    def shown(self) -> ProgramRun:
        """The run whose plan the report shows: the preview against the baseline, else a
        deployed run (refreshed before fresh), else the new-stack preview, else the first."""
        for label in ("baseline", "deployed-refreshed", "deployed-fresh", "preview"):
            run = self.run(label)
            if run is not None:
                return run
        return self.results[0].run

    def reachability(self, mode: str | None = None) -> dict[str, Any]:
        """The reachability matrix of one run (default: the update run, whose values are all
        known; else the preview run), from the policy pack's own network model."""
        run = self.run(mode) if mode else (self.run("update") or self.results[0].run)
        if run is None:
            return {}
        cache: dict[int, dict[str, Any]] = self.__dict__.setdefault("_reach", {})
        if id(run) not in cache:
            cache[id(run)] = reachability_matrix(run)
        return cache[id(run)]

    # -- output
    def to_dict(self, *, debug_logs: bool = False) -> dict[str, Any]:
        """The JSON document. The program's debug log lines (the SDK's RPC chatter) are left
        out unless `debug_logs`."""
        return {
            "project": self.project,
            "stack": self.stack,
            "modes": [r.mode for r in self.results],
            "pack": {
                "name": self.pack_name,
                "version": self.pack_version,
                "dir": str(self.pack_dir),
                "configFile": str(self.config_file),
                "policies": {
                    name: {"level": p.level, "type": p.policy_type, "properties": p.properties}
                    for name, p in sorted(self.policies.items())
                },
            },
            "steps": [s.to_dict() for s in steps_of(self.shown)],
            "stepsOf": self.shown.label,
            "runs": {
                r.mode: {
                    "resources": [_resource_dict(x) for x in r.run.resources],
                    "steps": [s.to_dict() for s in steps_of(r.run)],
                    "outputs": r.run.outputs,
                    "logs": [
                        vars(e) for e in r.run.logs if debug_logs or e.severity != "debug"
                    ],
                }
                for r in self.results
            },
            "reachability": self.reachability(),
            "diagnostics": [
                {
                    "policy": d.policy,
                    "level": d.level,
                    "policyLevel": d.policy_level,
                    "cantRun": d.cant_run,
                    "urn": d.urn,
                    "message": d.message,
                    "description": d.description,
                    "modes": modes,
                }
                for d, modes in _merge_modes(self.diagnostics)
            ],
            "summary": {
                "resources": {r.mode: len(r.run.resources) for r in self.results},
                "mandatory": len(_merge_modes(self.mandatory)),
                "advisory": len(_merge_modes(self.advisory)),
                "cantRun": len(_merge_modes(self.cant_run)),
                "cantRunOnMandatory": len(_merge_modes(self.blocking_cant_run)),
                "remediated": len(_merge_modes(self.remediated)),
            },
            "cost": self.cost.to_dict() if self.cost else {"error": self.cost_error},
            "configWarnings": list(self.config_warnings),
            "exitCode": self.exit_code,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def render(self, *, plan: bool = True) -> str:
        out: list[str] = []
        modes = ", ".join(r.mode for r in self.results)
        out.append(f"Review of stack '{self.stack}' (project {self.project}), modes: {modes}")
        out.append(
            f"Policy pack {self.pack_name}@v{self.pack_version} "
            f"({_rel(self.pack_dir)}), config {_rel(self.config_file)}"
        )
        for warning in self.config_warnings:
            out.extend(_wrap(f"warning [config] {warning}"))
        shown = self.shown
        if plan:
            out.append("")
            out.extend(render_plan(shown))
        for r in self.results:
            if plan:
                out.extend(_render_outputs(r.run))
            # the program's warnings (a placeholder key, a documentation-range office CIDR) are
            # shown with or without the plan
            for entry in r.run.logs:
                if entry.severity in ("warning", "error"):
                    out.extend(_wrap(f"{entry.severity} [{r.mode}] {entry.message}"))
        matrices = {r.mode: self.reachability(r.mode) for r in self.results}
        shown_modes = [m for m in matrices if m == "update"] or list(matrices)[:1]
        shown_modes += [m for m in matrices if m not in shown_modes and matrices[m] != matrices[
            shown_modes[0]]]  # a preview that sees something else is shown too
        for m in shown_modes:
            out.extend(render_reachability(matrices[m], m, width=WIDTH))
        out.append("")
        if self.cost is not None:
            out.extend(self.cost.render())
        else:
            out.append(f"Estimated monthly bill: not available ({self.cost_error})")
        out.append("")
        # One line per level, wrapped: the list of a dozen policies is not one 400-column line.
        by_level: dict[str, list[str]] = {}
        for name, p in sorted(self.policies.items()):
            by_level.setdefault(p.level, []).append(name)
        out.append(f"Policies ({len(self.policies)}):")
        for level, names in sorted(by_level.items()):
            out.extend(
                textwrap.wrap(
                    ", ".join(names),
                    width=WIDTH,
                    initial_indent=f"  {level}: ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
        groups = [
            ("Mandatory policy violations", self.mandatory),
            ("Advisory policy violations", self.advisory),
            (
                "Can't run during preview (holes: these checks saw unknown values and did not run)",
                self.cant_run,
            ),
            ("Remediations", self.remediated),
        ]
        for title, diags in groups:
            merged = _merge_modes(diags)
            if not merged:
                continue
            out.append("")
            out.append(f"{title} ({len(merged)}):")
            for d, dmodes in merged:
                tag = f"[{'+'.join(dmodes)}]"
                level = f" (policy is {d.policy_level})" if d.cant_run and d.policy_level else ""
                out.append(f"  {tag} {d.policy}{level}  {_short_urn(d.urn)}")
                for line in _message_lines(d):
                    out.append(f"      {line}")
        out.append("")
        summary = (
            f"Summary: {len(_merge_modes(self.mandatory))} mandatory, "
            f"{len(_merge_modes(self.advisory))} advisory, "
            f"{len(_merge_modes(self.cant_run))} can't-run "
            f"({len(_merge_modes(self.blocking_cant_run))} on mandatory policies)"
        )
        verdict = "FAIL" if self.exit_code else "OK"
        out.append(f"{summary} -> {verdict} (exit {self.exit_code})")
        return "\n".join(out)


# ------------------------------------------------------------------ helpers
def _wrap(text: str) -> list[str]:
    return textwrap.wrap(
        text, width=WIDTH, initial_indent="    ", subsequent_indent="        ",
        break_on_hyphens=False,
    )


def steps_of(run: ProgramRun) -> list[Step]:
    """The run's steps: a preview against old state has them; a new stack creates everything
    (the engine's default providers too)."""
    if run.steps:
        return list(run.steps)
    return [Step(r.urn, r.type, r.name, Op.CREATE) for r in with_default_providers(run)]


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _resource_dict(r: RecordedResource) -> dict[str, Any]:
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "custom": r.custom,
        "parent": r.parent,
        "provider": r.provider,
        "protect": r.protect,
        "inputs": r.inputs,
        "outputs": r.outputs,
        "dependencies": r.dependencies,
        "propertyDependencies": r.property_dependencies,
    }


def _merge_modes(diags: Iterable[Diagnostic]) -> list[tuple[Diagnostic, list[str]]]:
    """Collapse the same finding reported in several modes into one entry listing the modes."""
    merged: dict[tuple[str, str, str, str, bool], tuple[Diagnostic, list[str]]] = {}
    for d in diags:
        key = (d.policy, d.level, d.urn, d.message, d.cant_run)
        if key in merged:
            if d.mode not in merged[key][1]:
                merged[key][1].append(d.mode)
        else:
            merged[key] = (d, [d.mode])
    return list(merged.values())


def _short_urn(urn: str) -> str:
    if not urn:
        return "(stack)"
    parts = urn.split("::")
    if len(parts) >= 4:
        return f"{parts[2].split('$')[-1]}::{parts[3]}"
    return urn


def _message_lines(d: Diagnostic) -> list[str]:
    lines = d.message.splitlines() or [""]
    if d.description and lines[0] == d.description and len(lines) > 1:
        lines = lines[1:]  # the pack prefixes the description; the policy name says it already
    return lines


def _fmt_value(value: Any, width: int = 100) -> str:
    if value == UNKNOWN:
        return "[unknown]"
    text = json.dumps(value, sort_keys=True).replace(f'"{UNKNOWN}"', "[unknown]")
    return text if len(text) <= width else text[: width - 3] + "..."


def _render_outputs(run: ProgramRun) -> list[str]:
    if not run.outputs:
        return []
    out = ["", f"Outputs ({run.mode}):"]
    for key, value in sorted(run.outputs.items()):
        out.append(f"    {key}: {_fmt_value(value, WIDTH - 6 - len(key))}")
    return out


def render_plan(run: ProgramRun) -> list[str]:
    """A ``pulumi preview``-like tree (by parent), each row marked with its step's symbol
    (``review.plan.PREFIX``), the deletes last, the ``Resources:`` summary of the steps and the
    count of resources by type."""
    resources = list(with_default_providers(run))  # the engine registers these itself
    steps = steps_of(run)
    by_urn = {s.urn: s for s in steps}
    children: dict[str, list[RecordedResource]] = {}
    urns = {r.urn for r in resources}
    stack_urn = run.stack_urn if run.stack_urn in urns else ""
    roots: list[RecordedResource] = []
    for r in resources:
        parent = r.parent or (stack_urn if r.urn != stack_urn else "")
        if parent and parent in urns:
            children.setdefault(parent, []).append(r)
        else:
            roots.append(r)
    rows: list[tuple[Step | None, str, str]] = []

    def walk(r: RecordedResource, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        rows.append((by_urn.get(r.urn), prefix + branch + r.type, r.name))
        kids = children.get(r.urn, [])
        child_prefix = prefix if top else prefix + ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, child_prefix, i == len(kids) - 1, False)

    for i, root in enumerate(roots):
        walk(root, "", i == len(roots) - 1, True)
    for step in steps:
        if step.op is Op.DELETE:
            rows.append((step, step.type, step.name))
    width = max((len(row[1]) for row in rows), default=4) + 3
    if run.steps:
        against = f" against {run.baseline}" if run.baseline else (
            f", a no-op change against its own {run.shape} deployed state" if run.shape else ""
        )
        out = [f"Plan ({run.label}{against}): {len(steps)} steps"]
    else:
        out = [f"Plan ({run.mode}): {len(resources)} resources to create"]
    out.append(f"     {'Type':<{width}}Name")
    for row_step, row_type, row_name in rows:
        op = row_step.op if row_step is not None else Op.CREATE
        keys = dict.fromkeys(d.split(".", 1)[0] for d in row_step.diffs) if row_step else {}
        info = f"   [diff: {' '.join('~' + k for k in keys)}]" if keys else ""
        out.append(f" {PREFIX[op]}  {row_type:<{width}}{row_name}{info}".rstrip())
    if run.steps:
        out.append("")
        out.extend(step_summary(steps))
    counts: dict[str, int] = {}
    for r in resources:
        if r.type != STACK_TYPE:
            counts[r.type] = counts.get(r.type, 0) + 1
    out.append("")
    out.append("Resources by type:")
    tw = max((len(t) for t in counts), default=4) + 2
    for t, n in sorted(counts.items()):
        out.append(f"    {t:<{tw}}{n:>3}")
    custom = sum(1 for r in resources if r.custom)
    out.append(f"    {'(custom resources)':<{tw}}{custom:>3}")
    return out
