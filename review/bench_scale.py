"""The bench's scale figures (``python -m review.bench``): the policy pack's CPU seconds on a
synthetic stack of 16 and 64 copies of the dev network, driven as the engine drives it.

The dev program runs once under the mocks per mode; its resources are copied N times
(``copies``: every logical name, URN, id and ARN renamed per copy, the stack and providers
shared) and one running pack analyses the result: an ``Analyze`` call per resource, then one
``AnalyzeStack``. The calls go one at a time, as the engine makes them: the deployment
executor handles one source event at a time (pulumi/pulumi
pkg/resource/deploy/deployment_executor.go, ``Execute``'s loop -> ``handleSingleEvent``), and
the step generator analyses each registered resource before it goes on
(pkg/resource/deploy/step_generator.go, ``continueStepsFromImport`` -> ``analyzeAll``); the
analyzers run in parallel with each other, but a pack never has two of its calls in flight.
(Pipelined calls cost a Python gRPC server about a third less CPU per call: measuring them would
flatter the pack.) ``AnalyzeStack`` follows the last ``Analyze`` (``AnalyzeResources``).

The pack process's CPU seconds (user + system, /proc) are measured for the ``Analyze`` calls,
for ``AnalyzeStack`` and for both, alternately for both sizes in each round so that load on the
box hits both alike, and their medians over the rounds are reported with the ratio of 64 to 16
copies. The same calls are made to ``review/null_pack``, a pack whose policies do nothing, on
the same interpreter and SDK: its CPU is the floor any Python policy pack pays for being
served (gRPC, the SDK's conversion of each request), and the pack's own work is what it spends
above that floor.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from .analyzer import PolicyPack, _analyze_request, _analyzer_resource, _struct, pack_python
from .engine import run_program
from .plan import STACK_TYPE, ProgramRun, RecordedResource, with_default_providers
from .stack_config import load_project, load_stack_config

GOAL_SCALE_RATIO = 4.5  # 64 copies / 16 copies
GOAL_SCALE_SECONDS = 2.0  # 64 copies, pack CPU seconds
NULL_PACK = Path(__file__).resolve().parent / "null_pack"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): immune to other load on the box."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def copies(run: ProgramRun, n: int) -> ProgramRun:
    """``run`` with its resources copied ``n`` times (copy k renames every logical name
    ``x`` to ``c<k>-x`` in URNs, dependencies and property values); the stack resource and
    providers are kept once."""
    shared = [r for r in run.resources if r.type == STACK_TYPE or r.type.startswith("pulumi:")]
    own = [r for r in run.resources if r not in shared]
    # Ids and ARNs embed custom resources' names; components' names (web, bastion) are also tag
    # values (Role=bastion), which must stay.
    names = sorted({r.name for r in own if r.custom}, key=len, reverse=True)
    pattern = re.compile(r"(?:^|(?<=[:/]))(" + "|".join(map(re.escape, names)) + r")(?=$|[-:/])")
    own_urns = {r.urn for r in own}
    out: list[RecordedResource] = list(shared)
    for k in range(n):
        prefix = f"c{k}-"

        def urn(u: str, prefix: str = prefix) -> str:
            if u not in own_urns:
                return u
            head, name = u.rsplit("::", 1)
            return f"{head}::{prefix}{name}"

        def value(v: Any, prefix: str = prefix) -> Any:
            if isinstance(v, str):
                return pattern.sub(lambda m: prefix + m.group(1), v)
            if isinstance(v, dict):
                return {key: value(x) for key, x in v.items()}
            if isinstance(v, list):
                return [value(x) for x in v]
            return v

        for r in own:
            out.append(replace(
                r,
                urn=urn(r.urn),
                name=prefix + r.name,
                parent=urn(r.parent) if r.parent else "",
                inputs=value(r.inputs),
                outputs=value(r.outputs),
                dependencies=[urn(d) for d in r.dependencies],
                property_dependencies={
                    key: [urn(d) for d in v] for key, v in r.property_dependencies.items()
                },
            ))
    return replace(run, resources=out)


def _drive(pack: PolicyPack, requests: list[Any], stack_request: Any) -> tuple[float, float]:
    """The pack process's CPU seconds for the ``Analyze`` calls, one at a time, and for the
    ``AnalyzeStack`` call after them."""
    stub = pack.wait_ready()
    pid = pack.proc.pid if pack.proc else 0
    c0 = _cpu_seconds(pid)
    for request in requests:
        stub.Analyze(request)
    c1 = _cpu_seconds(pid)
    stub.AnalyzeStack(stack_request)
    return c1 - c0, _cpu_seconds(pid) - c1


def scale(project_dir: Path, runs: int, sizes: tuple[int, int] = (16, 64),
          modes: tuple[str, ...] = ("update", "preview"),
          record: dict[str, Any] | None = None) -> bool:
    """Median pack CPU seconds of ``sizes`` copies of the dev network per mode, the floor of a
    pack with no-op policies for the same calls, and the goals on the pack's figures."""
    project = load_project(project_dir)
    config = load_stack_config(project_dir, "dev")
    record = record if record is not None else {}
    pack_dir = project_dir / "policies"
    ok = True
    lo, hi = sizes
    for mode in modes:
        base = run_program(project.main, config=config, mode=mode, stack="dev",
                           project=project.name)
        with PolicyPack(pack_dir) as pack, \
                PolicyPack(NULL_PACK, python=pack_python(pack_dir)) as floor:
            pack.configure(pack_dir / "config" / "dev.json")
            floor.configure(None)
            cases = {}
            for n in sizes:
                synthetic = copies(base, n)
                mandatory = [d for d in pack.analyze(synthetic) if d.level == "mandatory"]
                if mandatory:  # copies of a compliant stack stay compliant (and a warm-up)
                    print(f"scale {n} copies ({mode}): {len(mandatory)} mandatory violations, "
                          f"e.g. {mandatory[0].message}", file=sys.stderr)
                    return False
                floor.analyze(synthetic)
                resources = list(with_default_providers(synthetic))
                by_urn = {r.urn: r for r in resources}
                requests = [_analyze_request(r, _struct(r.inputs), by_urn) for r in resources]
                stack_request = analyzer_pb2.AnalyzeStackRequest(
                    resources=[_analyzer_resource(r, by_urn) for r in resources]
                )
                cases[n] = (len(synthetic.resources), requests, stack_request)
            # Per round and size: (Analyze calls, AnalyzeStack) CPU of the pack, then the floor.
            cpu: dict[int, list[tuple[float, float]]] = {n: [] for n in sizes}
            base_cpu: dict[int, list[float]] = {n: [] for n in sizes}
            wall: dict[int, list[float]] = {n: [] for n in sizes}
            for _ in range(runs):
                for n in sizes:
                    _, requests, stack_request = cases[n]
                    t = time.perf_counter()
                    cpu[n].append(_drive(pack, requests, stack_request))
                    wall[n].append(time.perf_counter() - t)
                    base_cpu[n].append(sum(_drive(floor, requests, stack_request)))
        med = {n: {"analyze": statistics.median(a for a, _ in cpu[n]),
                   "stack": statistics.median(s for _, s in cpu[n]),
                   "both": statistics.median(a + s for a, s in cpu[n]),
                   "floor": statistics.median(base_cpu[n])} for n in sizes}  # fmt: skip
        for n in sizes:
            m = med[n]
            print(f"scale {mode:<7} {n:>3} copies ({cases[n][0]} resources): median pack CPU "
                  f"{m['both']:.3f} s ({len(cases[n][1])} Analyze calls {m['analyze']:.3f} s, "
                  f"AnalyzeStack {m['stack']:.3f} s); a pack of no-op policies {m['floor']:.3f} "
                  f"s for the same calls; wall {statistics.median(wall[n]):.3f} s ({runs} runs)")
        ratio = med[hi]["both"] / med[lo]["both"]
        seconds = med[hi]["both"]
        within = ratio <= GOAL_SCALE_RATIO and seconds <= GOAL_SCALE_SECONDS
        ok &= within
        print(f"goal {mode} pack CPU (Analyze calls + AnalyzeStack) {hi}/{lo} copies <= "
              f"{GOAL_SCALE_RATIO}x and {hi} copies <= {GOAL_SCALE_SECONDS:.1f} CPU s: "
              f"{ratio:.2f}x, {seconds:.2f} CPU s ({'met' if within else 'MISSED'}); the floor "
              f"(no-op policies, the same calls) {med[hi]['floor']:.2f} CPU s")
        record[mode] = {
            "copies": {
                str(n): {"resources": cases[n][0],
                         "cpuSeconds": round(med[n]["both"], 3),
                         "analyzeCpuSeconds": round(med[n]["analyze"], 3),
                         "analyzeStackCpuSeconds": round(med[n]["stack"], 3),
                         "floorCpuSeconds": round(med[n]["floor"], 3),
                         "wallSeconds": round(statistics.median(wall[n]), 3)}
                for n in sizes
            },
            "calls": "one at a time",
            "runs": runs,
            "ratio": round(ratio, 2),
            "met": within,
        }  # fmt: skip
    return ok
