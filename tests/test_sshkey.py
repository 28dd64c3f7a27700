"""SSH public keys parsed for real (cryptography), as EC2 ImportKeyPair takes them (item 1)."""

from __future__ import annotations

import pytest

from components.errors import ConfigError
from components.server import validate_public_key
from tests import sshkeys
from tests.conftest import RecordingMocks
from tests.test_settings import registered_before_refusal, stack_config

TRUNCATED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBsYWNlaG9sZGVy"


@pytest.mark.parametrize("key", [sshkeys.ED25519, sshkeys.RSA_2048, sshkeys.PLACEHOLDER])
def test_ed25519_and_rsa_2048_are_accepted(key: str) -> None:
    validate_public_key("sshPublicKey", key)
    validate_public_key("sshPublicKey", key.rsplit(" ", 1)[0])  # no comment
    validate_public_key("sshPublicKey", key + "\n")  # `$(cat key.pub)` keeps no newline; a file may


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (sshkeys.ECDSA_P256, "EC2 does not import ecdsa-sha2-nistp256 keys"),
        (sshkeys.RSA_1024, "1024-bit RSA key"),
        (TRUNCATED, "not a valid ssh-ed25519 key"),
        (sshkeys.ED25519.replace("ssh-ed25519", "ssh-rsa"), "not a valid ssh-rsa key"),
        (sshkeys.RSA_2048[:200] + sshkeys.RSA_2048[204:], "not a valid ssh-rsa key"),
        (sshkeys.ED25519 + "\n" + sshkeys.RSA_2048, "holds 2 lines"),
        (sshkeys.ED25519 + " " + sshkeys.RSA_2048, "several keys on one line"),
        ("sk-ssh-ed25519@openssh.com AAAA", "EC2 does not import"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n", "private key"),
        ("AAAAC3NzaC1lZDI1NTE5AAAAIA41", "not an OpenSSH public key"),
    ],
)
def test_keys_ec2_would_refuse_are_refused(key: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate_public_key("sshPublicKey", key)
    assert words in str(err.value) and "Fix: " in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "key", [TRUNCATED, sshkeys.ECDSA_P256, sshkeys.ED25519 + "\n" + sshkeys.RSA_2048]
)
def test_a_bad_key_stops_the_program_before_any_resource(mocks: RecordingMocks, key: str) -> None:
    assert registered_before_refusal(mocks, stack_config("dev", sshPublicKey=key)) == []
