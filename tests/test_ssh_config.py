"""`sshConfig` fits the README (item 11): the key file is config, and the README's steps write
the output to ~/.ssh/config.d/<stack> with one Include, never appending duplicate hosts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.test_settings import refused, run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_identity_file_is_the_configured_key_file_not_the_prefix() -> None:
    out = run("dev", prefix="jdoe").outputs["sshConfig"]
    assert out.count("IdentityFile ~/.ssh/dev-key\n") == 3  # bastion, web, db
    assert "jdoe-key" not in out and "Host jdoe-web" in out
    other = run("dev", sshKeyFile="~/.ssh/work/admin_ed25519").outputs["sshConfig"]
    assert other.count("IdentityFile ~/.ssh/work/admin_ed25519\n") == 3


@pytest.mark.parametrize("path", ["dev-key", "~/.ssh/my key", ""])
def test_a_bad_key_file_is_refused(path: str) -> None:
    assert refused(sshKeyFile=path).setting == "sshKeyFile"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_readmes_key_is_the_stacks_key_file(stack: str) -> None:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert config["tiered-network:sshKeyFile"] == f"~/.ssh/{stack}-key"
    assert "ssh-keygen -t ed25519 -f ~/.ssh/dev-key" in README
    assert "pulumi config set sshKeyFile ~/.ssh/dev-key" in README


def test_the_readme_never_appends_to_ssh_config() -> None:
    assert not re.search(r">>\s*~/\.ssh/config", README)
    assert "pulumi stack output sshConfig > ~/.ssh/config.d/dev" in README


def test_the_readmes_ssh_steps_are_idempotent(tmp_path: Path) -> None:
    """Run the README's two lines (with a stand-in `pulumi`) twice in a scratch HOME."""
    lines = [
        ln
        for ln in README.split("```bash", 1)[1].split("```", 1)[0].splitlines()
        if ln.startswith(("mkdir -p ~/.ssh/config.d", "grep -qxF 'Include config.d/*'"))
    ]
    assert len(lines) == 2
    output = run("dev").outputs["sshConfig"]
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "pulumi"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\n")
    fake.chmod(0o755)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Host old\n    HostName 10.0.0.1\n")
    env = {"HOME": str(home), "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run(["bash", "-ec", "\n".join(lines)], env=env, check=True)
    config = (home / ".ssh" / "config").read_text()
    assert config == "Include config.d/*\nHost old\n    HostName 10.0.0.1\n"
    written = (home / ".ssh" / "config.d" / "dev").read_text()
    assert written.count("Host dev-web\n") == 1 and written.strip() == output.strip()
