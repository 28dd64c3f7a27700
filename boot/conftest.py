"""Fixtures of the boot test (make boot-test, make boot-test-vm): the login key, the rendered
user data, and a skip that says why when this machine can't boot a guest."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from boot import render
from boot.guest import IMAGE, STARTED


@pytest.fixture(scope="session")
def login_key() -> tuple[str, str]:
    """(private key in OpenSSH format, public key line): the admin's key for this run."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return private, f"{public} boot-test@harness"


@pytest.fixture(scope="session")
def dev_local(login_key: tuple[str, str]) -> dict[str, render.Server]:
    return render.servers("dev", login_key[1], auditLog="local")


@pytest.fixture(scope="session")
def dev_cloudwatch(login_key: tuple[str, str]) -> dict[str, render.Server]:
    return render.servers("dev", login_key[1], auditLog="cloudwatch")


def require(tool: str, why: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"boot test skipped: not root ({why} needs root)")
    if shutil.which(tool) is None:
        pytest.skip(f"boot test skipped: no {tool} (run `make boot-test`, which installs it)")
    if not (IMAGE / "etc/boottest-suite").exists():
        pytest.skip(f"boot test skipped: no image at {IMAGE} (`make boot-image` builds it)")


@pytest.fixture(autouse=True, scope="session")
def _no_leftovers() -> Iterator[None]:
    """Every guest is stopped by its fixture or test; this fails the run if one was not."""
    yield
    left = [p.args for p in STARTED if p.poll() is None]
    for p in STARTED:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert not left, f"guests left running (now killed): {left}"
