"""Stack exports for the baseline tests: a ``pulumi stack export`` document (an
``apitype.UntypedDeployment``, version 3; pulumi/pulumi ``sdk/go/common/apitype/core.go``) made
from an update run the way the engine records a finished ``pulumi up``: the stack, the default
providers (``default_<version>`` with a UUID id, ``pkg/resource/deploy/providers/provider.go``
``DefaultName``), then every resource in registration order with its checked inputs, its
outputs, parent, provider reference (``<urn>::<id>``), dependencies and property dependencies.

The outputs are the mocks' (the values the update run computed); ``review.deployed`` makes the
state AWS itself stores. Tests edit the returned document to make the old state they need."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from review.plan import STACK_TYPE, ProgramRun, with_default_providers


def export_of(run: ProgramRun) -> dict[str, Any]:
    assert run.mode == "update", "a deployed stack's state comes from an update run"
    provider_ids: dict[str, str] = {}
    resources: list[dict[str, Any]] = []
    for r in with_default_providers(run):
        entry: dict[str, Any] = {"urn": r.urn, "custom": r.custom, "type": r.type}
        if r.type.startswith("pulumi:providers:"):
            pid = str(uuid.uuid5(uuid.NAMESPACE_URL, r.urn))
            provider_ids[r.urn] = pid
            entry["id"] = pid
            entry["inputs"] = copy.deepcopy(r.inputs)
            entry["outputs"] = copy.deepcopy(r.inputs)
        elif r.custom:
            entry["id"] = r.outputs.get("id", "")
            entry["inputs"] = copy.deepcopy(r.inputs)
            entry["outputs"] = copy.deepcopy(r.outputs)
        elif r.type != STACK_TYPE:
            entry["outputs"] = copy.deepcopy(r.outputs)
        else:
            entry["outputs"] = copy.deepcopy(r.outputs)
        if r.parent:
            entry["parent"] = r.parent
        if r.protect:
            entry["protect"] = True
        if r.provider:
            purn = r.provider.rsplit("::", 1)[0]
            entry["provider"] = f"{purn}::{provider_ids.get(purn, 'unknown')}"
        if r.dependencies:
            entry["dependencies"] = list(r.dependencies)
        if r.property_dependencies:
            entry["propertyDependencies"] = copy.deepcopy(r.property_dependencies)
        if r.ignore_changes:
            entry["ignoreChanges"] = list(r.ignore_changes)
        resources.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {
                "time": "2026-01-01T00:00:00Z",
                "magic": "0" * 64,
                "version": "v3.272.0",
            },
            "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:AAAA:v1:BBBB:CCCC"}},
            "resources": resources,
        },
    }


def resource(doc: dict[str, Any], name: str, type_suffix: str = "") -> dict[str, Any]:
    """The exported resource named ``name`` (and whose type ends with ``type_suffix``)."""
    found = [
        r for r in doc["deployment"]["resources"]
        if r["urn"].rsplit("::", 1)[-1] == name and r["type"].endswith(type_suffix)
    ]
    assert len(found) == 1, [r["urn"] for r in found]
    return found[0]
