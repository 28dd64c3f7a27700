"""One program run per policy case, mode and config in each test session (issue 15 point 5).

The policy cases (tests/test_policies*.py) are judged by several test files: in update and
preview mode, in deployed mode (which needs the update run first), by the type classes and by
the deployed-state tables. Each of those used to run the case's program again under the mocks,
and a program run is most of a case's cost. A run is a function of the case's program, the mode,
the shape and the config: two runs differ only in the addresses the mocks hand out in the order
the SDK's RPCs arrive and in the order of each resource's dependencies (a set in the SDK)
(tests/test_review_mocks.py::test_a_case_runs_the_same_every_time), and each test judged one
such sample already. So each test session makes it once: the first
process to need it (a pytest-xdist worker, or pytest itself) runs it and stores it, pickled,
in the session's directory (``TIERED_RUNS_DIR``, made by tests/conftest.py and removed when
the session ends, unless it is killed); the others wait on its lock and read it. Every caller
gets its own copy, and cannot change what the next one sees.

A case's program is known by what it is made of, not by the case's id (several tests build
their own case under an id a table also uses): the case's class and its ``program`` method, its
options and its tweak, a function by its code's place in the source and the values it closes
over (``fingerprint``). A program with a part that has no such name (an object of another
type, an empty closure cell) is run every time.

Only runs of the case's own program go through here: a test that patches the engine or the mocks
calls ``review.run_program`` itself.
"""

from __future__ import annotations

import dataclasses
import enum
import fcntl
import functools
import hashlib
import os
import pickle
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from review import ProgramRun, run_program
from review.engine import deployed_baseline

DIR_ENV = "TIERED_RUNS_DIR"
_RUNS: dict[str, bytes] = {}  # this process's runs, pickled


def case_run(case: Any, mode: str, config: Mapping[str, str], *,
             shape: str | None = None) -> ProgramRun:
    """``case.program()`` run in ``mode`` (``update``, ``preview`` or ``deployed``, which takes
    the update run as the state AWS stores in ``shape``), made once per session and copied."""
    if (mode == "deployed") != (shape is not None):
        raise ValueError(f"a shape goes with mode 'deployed' (mode={mode!r}, shape={shape!r})")
    kind = type(case)
    program = fingerprint((kind.__module__, kind.__qualname__, kind.program, case.opts,
                           case.tweak))
    if program is None:
        return pickle.loads(_run(case, mode, config, shape))
    key = hashlib.sha256(repr((program, mode, shape, sorted(config.items()))).encode()).hexdigest()
    data = _RUNS.get(key)
    if data is None:
        data = _RUNS[key] = _shared(key, lambda: _run(case, mode, config, shape))
    run = pickle.loads(data)
    assert isinstance(run, ProgramRun)
    return run


def fingerprint(value: Any) -> str | None:
    """``value`` named the same in every process that imports the same test modules, or None
    when a part of it has no such name. A class or module is named by its qualified name; a
    function by its code (bytecode, constants, names), its defaults, the values it closes over
    and the data globals it reads (functions, classes and modules it names are named, not
    followed: a test that patches a helper a tweak calls must run the program itself)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes, enum.Enum)):
        return repr(value)
    if isinstance(value, type):
        return f"<class {value.__module__}.{value.__qualname__}>"
    if isinstance(value, types.ModuleType):
        return f"<module {value.__name__}>"
    if isinstance(value, (tuple, list)):
        parts = [fingerprint(v) for v in value]
        return None if None in parts else f"{type(value).__name__}({', '.join(map(str, parts))})"
    if isinstance(value, (set, frozenset)):
        parts = [fingerprint(v) for v in value]
        return None if None in parts else f"set({', '.join(sorted(map(str, parts)))})"
    if type(value) is dict:
        items = fingerprint(sorted(([k, v] for k, v in value.items()), key=repr))
        return None if items is None else f"dict{items}"
    if dataclasses.is_dataclass(value):
        fields = fingerprint([[f.name, getattr(value, f.name)] for f in dataclasses.fields(value)])
        return None if fields is None else f"{type(value).__qualname__}{fields}"
    if isinstance(value, functools.partial):
        return fingerprint(["partial", value.func, value.args, value.keywords])
    if isinstance(value, types.CodeType):
        return fingerprint(["code", value.co_code, value.co_consts, value.co_names])
    if isinstance(value, types.FunctionType):
        try:
            cells = [c.cell_contents for c in value.__closure__ or ()]
        except ValueError:  # an empty cell
            return None
        code = value.__code__
        data = [[n, value.__globals__[n]] for n in code.co_names if n in value.__globals__
                and not callable(value.__globals__[n])
                and not isinstance(value.__globals__[n], types.ModuleType)]
        inner = fingerprint([code, value.__defaults__, value.__kwdefaults__, cells, data])
        where = f"{code.co_filename}:{code.co_firstlineno}:{value.__qualname__}"
        return None if inner is None else f"<{where} {inner}>"
    return None


def _run(case: Any, mode: str, config: Mapping[str, str], shape: str | None) -> bytes:
    if shape is None:
        run = run_program(case.program(), config=config, mode=mode)
    else:
        update = case_run(case, "update", config)
        run = run_program(case.program(), config=config, mode=mode, shape=shape,
                          baseline=deployed_baseline(update, shape))
    return pickle.dumps(run)


def _shared(key: str, make: Any) -> bytes:
    """The session's stored run under ``key``, made by ``make`` if no process has yet."""
    directory = os.environ.get(DIR_ENV)
    if not directory:
        return bytes(make())
    path = Path(directory) / f"{key}.pickle"
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if path.exists():
            return path.read_bytes()
        data = bytes(make())
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return data
