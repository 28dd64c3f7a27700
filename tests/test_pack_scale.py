"""The pack's analysis grows linearly with the stack (issue 17 point 5), counted, not timed.

``make bench`` measures the pack's CPU seconds on 16 and 64 copies of the dev network (the
figures the READMEs quote, docs/bench.json). A test can't time anything on a shared machine, so
this one counts work instead: the Python function calls (profiler events, builtins included) the
pack's own servicer makes for an ``Analyze`` call per resource and one ``AnalyzeStack``, on 8
and 32 copies of dev (review.bench_scale.copies). The count is deterministic for a given input; a
stack x policies or stack x stack loop in Python makes it grow faster than 4x. (Quadratic work
hidden inside one builtin call, e.g. ``x in long_list``, is not counted: the bench's CPU ratio
covers that.)
"""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path
from typing import Any

import pulumi_policy.policy as sdk
import pytest
from pulumi.runtime.proto import analyzer_pb2

from policies.rules import POLICIES, _server, _wire
from review.analyzer import (
    _LEVEL_PB,
    _analyze_request,
    _analyzer_resource,
    _struct,
    load_policy_config_file,
    resolve_policy_config,
)
from review.bench_scale import copies
from review.engine import run_program
from review.plan import ProgramRun, with_default_providers
from review.stack_config import load_project, load_stack_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def servicer() -> Any:
    original = sdk._PolicyAnalyzerServicer
    try:
        assert _server.install(), "the pinned SDK: the pack's own AnalyzeStack"
        cls = sdk._PolicyAnalyzerServicer
    finally:
        sdk._PolicyAnalyzerServicer = original
    srv = cls("t", "0.0.1", POLICIES, sdk.EnforcementLevel.MANDATORY)
    # Configured as the CLI configures it for dev (review.analyzer.PolicyPack.configure).
    config = load_policy_config_file(ROOT / "policies" / "config" / "dev.json")
    req = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, policy in resolve_policy_config(srv.GetAnalyzerInfo(None, None), config).items():
        req.policyConfig[name].enforcementLevel = _LEVEL_PB[policy.level]
        req.policyConfig[name].properties.update(policy.properties)
    srv.Configure(req, None)
    return srv


@pytest.fixture(scope="module", params=["update", "preview"])
def dev(request: pytest.FixtureRequest) -> ProgramRun:
    project = load_project(ROOT)
    return run_program(project.main, config=load_stack_config(ROOT, "dev"), mode=request.param,
                       stack="dev", project=project.name)  # fmt: skip


def _analysis(srv: Any, run: ProgramRun) -> tuple[int, list[Any]]:
    """Function calls of the pack for Analyze per resource + one AnalyzeStack, and the
    AnalyzeStack diagnostics."""
    resources = list(with_default_providers(run))
    by_urn = {r.urn: r for r in resources}
    requests = [_analyze_request(r, _struct(r.inputs), by_urn) for r in resources]
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[_analyzer_resource(r, by_urn) for r in resources]
    )
    profile = cProfile.Profile()
    profile.enable()
    try:
        for req in requests:
            srv.Analyze(req, None)
        response = srv.AnalyzeStack(stack, None)
    finally:
        profile.disable()
    return pstats.Stats(profile).total_calls, list(response.diagnostics)  # type: ignore[attr-defined]


def test_the_work_grows_linearly_with_the_stack(servicer: Any, dev: ProgramRun) -> None:
    _analysis(servicer, copies(dev, 2))  # warm: imports and first-use caches are not the stack's
    small, small_diags = _analysis(servicer, copies(dev, 8))
    large, large_diags = _analysis(servicer, copies(dev, 32))
    ratio = large / small
    assert ratio <= 4.2, f"32/8 copies: {large}/{small} calls = {ratio:.2f}x, more than linear"
    assert ratio >= 3.0, f"{ratio:.2f}x: the copies did not reach the pack"
    assert not [d for d in large_diags if d.enforcementLevel == analyzer_pb2.MANDATORY]
    assert len(large_diags) >= len(small_diags)


def test_one_plain_stack_per_analyze_stack_call(
    servicer: Any, dev: ProgramRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stack policy of one call reads the same plain stack: it is built once per call,
    and a second call builds its own."""
    built: list[int] = []
    init = _wire.Stack.__init__

    def counting(self: Any, resources: Any) -> None:
        built.append(1)
        init(self, resources)

    monkeypatch.setattr(_wire.Stack, "__init__", counting)
    run = copies(dev, 2)
    _analysis(servicer, run)
    assert len(built) == 1
    _analysis(servicer, run)
    assert len(built) == 2


def test_the_benchs_floor_is_a_pack_that_judges_nothing(dev: ProgramRun) -> None:
    """The bench's floor (review/null_pack) runs on the real pack's interpreter, serves the
    calls the bench makes one at a time (review/bench_scale.py ``_drive``), and reports nothing
    on a stack the real pack does report on (dev: its advisory vpc-flow-logs finding)."""
    from review.analyzer import PolicyPack, pack_python
    from review.bench_scale import NULL_PACK, _drive

    pack_dir = ROOT / "policies"
    with PolicyPack(pack_dir) as pack, PolicyPack(NULL_PACK, python=pack_python(pack_dir)) as floor:
        pack.configure(pack_dir / "config" / "dev.json")
        floor.configure(None)
        assert sorted(floor.policies) == ["nothing-per-resource", "nothing-per-stack"]
        assert any(d.policy == "vpc-flow-logs" for d in pack.analyze(dev))
        assert floor.analyze(dev) == []
        resources = list(with_default_providers(dev))
        by_urn = {r.urn: r for r in resources}
        requests = [_analyze_request(r, _struct(r.inputs), by_urn) for r in resources]
        stack = analyzer_pb2.AnalyzeStackRequest(
            resources=[_analyzer_resource(r, by_urn) for r in resources]
        )
        analyze_cpu, stack_cpu = _drive(floor, requests, stack)
        assert analyze_cpu >= 0 and stack_cpu >= 0
        assert floor.proc is not None and floor.proc.poll() is None  # still serving
