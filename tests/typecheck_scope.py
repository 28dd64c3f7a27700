"""Which of pulumi-aws's service packages mypy checks (issue 15, item 5).

pulumi-aws ships 240 service packages (271 MB of typed source); cold, mypy spends most of
`make test`'s type check reading them. The program uses a handful. pyproject.toml tells mypy to
skip the others (``follow_imports = "skip"``: a skipped package is ``Any``), and
tests/test_typecheck_scope.py keeps that sound: every package the code uses must be checked,
and the list holds exactly the unused ones. After a pulumi-aws upgrade or a new service in the
code, ``python -m tests.typecheck_scope`` prints the list to paste into pyproject.toml.
"""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sdk_packages() -> set[str]:
    """pulumi-aws's service packages (its subdirectories with an __init__.py)."""
    spec = importlib.util.find_spec("pulumi_aws")
    assert spec and spec.submodule_search_locations
    base = Path(next(iter(spec.submodule_search_locations)))
    return {p.parent.name for p in base.glob("*/__init__.py")}


def checked_sources() -> list[Path]:
    """The files mypy checks (pyproject's ``files``)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    out: list[Path] = []
    for entry in config["files"]:
        path = ROOT / entry
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return [p for p in out if "venv" not in p.parts]


def used_packages(sources: list[Path] | None = None) -> dict[str, set[str]]:
    """Service package -> files using it: ``aws.<pkg>`` (``aws`` any alias of pulumi_aws),
    ``import pulumi_aws.<pkg>``, ``from pulumi_aws import <pkg>``, ``from pulumi_aws.<pkg> ...``."""
    packages = sdk_packages()
    used: dict[str, set[str]] = {}
    for path in sources if sources is not None else checked_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {"pulumi_aws"}
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "pulumi_aws":
                        aliases.add(a.asname or a.name)
                    elif a.name.startswith("pulumi_aws."):
                        names.add(a.name.split(".")[1])
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "pulumi_aws":
                    names |= {a.name for a in node.names}
                elif node.module.startswith("pulumi_aws."):
                    names.add(node.module.split(".")[1])
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases):  # fmt: skip
                names.add(node.attr)
        for name in names & packages:
            used.setdefault(name, set()).add(
                str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
            )
    return used


def skipped_in_pyproject() -> list[str]:
    """The service packages pyproject.toml tells mypy to skip."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    out: list[str] = []
    for override in config.get("overrides", []):
        if override.get("follow_imports") == "skip":
            modules = override["module"]
            out += [modules] if isinstance(modules, str) else modules
    return out


def pyproject_block() -> str:
    unused = sorted(sdk_packages() - set(used_packages()))
    lines = ['[[tool.mypy.overrides]]', "module = ["]
    row: list[str] = []
    for name in unused:
        item = f'"pulumi_aws.{name}.*",'
        if len(" ".join([*row, item])) > 94:
            lines.append("    " + " ".join(row))
            row = []
        row.append(item)
    lines += ["    " + " ".join(row), "]", 'follow_imports = "skip"']
    return "\n".join(lines)


if __name__ == "__main__":
    print(pyproject_block())
