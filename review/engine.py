"""Run the Pulumi program offline, under AwsMocks, and record what it registers.

``run_program`` does what the Python language host does for ``pulumi preview`` / ``pulumi up``
(configure the runtime, ``runpy`` the program inside ``run_in_stack``, wait for every RPC), but
the resource monitor is a recording ``MockMonitor`` and the provider is ``AwsMocks``. Each run
happens in a fresh ``contextvars`` context with its own event loop, so runs are independent and
leave the caller's Pulumi runtime state (settings, root stack, config) untouched.

Modes (``RunMode``): ``update`` and ``preview`` run the program as ``pulumi up`` and
``pulumi preview`` of a new stack; ``baseline`` previews it against the state of a
``pulumi stack export`` (``review.baseline``, steps by ``review.steps``, answered by
``review.monitor.BaselineMonitor``); ``deployed`` runs it in update mode, turns that run into the
state AWS would store (``review.deployed.export_deployment``, shape ``fresh`` or ``refreshed``)
and previews the program against it: a change that changes nothing, so every step is ``same``.

Dependencies run one way (tests/test_review_layers.py): ``plan`` (data) <- ``monitor`` <-
``engine`` (run the program) <- ``report`` (format) <- ``pipeline`` (``review()``) <- ``cli``.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from . import steps
from .baseline import Baseline, parse_baseline
from .deployed_spec import Shape
from .errors import ProgramError, ReviewError
from .mocks import AwsMocks
from .monitor import BaselineMonitor, RecordingEngine, RecordingMonitor
from .plan import STACK_TYPE, LogEntry, ProgramRun, RunMode

SECRET_SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig


# ----------------------------------------------------------------- running
def _strip_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return "[secret]"
        return {k: _strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secrets(v) for v in value]
    return value


def _program_frame(exc: BaseException, program_dir: Path | None) -> str:
    """' (at file:line)' for the innermost traceback frame inside the program directory."""
    if program_dir is None:
        return ""
    where = ""
    root = str(program_dir.resolve())
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(root) and "/.venv/" not in frame.filename:
            where = f" (at {os.path.relpath(frame.filename, root)}:{frame.lineno})"
    return where


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


def run_program(
    program: Path | Callable[[], None],
    *,
    config: Mapping[str, str],
    mode: RunMode | str,
    stack: str = "dev",
    project: str = "tiered-network",
    baseline: Baseline | None = None,
    shape: Shape | str = Shape.REFRESHED,
) -> ProgramRun:
    """Run ``program`` (a project directory, a ``__main__.py``-style file, or a callable) in
    ``mode`` (a ``RunMode`` or its value) and return what it registered. Program failures
    raise ProgramError.

    ``baseline`` (mode ``baseline`` only): the old state, from ``review.baseline``.
    ``shape`` (mode ``deployed`` only): the state AWS stores right after ``pulumi up``
    (``"fresh"``) or after ``pulumi refresh`` (``"refreshed"``, the default)."""
    mode = RunMode.parse(mode)
    if mode is RunMode.BASELINE and baseline is None:
        raise ValueError("mode 'baseline' needs the old state: pass baseline=")
    if baseline is not None and mode not in (RunMode.BASELINE, RunMode.DEPLOYED):
        raise ValueError(f"a baseline goes with mode 'baseline' or 'deployed', not {mode.value!r}")
    config = dict(config)
    if mode is RunMode.DEPLOYED:
        shape = Shape.parse(shape)
        if baseline is None:
            update = _run(program, config, RunMode.UPDATE, stack, project, None)
            baseline = deployed_baseline(update, shape)
        run = _run(program, config, mode, stack, project, baseline)
        run.shape = shape.value
        return run
    return _run(program, config, mode, stack, project, baseline)


def deployed_baseline(update: ProgramRun, shape: Shape | str) -> Baseline:
    """The old state of a deployed-mode run: ``update`` as AWS stores it in ``shape``
    (``review.deployed.export_deployment``), read back as any export is read."""
    from .deployed import export_deployment  # the state AWS stores (issue 13, review.deployed)
    if update.mode != RunMode.UPDATE:
        raise ValueError("the deployed state is made from an update run")
    shape = Shape.parse(shape)
    document = export_deployment(update, shape=shape)
    return parse_baseline(
        document,
        source=f"<the {shape.value} state of the update run>",
        stack=update.stack,
        project=update.project,
    )


def _run(
    program: Path | Callable[[], None],
    config: dict[str, str],
    mode: RunMode,
    stack: str,
    project: str,
    baseline: Baseline | None,
) -> ProgramRun:
    ctx = contextvars.copy_context()

    def body() -> ProgramRun:
        return ctx.run(_run_in_fresh_context, program, config, mode, stack, project, baseline)

    run = _on_own_thread(body) if callable(program) else body()
    if baseline is not None and mode is RunMode.BASELINE:
        run.baseline = baseline.source
    return run


def _on_own_thread(fn: Callable[[], ProgramRun]) -> ProgramRun:
    """``fn()`` on a thread of its own, at the top of a fresh stack: for a program given as a
    callable (the tests' programs). The SDK walks the whole stack for every resource it
    registers (``pulumi.runtime.resource._get_stack_trace``: ``traceback.extract_stack``), and
    from deep inside pytest that walk was about a sixth of a program run. A project directory
    or file (``python -m review``) runs on the caller's thread, as the language host runs it
    on its main thread (pulumi/pulumi sdk/python/cmd/pulumi-language-python-exec), so signals,
    ``signal.signal`` and Ctrl-C behave as under ``pulumi up``. An exception ``fn`` raises is
    raised here; a KeyboardInterrupt during the join leaves the (daemon) thread running.
    """
    result: list[ProgramRun] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed to the caller below
            error.append(exc)

    thread = threading.Thread(target=target, name="review-program", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def _run_in_fresh_context(
    program: Path | Callable[[], None],
    config: dict[str, str],
    mode: RunMode,
    stack: str,
    project: str,
    baseline: Baseline | None,
) -> ProgramRun:
    preview = mode.dry_run
    region = config.get("aws:region")
    mocks = AwsMocks("preview" if preview else "update", region=region)
    monitor = (
        BaselineMonitor(mocks, baseline) if baseline is not None else RecordingMonitor(mocks)
    )
    engine = RecordingEngine()

    program_dir: Path | None = None
    main_path: Path | None = None
    if not callable(program):
        main_path = Path(program).resolve()
        if not main_path.exists():
            raise ReviewError(f"{main_path}: program not found")
        program_dir = main_path if main_path.is_dir() else main_path.parent
        if main_path.is_dir() and not (main_path / "__main__.py").exists():
            raise ReviewError(f"{main_path}: no __main__.py to run")

    pulumi_settings.ROOT.set(None)
    settings = pulumi_settings.Settings(
        project=project,
        stack=stack,
        monitor=monitor,
        engine=engine,
        dry_run=preview,
        organization="organization",
        root_directory=str(program_dir) if program_dir else None,
    )
    pulumi_settings.configure(settings)
    set_all_config(config, [])

    def body() -> None:
        if callable(program):
            program()
            return
        assert main_path is not None and program_dir is not None
        runpy.run_path(str(main_path), run_name="__main__")

    before_modules = set(sys.modules)
    old_cwd = os.getcwd()
    old_path = list(sys.path)
    old_argv = list(sys.argv)
    try:
        old_loop: asyncio.AbstractEventLoop | None = (
            asyncio.get_event_loop_policy().get_event_loop()
        )
    except RuntimeError:
        old_loop = None
    loop = asyncio.new_event_loop()
    # One worker: the SDK hands each RPC to the loop's default executor; with a single thread
    # they reach the monitor one at a time. Their order still follows when each resource's
    # inputs resolve, which the thread's timing decides: two runs may register in another order
    # and get other addresses from the mocks (tests/test_review_mocks.py), never other resources.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-rpc"))
    asyncio.set_event_loop(loop)
    try:
        if program_dir is not None:
            os.chdir(program_dir)
            sys.path.insert(0, str(program_dir))
            sys.argv = [str(main_path)]
        try:
            loop.run_until_complete(run_in_stack(body))
        except ReviewError:
            raise
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise ProgramError(f"program exited with status {exc.code}", original=exc) from exc
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            where = _program_frame(exc, program_dir)
            raise ProgramError(f"{_describe(exc)}{where}", original=exc) from exc
    finally:
        _shutdown_loop(loop)
        asyncio.set_event_loop(old_loop)
        os.chdir(old_cwd)
        sys.path[:] = old_path
        sys.argv = old_argv
        if program_dir is not None:
            _forget_program_modules(before_modules, program_dir)

    resources = monitor.recorded()
    stack_outputs: dict = {}
    for r in resources:
        if r.type == STACK_TYPE:
            stack_outputs = _strip_secrets(r.outputs)
    run = ProgramRun(
        mode=mode.value,
        stack=stack,
        project=project,
        resources=resources,
        outputs=stack_outputs,
        logs=list(engine.entries),
        config=dict(config),
    )
    if isinstance(monitor, BaselineMonitor):
        assert baseline is not None
        run.steps = steps.all_steps(run, baseline, monitor.steps, monitor.aliased.values())
        errors = steps.protected_errors(
            baseline, run.steps, {r.urn: r.protect for r in resources}
        )
        if errors:
            raise ReviewError(f"{baseline.source}: the preview would fail: {errors[0]}")
        if monitor.apply_errors:
            raise ReviewError(f"{baseline.source}: {monitor.apply_errors[0]}")
        run.logs.extend(LogEntry("info", w) for w in monitor.ignore_warnings)
    return run


def _shutdown_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def _forget_program_modules(before: set[str], program_dir: Path) -> None:
    """Drop modules the program imported from its own directory, so the next run (possibly of
    another program with same-named modules) imports them afresh. Modules that were already
    loaded before the run (e.g. this package) are kept."""
    root = str(program_dir.resolve()) + os.sep
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None) or ""
        if file.startswith(root) and os.sep + ".venv" + os.sep not in file:
            del sys.modules[name]
