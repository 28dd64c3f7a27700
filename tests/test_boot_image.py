"""The boot test's inputs (issue 16) agree with the program, without booting anything: the image
and its offline repository cover every package the shipped stacks' user data installs, the one
place that says what differs from Ubuntu 24.04 (boot/ubuntu-differences.yaml) names what the
image emulates and each file that does it, and the build scripts pass shellcheck."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from boot import guest

ROOT = Path(__file__).resolve().parent.parent
BOOT = ROOT / "boot"
SHELLCHECK = Path(sys.executable).parent / "shellcheck"
# The NAT instance runs Amazon Linux 2023 (dnf, iptables-nft): not a Debian/Ubuntu image.
UBUNTU_STACKS = ("dev", "prod", "ipv6", "eic", "ssm", "natinstance")


def package_list(name: str) -> set[str]:
    lines = (BOOT / name).read_text().splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}


def differences() -> dict[str, Any]:
    return yaml.safe_load((BOOT / "ubuntu-differences.yaml").read_text())


@pytest.mark.parametrize("stack", UBUNTU_STACKS)
def test_the_offline_repository_has_every_package_the_user_data_installs(
    stack: str, stack_runs: Any
) -> None:
    have = package_list("image-packages.txt") | package_list("repo-packages.txt")
    instances = [r for r in stack_runs(stack).resources if r.type == "aws:ec2/instance:Instance"]
    assert instances
    for r in instances:
        wanted = set(yaml.safe_load(r.inputs["userData"]).get("packages", []))
        assert wanted <= have, f"{stack} {r.name}: {sorted(wanted - have)} not in boot/*.txt"


def test_the_repository_lists_only_what_the_image_lacks() -> None:
    assert not package_list("image-packages.txt") & package_list("repo-packages.txt")
    # cloud-init's packages module must install these from the repository, as on a fresh AMI.
    assert {"auditd", "nginx", "mariadb-server"} <= package_list("repo-packages.txt")


def test_the_differences_name_what_the_issue_asks_and_each_emulation_exists() -> None:
    d = differences()
    assert d["suite"] == "trixie"
    assert {"cloud-init", "systemd", "openssh-server"} <= set(d["versions"])
    for v in d["versions"].values():
        assert v["ubuntu"] and v["debian"]
    emulated = " ".join(e["what"] for e in d["emulated"])
    for needle in ("'syslog' user", "/var/log ownership", "default 'ubuntu' user"):
        assert needle in emulated, needle
    for e in d["emulated"]:
        for path in re.findall(r"(/etc/\S+|/usr/\S+)", e["image"]):
            if path.startswith(("/etc/rsyslog.d/", "/etc/systemd/system/rsyslog")):
                script = (BOOT / "image/usr/local/lib/boottest/emulate-ubuntu.sh").read_text()
                assert f">{path}" in script, path
            else:
                assert (BOOT / "image" / path.lstrip("/")).is_file(), path
    # The image builder applies them all.
    build = (BOOT / "build-image.sh").read_text()
    assert 'cp -a "$here/image/." "$root/"' in build
    assert "emulate-ubuntu.sh" in build


def test_expected_errors_are_named_per_tier_and_server() -> None:
    for e in differences()["expected_errors"]:
        assert set(e["tiers"]) <= {"nspawn", "qemu"}
        assert set(e["servers"]) <= {"bastion", "bastion-cloudwatch", "web", "db"}
        re.compile(e["step"])
        re.compile(e.get("message", ""))
        assert len(e["why"]) > 20


def test_the_readme_names_the_differences_file_and_the_boot_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "boot/ubuntu-differences.yaml" in readme
    for command in ("make boot-test", "make boot-test-vm"):
        assert command in readme


def test_the_readme_claims_no_forward_target_from_sshds_verbose_lines() -> None:
    """Issue 16: on a real ProxyJump through the booted bastion, sshd at LogLevel VERBOSE logged
    the key, the session's open and close, and no line naming the forward target. The README
    once said its VERBOSE lines record forwarded ProxyJump connections; it says what is seen."""
    readme = (ROOT / "README.md").read_text()
    claim = re.compile(
        r"VERBOSE[^|]{0,80}?forward(ed|s|ing)?\W+(\(?ProxyJump\)?\W+)?connection", re.I
    )
    found = claim.search(readme)
    assert found is None, f"the README still claims: {found and found.group(0)!r}"
    assert "sshd names no forward target at that level" in readme


def test_every_check_the_boot_findings_name_exists() -> None:
    """docs/boot-findings.md (linked from the README) names, for each of issue 16's seven
    findings, the test that failed before its fix: each named test is a test of this repo."""
    findings = (ROOT / "docs" / "boot-findings.md").read_text()
    assert "docs/boot-findings.md" in (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| (\d) \|", findings, re.M)
    assert sorted(set(rows)) == [str(n) for n in range(1, 8)], rows
    named = re.findall(r"`((?:boot/)?test_\w+\.py)::(?:(\w+)::)?(test_\w+)", findings)
    assert len(named) >= 7, named
    for path, cls, name in named:
        source = (ROOT / path if path.startswith("boot/") else ROOT / "tests" / path).read_text()
        assert re.search(rf"^\s*def {name}\(", source, re.M), f"{path}::{name} does not exist"
        if cls:
            assert f"class {cls}" in source, f"{path}::{cls}"


@pytest.mark.parametrize(
    "script", ["build-image.sh", "image/usr/local/lib/boottest/emulate-ubuntu.sh"]
)
def test_the_image_scripts_pass_shellcheck(script: str) -> None:
    done = subprocess.run(
        [str(SHELLCHECK), "-s", "sh", str(BOOT / script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_the_nspawn_leader_is_the_containers_pid_1_not_a_forked_child(monkeypatch) -> None:
    """While the container boots, its systemd forks children that keep the comm ``systemd``
    until they exec. The leader the harness enters is the one whose NSpid ends in 1: a CI run
    that took the first systemd-named descendant entered a child that had exited."""
    # nspawn 100 -> the container's PID 1 (101) -> a forked child not yet exec'd (102), and a
    # process that has not exec'd systemd yet (nspawn's inner child, 99, NSpid 1).
    tree = {100: [99, 101], 99: [], 101: [102, 103], 102: [], 103: []}
    comm = {99: "systemd-nspawn", 101: "systemd", 102: "systemd", 103: "systemd-journal"}
    ns = {99: 1, 101: 1, 102: 26, 103: 14}
    monkeypatch.setattr(guest, "_children", lambda pid: tree.get(pid, []))
    monkeypatch.setattr(guest, "_comm", lambda pid: comm.get(pid, ""))
    monkeypatch.setattr(guest, "_ns_pid", lambda pid: ns.get(pid))
    assert guest.container_init(100) == 101
    # The forked child listed first, as /proc lists children in fork order under a nested init.
    tree[100] = [101]
    tree[101] = [102]
    comm[101] = "systemd-nspawn"  # PID 1 before its exec: no leader yet
    assert guest.container_init(100) is None
    comm[101] = "systemd"
    assert guest.container_init(100) == 101
    ns[101] = None  # gone
    assert guest.container_init(100) is None


def test_ns_pid_reads_this_process() -> None:
    assert guest._ns_pid(os.getpid()) is not None
    assert guest._ns_pid(2**22 + 7) is None  # no such process (above pid_max's default)
    assert guest._comm(os.getpid()) != ""


def test_the_readme_counts_the_nspawn_tiers_tests_as_pytest_collects_them() -> None:
    """The README's "systemd-nspawn, N tests" is the number pytest collects from
    boot/test_nspawn.py (collection needs no root and no image)."""
    found = re.search(r"systemd-nspawn, (\d+) tests", (ROOT / "README.md").read_text())
    assert found, "the README no longer says how many tests make boot-test runs"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "boot/test_nspawn.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    ).stdout
    collected = re.search(r"boot/test_nspawn\.py: (\d+)", out)
    assert collected, out[-2000:]
    assert found.group(1) == collected.group(1), (
        f"README.md says {found.group(1)} nspawn tests; pytest collects {collected.group(1)}"
    )
