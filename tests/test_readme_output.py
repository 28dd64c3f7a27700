"""README and review output (item 12)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from review import ProgramRun
from review.cli import main
from tests.test_settings import run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run("dev")


def test_troubleshooting_covers_cloud_init_the_bastion_key_and_the_prod_destroy() -> None:
    section = README.split("### Troubleshooting", 1)[1].split("\n## ", 1)[0]
    assert "cloud-init status --long" in section
    assert (
        'aws ec2 get-console-output --instance-id "$(pulumi stack output bastionInstanceId)"'
        in section
    )
    assert "grep 'bastion public key'" in section
    destroy = README.split("```bash\npulumi state unprotect", 1)[1].split("```", 1)[0]
    assert destroy == " --all --stack prod --yes\npulumi destroy --stack prod\n"


def test_the_bastion_prints_the_key_the_readme_greps_for(dev: ProgramRun) -> None:
    (bastion,) = [r for r in dev.resources if r.name == "bastion-instance"]
    assert (
        'echo "bastion public key (add to the servers authorized_keys): $(cat '
        in (bastion.inputs["userData"])
    )


def test_every_output_is_documented_and_every_documented_output_exists(dev: ProgramRun) -> None:
    table = README.split("## Stack outputs", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert documented == set(dev.outputs)


def test_the_web_server_opens_only_what_nginx_serves(dev: ProgramRun) -> None:
    (sg,) = [r for r in dev.resources if r.name == "web-sg"]
    ports = {
        int(r.inputs["fromPort"])
        for r in dev.resources
        if r.type.endswith(":SecurityGroupIngressRule")
        and r.inputs["securityGroupId"] == sg.outputs["id"]
        and (r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6"))
    }
    assert ports == {80}
    (web,) = [r for r in dev.resources if r.name == "web-instance"]
    assert "nginx" in web.inputs["userData"] and "ssl" not in web.inputs["userData"]


def test_the_contract_names_exactly_the_types_the_program_registers(dev: ProgramRun) -> None:
    contract = (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:aws|tierednet|pulumi):[\w/]+:\w+)`", contract))
    registered = {r.type for r in dev.resources} | {r.type for r in run("prod").resources}
    registered.discard("pulumi:pulumi:Stack")
    assert {t for t in named if not t.startswith("aws:ec2/get") and "/get" not in t} == registered
    assert "`azs`" not in contract  # the old key names are gone: Pulumi.yaml is the source


@pytest.fixture(scope="module")
def review_text() -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["--stack", "dev", "-C", str(ROOT)]) == 0
    return buf.getvalue()


def test_make_review_prints_no_line_wider_than_100_but_the_plan(review_text: str) -> None:
    before_plan, rest = review_text.split("\nPlan (", 1)
    after_plan = rest.split("\nResources by type:", 1)[1]
    for line in (before_plan + after_plan).splitlines():
        if line.startswith("      ") and not line.startswith("        "):
            continue  # a policy's own message, as the pack wrote it
        assert len(line) <= 100, line
    # 12 + bastion-audit-off-box + no-undeclared-rules + network-types-known + the 3 gates
    # (policies/rules/gates.py)
    assert "Policies (18):" in review_text


def test_json_leaves_out_debug_logs_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "dev", "-C", str(ROOT), "--json", "--mode", "update"]) == 0
    quiet = json.loads(capsys.readouterr().out)
    assert {e["severity"] for e in quiet["runs"]["update"]["logs"]} == {"warning"}
    main(["--stack", "dev", "-C", str(ROOT), "--json", "--mode", "update", "--debug-logs"])
    loud = json.loads(capsys.readouterr().out)
    assert "debug" in {e["severity"] for e in loud["runs"]["update"]["logs"]}
