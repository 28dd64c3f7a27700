"""``python -m review --baseline FILE``: the export is checked first (one line, exit 2, the file
named, a ciphertext never printed), and the review previews the dev stack against it, printing
each step as ``pulumi preview`` does and listing the steps in ``--json``."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from review import run_program
from review.baseline import SECRET_SIG, SIG_KEY
from review.cli import main
from review.stack_config import load_project, load_stack_config
from tests.exports import export_of, resource

ROOT = Path(__file__).resolve().parent.parent
SECRET = "v1:c2VjcmV0LWNpcGhlcnRleHQtbm90LWZvci15b3VyLWV5ZXM="


@pytest.fixture(scope="module")
def dev_export() -> dict[str, Any]:
    project = load_project(ROOT)
    run = run_program(project.main, config=load_stack_config(ROOT, "dev"), mode="update",
                      stack="dev", project=project.name)
    return export_of(run)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--stack", "dev", "-C", str(ROOT), *args])
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, doc: Any, name: str = "dev-export.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _versioned(doc: dict[str, Any], version: int) -> dict[str, Any]:
    return {**doc, "version": version, "features": ["snippets"]}


def _without_resources(doc: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "deployment": {k: v for k, v in doc["deployment"].items()
                                          if k != "resources"}}


def _other_stack(doc: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(doc).replace("urn:pulumi:dev::", "urn:pulumi:prod::")
    return json.loads(text)


def _malformed_secret(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    resource(doc, "web-instance")["outputs"]["userData"] = {
        SIG_KEY: SECRET_SIG, "ciphertext": SECRET, "plaintext": "\"x\"",
    }
    return doc


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: "{not json", "not JSON"),
        (lambda d: [d], "the document is a JSON array"),
        (lambda d: {"deployment": d["deployment"]}, "no 'version'"),
        (lambda d: _versioned(d, 4), "version 4 with features ['snippets']; only version 3"),
        (lambda d: {"version": 3, "checkpoint": {}}, "no 'deployment' object"),
        (_without_resources, "no deployment.resources"),
        (_other_stack, "an export of stack 'prod' of project 'tiered-network'"),
        (_malformed_secret, "exactly one of `ciphertext` or `plaintext`"),
        (lambda d: {"version": 3, "deployment": {"resources": [{"urn": "x", "type": "t"}]}},
         "deployment.resources[0].urn is missing or not a URN"),
        (lambda d: {"version": 3, "deployment": {"resources": d["deployment"]["resources"],
                                                 "pending_operations": [{"type": "creating"}]}},
         "1 pending operation(s)"),
    ],
)
def test_a_file_that_is_not_a_stack_export_is_one_line_and_exit_2(
    tmp_path: Path, dev_export: dict[str, Any], make: Any, says: str
) -> None:
    path = write(tmp_path, make(dev_export))
    code, out, err = cli("--mode", "update", "--baseline", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "dev-export.json" in err and says in err, err
    assert SECRET not in err


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    code, _, err = cli("--mode", "update", "--baseline", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: baseline file not found" in err


def test_the_review_against_a_changed_stack_shows_each_step_and_no_ciphertext(
    tmp_path: Path, dev_export: dict[str, Any]
) -> None:
    doc = copy.deepcopy(dev_export)
    # before the change: a narrower office rule (now widened within the office list) ...
    rule = resource(doc, "bastion-ssh-office-0")
    rule["inputs"]["cidrIpv4"] = rule["outputs"]["cidrIpv4"] = "203.0.113.0/25"
    # ... a rule the program no longer declares ...
    legacy = copy.deepcopy(resource(doc, "bastion-out-22"))
    legacy["urn"] = legacy["urn"].replace("::bastion-out-22", "::bastion-out-8080")
    doc["deployment"]["resources"].append(legacy)
    # ... no web egress rule yet, and a secret the state holds only as ciphertext
    doc["deployment"]["resources"].remove(resource(doc, "web-out-all"))
    for name in ("bastion-instance", "web-instance"):
        resource(doc, name)["outputs"]["userData"] = {SIG_KEY: SECRET_SIG, "ciphertext": SECRET}
    path = write(tmp_path, doc)
    code, text, err = cli("--mode", "update", "--baseline", str(path))
    assert code == 0, err
    assert "Plan (baseline against " in text and "dev-export.json" in text
    lines = text.splitlines()
    row = {ln.split()[-1] if "[diff:" not in ln else ln.split("[diff:")[0].split()[-1]: ln
           for ln in lines if ln.startswith(" ") and "aws:" in ln}
    assert row["bastion-ssh-office-0"].startswith(" ~ ") and "[diff: ~cidrIpv4]" in text
    assert row["bastion-out-8080"].startswith(" - ")
    assert row["web-out-all"].startswith(" + ")
    # an unreadable secret counts as changed; the bastion's userData replaces it
    # (userDataReplaceOnChange), and the Elastic IP follows the new instance in place
    assert row["bastion-instance"].startswith(" +- ") and "[diff: ~userData]" in text
    assert row["bastion-eip"].startswith(" ~ ")
    assert row["web-instance"].startswith("     ")  # ... unless ignoreChanges names it
    assert row["dev-vpc"].startswith("     ")  # same: unmarked
    assert ("    + 1 to create\n    ~ 2 to update\n    - 1 to delete\n    +-1 to replace\n"
            "    5 changes. 47 unchanged\n") in text
    assert SECRET not in text and SECRET not in err

    code, out, _ = cli("--mode", "update", "--baseline", str(path), "--json")
    assert code == 0
    assert SECRET not in out
    document = json.loads(out)
    assert document["modes"] == ["update", "baseline"] and document["stepsOf"] == "baseline"
    ops = {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in document["steps"]}
    assert ops["bastion-ssh-office-0"] == "update" and ops["bastion-out-8080"] == "delete"
    assert ops["web-out-all"] == "create" and ops["dev-vpc"] == "same"
    assert set(ops.values()) == {"same", "create", "update", "delete", "replace"}
    assert all(set(s) >= {"urn", "op"} for s in document["steps"])
    # a new-stack run's steps are all creates
    assert {s["op"] for s in document["runs"]["update"]["steps"]} == {"create"}
