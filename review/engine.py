"""Run the Pulumi program offline, under AwsMocks, and record what it registers.

``run_program`` does what the Python language host does for ``pulumi preview`` / ``pulumi up``
(configure the runtime, ``runpy`` the program inside ``run_in_stack``, wait for every RPC), but
the resource monitor is a recording ``MockMonitor`` and the provider is ``AwsMocks``. Each run
happens in a fresh ``contextvars`` context with its own event loop, so runs are independent and
leave the caller's Pulumi runtime state (settings, root stack, config) untouched.

Dependencies run one way: ``plan`` (data) <- ``engine`` (run the program) <- ``analyzer`` (drive
the pack) <- ``report`` (format) <- ``pipeline`` (``review()``) <- ``cli``.
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
from typing import Any, ClassVar

from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import engine_pb2
from pulumi.runtime.stack import run_in_stack

from .errors import ProgramError, ReviewError
from .mocks import MODES, AwsMocks
from .plan import STACK_TYPE, LogEntry, ProgramRun, RecordedResource

SECRET_SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig


# ----------------------------------------------------------------- monitor
class _Pending:
    """Mutable registration record, frozen into a RecordedResource at the end of the run."""

    def __init__(self, urn: str, request: Any) -> None:
        self.urn = urn
        self.request = request
        self.outputs: dict = {}


class RecordingMonitor(MockMonitor):
    """A MockMonitor that records every RegisterResourceRequest and registered outputs."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.aws = mocks
        self._lock = threading.Lock()
        self._order: list[_Pending] = []
        self._by_urn: dict[str, _Pending] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        pending = _Pending(response.urn, request)
        if request.type != STACK_TYPE:
            pending.outputs = json_format.MessageToDict(response.object)
        with self._lock:
            self._order.append(pending)
            self._by_urn[response.urn] = pending
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = json_format.MessageToDict(request.outputs)
        with self._lock:
            pending = self._by_urn.get(request.urn)
            if pending is not None and not pending.request.custom:
                pending.outputs = outputs
        return super().RegisterResourceOutputs(request)

    def recorded(self) -> list[RecordedResource]:
        with self._lock:
            order = list(self._order)
        result = []
        for p in order:
            req = p.request
            result.append(
                RecordedResource(
                    urn=p.urn,
                    type=req.type,
                    name=req.name,
                    custom=bool(req.custom),
                    parent=req.parent,
                    provider=req.provider,
                    # the checked inputs, as the engine sends them to Analyze
                    # (pkg/resource/deploy/step_generator.go: Check, then Analyze)
                    inputs={
                        **json_format.MessageToDict(req.object),
                        **(self.aws.checked.get((req.type, req.name), {}) if req.custom else {}),
                    },
                    outputs=p.outputs,
                    dependencies=list(req.dependencies),
                    property_dependencies={
                        k: list(v.urns) for k, v in req.propertyDependencies.items()
                    },
                    protect=bool(req.protect),
                    ignore_changes=list(req.ignoreChanges),
                    additional_secret_outputs=list(req.additionalSecretOutputs),
                    delete_before_replace=(
                        bool(req.deleteBeforeReplace) if req.deleteBeforeReplaceDefined else None
                    ),
                    aliases=[json_format.MessageToDict(a) for a in req.aliases],
                )
            )
        return result


class RecordingEngine:
    """Stands in for the engine's Log RPC: keeps the program's log messages."""

    _LEVELS: ClassVar[dict[int, str]] = {
        engine_pb2.DEBUG: "debug",
        engine_pb2.INFO: "info",
        engine_pb2.WARNING: "warning",
        engine_pb2.ERROR: "error",
    }

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []

    def Log(self, request: Any) -> None:
        self.entries.append(
            LogEntry(self._LEVELS.get(request.severity, "info"), request.message, request.urn)
        )


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
    mode: str,
    stack: str = "dev",
    project: str = "tiered-network",
) -> ProgramRun:
    """Run ``program`` (a project directory, a ``__main__.py``-style file, or a callable) under
    ``AwsMocks(mode)`` and return what it registered. Program failures raise ProgramError."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    config = dict(config)
    ctx = contextvars.copy_context()
    return ctx.run(_run_in_fresh_context, program, config, mode, stack, project)


def _run_in_fresh_context(
    program: Path | Callable[[], None],
    config: dict[str, str],
    mode: str,
    stack: str,
    project: str,
) -> ProgramRun:
    preview = mode == "preview"
    region = config.get("aws:region")
    mocks = AwsMocks("preview" if preview else "update", region=region)
    monitor = RecordingMonitor(mocks)
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
    # they reach the monitor in the order the (deterministic) event loop submits them, so the
    # recorded registration order and the mocks' address allocation are reproducible.
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
    return ProgramRun(
        mode=mode,
        stack=stack,
        project=project,
        resources=resources,
        outputs=stack_outputs,
        logs=list(engine.entries),
        config=dict(config),
    )


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
