"""A user's install: a fresh venv, ``pip install`` of a clean clone, the example and the plugin.

One install, as a user makes it: ``git clone`` of this commit into a temporary directory, a new
venv (no site packages), and ``pip install git+file://<clone>@<commit>`` --
pip clones that again and builds the wheel from the commit (``pip install git+<repo>``), so a
file the build needs but git does not track, or a dependency the metadata does not declare,
fails here. pip's index and wheel cache are the machine's as configured (``pip config list``):
nothing from the dev venv is visible to the new one. ``--no-compile`` skips byte-compiling
pulumi-aws's thousands of modules at install time (they compile as they are imported); it hides
no install step.

Then, with the new venv's python only:
- ``tierednet`` imports from the venv's site-packages (not from the clone);
- examples/python-vpc-bastion runs under the mocks (the review engine from the clone, which
  puts no ``tierednet`` on the path) and registers what tests/test_examples.py requires;
- the clone's plugin directory starts as the engine starts it and serves both components.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import venv
from pathlib import Path
from types import SimpleNamespace

from tests.plugin_host import running_plugin
from tests.test_examples import CONFIG, check_python_example

ROOT = Path(__file__).resolve().parent.parent

RUN_EXAMPLE = """
import dataclasses, json, sys
from pathlib import Path
import tierednet
from review.engine import run_program
run = run_program(Path("examples/python-vpc-bastion"), config=json.loads(sys.argv[1]),
                  mode="update", stack="dev", project="vpc-bastion")
json.dump({"tierednet": tierednet.__file__, "version": tierednet.__version__,
           "resources": [dataclasses.asdict(r) for r in run.resources],
           "outputs": run.outputs}, sys.stdout, default=str)
"""


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{cmd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_a_fresh_venv_installs_a_clean_clone_and_runs_the_example_and_the_plugin(
    tmp_path: Path,
) -> None:
    start = resource.getrusage(resource.RUSAGE_CHILDREN)
    commit = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).stdout.strip()
    clone = tmp_path / "clone"
    _run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)])
    _run(["git", "-C", str(clone), "checkout", "--quiet", commit])

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", f"git+file://{clone}@{commit}"],
        env=env, timeout=1500,
    )  # fmt: skip

    proc = _run(
        [str(python), "-c", RUN_EXAMPLE, json.dumps(CONFIG)], cwd=clone, env=env, timeout=600
    )
    got = json.loads(proc.stdout)
    site = Path(got["tierednet"]).resolve()
    assert env_dir.resolve() in site.parents and "site-packages" in site.parts
    assert not site.is_relative_to(clone.resolve())
    run = SimpleNamespace(
        resources=[SimpleNamespace(**r) for r in got["resources"]], outputs=got["outputs"]
    )
    check_python_example(run)  # type: ignore[arg-type]

    with running_plugin(python, clone / "plugin", cwd=tmp_path, env=env) as plugin:
        schema = plugin.schema()
    assert schema["version"] == got["version"]
    assert set(schema["resources"]) == {"tierednet:index:TieredNetwork", "tierednet:index:Bastion"}

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (used.ru_utime - start.ru_utime) + (used.ru_stime - start.ru_stime)
    print(f"fresh install + example + plugin: {cpu:.1f} CPU seconds (children)", file=sys.stderr)
