"""The old state a change is reviewed against: a ``pulumi stack export`` file, read and checked.

``pulumi stack export`` writes an ``apitype.UntypedDeployment`` (pulumi/pulumi
``sdk/go/common/apitype/core.go``): ``{"version": 3, "deployment": DeploymentV3}``, whose
``resources`` are ``ResourceV3`` records (``urn``, ``custom``, ``delete``, ``id``, ``type``,
``inputs``, ``outputs``, ``parent``, ``protect``, ``dependencies``, ``provider``,
``propertyDependencies``, ``ignoreChanges``, ...). Version 4 is the same document with
``features`` the reader must support (``pkg/resource/stack/deployment.go``
``DeserializeUntypedDeployment``); this reader supports none and refuses it.

Secrets are ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"ciphertext": ...}`` (or ``"plaintext"``: JSON text, from ``--show-secrets``;
``pkg/resource/stack/deployment.go`` ``DeserializePropertyValue``: exactly one of the two). There
is no secrets provider here, so a ciphertext stays opaque: it is replaced, at load, by a secret
whose value is unknown, and the ciphertext itself is kept nowhere, so no output or error can
print it. An unknown old value never compares equal to a new one (``review.steps``).

Anything that is not such a document stops the review with one line naming the file and what is
wrong (``ReviewError``), before the program runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

from .errors import ReviewError
from .plan import URN_PREFIX, urn_qualified_type

SIG_KEY: str = rpc._special_sig_key  # "4dabf18193072939515e22adb298388d"
SECRET_SIG: str = rpc._special_secret_sig  # "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN: str = rpc.UNKNOWN  # the engine's unknown value, as the SDK and the state write it
SUPPORTED_VERSION = 3


@dataclass(frozen=True)
class OldResource:
    """One ``ResourceV3`` of the export (wire form; secrets as SDK secret wrappers)."""

    urn: str
    type: str
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str = ""
    provider: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    external: bool = False
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    ignore_changes: tuple[str, ...] = ()
    delete: bool = False  # a replaced resource the engine still has to delete

    @property
    def name(self) -> str:
        return self.urn.split("::", 3)[3]


@dataclass(frozen=True)
class Baseline:
    """The export's resources, by URN, in the export's (dependency) order."""

    source: str  # the file, as the user named it (for messages)
    stack: str
    project: str
    resources: dict[str, OldResource]  # live resources (not ``delete``), by URN
    pending_deletes: tuple[OldResource, ...] = ()

    def get(self, urn: str) -> OldResource | None:
        return self.resources.get(urn)

    def __len__(self) -> int:
        return len(self.resources)


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def load_baseline(path: Path, *, stack: str, project: str) -> Baseline:
    """Read ``path`` (what ``pulumi stack export`` wrote) for ``stack`` of ``project``."""
    source = _rel(Path(path))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReviewError(f"{source}: baseline file not found; {_HOW}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(
            f"{source}: cannot read the baseline ({type(exc).__name__}); {_HOW}"
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReviewError(
            f"{source}: not a stack export: not JSON ({exc.msg} at line {exc.lineno} column "
            f"{exc.colno}); {_HOW}"
        ) from None
    return parse_baseline(doc, source=source, stack=stack, project=project)


_HOW = "give what `pulumi stack export --stack <stack> --file <file>` writes"


def parse_baseline(doc: Any, *, source: str, stack: str, project: str) -> Baseline:
    """Check ``doc`` (a decoded export) and index its resources by URN."""

    def fail(what: str) -> ReviewError:
        return ReviewError(f"{source}: not a stack export of stack '{stack}': {what}; {_HOW}")

    if not isinstance(doc, dict):
        raise fail(
            f"the document is a JSON {_kind(doc)}, not an object with 'version' and 'deployment'"
        )
    version = doc.get("version")
    if "version" not in doc:
        raise fail("no 'version' (an apitype.UntypedDeployment has version 3)")
    if version != SUPPORTED_VERSION or isinstance(version, bool):
        features = doc.get("features")
        extra = f" with features {features}" if isinstance(features, list) and features else ""
        raise fail(
            f"version {json.dumps(version)}{extra}; only version 3 (DeploymentV3) is read"
        )
    deployment = doc.get("deployment")
    if not isinstance(deployment, dict):
        raise fail("no 'deployment' object")
    if deployment.get("pending_operations"):
        raise ReviewError(
            f"{source}: the stack has {len(deployment['pending_operations'])} pending operation(s) "
            f"(an interrupted update: resources may exist that the state does not record); run "
            f"`pulumi refresh --stack {stack}` and export again"
        )
    raw = deployment.get("resources")
    if raw is None:
        raise fail(
            "no deployment.resources (an empty stack has nothing to compare: review it without "
            "--baseline)"
        )
    if not isinstance(raw, list):
        raise fail(f"deployment.resources is a JSON {_kind(raw)}, not a list")

    live: dict[str, OldResource] = {}
    deletes: list[OldResource] = []
    for i, item in enumerate(raw):
        where = f"deployment.resources[{i}]"
        res = _resource(item, where, fail)
        exp_stack, exp_project = _stack_project(res.urn)
        if (exp_stack, exp_project) != (stack, project):
            raise ReviewError(
                f"{source}: an export of stack '{exp_stack}' of project '{exp_project}' "
                f"({where}.urn), not of stack '{stack}' of project '{project}'; export the "
                f"right stack: `pulumi stack export --stack {stack} --file {source}`"
            )
        if res.delete:
            deletes.append(res)
            continue
        if res.urn in live:
            raise fail(f"{where}.urn {res.urn} appears twice")
        live[res.urn] = res
    return Baseline(source, stack, project, live, tuple(deletes))


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _stack_project(urn: str) -> tuple[str, str]:
    head = urn[len(URN_PREFIX) :].split("::")
    return head[0], head[1] if len(head) > 1 else ""


def _resource(item: Any, where: str, fail: Any) -> OldResource:
    if not isinstance(item, dict):
        raise fail(f"{where} is a JSON {_kind(item)}, not a resource object")
    urn, typ = item.get("urn"), item.get("type")
    if not isinstance(urn, str) or not urn.startswith(URN_PREFIX) or urn.count("::") < 3:
        raise fail(f"{where}.urn is missing or not a URN (urn:pulumi:<stack>::<project>::...)")
    if not isinstance(typ, str) or not typ:
        raise fail(f"{where}.type is missing")
    if urn_qualified_type(urn).rsplit("$", 1)[-1] != typ:
        raise fail(f"{where}.type {typ!r} is not the type its URN names")
    for key in ("inputs", "outputs", "propertyDependencies"):
        if item.get(key) is not None and not isinstance(item[key], dict):
            raise fail(f"{where}.{key} is a JSON {_kind(item[key])}, not an object")
    for key in ("dependencies", "ignoreChanges"):
        if item.get(key) is not None and not isinstance(item[key], list):
            raise fail(f"{where}.{key} is a JSON {_kind(item[key])}, not a list")
    for key in ("id", "parent", "provider"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise fail(f"{where}.{key} is a JSON {_kind(item[key])}, not a string")
    try:
        inputs = _wire(item.get("inputs") or {})
        outputs = _wire(item.get("outputs") or {})
    except _Malformed as exc:
        raise fail(f"{where}: {exc}") from None
    deps = item.get("propertyDependencies") or {}
    return OldResource(
        urn=urn,
        type=typ,
        custom=item.get("custom") is True,
        id=item.get("id") or "",
        inputs=inputs,
        outputs=outputs,
        parent=item.get("parent") or "",
        provider=item.get("provider") or "",
        protect=item.get("protect") is True,
        retain_on_delete=item.get("retainOnDelete") is True,
        external=item.get("external") is True,
        dependencies=tuple(d for d in item.get("dependencies") or [] if isinstance(d, str)),
        property_dependencies={
            str(k): [u for u in v if isinstance(u, str)] if isinstance(v, list) else []
            for k, v in deps.items()
        },
        ignore_changes=tuple(str(p) for p in item.get("ignoreChanges") or []),
        delete=item.get("delete") is True,
    )


class _Malformed(ValueError):
    pass


def _wire(value: Any) -> Any:
    """State values in the SDK's wire form: a secret becomes ``{sig: secret, value: ...}``;
    a ciphertext's value becomes UNKNOWN (opaque: the ciphertext is dropped here)."""
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    if value.get(SIG_KEY) == SECRET_SIG:
        has_cipher, has_plain = "ciphertext" in value, "plaintext" in value
        if has_cipher == has_plain:
            raise _Malformed(
                "malformed secret value: exactly one of `ciphertext` or `plaintext` must be set"
            )
        if has_cipher:
            return {SIG_KEY: SECRET_SIG, "value": UNKNOWN}
        plain = value["plaintext"]
        try:
            decoded = json.loads(plain) if isinstance(plain, str) else None
        except json.JSONDecodeError:
            decoded = None
        if decoded is None and plain != "null":
            raise _Malformed("a secret's plaintext is not JSON text")
        return {SIG_KEY: SECRET_SIG, "value": _wire(decoded)}
    return {str(k): _wire(v) for k, v in value.items()}
