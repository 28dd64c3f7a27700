"""Existing stacks keep their resources across the component plugin's type tokens.

TieredNetwork and Bastion now register as ``tierednet:index:*`` (what the component provider host
serves: ``<package>:index:<Class>``), and the audit log moved inside the bastion. Their children's
URNs change with them. The engine matches a new URN to an old resource through the aliases the
program sends; this test replays the engine's own matching over the dev and prod stacks as they
were before the change (``tests/data/urns-before-plugin.json``, recorded from commit 53439c8)
and requires every old resource to be claimed by exactly one new one: no create, no delete, no
replacement (prod's protected volume and audit key would refuse one).

Like is compared with like: both sides are engine-form URNs computed here from each record's
type, name and parent chain (the root stack's type left out, the parent's whole qualified type
kept), whatever form the recorder's own ``urn`` field takes.

The engine's matching, followed line by line (pulumi/pulumi ``pkg/resource/deploy/
step_generator.go``): ``getOldResource`` tries the URN, then each alias of ``generateAliases``
in order, and records an alias that matched (``sg.aliases[urn] = alias``);
``generateAliases`` collapses each alias spec (``collapseAliasToUrn``: missing name/type are the
resource's, a missing parent is the new parent, an explicit parent is replaced by that parent's
matched alias, ``noParent`` or a root-stack parent means none) and multiplies in the parent's
matched alias (``inheritedChildAlias``: the parent's old qualified type, and the child's name
with the parent's old name as its prefix when it began with the new one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from review.plan import ProgramRun, RecordedResource

ROOT = Path(__file__).resolve().parent.parent
BEFORE = json.loads((ROOT / "tests" / "data" / "urns-before-plugin.json").read_text())
STACK_TYPE = "pulumi:pulumi:Stack"
PROJECT = "tiered-network"


def qualified_type(urn: str) -> str:
    return urn.split("::")[2] if urn else ""


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def urn_type(urn: str) -> str:
    return qualified_type(urn).split("$")[-1]


def new_urn(stack: str, parent: str, type_: str, name: str) -> str:
    """pulumi ``urn.New``: the parent's qualified type, ``$``, the type (no root stack)."""
    parent_type = qualified_type(parent)
    qualified = type_ if parent_type in ("", STACK_TYPE) else f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{PROJECT}::{qualified}::{name}"


def engine_urns(run: ProgramRun) -> dict[str, str]:
    """Recorder URN -> engine-form URN, from the parent chain."""
    by_urn = {r.urn: r for r in run.resources}
    out: dict[str, str] = {}

    def of(r: RecordedResource) -> str:
        if r.urn not in out:
            if r.type == STACK_TYPE:
                out[r.urn] = f"urn:pulumi:{run.stack}::{PROJECT}::{STACK_TYPE}::{r.name}"
            else:
                parent = of(by_urn[r.parent]) if r.parent else ""
                out[r.urn] = new_urn(run.stack, parent, r.type, r.name)
        return out[r.urn]

    for r in run.resources:
        of(r)
    return out


class Engine:
    """The step generator's alias bookkeeping (see the module docstring)."""

    def __init__(self, stack: str, olds: set[str]) -> None:
        self.stack = stack
        self.olds = olds
        self.aliases: dict[str, str] = {}  # new URN -> the old URN it took over by an alias
        self.claimed: dict[str, str] = {}  # old URN -> new URN

    def collapse(self, name: str, typ: str, res_parent: str, alias: dict[str, Any]) -> str:
        if alias.get("urn"):
            return str(alias["urn"])
        spec = alias.get("spec", {})
        n = spec.get("name") or name
        t = spec.get("type") or typ
        parent = spec.get("parentUrn") or ""
        if parent == "":
            parent = res_parent
        elif parent in self.aliases:
            parent = self.aliases[parent]
        if spec.get("noParent") or (parent and qualified_type(parent) == STACK_TYPE):
            parent = ""
        return new_urn(spec.get("stack") or self.stack, parent, t, n)

    def inherited(self, child_type: str, child_name: str, parent: str, parent_alias: str) -> str:
        alias_name = child_name
        if child_name.startswith(urn_name(parent)):
            alias_name = urn_name(parent_alias) + child_name[len(urn_name(parent)) :]
        return new_urn(self.stack, parent_alias, child_type, alias_name)

    def generate(self, name: str, typ: str, parent: str, specs: list[dict]) -> list[str]:
        result: list[str] = []
        for spec in specs:
            result.append(self.collapse(name, typ, parent, spec))
        if parent and parent in self.aliases:
            parent_alias = self.aliases[parent]
            result.append(self.inherited(typ, name, parent, parent_alias))
            for spec in specs:
                child = self.collapse(name, typ, parent, spec)
                result.append(
                    self.inherited(urn_type(child), urn_name(child), parent, parent_alias)
                )
        return list(dict.fromkeys(result))

    def step(self, urn: str, name: str, typ: str, parent: str, specs: list[dict]) -> str | None:
        """The old resource this registration updates (None: a create)."""
        for candidate in [urn, *self.generate(name, typ, parent, specs)]:
            if candidate in self.olds:
                assert candidate not in self.claimed, f"{urn} and {self.claimed[candidate]}"
                self.claimed[candidate] = urn
                if candidate != urn:
                    self.aliases[urn] = candidate
                return candidate
        return None


def replay(run: ProgramRun, before: list[str]) -> tuple[list[str], list[str], Engine]:
    urns = engine_urns(run)
    engine = Engine(run.stack, set(before))
    creates = []
    for r in run.resources:
        if r.type == STACK_TYPE:
            continue
        parent = urns[r.parent] if r.parent else ""
        if engine.step(urns[r.urn], r.name, r.type, parent, r.aliases) is None:
            creates.append(urns[r.urn])
    deletes = sorted(set(before) - set(engine.claimed))
    return creates, deletes, engine


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_of_the_stack_before_is_kept(stack: str, stack_runs: Any) -> None:
    run = stack_runs(stack)
    before = BEFORE["stacks"][stack]
    creates, deletes, engine = replay(run, before)
    assert creates == [] and deletes == [], (creates, deletes)
    # The URNs did change: it is the aliases that keep the resources.
    moved = {old: new for old, new in engine.claimed.items() if old != new}
    assert f"urn:pulumi:{stack}::{PROJECT}::tierednet:network:TieredNetwork::{stack}" in moved
    assert f"urn:pulumi:{stack}::{PROJECT}::tierednet:compute:Bastion::bastion" in moved
    old_key = (
        f"urn:pulumi:{stack}::{PROJECT}::tierednet:audit:AuditLog$aws:kms/key:Key::bastion-audit-key"
    )
    assert moved[old_key] == (
        f"urn:pulumi:{stack}::{PROJECT}::tierednet:index:Bastion$tierednet:audit:AuditLog"
        "$aws:kms/key:Key::bastion-audit-key"
    )


def test_without_the_aliases_the_stack_would_be_replaced(stack_runs: Any) -> None:
    """The replay is not vacuous: stripped of its aliases, the same run creates and deletes."""
    import dataclasses

    run = stack_runs("dev")
    bare = dataclasses.replace(
        run, resources=[dataclasses.replace(r, aliases=[]) for r in run.resources]
    )
    creates, deletes, _ = replay(bare, BEFORE["stacks"]["dev"])
    assert len(creates) == len(deletes) > 30
    assert all("tierednet:" in u for u in creates + deletes)
