"""The policy pack runs from policies/venv, as `pulumi preview --policy-pack policies` runs it
(review/analyzer.py ``pack_python`` cites the CLI source); `make review` uses the same."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from review import PolicyPack
from review.analyzer import pack_python
from review.errors import ReviewError

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"


def test_the_pack_runs_from_its_own_virtualenv() -> None:
    venv_python = PACK / "venv" / "bin" / "python"
    assert pack_python(PACK) == str(venv_python)
    with PolicyPack(PACK) as pack:
        assert pack.python == str(venv_python)
        assert pack.info().name  # it started and answered


def test_the_virtualenv_holds_the_pinned_requirements() -> None:
    pins = dict(
        re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (PACK / "requirements.txt").read_text(), re.M)
    )
    frozen = subprocess.run(
        [str(PACK / "venv" / "bin" / "python"), "-m", "pip", "freeze",
         "--disable-pip-version-check"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    have = {
        n.lower().replace("_", "-"): v for n, v in re.findall(r"^([^=\s]+)==(\S+)$", frozen, re.M)
    }
    for name, version in pins.items():
        assert have.get(name.lower().replace("_", "-")) == version, name


def test_a_missing_virtualenv_stops_with_the_fix(tmp_path: Path) -> None:
    pack = tmp_path / "policies"
    pack.mkdir()
    shutil.copy(PACK / "PulumiPolicy.yaml", pack / "PulumiPolicy.yaml")
    (pack / "__main__.py").write_text("")
    with pytest.raises(ReviewError, match=r"virtualenv is 'venv' but .* has no bin/python; the "
                                          r"Pulumi CLI does not create it on preview\. Fix: run "
                                          r"`make install` \(or `cd policies && pulumi install`\)"):
        PolicyPack(pack)


def test_a_pack_without_the_option_uses_the_ambient_python(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    assert pack_python(tmp_path) == sys.executable
