"""How pulumi-terraform-bridge turns a Terraform state into the outputs the engine stores.

Read at pulumi/pulumi-terraform-bridge ``59de6c661`` (the bridge pulumi-aws 7.x is built with):

* ``pkg/tfshim/sdk-v2/provider2.go`` ``v2InstanceState2.Object``: the state is the provider's
  cty object, every schema attribute a key (``null`` when unset), minus ``timeouts``.
* ``pkg/tfbridge/schema.go`` ``MakeTerraformOutputs`` / ``MakeTerraformOutput``: every key is
  renamed to its Pulumi (camelCase) name; ``nil`` becomes null; a set becomes a list; a
  TypeList/TypeSet with ``MaxItems: 1`` (``IsMaxItemsOne``) becomes its only element, or null
  when empty; a nested block becomes an object with its own keys renamed; a ``Sensitive``
  attribute becomes a secret.
* ``MakeTerraformResult``: the state's meta (timeouts, ``schema_version``) is stored under
  ``__meta`` as JSON unless it is the default ``{"schema_version":"0"}``.

What a nested block holds where the provider set nothing depends on the provider's SDK, read in
the samples ``tests/fixtures/real/`` keeps: an SDKv2 resource (most of hashicorp/aws) writes the
zero value of each primitive of a nested block (``"kms_key_id": ""``, ``"tags": {}``,
``"capacity_reservation_target": []``, so a MaxItems=1 block inside is null), a Plugin
Framework resource (the VPC security group rules, the Instance Connect endpoint) writes null.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from pulumi.runtime import rpc

from .sdk_types import TypeRef

SECRET_SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig
TIMEOUTS_KEY = "e2bfb730-ecaa-11e6-8f88-34363bc7c4c0"  # terraform-plugin-sdk schema.TimeoutKey
MINUTE_NS = 60 * 1_000_000_000


def zero(t: TypeRef) -> Any:
    """The value SDKv2 writes for an attribute the provider set to nothing."""
    return {
        "str": "",
        "int": 0,
        "float": 0,
        "bool": False,
        "list": [],
        "map": {},
    }.get(t.kind)


def fill(value: Any, t: TypeRef, *, framework: bool) -> Any:
    """``value`` shaped as the bridge writes type ``t``: every field of an object present
    (zero or null where unset, see the module docstring), numbers as numbers."""
    if value is None or is_secret(value):
        return value
    if t.kind == "object":
        if not isinstance(value, dict):
            raise TypeError(f"{t.cls}: expected an object, got {value!r}")
        out = {}
        for wire, field in t.fields().items():
            if value.get(wire) is not None:
                out[wire] = fill(value[wire], field.type, framework=framework)
            else:
                out[wire] = None if framework else zero(field.type)
        return out
    if t.kind == "list":
        assert t.elem is not None
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        return [fill(v, t.elem, framework=framework) for v in value]
    if t.kind == "map":
        assert t.elem is not None
        return {k: fill(v, t.elem, framework=framework) for k, v in value.items()}
    if t.kind == "int" and isinstance(value, float) and math.isfinite(value):
        return int(value)
    return value


def meta(schema_version: int, timeouts: dict[str, int] | None) -> str | None:
    """The ``__meta`` output: ``json.Marshal`` of the state's meta (Go sorts map keys and
    writes no spaces): the timeouts, and the schema version unless it is 0 (terraform-plugin-sdk
    writes none then -- the real states in tests/fixtures/real show both); None when empty."""
    m: dict[str, Any] = {}
    if timeouts:
        m[TIMEOUTS_KEY] = {k: v * MINUTE_NS for k, v in sorted(timeouts.items())}
    if schema_version:
        m["schema_version"] = str(schema_version)
    return json.dumps(m, sort_keys=True, separators=(",", ":")) if m else None


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def unwrap(value: Any) -> tuple[Any, bool]:
    """(the value with every secret marker removed, whether there was one)."""
    if is_secret(value):
        inner, _ = unwrap(value.get("value"))
        return inner, True
    if isinstance(value, dict):
        found = False
        out = {}
        for k, v in value.items():
            out[k], s = unwrap(v)
            found = found or s
        return out, found
    if isinstance(value, list):
        found = False
        items = []
        for v in value:
            u, s = unwrap(v)
            items.append(u)
            found = found or s
        return items, found
    return value, False


# --------------------------------------------------------------------- raw state delta
RAW_STATE_DELTA = "__pulumi_raw_state_delta"  # pkg/reservedkeys/keys.go
DEFAULTS_KEY = "__defaults"  # pkg/reservedkeys/keys.go
RESERVED = ("__meta", RAW_STATE_DELTA, DEFAULTS_KEY)

# Object lists whose Terraform block name is itself plural (pulumi-aws does not pluralize
# them again), and primitive lists pulumi-aws pluralized (``ipv6_address_list`` ->
# ``ipv6AddressLists``). Every other list of objects is a singular Terraform block.
_PLURAL_TF_BLOCKS = frozenset({"placementConstraints"})
_PLURALIZED_PRIMITIVE_LISTS = {
    "ipv6AddressLists": "ipv6_address_list",
    "privateIpLists": "private_ip_list",
}


@functools.lru_cache(maxsize=4096)
def pulumi_to_terraform_name(name: str) -> str:
    """``PulumiToTerraformName`` without a schema (``pkg/tfbridge/names.go``)."""
    out = ""
    for i, ch in enumerate(name):
        if "A" <= ch <= "Z":
            out += ("_" if i else "") + ch.lower()
        else:
            out += ch
    return out


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("ss") or not name.endswith("s"):
        return name
    return name[:-1]


def terraform_name(wire: str, t: TypeRef) -> str:
    """The Terraform attribute a Pulumi output comes from: its snake_case name, singular for
    a block list pulumi-aws pluralized (``ebsBlockDevices`` <- ``ebs_block_device``)."""
    return _terraform_name(wire, t.kind == "list" and t.elem is not None
                           and t.elem.kind == "object")


@functools.lru_cache(maxsize=4096)
def _terraform_name(wire: str, block_list: bool) -> str:
    if wire in _PLURALIZED_PRIMITIVE_LISTS:
        return _PLURALIZED_PRIMITIVE_LISTS[wire]
    snake = pulumi_to_terraform_name(wire)
    if block_list and wire not in _PLURAL_TF_BLOCKS:
        return _singular(snake)
    return snake


def raw_state_delta(outputs: dict[str, Any], fields: dict[str, Any]) -> Any:
    """``RawStateComputeDelta`` (``pkg/tfbridge/rawstate.go``, bridge ``59de6c661``): what the
    bridge stores under ``__pulumi_raw_state_delta`` to recover the Terraform state from the
    Pulumi outputs. The Terraform value is implied by the outputs and the SDK types: an
    object output is a MaxItems=1 block (a list of one, or of none when null), a list a list
    or set, a map a map. Objects always get an ``obj`` entry, lists ``arr``, maps ``map``, a
    block ``plu``; equal primitives nothing; renames where the name is not the plain
    snake_case of the Pulumi name."""
    return _obj_delta(outputs, fields)


def _obj_delta(value: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    renamed: dict[str, str] = {}
    deltas: dict[str, Any] = {}
    for wire, field in fields.items():
        tf = terraform_name(wire, field.type)
        if pulumi_to_terraform_name(wire) != tf:
            renamed[wire] = tf
        d = _delta(value.get(wire), field.type)
        if d:
            deltas[wire] = d
    obj: dict[str, Any] = {}
    if renamed:
        obj["renamed"] = renamed
    if deltas:
        obj["ps"] = deltas
    return {"obj": obj}


def _delta(pv: Any, t: TypeRef, *, element: bool = False) -> dict[str, Any] | None:
    if is_secret(pv):
        pv = pv.get("value")
    if t.kind == "object" and element:  # an element of a block list or set
        return None if pv is None else _obj_delta(pv, t.fields())
    if t.kind == "object":  # a MaxItems=1 block: a list of 0 or 1 in Terraform
        if pv is None:
            return {"plu": {"i": {}}}
        return {"plu": {"i": _obj_delta(pv, t.fields())}}
    if pv is None:
        return None
    if t.kind == "list":
        assert t.elem is not None
        elements: dict[str, Any] = {}
        for i, e in enumerate(pv):
            d = _delta(e, t.elem, element=True)
            if d:
                elements[str(i)] = d
        return {"arr": {"el": elements}} if elements else {"arr": {}}
    if t.kind == "map":
        assert t.elem is not None
        elements = {}
        for k, e in pv.items():
            d = _delta(e, t.elem, element=True)
            if d:
                elements[k] = d
        return {"map": {"el": elements}} if elements else {"map": {}}
    return None
