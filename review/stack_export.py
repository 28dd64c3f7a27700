"""``pulumi stack export``: a deployed state written as the CLI writes it.

Read at pulumi/pulumi ``1b5949891``:

* ``pkg/cmd/pulumi/stack/stack_export.go``: the CLI encodes the ``apitype.UntypedDeployment``
  with ``json.NewEncoder`` and ``SetIndent("", "    ")`` (four spaces, HTML characters
  escaped, a final newline); without ``--show-secrets`` the deployment is the stored one.
* ``sdk/go/common/apitype/core.go``: ``UntypedDeployment`` is ``{version, deployment}``;
  ``DeploymentV3`` is ``manifest`` ``{time, magic, version}``, ``secrets_providers``,
  ``resources`` (``ResourceV3``, fields in declaration order, ``omitempty`` ones left out when
  empty), ``metadata`` (a struct, so ``{}`` even when empty).
* ``pkg/resource/stack/deployment.go``: ``SerializeDeploymentWithMetadata`` writes version 3
  unless a feature needs 4; ``SerializeResource`` / ``SerializeProperties`` write each property
  map with sorted keys (``StableKeys``), nulls as null, a secret as
  ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": ...}``
  whose plaintext is the JSON of the value (``json.Marshal``), numbers as float64.
* ``pkg/backend/snapshot.go``: the manifest's ``version`` is the CLI version, its ``magic``
  ``NewMagic()``, the SHA-256 hex of that version (``pkg/resource/deploy/manifest.go``).
* ``pkg/secrets/passphrase/manager.go`` and ``sdk/go/common/resource/config/crypt.go``: the
  passphrase secrets manager's state is ``{"salt": "v1:<base64 salt>:<v1 ciphertext of
  \\"pulumi\\">"}``; its key is PBKDF2-HMAC-SHA256 of the passphrase (1,000,000 rounds, 32 bytes)
  and a ciphertext is ``v1:<base64 nonce>:<base64 AES-256-GCM sealed bytes>``.

Deviation, on purpose: the engine draws each 12-byte nonce at random; here the nonce is an HMAC
of the plaintext under the key, so two exports of the same run are byte-identical. Ciphertexts
still decrypt with the passphrase like the engine's (``decrypt`` does it, for the tests).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import math
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .deployed_bridge import SECRET_SIG, SECRET_SIG_KEY, is_secret

DEPLOYMENT_VERSION = 3  # apitype.DeploymentSchemaVersionCurrent
DEFAULT_PASSPHRASE = "tiered-network review fixture"  # not a secret: the fixtures' passphrase
DEFAULT_TIME = "2025-01-01T00:00:00Z"
PBKDF2_ROUNDS = 1_000_000


def cli_version() -> str:
    """The CLI version the manifest names: the one matching the installed SDK."""
    import importlib.metadata

    return "v" + importlib.metadata.version("pulumi")


@functools.cache
def _key(passphrase: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, PBKDF2_ROUNDS, 32)


class PassphraseCrypter:
    """``config.NewSymmetricCrypterFromPassphrase`` with reproducible nonces."""

    def __init__(self, passphrase: str, salt: bytes) -> None:
        self.salt = salt
        self.key = _key(passphrase, salt)

    def encrypt(self, plaintext: str) -> str:
        nonce = hmac.new(self.key, plaintext.encode(), hashlib.sha256).digest()[:12]
        sealed = AESGCM(self.key).encrypt(nonce, plaintext.encode(), None)
        return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"

    def decrypt(self, ciphertext: str) -> str:
        version, nonce, sealed = ciphertext.split(":")
        if version != "v1":
            raise ValueError(f"unknown ciphertext version {version!r}")
        return (
            AESGCM(self.key)
            .decrypt(base64.b64decode(nonce), base64.b64decode(sealed), None)
            .decode()
        )

    def state(self) -> dict[str, str]:
        return {"salt": f"v1:{base64.b64encode(self.salt).decode()}:{self.encrypt('pulumi')}"}


def salt_for(passphrase: str) -> bytes:
    return hashlib.sha256(b"salt:" + passphrase.encode()).digest()[:8]


def crypter_from_state(passphrase: str, state: dict[str, Any]) -> PassphraseCrypter:
    """The crypter a ``secrets_providers.state`` of the passphrase manager describes."""
    _, salt_b64, *_ = str(state["salt"]).split(":")
    return PassphraseCrypter(passphrase, base64.b64decode(salt_b64))


def go_number(value: float) -> int | float:
    """A float64 as Go's ``encoding/json`` writes it: integral values without a fraction."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e21:
        return int(value)
    return value


def go_json(value: Any) -> str:
    """``json.Marshal``: compact, map keys sorted, ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return _escape_html(text)


def _escape_html(text: str) -> str:
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def serialize_value(value: Any, crypter: PassphraseCrypter) -> Any:
    """``SerializePropertyValue``."""
    if value is None:
        return None
    if is_secret(value):
        inner = _plain(value.get("value"))
        return {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": crypter.encrypt(go_json(inner))}
    if isinstance(value, dict):
        return {k: serialize_value(value[k], crypter) for k in sorted(value)}
    if isinstance(value, list):
        return [serialize_value(v, crypter) for v in value]
    if isinstance(value, float):
        return go_number(value)
    return value


def _plain(value: Any) -> Any:
    """A secret's inner value, serialized with the no-op encrypter (nested secrets keep
    their signature, no second encryption)."""
    if is_secret(value):
        return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": go_json(_plain(value.get("value")))}
    if isinstance(value, dict):
        return {k: _plain(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return go_number(value)
    return value


def serialize_resource(r: Any, crypter: PassphraseCrypter, created: str) -> dict[str, Any]:
    """``SerializeResource``: ``ResourceV3`` in field order, empty ``omitempty`` fields out."""
    out: dict[str, Any] = {"urn": r.urn, "custom": bool(r.custom)}
    if r.id:
        out["id"] = r.id
    out["type"] = r.type
    if r.inputs:
        out["inputs"] = serialize_value(r.inputs, crypter)
    if r.outputs:
        out["outputs"] = serialize_value(r.outputs, crypter)
    if r.parent:
        out["parent"] = r.parent
    if r.protect:
        out["protect"] = True
    if r.dependencies:
        out["dependencies"] = list(r.dependencies)
    if r.provider:
        out["provider"] = r.provider
    if r.property_dependencies:
        out["propertyDependencies"] = {
            k: list(v) for k, v in sorted(r.property_dependencies.items())
        }
    if r.additional_secret_outputs:
        out["additionalSecretOutputs"] = list(r.additional_secret_outputs)
    out["created"] = created
    out["modified"] = created
    if r.ignore_changes:
        out["ignoreChanges"] = list(r.ignore_changes)
    return out


def export(
    resources: Iterable[Any],
    *,
    passphrase: str = DEFAULT_PASSPHRASE,
    time: str = DEFAULT_TIME,
    version: str | None = None,
) -> dict[str, Any]:
    """The ``apitype.UntypedDeployment`` ``pulumi stack export`` prints for these resources
    (``review.deployed.DeployedResource``, in the engine's order)."""
    crypter = PassphraseCrypter(passphrase, salt_for(passphrase))
    v = version or cli_version()
    deployment = {
        "manifest": {"time": time, "magic": hashlib.sha256(v.encode()).hexdigest(), "version": v},
        "secrets_providers": {"type": "passphrase", "state": crypter.state()},
        "resources": [serialize_resource(r, crypter, time) for r in resources],
        "metadata": {},
    }
    return {"version": DEPLOYMENT_VERSION, "deployment": deployment}


def dumps(document: dict[str, Any]) -> str:
    """The bytes the CLI writes: ``json.Encoder`` with a four-space indent and HTML escaping."""
    return _escape_html(json.dumps(document, indent=4, ensure_ascii=False)) + "\n"


def decrypt(document: dict[str, Any], passphrase: str = DEFAULT_PASSPHRASE) -> dict[str, Any]:
    """The export with every ciphertext decrypted (what ``--show-secrets`` shows)."""
    state = document["deployment"]["secrets_providers"]["state"]
    crypter = crypter_from_state(passphrase, state)

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            if v.get(SECRET_SIG_KEY) == SECRET_SIG and "ciphertext" in v:
                return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": crypter.decrypt(v["ciphertext"])}
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(document)
