"""Stack configuration as the Pulumi CLI hands it to the program (the PULUMI_CONFIG map).

``Pulumi.yaml``'s ``config:`` block declares keys (with ``type``/``default``) or gives plain values;
``Pulumi.<stack>.yaml``'s ``config:`` block overrides them. Keys without a namespace in
``Pulumi.yaml`` belong to the project (``<project>:<key>``); keys in the stack file must be
namespaced, as the CLI requires. Every value reaches the program as a string: scalars as text
(``true``, ``3``), lists and objects JSON-encoded. Secure (encrypted) values are refused: this
project uses none and there is no secrets provider offline.

Read as the CLI reads it (pulumi/pulumi, cited per rule):

* YAML as Go's ``gopkg.in/yaml.v3`` reads it (sdk/go/common/encoding/marshal.go): only
  ``true``/``false`` (and their ``True``/``TRUE`` spellings) are booleans, so ``yes``/``on`` are
  strings; no YAML 1.1 sexagesimal (``1:30``) numbers; timestamps stay strings; a duplicate
  key is an error (``mapping key "x" already defined at line N``).
* A stack-file key without a namespace is taken into the project's namespace
  (sdk/go/common/workspace/loaders.go ``stackConfigNamespacedWithProject``).
* A stack value is validated against the project's declared type as the string the CLI stores
  (pkg/workspace/config.go ``validateStackConfigValue`` on the decrypted value;
  sdk/go/common/workspace/project.go ``ValidateConfigValue``): ``"900"`` is an integer (Go's
  ``strconv.Atoi``), ``"true"``/``"false"`` are booleans, anything primitive is a string.
"""

from __future__ import annotations

import decimal
import json
import math
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml  # type: ignore[import-untyped, unused-ignore]

from .errors import ReviewError

_SCHEMA_KEYS = frozenset({"type", "description", "default", "secret", "items", "value"})
_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class Project:
    """The parts of ``Pulumi.yaml`` the review needs."""

    directory: Path
    name: str
    runtime: str
    main: Path  # file or directory the language host runs
    config: dict[str, Any]  # the raw ``config:`` block


class GoYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader narrowed to what yaml.v3 resolves (see the module docstring)."""

    # start empty (not a copy of YAML 1.1's): only the resolvers added below
    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {}

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f'mapping key "{key}" already defined at line {seen[key]}',
                    key_node.start_mark,
                )
            seen[key] = line
        return dict(super().construct_mapping(node, deep=deep))


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?[0-9][0-9_]*|0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+)$",
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    GoYamlLoader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


def _int_construct(loader: GoYamlLoader, node: Any) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text.startswith(("0b", "0o", "0x")):
        return sign * int(text, 0)
    if len(text) > 1 and text.startswith("0"):  # yaml.v3 (Go's ParseInt base 0): octal
        return sign * int(text, 8)
    return sign * int(text)


GoYamlLoader.add_constructor("tag:yaml.org,2002:int", _int_construct)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReviewError(f"{path}: file not found") from None
    try:
        data = yaml.load(text, Loader=GoYamlLoader)
    except yaml.YAMLError as exc:
        raise ReviewError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    except ValueError as exc:  # e.g. an octal-looking 09
        raise ReviewError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ReviewError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_project(project_dir: Path) -> Project:
    """Read ``Pulumi.yaml`` (name, runtime, main, config block)."""
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.exists():
        raise ReviewError(
            f"{path}: file not found; run the review from the Pulumi project directory"
        )
    data = _read_yaml(path)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ReviewError(f"{path}: key 'name' is missing or not a string")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ReviewError(f"{path}: key 'runtime' is {runtime_name!r}; only 'python' is supported")
    main = data.get("main")
    main_path = Path(project_dir) / main if isinstance(main, str) and main else Path(project_dir)
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ReviewError(f"{path}: key 'config' must be a mapping")
    return Project(Path(project_dir), name, "python", main_path, config)


def _namespaced(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _go_float(f: float) -> str:
    """Go's ``fmt.Sprintf("%v", f)`` (``strconv.FormatFloat(f, 'g', -1, 64)``), which is how
    the CLI stores a YAML float (pkg/workspace/config.go ``createConfigValue``): 3.0 -> "3"."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    sign, digits, exponent = decimal.Decimal(repr(f)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)) or "0"
    exp = len(text) + exponent - 1  # exponent of the leading digit
    minus = "-" if sign else ""
    if exp < -4 or exp >= 6:  # 'g' with the shortest precision decides with precision 6
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return minus + format(decimal.Decimal(repr(abs(f))).normalize(), "f")


def _encode(value: Any) -> str:
    """A config value as the CLI passes it to the program."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    return json.dumps(value, separators=(",", ":"))


_GO_ATOI = re.compile(r"^[+-]?[0-9]+$")


def _valid(declared: str, value: Any) -> bool:
    """sdk/go/common/workspace/project.go ``ValidateConfigValue`` for a primitive type."""
    if declared == "string":
        return isinstance(value, str)
    if declared == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value == int(value)):
            return True
        return isinstance(value, str) and bool(_GO_ATOI.match(value))
    if declared == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return isinstance(value, _TYPE_CHECKS[declared])


def _check_type(path: Path, key: str, declared: Any, value: Any, *, stored: bool = False) -> None:
    """``stored``: a stack value, checked as the string the CLI stores for a primitive."""
    if declared is None:
        return
    if declared not in _TYPE_CHECKS:
        raise ReviewError(f"{path}: config key '{key}' declares unknown type {declared!r}")
    if stored and not isinstance(value, (dict, list)):
        value = _encode(value)
    ok = _valid(declared, value)
    if not ok:
        raise ReviewError(
            f"{path}: config key '{key}' must be of type '{declared}', got "
            f"{type(value).__name__} {value!r}. Fix: {_type_fix(key, declared, value)}"
        )


def _type_fix(key: str, declared: str, value: Any) -> str:
    """How to store a value of the declared type (the fix of a type error), as the CLI takes it:
    a list only through ``--path`` (``pulumi config set key X`` stores the string X)."""
    short = key.split(":", 1)[1] if ":" in key else key
    if declared == "array":
        if isinstance(value, str):
            items = [w for w in re.split(r"[,\s]+", value) if w] or ["<item>"]
        else:
            items = ["<item>"]
        path = "; ".join(
            f"pulumi config set --path '{short}[{i}]' {shlex.quote(item)}"
            for i, item in enumerate(items)
        )
        return (
            f"store a list: `{path}` (without --path, `pulumi config set {short} ...` stores one "
            "string), or write a YAML list under the key, one `- item` per line"
        )
    how = {
        "integer": f"a whole number without quotes or units (`pulumi config set {short} 600`)",
        "boolean": f"true or false without quotes (`pulumi config set {short} true`)",
        "object": "a YAML mapping under the key",
    }
    return "write " + how.get(declared, "it as text")


def load_stack_config(project_dir: Path, stack: str) -> dict[str, str]:
    """The config map (``namespace:key`` -> string) for ``stack``; raises ReviewError."""
    project = load_project(project_dir)
    project_file = Path(project_dir) / "Pulumi.yaml"
    stack_file = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise ReviewError(
            f"{stack_file}: stack config file not found; create it (e.g. copy another "
            f"Pulumi.<stack>.yaml) or choose an existing stack"
        )

    declared: dict[str, Any] = {}  # full key -> declared type (or None)
    required: set[str] = set()
    result: dict[str, Any] = {}
    for raw_key, spec in project.config.items():
        key = _namespaced(str(raw_key), project.name)
        if isinstance(spec, dict) and spec and set(spec) <= _SCHEMA_KEYS:
            if spec.get("secret"):
                raise ReviewError(
                    f"{project_file}: config key '{raw_key}' is declared secret; "
                    "secrets are not supported by the offline review"
                )
            declared[key] = spec.get("type")
            if "default" in spec or "value" in spec:
                default = spec.get("default", spec.get("value"))
                _check_type(project_file, str(raw_key), declared[key], default)
                result[key] = default
            else:
                required.add(key)
        else:
            declared[key] = None
            result[key] = spec

    stack_data = _read_yaml(stack_file)
    stack_config = stack_data.get("config") or {}
    if not isinstance(stack_config, dict):
        raise ReviewError(f"{stack_file}: key 'config' must be a mapping")
    namespaced: dict[str, str] = {}
    for raw_key, value in stack_config.items():
        key = _namespaced(str(raw_key), project.name)  # the CLI takes it into the project
        if key in namespaced:
            raise ReviewError(
                f"{stack_file}: config keys '{namespaced[key]}' and '{raw_key}' are the same key "
                f"'{key}'; keep one"
            )
        namespaced[key] = str(raw_key)
        if isinstance(value, dict) and "secure" in value:
            raise ReviewError(
                f"{stack_file}: config key '{key}' is a secure value; the offline review has no "
                "secrets provider, use a plain value"
            )
        _check_type(stack_file, key, declared.get(key), value, stored=True)
        result[key] = value

    missing = sorted(k for k in required if k not in result)
    if missing:
        raise ReviewError(
            f"{stack_file}: missing required configuration value '{missing[0]}' (declared in "
            f"Pulumi.yaml without a default); add it under 'config:'"
        )
    return {k: _encode(v) for k, v in result.items()}
