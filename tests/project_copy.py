"""A copy of the project for tests that edit a stack file or a pack config: links to the real
program, components, review engine, venvs and pack, with its own stack and pack config files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINKED = ("Pulumi.yaml", "__main__.py", "components", "review", ".venv", "Makefile",
          "pyproject.toml", "requirements.txt", "requirements-dev.txt")  # fmt: skip
PACK_LINKED = ("PulumiPolicy.yaml", "__main__.py", "rules", "venv", "requirements.txt")


def project_copy(
    tmp_path: Path,
    stack: str = "dev",
    *,
    stack_text: str | None = None,
    pack_config: dict | None = None,
    with_pack_config: bool = True,
) -> Path:
    """``tmp_path/project`` with ``Pulumi.<stack>.yaml`` = ``stack_text`` (default: the shipped
    one) and ``policies/config/<stack>.json`` = ``pack_config`` (default: the shipped one;
    none with ``with_pack_config=False``)."""
    project = tmp_path / "project"
    (project / "policies" / "config").mkdir(parents=True)
    for name in LINKED:
        (project / name).symlink_to(ROOT / name)
    for name in PACK_LINKED:
        (project / "policies" / name).symlink_to(ROOT / "policies" / name)
    text = stack_text if stack_text is not None else (ROOT / f"Pulumi.{stack}.yaml").read_text()
    (project / f"Pulumi.{stack}.yaml").write_text(text)
    config = project / "policies" / "config" / f"{stack}.json"
    if pack_config is not None:
        config.write_text(json.dumps(pack_config))
    elif with_pack_config:
        shutil.copy(ROOT / "policies" / "config" / f"{stack}.json", config)
    return project
