"""auditLog: cloudwatch -- the bastion's audit trail in an encrypted CloudWatch Logs group --
and the policy bastion-audit-off-box, through the real program and the real pack."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from components.audit import RETENTION_DAYS, AuditLogMode, validate_retention_days
from components.cwagent import (
    AGENT_CONFIG,
    COMMAND_LOG,
    INSTALL_SCRIPT,
    cloudwatch_agent_cloud_config,
)
from components.errors import ConfigError
from components.userdata import HostEntry, bastion_user_data
from review import PolicyPack, ProgramError, run_program
from review.plan import ProgramRun, RecordedResource

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POLICY = "bastion-audit-off-box"
GROUP = "/prod/bastion/audit"
GROUP_ARN = f"arn:aws:logs:ap-northeast-2:123456789012:log-group:{GROUP}"


def named(run: ProgramRun, name: str) -> RecordedResource:
    found = [r for r in run.resources if r.name == name]
    assert len(found) == 1, name
    return found[0]


# ------------------------------------------------------------------ the program
def test_prod_ships_the_audit_log_to_an_encrypted_group(stack_runs: Any) -> None:
    run = stack_runs("prod")
    key = named(run, "bastion-audit-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    admin = statements["AccountAdministersTheKey"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    logs = statements["CloudWatchLogsForTheAuditGroupOnly"]
    assert logs["Principal"] == {"Service": "logs.ap-northeast-2.amazonaws.com"}
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": GROUP_ARN}}
    assert set(logs["Action"]) >= {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"}

    group = named(run, "bastion-audit-group")
    assert group.inputs["name"] == GROUP
    assert group.inputs["retentionInDays"] == 731  # Pulumi.prod.yaml
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]

    policy = json.loads(named(run, "bastion-audit-write").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "WriteTheAuditLogOnly",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [GROUP_ARN, f"{GROUP_ARN}:log-stream:*"],
        }
    ]
    role = named(run, "bastion-audit-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }
    profile = named(run, "bastion-audit-profile")
    assert profile.inputs["role"] == role.outputs["name"]
    bastion = named(run, "bastion-instance")
    assert bastion.inputs["iamInstanceProfile"] == profile.outputs["id"]
    # The agent ships from boot: the group and the permission exist before the instance.
    assert {group.urn, named(run, "bastion-audit-write").urn} <= set(bastion.dependencies)
    assert run.outputs["auditLogGroup"] == GROUP
    assert key.protect and group.protect  # prod's protectData: the history outlives a destroy
    dev = stack_runs("dev")
    assert not named(dev, "bastion-audit-key").protect

    cfg = yaml.safe_load(bastion.inputs["userData"])
    agent = next(f for f in cfg["write_files"] if f["path"] == AGENT_CONFIG)
    files = json.loads(agent["content"])["logs"]["logs_collected"]["files"]["collect_list"]
    # Only the command log leaves the box: the hook, sshd and the bastion-exec events (issue
    # 16); auditd's own log (every PAM, service and syscall record) stays on the bastion.
    assert {(f["file_path"], f["log_group_name"]) for f in files} == {(COMMAND_LOG, GROUP)}
    assert "auditd" in cfg["packages"]
    assert cfg["runcmd"][-2:] == [
        "/usr/local/sbin/install-cloudwatch-agent ap-northeast-2",
        f"/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config "
        f"-m ec2 -s -c file:{AGENT_CONFIG}",
    ]


def test_the_policy_documents_are_known_in_a_preview(stack_runs: Any) -> None:
    from review.engine import run_program as run
    from review.stack_config import load_project, load_stack_config

    project = load_project(ROOT)
    preview = run(
        project.main, config=load_stack_config(ROOT, "prod"), mode="preview", stack="prod"
    )
    for name in ("bastion-audit-key", "bastion-audit-write"):
        assert (
            named(preview, name).inputs["policy"]
            == named(stack_runs("prod"), name).inputs["policy"]
        )


def test_local_keeps_the_logs_on_the_box(stack_runs: Any) -> None:
    run = stack_runs("prod", auditLog="local")
    types = {r.type for r in run.resources}
    assert not types & {"aws:kms/key:Key", "aws:iam/instanceProfile:InstanceProfile"}
    assert "iamInstanceProfile" not in named(run, "bastion-instance").inputs
    cfg = yaml.safe_load(named(run, "bastion-instance").inputs["userData"])
    assert "amazon-cloudwatch-agent" not in json.dumps(cfg)


def test_cloudwatch_is_the_default(stack_runs: Any) -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["config"]["auditLog"]["default"] == AuditLogMode.CLOUDWATCH
    assert named(stack_runs("dev"), "bastion-audit-group").inputs["retentionInDays"] == 365


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("auditLogRetentionDays", "100", r"auditLogRetentionDays = 100: not a .*nearest: 90"),
        ("auditLogRetentionDays", "0", r"auditLogRetentionDays = 0: not a retention"),
        (
            "auditLog",
            "syslog",
            r"auditLog = 'syslog': unknown audit log mode. Fix: use one of: local, cloudwatch",
        ),
    ],
)  # fmt: skip
def test_bad_audit_settings_stop_before_any_resource(key: str, value: str, message: str) -> None:
    from review.stack_config import load_project, load_stack_config

    config = load_stack_config(ROOT, "prod")
    config[f"tiered-network:{key}"] = value
    with pytest.raises(ProgramError, match=message) as err:
        run_program(load_project(ROOT).main, config=config, mode="update", stack="prod")
    assert err.value is not None


def test_retention_takes_cloudwatchs_values_only() -> None:
    for days in RETENTION_DAYS:
        assert validate_retention_days("k", days) == days
    for bad in (0, -1, 2, 364, 3654, True, "365"):
        with pytest.raises(ConfigError):
            validate_retention_days("k", bad)


# ------------------------------------------------------------------ user data and the installer
def test_the_installer_verifies_the_package_and_passes_shellcheck() -> None:
    text = INSTALL_SCRIPT.read_text()
    assert 'arch="$(dpkg --print-architecture)"' in text and "amd64 | arm64)" in text
    assert "937616F3450B7D806CBD9725D58167303B789C72" in text  # AWS's signing key, pinned
    assert "gpgv --keyring" in text and "dpkg -i -E" in text
    assert text.index("gpgv") < text.index("dpkg -i")  # verify, then install
    proc = subprocess.run(
        [str(BIN / "shellcheck"), "-s", "sh", str(INSTALL_SCRIPT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout


def test_bastion_user_data_with_and_without_the_agent() -> None:
    hosts = [HostEntry("web", "10.0.0.10")]
    local = yaml.safe_load(bastion_user_data(prefix="dev", hosts=hosts))
    shipped = yaml.safe_load(
        bastion_user_data(
            prefix="dev", hosts=hosts, cloudwatch_log_group="/dev/bastion/audit", region="us-east-1"
        )
    )
    assert shipped["runcmd"][: len(local["runcmd"])] == local["runcmd"]  # appended, not moved
    assert [f["path"] for f in shipped["write_files"]][: len(local["write_files"])] == [
        f["path"] for f in local["write_files"]
    ]
    assert len(shipped["packages"]) == len(set(shipped["packages"]))
    with pytest.raises(ConfigError, match="not an AWS region"):
        cloudwatch_agent_cloud_config("/dev/bastion/audit", "")


# ------------------------------------------------------------------ the policy, through the pack
@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(ROOT / "policies") as p:
        yield p


LITERAL_ARN = "arn:aws:logs:ap-northeast-2:123456789012:log-group:/t/bastion/audit"


def bastion_program(
    *,
    profile: bool = True,
    group_arn: str | None = LITERAL_ARN,
    kms: bool = True,
    retention: bool = True,
) -> Callable[[], None]:
    """A bastion instance with (optionally) a profile, role, writer policy and log group. The
    writer policy names the group by a literal ARN (the program's form), or by the group's
    ``arn`` output when ``group_arn`` is None."""

    def program() -> None:
        key = aws.kms.Key("k") if kms else None
        group = aws.cloudwatch.LogGroup(
            "audit",
            name="/t/bastion/audit",
            retention_in_days=365 if retention else None,
            kms_key_id=key.arn if key else None,
        )
        role = aws.iam.Role("r", assume_role_policy="{}")
        doc = pulumi.Output.from_input(group_arn) if group_arn else group.arn
        aws.iam.RolePolicy(
            "w",
            role=role.id,
            policy=doc.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": [arn, f"{arn}:log-stream:*"],
                            }
                        ],
                    }
                )
            ),
        )
        prof = aws.iam.InstanceProfile("p", role=role.name)
        aws.ec2.Instance(
            "bastion",
            ami="ami-0123456789abcdef0",
            instance_type="t3.micro",
            iam_instance_profile=prof.id if profile else None,
            tags={"Role": "bastion", "Tier": "management"},
        )

    return program


def verdicts(pack: PolicyPack, program: Callable[[], None], mode: str) -> list[Any]:
    pack.configure(ROOT / "policies" / "config" / "prod.json")
    run = run_program(program, config={"aws:region": "ap-northeast-2"}, mode=mode)
    diags = [d for d in pack.analyze(run) if d.policy == POLICY]
    assert not [d for d in diags if d.cant_run], diags
    return diags


@pytest.mark.parametrize("mode", ["update", "preview"])
def test_policy_compliant_when_the_profile_writes_to_a_kept_encrypted_group(
    pack: PolicyPack, mode: str
) -> None:
    assert verdicts(pack, bastion_program(), mode) == []


def test_a_policy_document_built_from_the_groups_arn_fails_closed_in_preview(
    pack: PolicyPack,
) -> None:
    """In an update the document is known and complies; in a preview of a new stack it is
    unknown (the group's ARN is computed), and it decides the verdict: fail closed, naming it."""
    assert verdicts(pack, bastion_program(group_arn=None), "update") == []
    diags = verdicts(pack, bastion_program(group_arn=None), "preview")
    assert len(diags) == 1
    assert "the policy document of 'w' is unknown during preview" in diags[0].message


@pytest.mark.parametrize("mode", ["update", "preview"])
@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ({"profile": False}, "it has no instance profile"),
        ({"group_arn": "arn:aws:logs:ap-northeast-2:123456789012:log-group:/other:*"},
         "may not call logs:PutLogEvents on any log group of this stack"),
        ({"kms": False}, "lacks kmsKeyId"),
        ({"retention": False}, "lacks retentionInDays"),
    ],
)  # fmt: skip
def test_policy_violations(pack: PolicyPack, mode: str, variant: dict, expected: str) -> None:
    diags = verdicts(pack, bastion_program(**variant), mode)
    assert len(diags) == 1, diags
    assert str(diags[0].level).lower().endswith("mandatory")  # prod's pack config
    assert expected in diags[0].message and "'bastion'" in diags[0].message


def copy_project(dest: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "__main__.py"):
        shutil.copy(ROOT / name, dest / name)
    for d in ("components", "policies"):
        shutil.copytree(ROOT / d, dest / d, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    (dest / "policies" / "venv").symlink_to(ROOT / "policies" / "venv")  # as the CLI runs it
    return dest


def test_prod_with_a_local_audit_log_fails_its_mandatory_policy(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    stack_file = project / "Pulumi.prod.yaml"
    text = stack_file.read_text()
    stack_file.write_text(text.replace("auditLog: cloudwatch", "auditLog: local"))
    assert stack_file.read_text() != text
    proc = subprocess.run(
        [sys.executable, "-m", "review", "-C", str(project), "--stack", "prod", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    mandatory = [d for d in doc["diagnostics"] if d["level"] == "mandatory"]
    assert {d["policy"] for d in mandatory} == {POLICY}
    assert {m for d in mandatory for m in d["modes"]} == {"update", "preview"}
    assert "Bastion 'bastion-instance' ships its audit log nowhere" in mandatory[0]["message"]


def _readme_row(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (row,) = [ln for ln in text.splitlines() if ln.startswith(f"| `{name}` |")]
    return row


def test_the_docs_say_what_protect_data_protects() -> None:
    """protectData protects the DB's data volume and the audit trail's key and group (prod's
    run above): the README's config table and Pulumi.yaml's description say both."""
    row = _readme_row("protectData")
    assert "data volume" in row and "KMS key" in row and "Logs group" in row, row
    description = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]["protectData"][
        "description"
    ]
    assert "data volume" in description and "audit KMS key and log group" in description


@pytest.mark.parametrize("stack", ["eic", "ssm"])
def test_audit_log_group_is_absent_without_a_bastion(stack_runs: Any, stack: str) -> None:
    assert "auditLogGroup" not in stack_runs(stack).outputs
    row = _readme_row("auditLogGroup")
    assert "Absent when there is no bastion (`access: instance-connect` or `ssm`)" in row, row
