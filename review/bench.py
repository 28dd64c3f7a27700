"""``python -m review.bench``: wall time of ``python -m review`` per stack, the policy pack's
analysis time on a synthetic stack of many copies of the dev network, and the test suite.

Each review is a fresh interpreter (as ``make review`` runs it), both modes, timed end to end;
exit codes 0 and 1 are results, 2 is an error and aborts the bench.

Scale: the dev program runs once under the mocks per mode; its resources are copied N times
(every logical name, URN, id and ARN renamed per copy, the stack and providers shared) and one
running pack analyses the result as the engine would (``Analyze`` per resource, then
``AnalyzeStack``). The median over ``--runs`` of 16 and 64 copies is printed with their ratio:
the analysis must grow linearly (goal: 64 copies within 4.5x of 16 copies and within 2 s).
The goal is judged on the pack process's CPU time for ``AnalyzeStack`` (from /proc: the box is
shared and noisy); wall times are printed beside it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from .analyzer import PolicyPack, _analyze_request, _analyzer_resource, _struct
from .engine import run_program
from .plan import STACK_TYPE, ProgramRun, RecordedResource, with_default_providers
from .stack_config import load_project, load_stack_config

GOAL_DEV_SECONDS = 3.0
GOAL_DEPLOYED_SECONDS = 5.0  # --mode deployed: one update run, two exports, two previews
GOAL_PROD_RATIO = 1.5
GOAL_SCALE_RATIO = 4.5  # 64 copies / 16 copies
GOAL_SCALE_SECONDS = 2.0  # 64 copies


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


def scale(project_dir: Path, runs: int, sizes: tuple[int, int] = (16, 64),
          modes: tuple[str, ...] = ("update", "preview")) -> bool:
    """Median pack analysis time of ``sizes`` copies of the dev network, per mode. The sizes
    are measured alternately in each round, so load on the box hits both alike."""
    project = load_project(project_dir)
    config = load_stack_config(project_dir, "dev")
    ok = True
    lo, hi = sizes
    for mode in modes:
        base = run_program(project.main, config=config, mode=mode, stack="dev",
                           project=project.name)
        with PolicyPack(project_dir / "policies") as pack:
            pack.configure(project_dir / "policies" / "config" / "dev.json")
            stub = pack.wait_ready()
            pid = pack.proc.pid if pack.proc else 0
            cases = {}
            for n in sizes:
                synthetic = copies(base, n)
                mandatory = [d for d in pack.analyze(synthetic) if d.level == "mandatory"]
                if mandatory:  # copies of a compliant stack stay compliant (and a warm-up)
                    print(f"scale {n} copies ({mode}): {len(mandatory)} mandatory violations, "
                          f"e.g. {mandatory[0].message}", file=sys.stderr)
                    return False
                resources = list(with_default_providers(synthetic))
                cases[n] = (len(synthetic.resources), resources, {r.urn: r for r in resources})
            cpu: dict[int, list[float]] = {n: [] for n in sizes}
            wall: dict[int, list[float]] = {n: [] for n in sizes}
            total: dict[int, list[float]] = {n: [] for n in sizes}
            for _ in range(runs):
                for n in sizes:
                    _, resources, by_urn = cases[n]
                    # As the engine drives it: Analyze per resource, then one AnalyzeStack.
                    t = time.perf_counter()
                    pack.call_many(
                        "Analyze",
                        resources,
                        [_analyze_request(r, _struct(r.inputs), by_urn) for r in resources],
                    )
                    request = analyzer_pb2.AnalyzeStackRequest(
                        resources=[_analyzer_resource(r, by_urn) for r in resources]
                    )
                    c0 = _cpu_seconds(pid)
                    t_stack = time.perf_counter()
                    stub.AnalyzeStack(request)
                    done = time.perf_counter()
                    cpu[n].append(_cpu_seconds(pid) - c0)
                    wall[n].append(done - t_stack)
                    total[n].append(done - t)
            for n in sizes:
                print(f"scale {mode:<7} {n:>3} copies ({cases[n][0]} resources): AnalyzeStack "
                      f"median {statistics.median(cpu[n]):.3f}s of pack CPU, "
                      f"{statistics.median(wall[n]):.3f}s wall; with the {len(cases[n][1])} "
                      f"Analyze calls {statistics.median(total[n]):.3f}s wall ({runs} runs)")
        ratio = statistics.median(cpu[hi]) / statistics.median(cpu[lo])
        seconds = statistics.median(cpu[hi])
        within = ratio <= GOAL_SCALE_RATIO and seconds <= GOAL_SCALE_SECONDS
        ok &= within
        print(f"goal {mode} AnalyzeStack {hi}/{lo} copies <= {GOAL_SCALE_RATIO}x and {hi} "
              f"copies <= {GOAL_SCALE_SECONDS:.1f}s: {ratio:.2f}x, {seconds:.2f}s "
              f"({'met' if within else 'MISSED'})")
    return ok


def _time(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t, proc.returncode, proc.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m review.bench", description=__doc__)
    p.add_argument("--runs", type=int, default=5, help="reviews per stack (default 5)")
    p.add_argument("--stacks", nargs="+", default=["dev", "prod"])
    p.add_argument("--mode", default="both", choices=["both", "update", "preview", "deployed"])
    p.add_argument("--project-dir", "-C", type=Path, default=Path("."))
    p.add_argument("--no-tests", action="store_true", help="skip timing the test suite")
    p.add_argument("--no-scale", action="store_true", help="skip the 16/64-copies analysis")
    p.add_argument("--scale-only", action="store_true", help="only the 16/64-copies analysis")
    args = p.parse_args(argv)
    if args.scale_only:
        return 0 if scale(args.project_dir.resolve(), args.runs) else 1

    medians: dict[str, float] = {}
    for stack in args.stacks:
        cmd = [sys.executable, "-m", "review", "--stack", stack, "--mode", args.mode, "--no-plan"]
        _time(cmd, args.project_dir)  # warm-up: bytecode and page cache, not counted
        times = []
        for _ in range(args.runs):
            seconds, code, err = _time(cmd, args.project_dir)
            if code == 2:
                print(f"review --stack {stack} failed: {err}", file=sys.stderr)
                return 2
            times.append(seconds)
        medians[stack] = statistics.median(times)
        spread = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"review {stack:<6} mode={args.mode}: median {medians[stack]:.2f}s "
            f"over {args.runs} runs ({spread}); last exit {code}"
        )

    ok = True
    if "dev" in medians:
        goal = GOAL_DEPLOYED_SECONDS if args.mode == "deployed" else GOAL_DEV_SECONDS
        within = medians["dev"] <= goal
        ok &= within
        print(f"goal dev <= {goal:.1f}s: {'met' if within else 'MISSED'}")
        if "prod" in medians:
            ratio = medians["prod"] / medians["dev"]
            within = ratio <= GOAL_PROD_RATIO
            ok &= within
            print(
                f"goal prod/dev <= {GOAL_PROD_RATIO}: {ratio:.2f} ({'met' if within else 'MISSED'})"
            )

    if not args.no_scale:
        ok &= scale(args.project_dir.resolve(), args.runs)

    if not args.no_tests:
        seconds, code, _ = _time(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], args.project_dir
        )
        print(f"test suite (pytest, one run): {seconds:.2f}s, exit {code}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
