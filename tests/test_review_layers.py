"""review/ dependencies run one way (DEVELOPERS.md: "A module that imports another is not
imported back by it"). Parses every module with `ast` (no import side effects) and asserts each
intra-package import goes to a strictly lower layer:
errors/schema/aws_schema <- plan/mocks/stack_config/sdk_types <- engine/reachability <- analyzer
<- report <- pipeline <- cli <- entry points; the deployed-state model (issue 13) is
deployed_ids/deployed_bridge <- deployed_spec/stack_export <- its Read tables <- deployed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REVIEW = Path(__file__).resolve().parent.parent / "review"

LAYER = {
    "errors": 0,
    "schema": 0,
    "aws_schema": 0,  # pulumi-aws's typed SDK, read with ast (the preview model's source)
    "plan": 1,
    "sdk_types": 1,  # pulumi-aws's output types, nested ones too (aws_schema)
    "deployed_ids": 2,  # AWS-shaped ids from URNs (mocks' account)
    "deployed_bridge": 2,  # how the bridge writes Terraform state (sdk_types)
    "deployed_spec": 3,  # Read tables' machinery: Shape, World, Ctx, @read (deployed_ids, plan)
    "stack_export": 3,  # `pulumi stack export` of a deployed state (deployed_bridge)
    "deployed_vpc": 4,  # Read tables (deployed_spec, deployed_ids)
    "deployed_sg": 4,
    "deployed_ec2": 4,
    "deployed_edge": 4,
    "deployed_services": 4,
    "deployed_apps": 4,
    "deployed_doors": 4,
    "deployed": 5,  # the state AWS stores after up/refresh (the tables, stack_export)
    "index": 2,  # lookups over a recorded run (plan)
    "cost": 3,  # the bill (index, plan)
    "diagram": 3,  # the picture (index, plan)
    "summary": 4,  # Markdown of a review document (no review imports)
    "mocks": 1,
    "stack_config": 1,
    "engine": 2,
    "reachability": 2,  # the pack's network model over a recorded plan
    "analyzer": 3,
    "report": 4,
    "pipeline": 5,
    "cli": 6,
    "__main__": 7,
    "bench": 7,  # an entry point: times the review's parts
    "__init__": 7,
}


def _internal_imports(path: Path) -> set[str]:
    """review/ modules that `path` imports, relative (`from .x`) or absolute (`review.x`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1:  # `from .x import y`, or `from . import x` (module x)
                found.update([mod.split(".")[0]] if mod else [a.name for a in node.names])
            elif mod == "review" or mod.startswith("review."):
                found.add(mod.split(".")[1] if "." in mod else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("review."):
                    found.add(alias.name.split(".")[1])
    return found


MODULES = sorted(p.stem for p in REVIEW.glob("*.py"))


def test_every_module_has_a_layer() -> None:
    assert set(MODULES) == set(LAYER), "give each review/ module a layer in LAYER"


@pytest.mark.parametrize("module", MODULES)
def test_imports_only_lower_layers(module: str) -> None:
    imported = _internal_imports(REVIEW / f"{module}.py")
    upward = {m for m in imported if LAYER.get(m, 99) >= LAYER[module]}
    assert not upward, f"review/{module}.py imports {sorted(upward)} from its own or a higher layer"


def test_detects_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "plan.py"
    bad.write_text("from .pipeline import review\nimport review.cli\nfrom . import report\n")
    assert _internal_imports(bad) == {"pipeline", "cli", "report"}
