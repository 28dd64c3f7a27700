"""The state the AWS provider stores after ``pulumi up`` and after ``pulumi refresh``.

``stored_outputs(run, resource, shape=...)`` is, for one resource of an update-mode
``ProgramRun``, the outputs pulumi-aws 7.x (hashicorp/aws v6, bridged) stores in the stack's
state: every output the SDK declares always present, filled as the provider's Read function
fills it (the tables in ``review.deployed_vpc``, ``deployed_sg``, ``deployed_ec2``,
``deployed_edge``, ``deployed_services``, ``deployed_apps``, ``deployed_doors``, each
citing its Go file and function), shaped as the bridge writes Terraform state
(``review.deployed_bridge``). ``deployed_state(run, shape)`` gives every resource at once;
``export_deployment(run, shape=...)`` writes it as ``pulumi stack export`` does
(``review.stack_export``).

Two shapes (``Shape``): ``fresh``, each resource as its own Create read it back (a group
created before its separate rules has no mirrored rules), and ``refreshed``, every resource
read again at the end (mirrors everywhere). See ``review.deployed_spec``.

Ids are AWS-shaped and derived from the URN (``review.deployed_ids``); every value the mocks
made up for a reference (``dev-vpc-id``, a mock ARN) is replaced by the deployed value of the
resource it names, found through the input's property dependencies, so the references in the
deployed inputs and outputs agree with the ids.

A pulumi-aws type with no Read table takes the adversarial fallback (``FALLBACK``): its
always-present outputs the program did not set are filled with plausible non-empty values
(an id for ``...Id``, an ARN for ``arn``), and the result says it is a fallback
(``DeployedResource.fallback``) so a caller can refuse it. The tests check that no type the
program or the policy pack uses falls into it.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import importlib.metadata
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import (  # noqa: F401  (each registers its Read tables)
    aws_schema,
    deployed_apps,
    deployed_doors,
    deployed_ec2,
    deployed_edge,
    deployed_services,
    deployed_sg,
    deployed_vpc,
    sdk_types,
)
from . import deployed_bridge as bridge
from . import deployed_ids as ids
from .deployed_spec import SPECS, Ctx, Ref, Shape, World
from .mocks import DEFAULT_REGION, UNKNOWN
from .plan import STACK_TYPE, ProgramRun, RecordedResource, with_default_providers

__all__ = [
    "FALLBACK",
    "DeployedResource",
    "Shape",
    "deployed_state",
    "export_deployment",
    "has_read_table",
    "stored_outputs",
]

FALLBACK = "fallback"
_PROVIDER_PREFIX = "pulumi:providers:"


@dataclass
class DeployedResource:
    """One resource as the engine stores it (wire form: camelCase, secrets as signature
    objects, no unknowns)."""

    urn: str
    type: str
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str
    provider: str  # "<provider urn>::<provider id>" or ""
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    additional_secret_outputs: list[str]
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    fallback: bool = False  # no Read table: outputs are the adversarial fallback
    gaps: list[str] = field(default_factory=list)  # always-present outputs left null


def has_read_table(token: str) -> bool:
    return token in SPECS


def stored_outputs(
    run: ProgramRun, resource: RecordedResource | str, *, shape: Shape | str = Shape.REFRESHED
) -> dict[str, Any]:
    """The outputs the provider stores for ``resource`` (a RecordedResource of ``run`` or its
    URN), in ``shape``."""
    urn = resource if isinstance(resource, str) else resource.urn
    state = deployed_state(run, shape)
    if urn not in state:
        raise KeyError(f"{urn} is not a resource of this run")
    return copy.deepcopy(state[urn].outputs)


_CACHE: dict[tuple[int, Shape], tuple[ProgramRun, dict[str, DeployedResource]]] = {}


def deployed_state(run: ProgramRun, shape: Shape | str) -> dict[str, DeployedResource]:
    """Every resource of ``run`` (default providers included, in the engine's order) as the
    provider stores it in ``shape``. Cached per run object: treat the result as read-only
    (``stored_outputs`` hands out copies)."""
    shape = Shape.parse(shape)
    if run.mode != "update":
        raise ValueError("deployed state needs an update-mode run (every value known)")
    key = (id(run), shape)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is run:
        return hit[1]
    state = _Builder(run, shape).build()
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = (run, state)
    return state


def export_deployment(run: ProgramRun, *, shape: Shape | str = Shape.REFRESHED, **kw: Any) -> dict:
    """``pulumi stack export`` of ``run`` deployed in ``shape``; see
    ``review.stack_export.export`` for the keyword arguments (passphrase, time, version)."""
    from .stack_export import export

    return export(list(deployed_state(run, shape).values()), **kw)


# --------------------------------------------------------------------------------- building
class _Builder:
    def __init__(self, run: ProgramRun, shape: Shape) -> None:
        self.run = run
        self.shape = shape
        region = run.config.get("aws:region") or DEFAULT_REGION
        self.resources = canonical_order(with_default_providers(run))
        self.world = World(self.resources, region)
        # mock value -> [(urn, output key)] for every value the mocks computed
        self.mock_values: dict[str, list[tuple[str, str]]] = {}
        self.secret_inputs: dict[str, set[str]] = {}

    def build(self) -> dict[str, DeployedResource]:
        specs = {}
        for ref in self.world.refs:  # creation order: what each Create read back
            self._first_pass(ref)
            specs[ref.urn] = SPECS.get(ref.type)
        if self.shape is Shape.REFRESHED:  # `pulumi refresh`: every resource read again
            for ref in self.world.refs:
                if specs[ref.urn] is not None:
                    ref.outputs = self._read(ref, specs[ref.urn])
        out = {}
        for ref in self.world.refs:
            out[ref.urn] = self._finish(ref, specs[ref.urn])
        return out

    # -- pass 1
    def _first_pass(self, ref: Ref) -> None:
        r = ref.res
        inputs, secret_keys = self._deployed_inputs(r)
        self.secret_inputs[r.urn] = secret_keys
        ref.inputs = inputs
        if r.type.startswith(_PROVIDER_PREFIX):
            ref.id = ids.uuid_for(r.urn, "provider")
            ref.inputs = self._provider_inputs(r, inputs)
            ref.outputs = {k: v for k, v in ref.inputs.items() if k != "__internal"}
        elif not r.custom:
            ref.outputs = {}  # filled at the end (components register their outputs last)
        else:
            spec = SPECS.get(r.type)
            if spec is not None:
                ref.id = spec.id(Ctx(self.world, ref, self.shape, r.outputs, spec.defaults))
                ref.outputs = self._read(ref, spec)
            else:
                ref.id, ref.outputs = self._fallback(ref)
        self._remember_mocks(r, ref)

    def _provider_inputs(self, r: RecordedResource, inputs: dict[str, Any]) -> dict[str, Any]:
        """A provider's inputs as the engine stores them: ``__internal`` and ``version`` added
        (pulumi/pulumi ``pkg/resource/deploy/source_eval.go``, ``SetProviderVersion``)."""
        out = dict(inputs)
        out.setdefault("__internal", {})
        package = r.type[len(_PROVIDER_PREFIX) :]
        if "version" not in out:
            with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                out["version"] = importlib.metadata.version(f"pulumi_{package}")
        return out

    def _remember_mocks(self, r: RecordedResource, ref: Ref) -> None:
        if not r.custom:
            return
        mock_id = r.outputs.get("id")
        if isinstance(mock_id, str) and mock_id:
            self.mock_values.setdefault(mock_id, []).append((r.urn, "id"))
        for key, value in r.outputs.items():
            if key == "id" or not isinstance(value, str) or not value:
                continue
            if r.inputs.get(key) == value:  # an input echoed back, not a made-up value
                continue
            if _ID_LIKE.search(key) or value.startswith("arn:"):
                self.mock_values.setdefault(value, []).append((r.urn, key))

    # -- references
    def _deployed_value(self, urn: str, key: str) -> Any:
        ref = self.world.by_urn[urn]
        return ref.id if key == "id" else ref.outputs.get(key)

    def _resolve(self, value: str, deps: set[str]) -> Any:
        cands = self.mock_values.get(value)
        if not cands:
            return value
        preferred = [c for c in cands if c[0] in deps] or cands
        for urn, key in preferred:
            v = self._deployed_value(urn, key)
            if v is not None:
                return v
        return value

    def _rewrite(self, value: Any, deps: set[str]) -> Any:
        if isinstance(value, dict):
            if bridge.is_secret(value):
                return bridge.secret(self._rewrite(value.get("value"), deps))
            return {k: self._rewrite(v, deps) for k, v in value.items()}
        if isinstance(value, list):
            return [self._rewrite(v, deps) for v in value]
        if isinstance(value, str):
            if value in self.mock_values:
                return self._resolve(value, deps)
            return self._rewrite_within(value, deps)
        return value

    def _rewrite_within(self, text: str, deps: set[str]) -> str:
        """Mock ids and ARNs inside a longer string (a policy document, user data), base64
        encoded ones too (a launch template's ``userData``): what the program would render
        from the deployed ids."""
        if "-id" not in text and "arn:" not in text:
            decoded = _base64_text(text)
            if decoded is None:
                return text
            rewritten = self._rewrite_within(decoded, deps)
            if rewritten == decoded:
                return text
            return base64.b64encode(rewritten.encode()).decode()
        for mock in sorted(self.mock_values, key=len, reverse=True):
            if mock in text:
                new = self._resolve(mock, deps)
                if isinstance(new, str) and new != mock:
                    text = re.sub(rf"(?<![\w.-]){re.escape(mock)}(?![\w.-])", new, text)
        return text

    def _deployed_inputs(self, r: RecordedResource) -> tuple[dict[str, Any], set[str]]:
        inputs: dict[str, Any] = {}
        secret_keys: set[str] = set()
        for key, value in r.inputs.items():
            if value == UNKNOWN:
                raise ValueError(
                    f"{r.urn}: input {key} is unknown; deployed state needs an update run"
                )
            deps = set(r.property_dependencies.get(key, [])) | set(r.dependencies)
            rewritten = self._rewrite(value, deps)
            plain, was_secret = bridge.unwrap(rewritten)
            if was_secret:
                secret_keys.add(key)
            inputs[key] = plain
        return inputs, secret_keys

    # -- reading
    def _read(self, ref: Ref, spec: Any) -> dict[str, Any]:
        ctx = Ctx(self.world, ref, self.shape, ref.res.outputs, spec.defaults)
        fields = sdk_types.output_fields(ref.type)
        # Terraform schema defaults are in the state; the inputs stay the checked inputs as
        # review.mocks models Check, so that a diff against them sees no change
        raw: dict[str, Any] = {k: v for k, v in spec.defaults.items() if k in fields}
        raw.update({k: v for k, v in ref.inputs.items() if k in fields and v is not None})
        raw.update(spec.read(ctx))
        if "tagsAll" in fields and "tagsAll" not in raw:  # every tagged type (tftags)
            raw["tagsAll"] = ctx.tags_all()
        if "region" in fields and raw.get("region") is None:  # v6: every regional resource
            raw["region"] = ctx.region
        out: dict[str, Any] = {}
        always = aws_schema.schema(ref.type).always if spec.zero_rest else frozenset()
        for wire, f in fields.items():
            if wire in raw:
                out[wire] = bridge.fill(raw[wire], f.type, framework=spec.framework)
            elif wire in spec.zero or wire in always:
                out[wire] = bridge.fill(bridge.zero(f.type), f.type, framework=spec.framework)
            else:
                out[wire] = None
        out["id"] = ref.id
        m = bridge.meta(spec.schema_version, spec.timeouts)
        if m is not None:
            out["__meta"] = m
        out[bridge.RAW_STATE_DELTA] = bridge.raw_state_delta(out, fields)
        return out

    def _fallback(self, ref: Ref) -> tuple[str, dict[str, Any]]:
        """No Read table: adversarial plausible values (see the module docstring)."""
        r = ref.res
        slug = r.type.rsplit(":", 1)[-1].lower()
        rid = ids.aws_id(slug, r.urn)
        try:
            fields = sdk_types.output_fields(r.type)
            always = aws_schema.schema(r.type).always
        except aws_schema.UnknownTypeError:  # not a pulumi-aws type: the recorded outputs
            return rid, {**r.outputs, "id": rid}
        out: dict[str, Any] = {}
        for wire, f in fields.items():
            if ref.inputs.get(wire) is not None:
                out[wire] = bridge.fill(ref.inputs[wire], f.type, framework=False)
            elif wire in always:
                out[wire] = _plausible(wire, f.type, r.urn, self.world.region)
            else:
                out[wire] = None
        out["id"] = rid
        return rid, out

    # -- finishing
    def _finish(self, ref: Ref, spec: Any) -> DeployedResource:
        r = ref.res
        outputs = dict(ref.outputs)
        if not r.custom:
            outputs = self._rewrite(dict(r.outputs), set(r.dependencies))
        gaps: list[str] = []
        if spec is not None:
            always = aws_schema.schema(r.type).always
            gaps = sorted(k for k in always if outputs.get(k) is None and k not in spec.null_ok)
        secret_keys = set(r.additional_secret_outputs) | self.secret_inputs.get(r.urn, set())
        inputs: dict[str, Any] = dict(ref.inputs)
        for key in self.secret_inputs.get(r.urn, set()):
            inputs[key] = bridge.secret(inputs[key])
        if spec is not None:
            # The bridge's Check lists the inputs it filled from defaults (autonames, provider
            # config, non-falsy schema defaults) under ``__defaults`` (pkg/tfbridge/schema.go,
            # makeTerraformInputs; an empty list is dropped, defaults.go deleteDefaultsKey).
            # Here: the checked inputs the program did not send (no property dependency entry).
            filled = sorted(k for k in ref.inputs if k not in r.property_dependencies)
            if filled:
                inputs[bridge.DEFAULTS_KEY] = filled
        for key in secret_keys:  # step_executor.go: additionalSecretOutputs, secret inputs
            if key in outputs and key != "id" and not bridge.is_secret(outputs[key]):
                outputs[key] = bridge.secret(outputs[key])
        provider = ""
        if r.provider:
            purn = r.provider.rsplit("::", 1)[0]
            pref = self.world.by_urn.get(purn)
            provider = f"{purn}::{pref.id if pref else ids.uuid_for(purn, 'provider')}"
        is_stack = r.type == STACK_TYPE
        return DeployedResource(
            urn=r.urn,
            type=r.type,
            custom=r.custom,
            id=ref.id if r.custom else "",
            inputs={} if is_stack else inputs,
            outputs=outputs,
            parent=r.parent,
            provider=provider,
            # the engine keeps these as sets (source_eval.go: mapset ToSlice, no order); sorted,
            # so that two runs export the same bytes
            dependencies=sorted(set(r.dependencies)),
            property_dependencies={k: sorted(set(v)) for k, v in r.property_dependencies.items()},
            protect=r.protect,
            additional_secret_outputs=list(r.additional_secret_outputs),
            ignore_changes=list(r.ignore_changes),
            delete_before_replace=r.delete_before_replace,
            fallback=r.custom and spec is None and not r.type.startswith(_PROVIDER_PREFIX),
            gaps=gaps,
        )


def canonical_order(resources: Iterable[RecordedResource]) -> list[RecordedResource]:
    """The resources in an order the engine could have created them in, the same for every
    run: each after its parent, its provider and its dependencies (the only orders that
    matter -- every mirror is between a resource and one that depends on it), ties by URN.
    The recorder's own order varies between runs for resources that do not depend on each
    other (the SDK registers them concurrently)."""
    items = list(resources)
    urns = {r.urn for r in items}
    needs: dict[str, set[str]] = {}
    for r in items:
        deps = set(r.dependencies) | ({r.parent} if r.parent else set())
        if r.provider:
            deps.add(r.provider.rsplit("::", 1)[0])
        needs[r.urn] = {d for d in deps if d in urns and d != r.urn}
    by_urn = {r.urn: r for r in items}
    done: list[RecordedResource] = []
    placed: set[str] = set()
    ready = sorted(u for u, d in needs.items() if not d)
    while ready:
        urn = ready.pop(0)
        placed.add(urn)
        done.append(by_urn[urn])
        for other, deps in needs.items():
            if other not in placed and other not in ready and urn in deps and deps <= placed:
                ready.append(other)
        ready.sort()
    if len(done) != len(items):  # a cycle: cannot happen in a program's registrations
        raise ValueError("resources depend on each other in a cycle")
    return done


_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def _base64_text(text: str) -> str | None:
    """``text`` decoded if it is standard base64 of UTF-8 text, else None."""
    if len(text) % 4 or not _BASE64.fullmatch(text):
        return None
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


_ID_LIKE = re.compile(r"(^id$|Id$|Ids$|^arn$|Arn$|^name$|Name$)")


def _plausible(wire: str, t: sdk_types.TypeRef, urn: str, region: str) -> Any:
    if t.kind == "str":
        if wire == "arn" or wire.endswith("Arn"):
            return ids.arn("fallback", f"{wire}/{ids.hex17(urn, wire)}", region=region)
        if wire.endswith("Id"):
            return ids.aws_id("fallback", urn, wire)
        return f"fallback-{wire}-{ids.hex17(urn, wire)[:8]}"
    if t.kind == "object":
        return bridge.fill({}, t, framework=False)
    return bridge.zero(t)


def iter_custom(state: dict[str, DeployedResource]) -> Iterator[DeployedResource]:
    for r in state.values():
        if r.custom and not r.type.startswith(_PROVIDER_PREFIX):
            yield r
