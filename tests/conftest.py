"""Shared fixtures: Pulumi mocks in update mode (preview=False), so every apply runs."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from hypothesis import HealthCheck, settings

from review.mocks import AwsMocks

# This box is noisy (2 cores, other work): a property test's examples are judged by what they
# find, never by how fast one ran (hypothesis's 200 ms deadline and its too_slow health check
# failed runs under load).
settings.register_profile(
    "noisy", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("noisy")

_MADE_RUNS_DIR = ""


def pytest_configure(config: pytest.Config) -> None:
    """The session's directory of shared program runs (tests/runs.py). pytest itself (or
    pytest-xdist's controller, before it starts the workers, which inherit the environment)
    makes a new one, whatever the environment holds (a directory from another session may hold
    runs of other code); a worker (``config.workerinput``) uses its controller's."""
    global _MADE_RUNS_DIR
    from tests.runs import DIR_ENV

    if not hasattr(config, "workerinput"):
        _MADE_RUNS_DIR = os.environ[DIR_ENV] = tempfile.mkdtemp(prefix="tierednet-runs-")


def pytest_unconfigure(config: pytest.Config) -> None:
    from tests.runs import DIR_ENV

    if _MADE_RUNS_DIR:
        shutil.rmtree(_MADE_RUNS_DIR, ignore_errors=True)
        os.environ.pop(DIR_ENV, None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every test module, pulumi_aws and the review are imported by now: about half a million
    objects that live as long as the process. Freezing them keeps the cyclic garbage collector
    from walking them again in every full collection while the mocks run programs (about a
    fifth of a program run's CPU time, measured with tests/runs.py's runs)."""
    gc.collect()
    gc.freeze()


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


class RecordingMocks(AwsMocks):
    """AwsMocks that also keeps every resource registered, for assertions."""

    def __init__(self) -> None:
        super().__init__("update")
        self.registered: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        rid, outputs = super().new_resource(args)
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs), outputs))
        return rid, outputs

    def of_type(self, suffix: str) -> list[Registered]:
        """Resources whose type token ends with `suffix`, e.g. ':Subnet'."""
        return [r for r in self.registered if r.type.endswith(suffix)]

    def named(self, name: str) -> Registered:
        found = [r for r in self.registered if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, got {found}"
        return found[0]


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    m = RecordingMocks()
    pulumi.runtime.set_mocks(m, project="tiered-network", stack="test", preview=False)
    yield m


def build(fn: Any) -> Any:
    """Run `fn` as a Pulumi program under the mocks; returns once every RPC has finished.

    `pulumi.runtime.test` waits for all outstanding registrations and applies, so after this
    returns, the fixture's `registered` list is complete and every apply callback has run.
    """
    result: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> None:
        result["value"] = fn()

    program()
    return result["value"]


def resolve(output: Any) -> Any:
    """The value of an Output (or plain value) after `build`; fails if it is unknown."""
    box: dict[str, Any] = {}

    @pulumi.runtime.test
    def wait() -> Any:
        return pulumi.Output.from_input(output).apply(lambda v: box.setdefault("v", v))

    wait()
    assert "v" in box, "the output never resolved (unknown?)"
    return box["v"]


# ---- issue 10 (cost, diagram): one update run of the real program per stack, per session.
class StackRuns:
    """Update runs of the real program with a shipped stack's config, cached per overrides."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}

    def __call__(self, stack: str, **overrides: str) -> Any:
        from pathlib import Path

        from review.engine import run_program
        from review.stack_config import load_project, load_stack_config

        key = (stack, tuple(sorted(overrides.items())))
        if key not in self._runs:
            root = Path(__file__).resolve().parent.parent
            project = load_project(root)
            config = load_stack_config(root, stack)
            config.update({f"{project.name}:{k}": v for k, v in overrides.items()})
            self._runs[key] = run_program(
                project.main, config=config, mode="update", stack=stack, project=project.name
            )
        return self._runs[key]


@pytest.fixture(scope="session")
def stack_runs() -> StackRuns:
    return StackRuns()
