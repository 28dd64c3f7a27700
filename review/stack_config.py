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
  ``strconv.Atoi``), ``"true"``/``"false"`` are booleans, anything primitive is a string; a list
  is checked item by item against ``items``.
* A stack key with no value (``prefix:``) is the empty string, with the CLI's warning
  (sdk/go/common/workspace/loaders.go ``checkForEmptyConfig``; yaml.v3 decodes a null into a
  ``config.Value`` without calling its unmarshaler, so it is ``""``, not ``"null"``).
* A float, list or map is stored as Go's ``json.Marshal`` writes it (``review.gojson``;
  sdk/go/common/resource/config/object.go ``MarshalString``): ``1e6`` is ``"1000000"``.
* ``environment:`` (Pulumi ESC imports, sdk/go/common/workspace/project.go ``ProjectStack``)
  is refused: its values exist only in the Pulumi Cloud, and a review without them would
  review another configuration.
* ``Pulumi.yaml`` is checked as ``LoadProjectBytes`` checks it (``review.project_schema``:
  ``ValidateProject``, then ``Project.Validate``).
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml  # type: ignore[import-untyped, unused-ignore]

from . import gojson
from .errors import ReviewError
from .project_schema import SIMPLE_TYPES, full_type_name, valid_config_value, validate_project


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
    except yaml.MarkedYAMLError as exc:
        raise ReviewError(_yaml_error(path, exc)) from None
    except yaml.YAMLError as exc:
        raise ReviewError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    except ValueError as exc:  # e.g. an octal-looking 09
        raise ReviewError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ReviewError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _yaml_error(path: Path, exc: yaml.MarkedYAMLError) -> str:
    """One line for a YAML syntax error (PyYAML's own text spans lines and names each mark
    twice): ``<file> line L, column C: <problem> (<context> at line L2); check ...``."""
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    context = ""
    if exc.context and exc.problem:
        at = f" at line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
        context = f" ({' '.join(str(exc.context).split())}{at})"
    if mark is None:
        return f"{path}: {problem}{context}; check the indentation and quoting"
    line = mark.line + 1
    return (
        f"{path} line {line}, column {mark.column + 1}: {problem}{context}; check the "
        f"indentation and quoting near line {line}"
    )


def load_project(project_dir: Path) -> Project:
    """Read ``Pulumi.yaml`` (name, runtime, main, config block)."""
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.exists():
        raise ReviewError(
            f"{path}: file not found; run the review from the Pulumi project directory"
        )
    data = _read_yaml(path)
    problem = validate_project(data)  # as the CLI's LoadProjectBytes checks it
    if problem:
        raise ReviewError(f"{path}: could not validate the project: {problem}")
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


def _encode(value: Any, where: str = "") -> str:
    """A config value as the CLI passes it to the program: a string as is; ``true``/``false``;
    an integer in decimal; a float, list or map as Go's ``json.Marshal`` writes it
    (``review.gojson``: ``object.MarshalString`` in sdk/go/common/resource/config/object.go,
    ``createConfigValue`` in pkg/workspace/config.go)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    try:
        return gojson.marshal(value)
    except gojson.UnsupportedValue as exc:
        raise ReviewError(
            f"{where}: the CLI cannot store this value ({exc}); write a number or a string"
        ) from None


def _check_type(
    path: Path, key: str, declared: Any, items: Any, value: Any, *, stored: bool = False
) -> None:
    """``stored``: a stack value, checked as the CLI checks it (pkg/workspace/config.go
    ``validateStackConfigValue``): a primitive as the string the CLI stores, a list or map as
    the JSON it stores, decoded again."""
    if declared is None:
        return
    if declared not in SIMPLE_TYPES:
        raise ReviewError(f"{path}: config key '{key}' declares unknown type {declared!r}")
    if stored:
        text = _encode(value, f"{path}: config key '{key}'")
        value = json.loads(text) if isinstance(value, (dict, list)) else text
    if not valid_config_value(declared, items, value):
        raise ReviewError(
            f"{path}: config key '{key}' must be of type '{full_type_name(declared, items)}', "
            f"got {type(value).__name__} {value!r}. Fix: {_type_fix(key, declared, value)}"
        )


def _type_fix(key: str, declared: str, value: Any) -> str:
    """How to store a value of the declared type (the fix of a type error), as the CLI takes it:
    a list only through ``--path`` (``pulumi config set key X`` stores the string X)."""
    short = key.split(":", 1)[1] if ":" in key else key
    if declared == "array":
        # the program's own reading of what the user meant (components/config.py, installed as
        # tierednet: the same file, not the program's `components` the next run imports)
        path = importlib.import_module("tierednet.config").set_list_command(short, value)
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


def empty_config_warning(keys: list[str]) -> str:
    """The CLI's warning for stack config keys with no value (sdk/go/common/workspace/
    loaders.go ``checkForEmptyConfig``; the CLI names them in map order, here sorted)."""
    quoted = [f'"{k}"' for k in sorted(keys)]
    plural = "s" if len(quoted) > 1 else ""
    names = quoted[0] if len(quoted) == 1 else (
        " and ".join(quoted) if len(quoted) == 2 else ", ".join(quoted)
    )
    return (
        f"No value for configuration key{plural} {names}. This is currently treated as an "
        f"empty string `\"\"`, but will be treated as `null` in a future version of pulumi.\n"
        f"Set the value{plural} to `\"\"` to avoid this warning."
    )


def load_stack_config(
    project_dir: Path, stack: str, *, warnings: list[str] | None = None
) -> dict[str, str]:
    """The config map (``namespace:key`` -> string) for ``stack``; raises ReviewError. The
    CLI's warnings about the stack file are appended to ``warnings``."""
    project = load_project(project_dir)
    project_file = Path(project_dir) / "Pulumi.yaml"
    stack_file = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise ReviewError(
            f"{stack_file}: stack config file not found; create it (e.g. copy another "
            f"Pulumi.<stack>.yaml) or choose an existing stack"
        )

    declared: dict[str, Any] = {}  # full key -> declared type (or None)
    items: dict[str, Any] = {}  # full key -> declared items (arrays)
    required: set[str] = set()
    result: dict[str, Any] = {}
    for raw_key, spec in project.config.items():
        key = _namespaced(str(raw_key), project.name)
        if isinstance(spec, dict):  # a config type declaration (validate_project checked it)
            if spec.get("secret"):
                raise ReviewError(
                    f"{project_file}: config key '{raw_key}' is declared secret; "
                    "secrets are not supported by the offline review"
                )
            declared[key] = spec.get("type")
            items[key] = spec.get("items")
            if spec.get("default") is not None or spec.get("value") is not None:
                default = spec["default"] if spec.get("default") is not None else spec["value"]
                result[key] = default
            else:
                required.add(key)
        else:
            declared[key] = None
            result[key] = spec

    stack_data = _read_yaml(stack_file)
    if stack_data.get("environment"):
        raise ReviewError(
            f"{stack_file}: key 'environment' imports Pulumi ESC environments "
            f"({_environments(stack_data['environment'])}), whose values only the Pulumi Cloud "
            f"can open; the offline review would run without them. Fix: for the review, copy "
            f"the values the environment gives into this file's 'config:' (plain values, no "
            f"secrets) and remove 'environment:', or review with `pulumi preview`"
        )
    for top in stack_data:  # yaml.v3 matches `config` exactly: a near miss is never read
        if str(top) != "config" and difflib.get_close_matches(
            str(top).lower(), ["config"], n=1, cutoff=0.75
        ):
            raise ReviewError(
                f"{stack_file}: the file has '{top}:'; Pulumi reads 'config:' (the keys under "
                f"'{top}:' are never read). Fix: rename '{top}:' to 'config:'"
            )
    stack_config = stack_data.get("config") or {}
    if not isinstance(stack_config, dict):
        raise ReviewError(f"{stack_file}: key 'config' must be a mapping")
    empty = [str(k) for k, v in stack_config.items() if v is None]
    if empty and warnings is not None:
        warnings.append(f"{stack_file.name}: {empty_config_warning(empty)}")
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
        if value is None:  # checkForEmptyConfig: an empty string, with the warning above
            value = ""
        _check_type(stack_file, key, declared.get(key), items.get(key), value, stored=True)
        result[key] = value

    missing = sorted(k for k in required if k not in result)
    if missing:
        undeclared = [k for k in namespaced if k not in declared]
        near = difflib.get_close_matches(missing[0], undeclared, n=1, cutoff=0.8)
        fix = (
            f"did you mean '{missing[0]}'? the file has '{namespaced[near[0]]}': rename it "
            f"(keys are case-sensitive)"
            if near
            else "add it under 'config:'"
        )
        raise ReviewError(
            f"{stack_file}: missing required configuration value '{missing[0]}' (declared in "
            f"Pulumi.yaml without a default); {fix}"
        )
    return {k: _encode(v, f"{stack_file}: config key '{k}'") for k, v in result.items()}


def _environments(value: Any) -> str:
    names = value if isinstance(value, list) else value.get("imports") if isinstance(
        value, dict) else [value]
    return ", ".join(str(n) for n in names or []) or "an environment definition"
