"""The pull-request workflow (.github/workflows/review.yml): its shape, and linters that can fail.

`make lint` runs actionlint and zizmor on it; here each is shown to catch a broken variant, so a
clean result on the real file means something."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "review.yml"
BIN = Path(sys.executable).parent
SHA = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def wf() -> dict:
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def steps(wf: dict, job: str) -> list[dict]:
    return wf["jobs"][job]["steps"]


def test_runs_on_pull_requests_only_with_least_privilege(wf: dict) -> None:
    assert set(wf["on"]) == {"pull_request"}  # never pull_request_target (untrusted code + secrets)
    assert wf["permissions"] == {}
    for name, job in wf["jobs"].items():
        perms = job["permissions"]
        assert perms.get("contents") == "read", name
        assert set(perms) <= {"contents", "id-token"}, name
        assert "id-token" not in perms or name == "preview", name


def test_every_action_is_pinned_by_commit(wf: dict) -> None:
    uses = [s["uses"] for job in wf["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses and all(SHA.match(u) for u in uses), uses
    for line in WORKFLOW.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"# v\d+\.\d+\.\d+$", line), line  # the tag, for humans


def test_tests_and_the_offline_review_of_every_stack(wf: dict) -> None:
    assert any(s.get("run") == "make test" for s in steps(wf, "test"))
    listing = next(s for s in steps(wf, "stacks") if s.get("id") == "list")["run"]
    assert 'glob.glob("Pulumi.*.yaml")' in listing
    review = wf["jobs"]["review"]
    assert review["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    run = next(s for s in review["steps"] if s.get("id") == "review")["run"]
    # The review's own exit codes (make would turn 1 into 2), after make installs its venvs.
    assert run.splitlines()[1].startswith(".venv/bin/python -m review --stack \"${STACK}\"")
    assert "--markdown" in run and "--diagram" in run and "make" not in run
    assert any(s.get("run") == "make install-review" for s in review["steps"])
    summary = next(s for s in review["steps"] if "summary" in s.get("name", "").lower())
    assert "GITHUB_STEP_SUMMARY" in summary["run"] and summary["if"] == "always()"
    for job in wf["jobs"].values():  # the offline jobs see no secrets
        if job is not wf["jobs"]["preview"]:
            assert "secrets." not in yaml.safe_dump(job)


def test_the_real_preview_runs_the_pack_with_the_stacks_config(wf: dict) -> None:
    preview = wf["jobs"]["preview"]
    pulumi = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert pulumi["if"] == "steps.creds.outputs.present == 'true'"
    aws = next(s for s in preview["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert "role-to-assume" in aws["with"] and "aws-access-key-id" not in aws["with"]


def lint(
    tmp_path: Path, text: str
) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    wf_dir = tmp_path / ".github" / "workflows"
    wf_dir.mkdir(parents=True)
    (wf_dir / "review.yml").write_text(text)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GH_TOKEN", None)
    env.pop("GITHUB_TOKEN", None)
    actionlint = subprocess.run(
        [str(BIN / "actionlint"), str(wf_dir / "review.yml")],
        cwd=tmp_path, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    zizmor = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--persona", "auditor", "--no-progress", str(wf_dir)],
        cwd=tmp_path, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    return actionlint, zizmor


def test_the_workflow_lints_clean(tmp_path: Path) -> None:
    assert shutil.which("shellcheck", path=str(BIN)), "actionlint needs shellcheck for run: scripts"
    actionlint, zizmor = lint(tmp_path, WORKFLOW.read_text())
    assert actionlint.returncode == 0, actionlint.stdout + actionlint.stderr
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr


def test_actionlint_catches_a_type_error(tmp_path: Path) -> None:
    text = WORKFLOW.read_text()
    bad = text.replace("timeout-minutes: 5", "timeout-minutes: five")
    assert bad != text
    actionlint, _ = lint(tmp_path, bad)
    assert actionlint.returncode != 0 and "five" in actionlint.stdout, actionlint.stdout


def test_zizmor_catches_an_unpinned_action_and_script_injection(tmp_path: Path) -> None:
    text = WORKFLOW.read_text()
    bad = text.replace(
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
        "actions/checkout@v7",
    ).replace(
        '.venv/bin/python -m review --stack "${STACK}"',
        '.venv/bin/python -m review --stack "${{ github.event.pull_request.title }}"',
    )
    assert bad != text
    _, zizmor = lint(tmp_path, bad)
    assert zizmor.returncode != 0
    assert "unpinned-uses" in zizmor.stdout and "template-injection" in zizmor.stdout
