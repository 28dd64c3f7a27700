"""review/ dependencies run one way (DEVELOPERS.md: "A module that imports another is not
imported back by it"). Parses every module with `ast` (no import side effects) and asserts each
intra-package import goes to a strictly lower layer:
errors/schema/aws_schema/tfschema <- plan/mocks/stack_config/sdk_types <- baseline/reachability
<- steps/analyzer <- monitor <- engine <- report <- pipeline <- cli <- entry points; the
deployed-state model (issue 13) is deployed_ids/deployed_bridge <- deployed_spec/stack_export <-
its Read tables <- deployed, which the engine imports (mode "deployed").
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
    "tfschema": 0,  # Terraform's schema facts per type (tfschema.json): ForceNew, sets, ...
    "gojson": 0,  # Go's json.Marshal, for config values
    "project_schema": 0,  # Pulumi.yaml checked as the CLI's LoadProjectBytes checks it
    "plan": 1,
    "mocks": 1,
    "stack_config": 1,
    "sdk_types": 1,  # pulumi-aws's output types, nested ones too (aws_schema)
    "index": 2,  # lookups over a recorded run (plan)
    "baseline": 2,  # a `pulumi stack export`, read and checked (plan)
    "reachability": 2,  # the pack's network model over a recorded plan
    "deployed_ids": 2,  # AWS-shaped ids from URNs (mocks' account)
    "deployed_bridge": 2,  # how the bridge writes Terraform state (sdk_types)
    "steps": 3,  # the engine's steps against old state (baseline, tfschema)
    "cost": 3,  # the bill (index, plan)
    "diagram": 3,  # the picture (index, plan)
    "analyzer": 3,
    "deployed_spec": 3,  # Read tables' machinery: Shape, World, Ctx, @read (deployed_ids, plan)
    "stack_export": 3,  # `pulumi stack export` of a deployed state (deployed_bridge)
    "monitor": 4,  # the resource monitor: records, and answers a preview against old state
    "summary": 4,  # Markdown of a review document (no review imports)
    "deployed_vpc": 4,  # Read tables (deployed_spec, deployed_ids)
    "deployed_sg": 4,
    "deployed_ec2": 4,
    "deployed_edge": 4,
    "deployed_services": 4,
    "deployed_apps": 4,
    "deployed_doors": 4,
    "deployed": 5,  # the state AWS stores after up/refresh (the tables, stack_export)
    "engine": 6,  # runs the program (monitor, deployed)
    "report": 7,
    "pipeline": 8,
    "cli": 9,
    "__main__": 10,
    "bench_scale": 9,  # the pack's scale figures (analyzer, engine, plan, stack_config)
    "bench": 10,  # an entry point: times the review's parts
    "__init__": 10,
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
