"""``Pulumi.yaml`` checked as the CLI checks it before it runs anything.

pulumi/pulumi ``sdk/go/common/workspace/loaders.go`` ``LoadProjectBytes`` runs, in order:

1. ``ValidateProject`` (``sdk/go/common/workspace/project.go``): a ``name`` attribute (when it
   is missing, the closest key within Levenshtein distance 2, case-insensitive, is named:
   "found 'nmae' instead"), a non-empty string; then the JSON schema ``project.json`` next to
   it. The parts of that schema this project can meet are checked here: the optional string
   attributes, ``runtime`` (a name, or ``{name, options}`` and nothing else), and each
   ``config`` entry, which must be a string, an integer, a boolean, an array, or a config type
   declaration (only ``type``, ``items``, ``description``, ``secret``, ``default``, ``value``;
   ``type`` one of string, integer, boolean, array, object; ``items`` with a ``type``, and
   ``items`` again for an array). An unknown declaration attribute is named with the closest
   allowed one ("did you mean"), or the list of allowed ones.
2. ``RewriteShorthandConfigValues``: a plain value is a ``default`` for a key in the project's
   namespace and a ``value`` for any other.
3. ``Project.Validate``: never both ``default`` and ``value``; a project key's array type
   names its ``items``; a typed default is of its type (``ValidateConfigValue``); a key of
   another namespace (``aws:region``) has a ``value`` and neither a type nor a default.

``validate_project`` returns the CLI's message for the first problem, or None.
"""

from __future__ import annotations

from typing import Any

SIMPLE_TYPES = ("string", "integer", "boolean", "array", "object")
DECLARATION_KEYS = ("default", "description", "items", "secret", "type", "value")
_OPTIONAL_STRINGS = ("description", "author", "website", "license", "main", "stackConfigDir")


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def closest_key(needle: str, keys: Any, max_distance: int = 2) -> str:
    """``findClosestKey``: the sorted keys' first at the smallest distance (<= 2)."""
    match, best = "", max_distance + 1
    for key in sorted(str(k) for k in keys):
        d = levenshtein(needle.lower(), key.lower())
        if d == 0:
            return key
        if d < best:
            match, best = key, d
    return match


def full_type_name(type_name: str, items: Any) -> str:
    """``InferFullTypeName``: ``array<string>``, ``array<array<integer>>``..."""
    if type_name == "array" and isinstance(items, dict):
        return f"array<{full_type_name(str(items.get('type')), items.get('items'))}>"
    return type_name


def valid_config_value(type_name: str, items: Any, value: Any) -> bool:
    """``ValidateConfigValue``: the value (as YAML/JSON decoding gives it) is of the type."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value == int(value)):
            return True
        return isinstance(value, str) and _atoi(value)
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not isinstance(items, dict):
        return False
    return all(valid_config_value(str(items.get("type")), items.get("items"), v) for v in value)


def _atoi(text: str) -> bool:
    """Go's ``strconv.Atoi``: an optional sign, then decimal digits only, fitting in int64."""
    body = text[1:] if text[:1] in "+-" and len(text) > 1 else text
    if not body.isascii() or not body.isdigit():
        return False
    return -(2**63) <= int(text) < 2**63


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "integer" if isinstance(value, int) else "number"
    )


def _declaration_error(where: str, decl: dict[str, Any]) -> str | None:
    for key in decl:
        if key not in DECLARATION_KEYS:
            hint = closest_key(str(key), DECLARATION_KEYS)
            allowed = ", ".join(f"'{k}'" for k in DECLARATION_KEYS[:-1])
            more = (
                f"did you mean '{hint}'?"
                if hint
                else f"the allowed attributes are {allowed} and '{DECLARATION_KEYS[-1]}'"
            )
            return f"{where}: '{key}' not allowed; {more}"
    if "type" in decl and decl["type"] not in SIMPLE_TYPES:
        return f"{where}/type: value must be one of {', '.join(repr(t) for t in SIMPLE_TYPES)}"
    for key in ("description",):
        if key in decl and not isinstance(decl[key], str):
            return f"{where}/{key}: expected string, but got {_kind(decl[key])}"
    if "secret" in decl and not isinstance(decl["secret"], bool):
        return f"{where}/secret: expected boolean, but got {_kind(decl['secret'])}"
    if "items" in decl:
        return _items_error(f"{where}/items", decl["items"])
    return None


def _items_error(where: str, items: Any) -> str | None:
    if not isinstance(items, dict):
        return f"{where}: expected object, but got {_kind(items)}"
    if "type" not in items:
        return f"{where}: missing property 'type'"
    if items["type"] not in SIMPLE_TYPES:
        return f"{where}/type: value must be one of {', '.join(repr(t) for t in SIMPLE_TYPES)}"
    if items["type"] == "array":
        if "items" not in items:
            return f"{where}: missing property 'items'"
        return _items_error(f"{where}/items", items["items"])
    return None


def _schema_error(data: dict[str, Any]) -> str | None:
    for key in _OPTIONAL_STRINGS:
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"#/{key}: expected string or null, but got {_kind(data[key])}"
    runtime = data.get("runtime")
    if isinstance(runtime, dict):
        for key in runtime:
            if key not in ("name", "options"):
                return f"#/runtime: '{key}' not allowed"
        if not isinstance(runtime.get("name"), str) or not runtime["name"]:
            return "#/runtime/name: expected a non-empty string"
        if "options" in runtime and not isinstance(runtime["options"], dict):
            return f"#/runtime/options: expected object, but got {_kind(runtime['options'])}"
    elif runtime is not None and (not isinstance(runtime, str) or not runtime):
        return "#/runtime: expected a non-empty string or an object with 'name'"
    config = data.get("config")
    if config is None or isinstance(config, str):  # a string: the old stackConfigDir form
        return None
    if not isinstance(config, dict):
        return f"#/config: expected object, string or null, but got {_kind(config)}"
    for key, entry in config.items():
        where = f"#/config/{key}"
        if isinstance(entry, dict):
            problem = _declaration_error(where, entry)
            if problem:
                return problem
        elif not isinstance(entry, (str, int, list)):  # bool is an int; a float is not
            return (
                f"{where}: expected a string, an integer, a boolean, an array or a config type "
                f"declaration, but got {_kind(entry)}"
            )
    return None


def validate_project(data: dict[str, Any]) -> str | None:
    """The CLI's message for the first problem with a decoded ``Pulumi.yaml``, or None."""
    if "name" not in data:
        found = closest_key("name", data)
        if found:
            return f"project is missing a 'name' attribute; found '{found}' instead"
        return "project is missing a 'name' attribute"
    if not isinstance(data["name"], str) or not data["name"]:
        return "project is missing a non-empty string 'name' attribute"
    problem = _schema_error(data)
    if problem:
        return problem
    config = data.get("config")
    if not isinstance(config, dict):
        return None
    project = data["name"]
    for key, entry in config.items():
        key = str(key)
        decl = entry if isinstance(entry, dict) else None
        if decl is None:  # RewriteShorthandConfigValues
            own = ":" not in key or key.startswith(project + ":")
            decl = {"default": entry} if own else {"value": entry}
        has_default = decl.get("default") is not None
        has_value = decl.get("value") is not None
        if has_default and has_value:
            return f"project config '{key}' cannot have both a 'default' and 'value' attribute"
        typed = "type" in decl
        if ":" not in key or key.startswith(project + ":"):
            if typed and decl["type"] == "array" and decl.get("items") is None:
                return (
                    f"The configuration key '{key}' declares an array but does not specify the "
                    f"underlying type via the 'items' attribute"
                )
            if typed and has_default and not valid_config_value(
                decl["type"], decl.get("items"), decl["default"]
            ):
                return (
                    f"The default value specified for configuration key '{key}' is not of the "
                    f"expected type '{full_type_name(decl['type'], decl.get('items'))}'"
                )
        else:
            if typed:
                return (
                    f"Configuration key '{key}' is not namespaced by the project and should not "
                    f"define a type"
                )
            if has_default:
                return (
                    f"Configuration key '{key}' is not namespaced by the project and should not "
                    f"define a default value. Did you mean to use the 'value' attribute instead "
                    f"of 'default'?"
                )
            if not has_value:
                return (
                    f"Configuration key '{key}' is namespaced and must provide an attribute "
                    f"'value'"
                )
    return None
