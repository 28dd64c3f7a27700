"""``--mode deployed`` and ``--baseline`` on the shipped stacks (issue 13, point 2): a change
that changes nothing, previewed against the program's own update as AWS stores it (both shapes,
review.deployed), is a no-op: every step ``same``. Anything else is a bug in the diff
(review.steps) or in the export. And the dev stack's stored export (tests/fixtures/, written
by review.deployed the way ``pulumi stack export`` writes one) reviews clean as a baseline."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from review import run_program
from review.cli import main
from review.engine import deployed_baseline
from review.plan import Op
from review.stack_config import load_project, load_stack_config

ROOT = Path(__file__).resolve().parent.parent
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
FIXTURE = ROOT / "tests" / "fixtures" / "dev-stack-export.json"


def test_every_shipped_stack_is_reviewed() -> None:
    assert {"dev", "prod", "ipv6", "natinstance", "eic", "ssm"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_a_no_op_change_is_a_no_op_in_both_shapes(stack: str) -> None:
    project = load_project(ROOT)
    config = load_stack_config(ROOT, stack)
    update = run_program(project.main, config=config, mode="update", stack=stack,
                         project=project.name)
    for shape in ("fresh", "refreshed"):
        run = run_program(project.main, config=config, mode="deployed", stack=stack,
                          project=project.name, shape=shape,
                          baseline=deployed_baseline(update, shape))
        changed = [(s.name, s.op.value, s.diffs) for s in run.steps if s.op is not Op.SAME]
        assert not changed, f"{stack} {shape}: {changed}"
        # one step per resource the engine knows (the default providers too), no deletes
        assert len(run.steps) == len(update.resources) + sum(
            1 for s in run.steps if s.urn not in update.by_urn())
        assert run.label == f"deployed-{shape}" and run.dry_run
        # the program got the stored ids back, not the mocks' made-up ones
        assert run.outputs["vpcId"] != update.outputs["vpcId"]
        assert run.outputs["vpcId"].startswith("vpc-0")


def test_run_program_deployed_builds_its_own_update_refreshed_by_default() -> None:
    project = load_project(ROOT)
    config = load_stack_config(ROOT, "eic")
    run = run_program(project.main, config=config, mode="deployed", stack="eic",
                      project=project.name)
    assert run.shape == "refreshed" and {s.op for s in run.steps} == {Op.SAME}


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(ROOT), *args])
    return code, out.getvalue(), err.getvalue()


def test_the_cli_reviews_both_shapes_and_prints_a_no_op_plan() -> None:
    code, text, err = _cli("--stack", "dev", "--mode", "deployed")
    assert code == 0, err
    assert "modes: deployed-fresh, deployed-refreshed" in text
    assert "Plan (deployed-refreshed, a no-op change against its own refreshed deployed state)" in (
        text)
    summary = text.split("\nResources:\n", 1)[1].split("\n\n", 1)[0]
    assert summary.strip().endswith("unchanged") and "to " not in summary


def test_the_stored_dev_export_is_a_baseline_that_changes_nothing() -> None:
    code, out, err = _cli("--stack", "dev", "--mode", "update", "--baseline", str(FIXTURE),
                          "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stepsOf"] == "baseline"
    assert {s["op"] for s in doc["steps"]} == {"same"}, [
        s for s in doc["steps"] if s["op"] != "same"]
    stored = json.loads(FIXTURE.read_text())["deployment"]["resources"]
    assert {s["urn"] for s in doc["steps"]} == {r["urn"] for r in stored}
