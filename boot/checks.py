"""What the boot test asserts on a running guest, shared by the nspawn and the qemu tier.

Each check returns a list of problems (empty: it holds), so a test can say every way it fails.
The expected errors of a tier are named in boot/ubuntu-differences.yaml (``expected_errors``):
a cloud-init error is accepted only when one of them names it.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .guest import HARNESS_KEY, Guest, Result

DIFFERENCES = Path(__file__).resolve().parent / "ubuntu-differences.yaml"
COMMAND_LOG = "/var/log/bastion/command.log"
SSH = (
    f"ssh -tt -i {HARNESS_KEY} -o BatchMode=yes -o StrictHostKeyChecking=no "
    "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
)


def differences() -> dict[str, Any]:
    return yaml.safe_load(DIFFERENCES.read_text())


@dataclass(frozen=True)
class ExpectedError:
    step: str  # regex on the runcmd step that fails (the last one `set -x` traced)
    message: str  # regex on cloud-init's output: the failure's reason ("" if it prints none)
    why: str


def expected_errors(tier: str, server: str) -> list[ExpectedError]:
    return [
        ExpectedError(e["step"], e.get("message", ""), e["why"])
        for e in differences()["expected_errors"]
        if tier in e["tiers"] and server in e["servers"]
    ]


def failed_step(output: str) -> str | None:
    """The runcmd step that stopped the script: the last line `set -x` traced."""
    steps = [ln[2:] for ln in output.splitlines() if ln.startswith("+ ")]
    return steps[-1] if steps else None


def cloud_init_status(status: Result) -> tuple[str, list[str]]:
    """(status, errors) from ``cloud-init status --wait --long`` (its progress dots stripped)."""
    m = re.search(r"^\.*status: (\w+)$", status.out, re.M)
    errors: list[str] = []
    if "\nerrors:" in status.out:
        block = status.out.split("\nerrors:", 1)[1].split("recoverable_errors", 1)[0]
        errors = [ln.strip().lstrip("- ").strip() for ln in block.splitlines()]
        errors = [e for e in errors if e and e != "[]"]
    return (m.group(1) if m else "unknown"), errors


def cloud_init_problems(guest: Guest, tier: str, server: str, status: Result) -> list[str]:
    """``status: done`` with no error, or ``status: error`` whose every failure is one the tier
    expects (boot/ubuntu-differences.yaml), and every expected one seen in cloud-init's output."""
    state, errors = cloud_init_status(status)
    output = guest.sh("cat /var/log/cloud-init-output.log").out
    expected = expected_errors(tier, server)
    if state not in ("done", "error"):
        return [f"cloud-init did not finish ({state}):\n{status.out}"]
    if not expected:
        if state != "done" or errors:
            return [f"cloud-init: {state}, errors {errors}\n{_tail(output)}"]
        return []
    problems = []
    if state != "error" or not errors:
        problems.append(
            f"cloud-init: {state} with no error, yet these steps must fail here: "
            f"{[e.why for e in expected]}"
        )
    step = failed_step(output)
    if len(expected) != 1:
        problems.append(f"runcmd stops at its first failure: one expected error, not {expected}")
    for e in expected:
        if step is None or not re.fullmatch(e.step, step):
            problems.append(
                f"runcmd failed at {step!r}, not at /{e.step}/ ({e.why})\n{_tail(output)}"
            )
        if e.message and not re.search(e.message, output, re.M):
            problems.append(f"no /{e.message}/ in cloud-init-output.log ({e.why})")
    # The only module that may fail is runcmd's (scripts-user): the expected steps run there.
    # cloud-init (cmd/status.py) also reports the final stage's unit failing because of it
    # ("Failed due to systemd unit failure", once cloud-final.service has exited non-zero).
    others = [
        err
        for err in errors
        if "scripts_user" not in err
        and "scripts-user" not in err
        and not err.startswith("Failed due to systemd unit failure")
    ]
    if others:
        problems.append(f"unexpected cloud-init errors: {others}")
    return problems


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def file_problems(guest: Guest, user_data: str, skip: tuple[str, ...] = ()) -> list[str]:
    """Every write_files entry exists with its owner, mode and content."""
    problems = []
    doc = yaml.safe_load(user_data)
    for f in doc.get("write_files", []):
        path = f["path"]
        if path in skip:
            continue
        res = guest.sh(f"stat -c '%U:%G %a' {shlex.quote(path)} && sha256sum {shlex.quote(path)}")
        if res.rc != 0:
            problems.append(f"{path}: missing ({res.err.strip()})")
            continue
        meta, digest = res.out.splitlines()[0], res.out.splitlines()[1].split()[0]
        want_owner = f.get("owner", "root:root")
        want_mode = f.get("permissions", "0644").lstrip("0") or "0"
        if meta != f"{want_owner} {want_mode}":
            problems.append(f"{path}: {meta}, the user data says {want_owner} {want_mode}")
        if digest != hashlib.sha256(f["content"].encode()).hexdigest():
            problems.append(f"{path}: content differs from the user data")
    return problems


def unit_state(guest: Guest, unit: str) -> tuple[str, str]:
    active = guest.sh(f"systemctl is-active {unit}").out.strip()
    enabled = guest.sh(f"systemctl is-enabled {unit}").out.strip()
    return active, enabled


def sshd_problems(guest: Guest) -> list[str]:
    eff = guest.sh("sshd -T -C user=ubuntu,host=localhost,addr=127.0.0.1")
    want = {
        "permitrootlogin": "no",
        "passwordauthentication": "no",
        "loglevel": "VERBOSE",
        "kbdinteractiveauthentication": "no",
        "allowagentforwarding": "no",
        "x11forwarding": "no",
        "authenticationmethods": "publickey",
        "allowtcpforwarding": "yes",
    }
    got = dict(ln.split(" ", 1) for ln in eff.out.splitlines() if " " in ln)
    return [f"sshd -T: {k} {got.get(k)!r}, want {v!r}" for k, v in want.items() if got.get(k) != v]


def ssh_run(guest: Guest, user: str, command: str, host: str = "127.0.0.1") -> Result:
    """A real ssh login on a pty that runs ``command`` and logs out."""
    return guest.sh(f"{SSH} {user}@{host} {shlex.quote(command)} </dev/null", timeout=120)


def login(guest: Guest, user: str, lines: list[str], host: str = "127.0.0.1") -> Result:
    """A real ssh login (interactive login shell on a pty) typing ``lines``, then exit."""
    script = "".join(f"{ln}\n" for ln in [*lines, "exit"])
    return guest.sh(f"printf %s {shlex.quote(script)} | {SSH} {user}@{host}", timeout=120)


def rsyslog_problems(guest: Guest) -> list[str]:
    """rsyslog runs as 'syslog' and can write every file it is configured for."""
    user = guest.sh("ps -o user= -C rsyslogd").out.split()
    errors = guest.sh("journalctl -b -u rsyslog --no-pager | grep -i 'open error'").out
    problems = [] if user == ["syslog"] else [f"rsyslogd runs as {user}, not syslog"]
    return problems + ([f"rsyslog could not open its files:\n{errors}"] if errors else [])
