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

from review import ReviewError, run_program
from review.baseline import load_baseline, parse_baseline
from review.cli import main
from review.engine import deployed_baseline
from review.mocks import UNKNOWN
from review.plan import Op, ProgramRun
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


def _against_fixture(**changes: str) -> ProgramRun:
    project = load_project(ROOT)
    config = {**load_stack_config(ROOT, "dev"), **changes}
    old = load_baseline(FIXTURE, stack="dev", project=project.name)
    return run_program(project.main, config=config, mode="baseline", stack="dev",
                       project=project.name, baseline=old)


def test_turning_ipv6_on_against_the_deployed_dev_stack_plans_the_vpcs_new_block() -> None:
    """vpc.go resourceVPCCustomizeDiff: a change of assign_generated_ipv6_cidr_block makes
    ipv6_cidr_block (and its association id) new-computed. The stored block is empty; had the
    plan reused it, the program's subnet blocks, carved from it, would fail ('Address cannot be
    empty', as the review once did)."""
    run = _against_fixture(**{"tiered-network:ipv6": "true"})
    vpc = next(s for s in run.steps if s.name == "dev-vpc")
    assert vpc.op is Op.UPDATE and "assignGeneratedIpv6CidrBlock" in vpc.diffs
    outputs = run.by_urn()[vpc.urn].outputs
    assert outputs["ipv6CidrBlock"] == UNKNOWN and outputs["ipv6AssociationId"] == UNKNOWN
    subnets = [r for r in run.resources if r.type == "aws:ec2/subnet:Subnet"]
    assert subnets and all(r.inputs.get("ipv6CidrBlock") == UNKNOWN for r in subnets)


def test_a_smaller_data_volume_stops_the_review_a_larger_one_is_an_update() -> None:
    """AWS cannot shrink an EBS volume (review.steps NO_SHRINK): the preview passes, pulumi up
    fails; the review says so first, naming the volume and the size to keep."""
    with pytest.raises(ReviewError, match=r"::db-data: size 20 -> 10 GiB: AWS cannot shrink an "
                                          r"EBS volume .* keep it at 20 GiB or more"):
        _against_fixture(**{"tiered-network:dbDataVolumeGiB": "10"})
    run = _against_fixture(**{"tiered-network:dbDataVolumeGiB": "40"})
    step = next(s for s in run.steps if s.name == "db-data")
    assert step.op is Op.UPDATE and step.diffs == ("size",)


def test_a_smaller_root_volume_in_place_stops_the_review() -> None:
    """The instance's root volume is resized in place by the same ModifyVolume call
    (ec2_instance.go resourceInstanceUpdate): smaller is refused too."""
    doc = json.loads(FIXTURE.read_text())
    web = next(r for r in doc["deployment"]["resources"] if r["urn"].endswith("::web-instance"))
    web["outputs"]["rootBlockDevice"]["volumeSize"] = 32  # deployed larger than the program asks
    web["inputs"]["rootBlockDevice"]["volumeSize"] = 32
    project = load_project(ROOT)
    old = parse_baseline(doc, source="old.json", stack="dev", project=project.name)
    with pytest.raises(ReviewError, match=r"::web-instance: rootBlockDevice.volumeSize 32 -> 16"):
        run_program(project.main, config=load_stack_config(ROOT, "dev"), mode="baseline",
                    stack="dev", project=project.name, baseline=old)


def test_the_programs_warnings_show_without_the_plan_too() -> None:
    """prod's placeholder key and documentation-range office CIDR warn in every mode: with
    --no-plan (make diagram's run) as with the plan."""
    for args in ((), ("--no-plan",)):
        code, out, err = _cli("--stack", "prod", "--mode", "update", *args)
        assert code == 0, err
        assert "warning [update] Pulumi.prod.yaml: tiered-network:sshPublicKey = " in out, args
        assert "tiered-network:officeCidrs[0] = '198.51.100.0/24'" in out, args
