"""Steps: what a preview against old state does to each resource, as the engine decides it.

The engine (pulumi/pulumi ``pkg/resource/deploy/step_generator.go``) takes each registration:

1. ``continueStepsFromImport``: with old state, the old *input* values of every
   ``ignoreChanges`` path are copied into the new inputs (``processIgnoreChanges``,
   ``PropertyPath.Reset``: a path the old inputs lack is deleted from the new ones), then the
   provider's ``Check`` runs with ``Olds: old.Inputs``. The bridge's Check
   (pulumi-terraform-bridge ``pkg/tfbridge/schema.go`` ``applyDefaults``, step 3a/4a) fills a
   default the program left out from the OLD value when the old inputs have it and list it in
   ``__defaults`` (or have no ``__defaults`` at all): an autoname is kept, not drawn again.
2. ``generateStepsFromDiff`` / ``diffResource``: the provider's ``Diff`` of the checked inputs
   against the old state. The bridge (``pkg/tfbridge/provider.go`` ``Diff``) diffs Terraform's
   config (the new inputs) against Terraform's state (the old OUTPUTS), with ``IgnoreChanges``
   honoured again, and calls it a replace when a changed attribute is ``ForceNew``
   (``review.tfschema``). How a value is compared is :func:`diff`.
3. ``continueStepsFromDiff``: no change -> ``same`` (``SameStep.Apply``: the old id and the old
   outputs go back to the program); a change -> ``update`` (``UpdateStep``: the old id, the
   provider's planned state) or ``replace`` (Check again WITHOUT olds, so a new autoname; a
   create-replacement whose id and computed values are unknown in a preview); no old state ->
   ``create``; old state that nothing registered -> ``delete`` (``GenerateDeletes``).
   A protected resource that would be replaced or deleted stops the preview
   (``continueStepsFromDiff``: "unable to replace resource ... marked for protection";
   ``GenerateDeletes``: the same for a delete).

Symbols as ``pulumi preview`` prints them (``pkg/resource/deploy/step.go`` ``RawPrefix``; the
display shows a create-replacement/delete-replaced pair as one ``replace``,
``pkg/backend/display/progress.go`` ``getStepOp``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import aws_schema
from .baseline import SECRET_SIG, SIG_KEY, UNKNOWN, Baseline, OldResource
from .plan import (
    STACK_TYPE,
    Op,
    ProgramRun,
    Step,
    engine_urn,
    urn_name,
    urn_qualified_type,
    with_default_providers,
)
from .tfschema import RESERVED_KEYS, TypeSchema, type_schema


# ------------------------------------------------------------------ values
def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def unwrap(value: Any) -> Any:
    """The value with secret wrappers removed, all the way down (the engine unwraps secrets
    before diffing: ``unwrapResourceSecretsAndOutputs``)."""
    if _is_secret(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def has_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def _zero(value: Any) -> bool:
    """Terraform's zero value: what an unset attribute reads as (SDKv2 shims null to zero)."""
    return value is None or value == "" or value is False or value == 0 or value in ([], {})


def _absent(value: Any) -> bool:
    return value is None


def _user_data_hash(text: str) -> str:
    """terraform-provider-aws ``userDataHashSum``: the SHA-1 of the decoded base64 if the text
    is base64, else of the text (internal/service/ec2/ec2_instance.go)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = text.encode()
    return hashlib.sha1(raw).hexdigest()


def _looks_hashed(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


def _canon(schema: TypeSchema, path: str, value: Any, stored: bool) -> Any:
    """A set element as the set compares it: zero-valued attributes dropped, lists sorted,
    values as the state stores them."""
    if isinstance(value, dict):
        return {
            k: _canon(schema, f"{path}.{k}", v, stored)
            for k, v in sorted(value.items())
            if not _zero(v)
        }
    if isinstance(value, list):
        items = (_canon(schema, path, v, stored) for v in value)
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return _scalar(schema, path, value, stored)


def _policy(value: Any) -> Any:
    """An IAM/resource policy as ``awspolicyequivalence`` compares it: parsed, statement and
    list order ignored, a one-element list the same as its element."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, dict):
        return {k: _policy(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_policy(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


# ProtocolForValue (internal/service/ec2/vpc_security_group.go): names and numbers alike
_PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}


def _scalar(schema: TypeSchema, path: str, value: Any, stored: bool) -> Any:
    """A value as the provider compares it with the state (``stateFuncs``, JSON documents)."""
    func = schema.state_funcs.get(path)
    if func == "sha1" and isinstance(value, str) and value:
        if not (stored and _looks_hashed(value)):
            value = _user_data_hash(value)
    elif func == "protocol" and isinstance(value, (str, int, float)):
        text = str(int(value)) if isinstance(value, (int, float)) else value.lower()
        value = _PROTOCOLS.get(text, text)
    elif func == "upper" and isinstance(value, str):
        value = value.upper()
    elif func == "number" and isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if path in schema.json_docs:
        return json.dumps(_policy(value), sort_keys=True)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ------------------------------------------------------------------ ignoreChanges
def parse_path(path: str) -> list[str | int]:
    """``resource.ParsePropertyPath`` (sdk/go/common/resource/properties_path.go): names,
    ``["quoted"]`` keys, ``[0]`` indexes and ``[*]``."""
    out: list[str | int] = []
    rest = path
    if rest.startswith("."):
        raise ValueError("expected property path to start with a name or index")
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise ValueError("expected property path to end with a name or index")
        elif rest[0] == "[":
            if rest[1:2] == '"':
                i, key = 2, []
                while True:
                    if i >= len(rest):
                        raise ValueError("missing closing quote in property name")
                    if rest[i] == '"':
                        i += 1
                        break
                    if rest[i] == "\\" and rest[i + 1 : i + 2] == '"':
                        key.append('"')
                        i += 2
                    else:
                        key.append(rest[i])
                        i += 1
                if rest[i : i + 1] != "]":
                    raise ValueError("missing closing bracket in property access")
                out.append("".join(key))
                rest = rest[i + 1 :]
            else:
                end = rest.find("]")
                if end < 0:
                    raise ValueError("missing closing bracket in array index")
                segment = rest[1:end]
                out.append("*" if segment == "*" else int(segment))
                rest = rest[end + 1 :]
        else:
            i = 0
            while i < len(rest) and rest[i] not in ".[":
                i += 1
            out.append(rest[:i])
            rest = rest[i:]
    return out


def _reset(path: Sequence[str | int], old: Any, new: Any) -> bool:
    """``PropertyPath.Reset``: set ``new`` at ``path`` to ``old``'s value there (delete it
    where ``old`` has none). False when the path cannot be followed (a path error)."""
    key, rest = path[0], path[1:]
    if key == "*":
        if not rest:
            if isinstance(new, dict) and isinstance(old, dict):
                new.clear()
                new.update(copy.deepcopy(old))
                return True
            if isinstance(new, list) and isinstance(old, list):
                for i in range(min(len(old), len(new))):
                    new[i] = copy.deepcopy(old[i])
                return len(old) == len(new)
            return isinstance(new, (dict, list)) and old is None
        if isinstance(old, dict) and isinstance(new, dict):
            return all(k in new and _reset(rest, old[k], new[k]) for k in old)
        if isinstance(old, list) and isinstance(new, list):
            ok = all(_reset(rest, old[i], new[i]) for i in range(min(len(old), len(new))))
            return ok and len(old) == len(new)
        return False
    if isinstance(key, int):
        if not (isinstance(old, list) and isinstance(new, list)):
            return not isinstance(old, list) and not isinstance(new, list)
        if key >= len(old) or key >= len(new):
            return False
        if not rest:
            new[key] = copy.deepcopy(old[key])
            return True
        return _reset(rest, old[key], new[key])
    if not rest:
        if isinstance(old, dict) and key in old:
            if not isinstance(new, dict):
                return False
            new[key] = copy.deepcopy(old[key])
        elif isinstance(new, dict):
            new.pop(key, None)
        return True
    if not isinstance(old, dict) or not isinstance(new, dict):
        return not isinstance(old, dict) and not isinstance(new, dict)
    has_old, has_new = key in old, key in new
    if has_old and not has_new:
        return False
    if not has_old and not has_new:
        return True
    return _reset(rest, old.get(key), new.get(key))


def apply_ignore_changes(
    news: Mapping[str, Any], old_inputs: Mapping[str, Any], paths: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """``processIgnoreChanges``: the new inputs with each ignored path reset to its old input
    value; and the paths that could not be followed (the engine logs them and goes on)."""
    result = copy.deepcopy(dict(news))
    invalid = []
    for raw in paths:
        try:
            path = parse_path(raw)
        except ValueError:
            continue
        if path and not _reset(path, dict(old_inputs), result):
            invalid.append(raw)
    return result, invalid


def _ignored(path: str, ignore: Iterable[str]) -> bool:
    for raw in ignore:
        try:
            parts = [p for p in parse_path(raw) if not isinstance(p, int) and p != "*"]
        except ValueError:
            continue
        dotted = ".".join(str(p) for p in parts)
        if dotted and (path == dotted or path.startswith(dotted + ".")):
            return True
    return False


# ------------------------------------------------------------------ Check with olds
def check_with_olds(
    added: Mapping[str, Any], old_inputs: Mapping[str, Any], news: Mapping[str, Any]
) -> dict[str, Any]:
    """The values Check fills in when it gets the old inputs (``applyDefaults``, 3a/4a:
    "if there is an old value for property and that value was a default value, use the old
    value"): every key the old inputs list in ``__defaults`` that the program leaves out
    takes its old value; and of ``added`` (what a Check without olds adds: an autoname, a
    schema default), each key the old inputs hold takes its old value too when the old inputs
    have no ``__defaults`` list at all (``useOldDefault`` is then true for every key).
    ``region`` is the exception: it always comes from the provider as configured now
    (adversarial: a region change is seen, and replaces)."""
    listed = old_inputs.get("__defaults")
    defaults = {str(k) for k in listed} if isinstance(listed, list) else None
    out = dict(added)
    for key in added:
        if key == "region":
            continue
        if key in old_inputs and (defaults is None or key in defaults):
            out[key] = copy.deepcopy(old_inputs[key])
    for key in sorted(defaults or ()):
        if key != "region" and key in old_inputs and news.get(key) is None and key not in out:
            out[key] = copy.deepcopy(old_inputs[key])
    return out


# ------------------------------------------------------------------ diff
def _sdk(token: str) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    try:
        s = aws_schema.schema(token)
    except aws_schema.UnknownTypeError:
        return None, None
    return s.always, s.inputs


def diff(
    token: str,
    news: Mapping[str, Any],
    old: OldResource,
    ignore_changes: Iterable[str] = (),
) -> list[str]:
    """The paths where the checked inputs ``news`` differ from the stored state, as the bridge's
    Diff (Terraform's config vs state) sees them. Harsh where it is unsure:

    * a top-level attribute the program left out is no change when the SDK declares it always
      present (Required or Optional+Computed: the state keeps it) or its stored value is
      Terraform's zero value or the schema's default; otherwise it is a change (a removal);
    * the same inside blocks, with the nested Optional+Computed attributes of ``tfschema``;
    * a value that is unknown on either side (an output of a resource being created or
      replaced, or an old secret whose ciphertext cannot be read) is a change;
    * sets (``tfschema`` ``sets``) compare without order; lists in order, a length change is a
      change of the whole list;
    * ``stateFuncs`` and JSON documents compare as the state stores and the provider compares.
    """
    schema = type_schema(token)
    always, sdk_inputs = _sdk(token)
    state = old.outputs
    keys = {k for k in news if k not in RESERVED_KEYS and k != "id"}
    input_keys = sdk_inputs if sdk_inputs is not None else frozenset(old.inputs)
    keys |= {k for k in state if k in input_keys and k not in RESERVED_KEYS and k != "id"}
    out: list[str] = []
    for key in sorted(keys):
        _compare(schema, key, news.get(key), state.get(key), out, top=True, always=always)
    ignore = list(ignore_changes)
    return [p for p in out if not _ignored(p, ignore)]


def _compare(
    schema: TypeSchema,
    path: str,
    new: Any,
    old: Any,
    out: list[str],
    *,
    top: bool = False,
    always: frozenset[str] | None = None,
) -> None:
    if _absent(new) and path in schema.defaults:
        new = schema.defaults[path]
    if _absent(new):
        if _zero(unwrap(old)):
            return
        if top and always is not None and path in always:
            return  # Optional+Computed (or Required): the state keeps its value
        if schema.kept_when_absent(path):
            return
        out.append(path)
        return
    if has_unknown(new) or has_unknown(old):
        out.append(path)
        return
    new, old = unwrap(new), unwrap(old)
    if _absent(old):
        if not _zero(new):
            out.append(path)
        return
    if path in schema.sets:
        if not isinstance(new, list) or not isinstance(old, list):
            if _canon(schema, path, new, False) != _canon(schema, path, old, True):
                out.append(path)
            return
        left = sorted(json.dumps(_canon(schema, path, v, False), sort_keys=True) for v in new)
        right = sorted(json.dumps(_canon(schema, path, v, True), sort_keys=True) for v in old)
        if left != right:
            out.append(path)
        return
    if isinstance(new, dict) and isinstance(old, dict):
        for key in sorted(set(new) | set(old)):
            _compare(schema, f"{path}.{key}", new.get(key), old.get(key), out)
        return
    if isinstance(new, list) and isinstance(old, list):
        if len(new) != len(old):
            out.append(path)
            return
        for n, o in zip(new, old, strict=True):
            if isinstance(n, dict) and isinstance(o, dict):
                _compare(schema, path, n, o, out)  # one element, compared attribute by attribute
            elif _scalar(schema, path, n, False) != _scalar(schema, path, o, True):
                out.append(path)
                return
        return
    if isinstance(new, (dict, list)) or isinstance(old, (dict, list)):
        out.append(path)
        return
    if _scalar(schema, path, new, False) != _scalar(schema, path, old, True):
        out.append(path)


def _dedupe(paths: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(paths))


def replacing(
    token: str, news: Mapping[str, Any], old: OldResource, changed: Sequence[str]
) -> list[str]:
    """The changed paths that force replacement (``ForceNew``; the framework's source-kind
    switch for security group rules)."""
    schema = type_schema(token)
    out = [p for p in changed if schema.forces_new(p, dict(news))]
    sources = schema.replace_if_source_changes
    if sources:
        new_kind = {k for k in sources if not _zero(unwrap(news.get(k)))}
        old_kind = {k for k in sources if not _zero(unwrap(old.outputs.get(k)))}
        out.extend(k for k in sources if k in new_kind ^ old_kind)
    return list(_dedupe(out))


def classify(
    token: str,
    urn: str,
    name: str,
    news: Mapping[str, Any],
    old: OldResource | None,
    *,
    ignore_changes: Iterable[str] = (),
    replace_on_changes: Iterable[str] = (),
    delete_before_replace: bool | None = None,
) -> Step:
    """The step for one custom resource's checked inputs against its old state."""
    if old is None:
        return Step(urn, token, name, Op.CREATE)
    changed = _dedupe(diff(token, news, old, ignore_changes))
    if not changed:
        return Step(urn, token, name, Op.SAME)
    replaces = replacing(token, news, old, changed)
    # applyReplaceOnChanges: a changed property the program lists in replaceOnChanges replaces
    roc = list(replace_on_changes)
    extra = [p for p in changed for r in roc if r == "*" or p == r or p.startswith(r + ".")]
    replaces = list(_dedupe([*replaces, *extra]))
    if replaces:
        return Step(
            urn, token, name, Op.REPLACE, changed, tuple(replaces), bool(delete_before_replace)
        )
    return Step(urn, token, name, Op.UPDATE, changed)


def classify_component(urn: str, token: str, name: str, news: Mapping[str, Any],
                       old: OldResource | None) -> Step:
    """A component (or the stack): no provider, so the engine compares inputs for equality
    (``sg.diff``: ``prov == nil`` -> ``DeepEquals``)."""
    if old is None:
        return Step(urn, token, name, Op.CREATE)
    if unwrap(dict(news)) == unwrap(old.inputs):
        return Step(urn, token, name, Op.SAME)
    keys = sorted(set(news) | set(old.inputs))
    return Step(urn, token, name, Op.UPDATE,
                tuple(k for k in keys if unwrap(news.get(k)) != unwrap(old.inputs.get(k))))


def classify_provider(urn: str, token: str, name: str, news: Mapping[str, Any],
                      old: OldResource | None) -> Step:
    """A provider: its config compared without the engine's own keys (``version``,
    ``__internal``). The bridge's DiffConfig replaces only for config marked
    ``ForcesProviderReplace``, which pulumi-aws marks on none, so a change is an update."""
    if old is None:
        return Step(urn, token, name, Op.CREATE)

    def config(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: unwrap(v) for k, v in values.items() if k not in ("version", "__internal")}

    if config(news) == config(old.inputs):
        return Step(urn, token, name, Op.SAME)
    keys = sorted(set(config(news)) | set(config(old.inputs)))
    return Step(urn, token, name, Op.UPDATE,
                tuple(k for k in keys if config(news).get(k) != config(old.inputs).get(k)))


# ------------------------------------------------------------------ planned state
def planned_update(
    token: str,
    news: Mapping[str, Any],
    old: OldResource,
    changed: Sequence[str],
    tags_all: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The outputs of an in-place update in a preview (the bridge's ``Update`` with
    ``preview``: Terraform's planned state): the stored state with each changed attribute
    taken from the new inputs (left out: removed), ``tagsAll`` recomputed from the new tags
    (``tags_all``; unknown when that cannot be known), and the outputs the provider recomputes
    on an update unknown (``recomputedOnUpdate``, and ``recomputedOnChange`` for the changed
    attributes: the VPC's IPv6 block when ``assignGeneratedIpv6CidrBlock`` changes). A type
    ``tfschema`` does not list: every computed output but ``id`` is unknown (adversarial)."""
    schema = type_schema(token)
    out = copy.deepcopy(dict(old.outputs))
    for key in dict.fromkeys(p.split(".", 1)[0] for p in changed):
        value = news.get(key)
        if value is None:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(value)
    tags_changed = any(p.split(".", 1)[0] == "tags" for p in changed)
    if tags_changed and ("tags" in out or "tagsAll" in out):
        out["tagsAll"] = dict(tags_all) if tags_all is not None else UNKNOWN
    if schema.known:
        changed_tops = {p.split(".", 1)[0] for p in changed}
        recomputed = schema.recomputed_on_update | {
            out_key
            for attr, outs in schema.recomputed_on_change.items()
            if attr in changed_tops
            for out_key in outs
        }
    else:
        always, sdk_inputs = _sdk(token)
        recomputed = frozenset(
            k for k in (always or out) if k != "id" and k not in (sdk_inputs or news)
        )
    for key in recomputed:
        out[key] = UNKNOWN
    return out


# ------------------------------------------------------------------ aliases
def _create_urn(name: str, typ: str, parent: str, project: str, stack: str) -> str:
    """``resource.CreateURN`` (sdk/go/common/resource/alias.go): under ``parent``, its URN up
    to the last ``::`` then ``$type::name``."""
    if not parent:
        return f"urn:pulumi:{stack}::{project}::{typ}::{name}"
    return f"{parent[: parent.rindex('::')]}${typ}::{name}"


def _collapse(
    stack: str, project: str, name: str, typ: str, parent: str, alias: Mapping[str, Any],
    known: Mapping[str, str],
) -> str:
    """``collapseAliasToUrn`` (pkg/resource/deploy/step_generator.go) for one alias as the
    monitor receives it (alias.proto: ``{"urn": ...}`` or ``{"spec": {name, type, stack,
    project, parentUrn | noParent}}``)."""
    if alias.get("urn"):
        return str(alias["urn"])
    spec = alias.get("spec") or {}
    # no parent named: the registration's own; a named parent that matched its own alias: the
    # old URN it matched (the child's old URN is under the old parent)
    alias_parent = spec.get("parentUrn") or ""
    alias_parent = known.get(alias_parent, alias_parent) if alias_parent else parent
    if spec.get("noParent") or (alias_parent and urn_qualified_type(alias_parent) == STACK_TYPE):
        alias_parent = ""
    return _create_urn(
        spec.get("name") or name,
        spec.get("type") or typ,
        alias_parent,
        spec.get("project") or project,
        spec.get("stack") or stack,
    )


def _inherited(stack: str, project: str, typ: str, name: str, parent_name: str,
               parent_alias: str) -> str:
    """``inheritedChildAlias``: a child of an aliased parent, under the parent's old URN (and
    a name that started with the parent's name takes the old parent name)."""
    if name.startswith(parent_name):
        name = urn_name(parent_alias) + name[len(parent_name):]
    return engine_urn(stack, project, parent_alias, typ, name)


def alias_urns(
    stack: str, project: str, name: str, typ: str, parent: str,
    aliases: Sequence[Mapping[str, Any]], known: Mapping[str, str],
) -> list[str]:
    """``generateAliases``: the old URNs a registration may have had, in the engine's order;
    ``known`` maps each new URN that matched an alias to the old URN it matched."""
    out: list[str] = []

    def add(urn: str) -> None:
        if urn not in out:
            out.append(urn)

    for alias in aliases:
        add(_collapse(stack, project, name, typ, parent, alias, known))
    parent_alias = known.get(parent) if parent else None
    if parent_alias:
        parent_name = urn_name(parent)
        add(_inherited(stack, project, typ, name, parent_name, parent_alias))
        for alias in aliases:
            child = _collapse(stack, project, name, typ, parent, alias, known)
            child_type = urn_qualified_type(child).rsplit("$", 1)[-1]
            add(_inherited(stack, project, child_type, urn_name(child), parent_name,
                           parent_alias))
    return out


# ------------------------------------------------------------------ the whole plan
def all_steps(
    run: ProgramRun, baseline: Baseline, decided: Mapping[str, Step],
    claimed: Iterable[str] = (),
) -> list[Step]:
    """Every step of ``run`` against ``baseline``, in registration order (the engine's
    default providers before their first user, compared as providers), then the deletes of
    the old resources that nothing registered, by URN or alias (``claimed``)."""
    out = []
    for r in with_default_providers(run):
        step = decided.get(r.urn)
        if step is None:  # a default provider: the engine registers it itself
            step = classify_provider(r.urn, r.type, r.name, r.inputs, baseline.get(r.urn))
        out.append(step)
    out.extend(deletes(baseline, [*(s.urn for s in out), *claimed]))
    return out


# ------------------------------------------------------------------ deletes
def deletes(baseline: Baseline, registered: Iterable[str]) -> list[Step]:
    """Old resources nothing registered, in reverse order (dependents first), and resources a
    replacement left pending deletion (``GenerateDeletes``)."""
    seen = set(registered)
    gone = [r for r in baseline.resources.values() if r.urn not in seen]
    out = [Step(r.urn, r.type, r.name, Op.DELETE) for r in reversed(gone)]
    out += [Step(r.urn, r.type, r.name, Op.DELETE) for r in baseline.pending_deletes]
    return out


def protected_errors(baseline: Baseline, steps: Iterable[Step],
                     protect_now: Mapping[str, bool]) -> list[str]:
    """What the engine refuses: replacing a resource protected before and now, deleting one
    protected before (``continueStepsFromDiff``, ``GenerateDeletes``)."""
    errors = []
    for s in steps:
        old = baseline.get(s.urn)
        if old is None or not old.protect:
            continue
        if s.op is Op.REPLACE and protect_now.get(s.urn, False):
            errors.append(
                f"unable to replace resource {s.urn} as it is currently marked for protection "
                f"(it would be replaced because {', '.join(s.replaces)} changed); to replace it, "
                f"remove the `protect` flag and run `pulumi up` first, or undo the change"
            )
        elif s.op is Op.DELETE:
            errors.append(
                f"unable to delete resource {s.urn} as it is currently marked for protection; "
                f"remove the `protect` flag (or `pulumi state unprotect '{s.urn}'`) first, or "
                f"keep it in the program"
            )
    return errors


# ------------------------------------------------------------------ what AWS refuses on update
# Sizes AWS cannot make smaller in place: an EBS volume's (aws_ebs_volume's size; an instance's
# root_block_device.volume_size, which ec2_instance.go resourceInstanceUpdate changes with the
# same ModifyVolume call). The plan passes (ebs_volume.go resourceEBSVolumeCustomizeDiff checks
# no size on an update); ModifyVolume fails in `pulumi up`: "You can't decrease the size of a
# volume" (Amazon EBS User Guide, "Modify a volume using Amazon EBS Elastic Volumes").
NO_SHRINK: dict[str, tuple[str, ...]] = {
    "aws:ebs/volume:Volume": ("size",),
    "aws:ec2/instance:Instance": ("rootBlockDevice.volumeSize",),
}


def _at(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def shrink_errors(step: Step, news: Mapping[str, Any], old: OldResource) -> list[str]:
    """An in-place update that makes a volume smaller: the preview passes, `pulumi up` fails
    on it (``NO_SHRINK``)."""
    if step.op is not Op.UPDATE:
        return []
    errors = []
    for path in NO_SHRINK.get(step.type, ()):
        new, was = _at(news, path), _at(old.outputs, path)
        if isinstance(new, int | float) and isinstance(was, int | float) and new < was:
            errors.append(
                f"{step.urn}: {path} {was:g} -> {new:g} GiB: AWS cannot shrink an EBS volume "
                f"(ModifyVolume refuses a smaller size), so `pulumi up` would fail on it after "
                f"the preview passes; keep it at {was:g} GiB or more, or move the data to a new, "
                f"smaller volume yourself"
            )
    return errors
