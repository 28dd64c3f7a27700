"""Stack configuration as the Pulumi CLI hands it to the program (the PULUMI_CONFIG map).

``Pulumi.yaml``'s ``config:`` block declares keys (with ``type``/``default``) or gives plain values;
``Pulumi.<stack>.yaml``'s ``config:`` block overrides them. Keys without a namespace in
``Pulumi.yaml`` belong to the project (``<project>:<key>``); keys in the stack file must be
namespaced, as the CLI requires. Every value reaches the program as a string: scalars as text
(``true``, ``3``), lists and objects JSON-encoded. Secure (encrypted) values are refused: this
project uses none and there is no secrets provider offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReviewError(f"{path}: file not found") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReviewError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
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


def _encode(value: Any) -> str:
    """A config value as the CLI passes it to the program."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def _check_type(path: Path, key: str, declared: Any, value: Any) -> None:
    if declared is None:
        return
    if declared not in _TYPE_CHECKS:
        raise ReviewError(f"{path}: config key '{key}' declares unknown type {declared!r}")
    ok = isinstance(value, _TYPE_CHECKS[declared])
    if declared == "integer" and isinstance(value, bool):
        ok = False
    if not ok:
        raise ReviewError(
            f"{path}: config key '{key}' must be of type '{declared}', got {type(value).__name__}"
        )


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
    for raw_key, value in stack_config.items():
        key = str(raw_key)
        if ":" not in key:
            raise ReviewError(
                f"{stack_file}: config key '{key}' has no namespace; write '{project.name}:{key}'"
            )
        if isinstance(value, dict) and "secure" in value:
            raise ReviewError(
                f"{stack_file}: config key '{key}' is a secure value; the offline review has no "
                "secrets provider, use a plain value"
            )
        _check_type(stack_file, key, declared.get(key), value)
        result[key] = value

    missing = sorted(k for k in required if k not in result)
    if missing:
        raise ReviewError(
            f"{stack_file}: missing required configuration value '{missing[0]}' (declared in "
            f"Pulumi.yaml without a default); add it under 'config:'"
        )
    return {k: _encode(v) for k, v in result.items()}
