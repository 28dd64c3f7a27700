"""A strict, minimal JSON Schema validator for policy config schemas.

Why not the ``jsonschema`` package: it is not in the pinned requirements, and the review must run
from them. Why strict: a keyword or format this validator does not implement is an error
(``SchemaError``), never silently skipped, so a schema can't look validated while it isn't.

Supported: ``type`` (string, number, integer, boolean, array, object, null, or a list of them),
``enum``, ``const``, ``properties``, ``required``, ``additionalProperties`` (bool or schema),
``items`` (one schema), ``minItems``, ``maxItems``, ``uniqueItems``, ``minLength``,
``maxLength``, ``pattern`` (Python ``re.search``, like ECMA regex search), ``format`` (ipv4,
ipv6, cidr, ipv4-cidr, ipv6-cidr, hostname, email, uri, date-time, uuid, regex), ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum`` (numbers), ``multipleOf``, ``allOf``,
``anyOf``, ``oneOf``, ``not``. Annotations (``title``, ``description``, ``default``,
``examples``, ``$comment``, ``deprecated``, ``readOnly``, ``writeOnly``) are ignored.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$schema",
        "$id",
    }
)
_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)


class SchemaError(Exception):
    """The schema itself uses something this validator does not implement or is malformed."""


def _is_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise SchemaError(f"unknown type {name!r}")


def _ip(version: int | None) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return False
        return version is None or addr.version == version

    return check


def _cidr(version: int | None) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        if "/" not in text:
            return False
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError:
            return False
        return version is None or net.version == version

    return check


_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _hostname(text: str) -> bool:
    return 0 < len(text) <= 253 and all(_HOST_LABEL.match(p) for p in text.rstrip(".").split("."))


def _date_time(text: str) -> bool:
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in text or "t" in text


def _uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _regex(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


_FORMATS: dict[str, Callable[[str], bool]] = {
    "ipv4": _ip(4),
    "ipv6": _ip(6),
    "cidr": _cidr(None),
    "ipv4-cidr": _cidr(4),
    "ipv6-cidr": _cidr(6),
    "hostname": _hostname,
    "email": lambda t: re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", t) is not None,
    "uri": lambda t: bool(urlparse(t).scheme) and bool(urlparse(t).netloc or urlparse(t).path),
    "date-time": _date_time,
    "uuid": _uuid,
    "regex": _regex,
}


def _where(path: str) -> str:
    return path or "(root)"


def validate(value: Any, schema: Any, path: str = "") -> list[str]:
    """Every violation of ``schema`` by ``value``, as ``"<path>: <problem>"`` strings."""
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{_where(path)}: no value is allowed here"]
    if not isinstance(schema, dict):
        raise SchemaError(f"{_where(path)}: schema must be an object, got {schema!r}")
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:
        raise SchemaError(
            f"{_where(path)}: unsupported schema keyword(s) {sorted(unknown)} "
            "(the review's validator is strict; see review/schema.py)"
        )
    errors: list[str] = []
    where = _where(path)

    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, t) for t in types):
            return [f"{where}: expected {' or '.join(types)}, got {_json_type(value)} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']!r}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: must be {schema['const']!r}")

    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: longer than {schema['maxLength']} characters")
        if "pattern" in schema:
            try:
                matched = re.search(schema["pattern"], value) is not None
            except re.error as exc:
                raise SchemaError(
                    f"{where}: invalid pattern {schema['pattern']!r}: {exc}"
                ) from None
            if not matched:
                errors.append(f"{where}: {value!r} does not match pattern {schema['pattern']!r}")
        if "format" in schema:
            fmt = schema["format"]
            if fmt not in _FORMATS:
                raise SchemaError(
                    f"{where}: unsupported format {fmt!r}; supported: {sorted(_FORMATS)}"
                )
            if not _FORMATS[fmt](value):
                errors.append(f"{where}: {value!r} is not a valid {fmt}")

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value} is less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value} is greater than {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{where}: {value} must be greater than {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errors.append(f"{where}: {value} must be less than {schema['exclusiveMaximum']}")
        if "multipleOf" in schema and (value / schema["multipleOf"]) % 1 != 0:
            errors.append(f"{where}: {value} is not a multiple of {schema['multipleOf']}")

    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{where}: more than {schema['maxItems']} items")
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for item in value:
                if item in seen:
                    errors.append(f"{where}: duplicate item {item!r}")
                    break
                seen.append(item)
        if "items" in schema:
            if isinstance(schema["items"], list):
                raise SchemaError(f"{where}: tuple-form 'items' is not supported")
            for i, item in enumerate(value):
                errors.extend(validate(item, schema["items"], f"{path}[{i}]"))

    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where}: required property '{key}' is missing")
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            if key in props:
                errors.extend(validate(item, props[key], sub))
            elif "additionalProperties" in schema:
                extra = schema["additionalProperties"]
                if extra is False:
                    errors.append(f"{sub}: unknown property (not in the schema)")
                elif extra is not True:
                    errors.extend(validate(item, extra, sub))

    for sub_schema in schema.get("allOf", []):
        errors.extend(validate(value, sub_schema, path))
    if "anyOf" in schema and not any(not validate(value, s, path) for s in schema["anyOf"]):
        errors.append(f"{where}: matches none of the allowed alternatives (anyOf)")
    if "oneOf" in schema:
        matches = sum(1 for s in schema["oneOf"] if not validate(value, s, path))
        if matches != 1:
            errors.append(f"{where}: must match exactly one alternative (oneOf), matched {matches}")
    if "not" in schema and not validate(value, schema["not"], path):
        errors.append(f"{where}: must not match the 'not' schema")
    return errors


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
