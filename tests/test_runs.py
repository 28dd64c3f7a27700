"""tests/runs.py: each policy case's run is made once per session and shared by the workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import runs
from tests.test_policies import CASES, PROGRAM_CONFIG, Case, Opts, World


def test_a_run_is_made_once_and_read_back_by_another_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES if c.id.startswith("compliant"))
    monkeypatch.setenv(runs.DIR_ENV, str(tmp_path))
    monkeypatch.setattr(runs, "_RUNS", {})
    first = runs.case_run(case, "deployed", PROGRAM_CONFIG, shape="fresh")
    stored = sorted(p.name.rsplit(".", 1)[1] for p in tmp_path.iterdir())
    assert stored == ["lock", "lock", "pickle", "pickle"]  # the deployed run and its update

    def no_run(*_a: object, **_k: object) -> None:
        raise AssertionError("the program ran again")

    monkeypatch.setattr(runs, "run_program", no_run)
    monkeypatch.setattr(runs, "_RUNS", {})  # another process: only the directory is shared
    again = runs.case_run(case, "deployed", PROGRAM_CONFIG, shape="fresh")
    assert again == first and again is not first
    with pytest.raises(AssertionError, match="ran again"):
        runs.case_run(case, "preview", PROGRAM_CONFIG)


def test_a_program_is_known_by_what_it_is_made_of(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cases with one program share its run, whatever their ids and pack configs; another
    tweak (two lambdas on one line included), another value closed over, options that differ
    or another case class make another program; a tweak that closes over an object with no
    stable name is run every time."""
    monkeypatch.setenv(runs.DIR_ENV, str(tmp_path))
    monkeypatch.setattr(runs, "_RUNS", {})
    made: list[str] = []
    real = runs.run_program

    def counting(*a: Any, **k: Any) -> Any:
        made.append(k["mode"])
        return real(*a, **k)

    monkeypatch.setattr(runs, "run_program", counting)

    def tweak_with(port: int) -> Callable[[World], None]:
        def tweak(w: World) -> None:
            assert port  # only the value closed over differs
        return tweak

    a = Case("a", set(), Opts(), tweak_with(22), config="dev")
    b = Case("b", {("x", None)}, Opts(), tweak_with(22), config={"all": "advisory"})
    c = Case("a", set(), Opts(), tweak_with(2222))
    d = Case("a", set(), Opts(flow_log=False), tweak_with(22))
    for case in (a, b):
        runs.case_run(case, "update", PROGRAM_CONFIG)
    assert made == ["update"]
    class Other(Case):
        def program(self) -> Callable[[], None]:
            return Case.program(self)

    f = Other("a", set(), Opts(), tweak_with(22))
    assert runs.fingerprint((Other, Other.program)) is not None
    g, h = Case("g", set(), Opts(), lambda w: None), Case("h", set(), Opts(), lambda w: w.o)
    for case in (c, d, f, g, h):
        runs.case_run(case, "update", PROGRAM_CONFIG)
    assert made == ["update"] * 6
    runs.case_run(f, "update", PROGRAM_CONFIG)
    assert made == ["update"] * 6
    opaque = object()
    e = Case("e", set(), Opts(), lambda w, o=opaque: None)
    assert runs.fingerprint(e.tweak) is None
    runs.case_run(e, "update", PROGRAM_CONFIG)
    runs.case_run(e, "update", PROGRAM_CONFIG)
    assert made == ["update"] * 8


def test_a_shape_goes_with_deployed_only() -> None:
    with pytest.raises(ValueError, match="a shape goes with mode 'deployed'"):
        runs.case_run(CASES[0], "update", PROGRAM_CONFIG, shape="fresh")
    with pytest.raises(ValueError, match="a shape goes with mode 'deployed'"):
        runs.case_run(CASES[0], "deployed", PROGRAM_CONFIG)


def test_each_session_makes_its_own_directory_and_a_worker_uses_its_controllers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory in the environment from another session (it may hold runs of other code) is
    not used by a new session; an xdist worker (``config.workerinput``) uses its controller's,
    and the session that made one removes it."""
    import os
    from types import SimpleNamespace

    from tests import conftest

    stale = tmp_path / "stale"
    stale.mkdir()
    monkeypatch.setenv(runs.DIR_ENV, str(stale))
    monkeypatch.setattr(conftest, "_MADE_RUNS_DIR", "")
    conftest.pytest_configure(SimpleNamespace(workerinput={}))  # type: ignore[arg-type]
    assert os.environ[runs.DIR_ENV] == str(stale) and not conftest._MADE_RUNS_DIR
    conftest.pytest_configure(SimpleNamespace())  # type: ignore[arg-type]
    made = Path(os.environ[runs.DIR_ENV])
    assert made != stale and made.is_dir()
    conftest.pytest_unconfigure(SimpleNamespace())  # type: ignore[arg-type]
    assert not made.exists() and stale.is_dir() and runs.DIR_ENV not in os.environ


def test_the_fingerprint_tells_apart_what_differs() -> None:
    def empty_cell() -> Callable[[], int]:
        def f() -> int:
            return x  # bound below, never assigned

        if False:
            x = 1
        return f

    assert runs.fingerprint({"a": 1}) != runs.fingerprint([["a", 1]])
    assert runs.fingerprint(empty_cell()) is None
    assert runs.fingerprint(Case) == runs.fingerprint(Case) != runs.fingerprint(Opts)
