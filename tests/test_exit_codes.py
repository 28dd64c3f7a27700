"""Exit codes that reach users and CI unchanged (issue 15, item 1).

The review exits 0 clean, 1 a mandatory violation, 2 an error. GNU make exits 2 whenever a
recipe fails, so `make review` cannot say 1: the README and the workflow use
`.venv/bin/python -m review`, and `make -s review` prints only the review's own output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from tests.project_copy import project_copy

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# dev has no flow log: an advisory made mandatory is a mandatory violation (exit 1).
STRICT = {"bastion-ssh-only-from-office": {"officeCidrs": ["203.0.113.0/24"]},
          "vpc-flow-logs": "mandatory"}  # fmt: skip


def project_with_pack_config(tmp_path: Path, pack_config: dict) -> Path:
    return project_copy(tmp_path, pack_config=pack_config)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_with_pack_config(tmp_path_factory.mktemp("strict"), STRICT)


def make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True, env=env,
                          check=False)  # fmt: skip


@pytest.mark.parametrize("flags", [["-s"], []])
def test_make_s_review_json_prints_only_the_json(flags: list[str]) -> None:
    """`make -s review REVIEW_ARGS=--json | python3 -m json.tool` works (and plain `make review`
    too, once the venvs are installed: the recipe is not echoed)."""
    proc = make(*flags, "review", "MODE=update", "REVIEW_ARGS=--json --no-plan")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # nothing but the document: make echoed no command
    assert doc["exitCode"] == 0 and doc["stack"] == "dev"


def test_the_readmes_json_pipe_works_as_written() -> None:
    (line,) = [ln for ln in README.splitlines() if "| python3 -m json.tool" in ln]
    command = line.split("`")[-2]  # `make -s review REVIEW_ARGS=--json | python3 -m json.tool`
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env['PATH']}"  # python3: the venv's
    env["MODE"] = "update"  # make takes it from the environment (MODE ?= both): one run, faster
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["exitCode"] == 0


def test_a_violation_is_1_from_the_review_and_2_from_make(strict: Path) -> None:
    review = subprocess.run(
        [PYTHON, "-m", "review", "--stack", "dev", "--mode", "update", "--no-plan"],
        cwd=strict, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert review.returncode == 1, review.stdout + review.stderr
    assert "vpc-flow-logs" in review.stdout and "-> FAIL (exit 1)" in review.stdout
    proc = make("-s", "review", "MODE=update", "REVIEW_ARGS=--no-plan", cwd=strict)
    assert proc.returncode == 2  # GNU make's own code: why the README and CI don't use it
    assert proc.stdout == review.stdout  # the same review, and only its output


def workflow_review_steps() -> tuple[str, str, str]:
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "review.yml").read_text())
    steps = wf["jobs"]["review"]["steps"]
    run = next(s for s in steps if s.get("id") == "review")["run"]
    deployed = next(s for s in steps if s.get("id") == "deployed")["run"]
    verdict = next(s for s in steps if s.get("name", "").startswith("Verdict"))["run"]
    return run, deployed, verdict


# 2: a pack config the pack's schema refuses (with dev's office list, so that it is the
# pack that stops, not the review's pre-check of that list).
BAD_LEVEL = {"bastion-ssh-only-from-office": {"officeCidrs": ["203.0.113.0/24"]},
             "vpc-flow-logs": 3}  # fmt: skip


@pytest.mark.parametrize(("pack", "code"), [(None, 0), (STRICT, 1), (BAD_LEVEL, 2)])
def test_the_workflow_job_fails_with_the_reviews_own_code(
    tmp_path: Path, pack: dict | None, code: int
) -> None:
    """The workflow's review steps (new stack, and deployed) and its verdict step, run as GitHub
    runs them (bash -e)."""
    project = project_with_pack_config(
        tmp_path, pack or json.loads((ROOT / "policies/config/dev.json").read_text())
    )
    run, deployed, verdict = workflow_review_steps()
    out = tmp_path / "github_output"
    env = {**os.environ, "STACK": "dev", "GITHUB_OUTPUT": str(out)}
    step = subprocess.run(["bash", "-e", "-c", run], cwd=project, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert step.returncode == 0, step.stderr  # the step records the code; the verdict fails
    assert out.read_text() == f"exit={code}\n", step.stderr
    assert (project / "build" / "dev-summary.md").exists() == (code != 2)  # 2: "see the log"
    out.unlink()
    step = subprocess.run(["bash", "-e", "-c", deployed], cwd=project, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert step.returncode == 0, step.stderr
    assert out.read_text() == f"exit={code}\n", step.stderr
    for review_exit, deployed_exit in ((code, 0), (0, code), (code, code)):
        final = subprocess.run(
            ["bash", "-e", "-c", verdict],
            env={**env, "REVIEW_EXIT": str(review_exit), "DEPLOYED_EXIT": str(deployed_exit)},
            check=False,
        )
        assert final.returncode == code, (review_exit, deployed_exit)


def test_the_readme_documents_the_command_that_keeps_the_codes() -> None:
    assert "`.venv/bin/python -m review --stack dev`" in README
    assert "make -s review REVIEW_ARGS=--json | python3 -m json.tool" in README
    assert "GNU make exits 2 whenever a recipe fails" in README
    assert sys.executable  # the tests run in the venv the README names


def test_make_test_runs_the_linters_beside_pytest_and_fails_when_one_fails(tmp_path: Path) -> None:
    """`make test` runs lint, typecheck and unit side by side (one sub-make): a lint error is
    printed while pytest is still running, pytest finishes, and make exits 2. Under `make -j2`
    the sub-make has two slots and starts no new job after the failure (which ran is up to
    make's order): still 2. Neither prints a make warning (a forced -j3, or a jobserver the
    sub-make can't use). The tools are stand-ins (BIN=): this judges the Makefile's wiring."""
    project = project_copy(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    tools = {
        "ruff": f"echo ruff-failed >> {log}; exit 1",
        "actionlint": "exit 0", "zizmor": "exit 0", "mypy": f"echo mypy >> {log}",
        # pytest waits for ruff's line: it can only appear if the two run side by side
        "pytest": f"for i in $(seq 100); do grep -q ruff-failed {log} && break; sleep 0.1; done; "
                  f"echo pytest-done >> {log}",
    }
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    for jobs in ([], ["-j2"]):
        log.write_text("")
        proc = make(*jobs, "test", f"BIN={bin_dir}", cwd=project)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "warning:" not in proc.stderr, proc.stderr  # no forced -j3, no lost jobserver
        lines = log.read_text().split()
        assert "ruff-failed" in lines, (jobs, lines)
        if not jobs:
            assert "mypy" in lines, lines
            assert lines.index("ruff-failed") < lines.index("pytest-done"), lines
