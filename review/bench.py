"""``python -m review.bench``: CPU and wall time of ``python -m review`` per stack, the policy
pack's analysis time on a synthetic stack of many copies of the dev network, and (only when
asked) the test suite and a fresh clone's first ``make test``.

The box is shared: every goal is judged in CPU seconds (user + system of the process and the
children it waited for, from ``getrusage``; of the pack process, from /proc), which other load
does not inflate; wall times are printed beside them. ``--json FILE`` records the figures (and
the machine) for the README, whose quotes a test checks against that file (``docs/bench.json``,
written by ``make bench``); sections not measured in a run keep their earlier values.

Each review is a fresh interpreter (as ``make review`` runs it), both modes, timed end to end;
exit codes 0 and 1 are results, 2 is an error and aborts the bench.

Scale: the dev program runs once under the mocks per mode; its resources are copied N times
(every logical name, URN, id and ARN renamed per copy, the stack and providers shared) and one
running pack analyses the result as the engine would (``Analyze`` per resource, then
``AnalyzeStack``). The pack process's CPU seconds for both (and each part) are measured; the
median over ``--runs`` of 16 and 64 copies is printed with their ratio: the analysis must grow
linearly (goal: 64 copies within 4.5x of 16 copies and within 2 CPU s of the pack, Analyze calls
included). ``tests/test_pack_scale.py`` checks the growth by counting calls, without timing.

First run (``--first-run``): ``git clone`` of this repository's HEAD into a temporary directory,
then ``make test`` there, as CI does (``.ci/run``): installs included, caches as a new clone has
them (none of its own; pip's download cache of the machine, as any machine has after one
install). Goal: within 6 minutes of wall time on an idle 2-core machine; its CPU seconds are
recorded, as they hold on a busy one.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from .analyzer import PolicyPack, _analyze_request, _analyzer_resource, _struct
from .engine import run_program
from .plan import STACK_TYPE, ProgramRun, RecordedResource, with_default_providers
from .stack_config import load_project, load_stack_config

GOAL_DEV_CPU_SECONDS = 4.0  # one `python -m review --stack dev` (both modes), with its packs
GOAL_DEPLOYED_CPU_SECONDS = 5.0  # --mode deployed: one update run, two exports, two previews
GOAL_PROD_RATIO = 1.5  # prod / dev, CPU seconds
GOAL_SCALE_RATIO = 4.5  # 64 copies / 16 copies
GOAL_SCALE_SECONDS = 2.0  # 64 copies, pack CPU seconds
GOAL_FIRST_RUN_WALL_SECONDS = 360.0  # a fresh clone's `make test`, idle 2-core machine


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
          modes: tuple[str, ...] = ("update", "preview"),
          record: dict[str, Any] | None = None) -> bool:
    """Median pack analysis time of ``sizes`` copies of the dev network, per mode. The sizes
    are measured alternately in each round, so load on the box hits both alike."""
    project = load_project(project_dir)
    config = load_stack_config(project_dir, "dev")
    record = record if record is not None else {}
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
            # Pack CPU seconds per run: the Analyze calls, the AnalyzeStack call, both.
            cpu: dict[int, list[tuple[float, float, float]]] = {n: [] for n in sizes}
            wall: dict[int, list[float]] = {n: [] for n in sizes}
            total: dict[int, list[float]] = {n: [] for n in sizes}
            for _ in range(runs):
                for n in sizes:
                    _, resources, by_urn = cases[n]
                    # As the engine drives it: Analyze per resource, then one AnalyzeStack.
                    requests = [_analyze_request(r, _struct(r.inputs), by_urn) for r in resources]
                    stack_request = analyzer_pb2.AnalyzeStackRequest(
                        resources=[_analyzer_resource(r, by_urn) for r in resources]
                    )
                    c0 = _cpu_seconds(pid)
                    t = time.perf_counter()
                    pack.call_many("Analyze", resources, requests)
                    c1 = _cpu_seconds(pid)
                    t_stack = time.perf_counter()
                    stub.AnalyzeStack(stack_request)
                    done = time.perf_counter()
                    c2 = _cpu_seconds(pid)
                    cpu[n].append((c1 - c0, c2 - c1, c2 - c0))
                    wall[n].append(done - t_stack)
                    total[n].append(done - t)
            med = {n: [statistics.median(x[i] for x in cpu[n]) for i in range(3)] for n in sizes}
            for n in sizes:
                analyze, stack_cpu, both = med[n]
                print(f"scale {mode:<7} {n:>3} copies ({cases[n][0]} resources): median pack "
                      f"CPU {both:.3f} s ({len(cases[n][1])} Analyze calls {analyze:.3f} s, "
                      f"AnalyzeStack {stack_cpu:.3f} s); wall {statistics.median(total[n]):.3f} "
                      f"s, AnalyzeStack {statistics.median(wall[n]):.3f} s ({runs} runs)")
        ratio = med[hi][2] / med[lo][2]
        seconds = med[hi][2]
        within = ratio <= GOAL_SCALE_RATIO and seconds <= GOAL_SCALE_SECONDS
        ok &= within
        print(f"goal {mode} pack CPU (Analyze calls + AnalyzeStack) {hi}/{lo} copies <= "
              f"{GOAL_SCALE_RATIO}x and {hi} copies <= {GOAL_SCALE_SECONDS:.1f} CPU s: "
              f"{ratio:.2f}x, {seconds:.2f} CPU s ({'met' if within else 'MISSED'})")
        record[mode] = {
            "copies": {
                str(n): {"resources": cases[n][0],
                         "cpuSeconds": round(med[n][2], 3),
                         "analyzeCpuSeconds": round(med[n][0], 3),
                         "analyzeStackCpuSeconds": round(med[n][1], 3),
                         "analyzeStackWallSeconds": round(statistics.median(wall[n]), 3),
                         "wallSeconds": round(statistics.median(total[n]), 3)}
                for n in sizes
            },
            "runs": runs,
            "ratio": round(ratio, 2),
            "met": within,
        }  # fmt: skip
    return ok


def _time(cmd: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system of the command and every child it waited for),
    exit code and stderr of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode, proc.stderr.strip()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpuModel": model or platform.processor(),
        "python": platform.python_version(),
        "loadAverage1mAtStart": round(os.getloadavg()[0], 2),
    }


def first_run(project_dir: Path) -> dict[str, Any]:
    """A fresh clone's ``make test``: wall and CPU seconds, as CI runs it."""
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(project_dir.resolve()), str(clone)], check=True)
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, check=True,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        load = round(os.getloadavg()[0], 2)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "VIRTUAL_ENV"))}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(["make", "test"], cwd=clone, env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = [ln for ln in proc.stdout.splitlines() if re.search(r"\d+ passed", ln)]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    within = proc.returncode == 0 and wall <= GOAL_FIRST_RUN_WALL_SECONDS
    print(f"first run: git clone + make test at {head}: {wall:.0f} s wall, {cpu:.0f} CPU s, "
          f"exit {proc.returncode} (load average {load} at the start); "
          f"{summary[-1].strip('= ') if summary else 'no pytest summary'}")
    print(f"goal first run <= {GOAL_FIRST_RUN_WALL_SECONDS:.0f} s wall (idle machine): "
          f"{'met' if within else 'MISSED'}")
    if proc.returncode != 0:
        print(proc.stdout[-3000:] + proc.stderr[-3000:], file=sys.stderr)
    return {
        "command": "git clone <repo> && make test",
        "commit": head,
        "wallSeconds": round(wall, 1),
        "cpuSeconds": round(cpu, 1),
        "exitCode": proc.returncode,
        "loadAverage1mAtStart": load,
        "pytestSummary": summary[-1].strip("= ") if summary else "",
        "met": within,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m review.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="reviews per stack (default 5)")
    p.add_argument("--stacks", nargs="+", default=["dev", "prod"])
    p.add_argument("--mode", default="both", choices=["both", "update", "preview", "deployed"])
    p.add_argument("--project-dir", "-C", type=Path, default=Path("."))
    p.add_argument("--tests", action="store_true", help="also time one pytest run")
    p.add_argument("--first-run", action="store_true",
                   help="also time a fresh clone's `make test` (minutes)")
    p.add_argument("--no-review", action="store_true", help="skip the per-stack reviews")
    p.add_argument("--no-scale", action="store_true", help="skip the 16/64-copies analysis")
    p.add_argument("--scale-only", action="store_true", help="only the 16/64-copies analysis")
    p.add_argument("--json", type=Path, default=None, metavar="FILE",
                   help="record the figures in FILE (kept: sections this run did not measure)")
    args = p.parse_args(argv)
    project_dir = args.project_dir.resolve()
    record: dict[str, Any] = {}
    if args.json is not None and args.json.exists():
        record = json.loads(args.json.read_text())
    record["machine"] = machine()
    record["date"] = datetime.date.today().isoformat()
    if args.scale_only:
        args.no_review = True
    ok = True
    if not args.no_review:
        ok &= reviews(args, project_dir, record.setdefault("review", {}))
    if not args.no_scale:
        ok &= scale(project_dir, args.runs, record=record.setdefault("scale", {}))
    if args.tests and not args.scale_only:
        wall, cpu, code, _ = _time(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project_dir
        )
        print(f"test suite (pytest, one run): {wall:.2f} s wall, {cpu:.1f} CPU s, exit {code}")
        record["tests"] = {"wallSeconds": round(wall, 1), "cpuSeconds": round(cpu, 1),
                           "exitCode": code}  # fmt: skip
    if args.first_run and not args.scale_only:
        record["firstRun"] = result = first_run(project_dir)
        ok &= bool(result["met"])
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0 if ok else 1


def reviews(args: argparse.Namespace, project_dir: Path, record: dict[str, Any]) -> bool:
    """Median CPU and wall seconds of ``python -m review`` per stack, and the goals on them."""
    cpu_medians: dict[str, float] = {}
    for stack in args.stacks:
        cmd = [sys.executable, "-m", "review", "--stack", stack, "--mode", args.mode, "--no-plan"]
        _time(cmd, project_dir)  # warm-up: bytecode and page cache, not counted
        walls, cpus = [], []
        code = 0
        for _ in range(args.runs):
            wall, cpu, code, err = _time(cmd, project_dir)
            if code == 2:
                print(f"review --stack {stack} failed: {err}", file=sys.stderr)
                return False
            walls.append(wall)
            cpus.append(cpu)
        cpu_medians[stack] = statistics.median(cpus)
        print(
            f"review {stack:<6} mode={args.mode}: median {cpu_medians[stack]:.2f} CPU s, "
            f"{statistics.median(walls):.2f} s wall over {args.runs} runs (CPU "
            f"{', '.join(f'{c:.2f}' for c in cpus)}); last exit {code}"
        )
        record[stack] = {"mode": args.mode, "runs": args.runs,
                         "cpuSecondsMedian": round(cpu_medians[stack], 2),
                         "wallSecondsMedian": round(statistics.median(walls), 2)}  # fmt: skip
    ok = True
    if "dev" in cpu_medians:
        goal = GOAL_DEPLOYED_CPU_SECONDS if args.mode == "deployed" else GOAL_DEV_CPU_SECONDS
        within = cpu_medians["dev"] <= goal
        ok &= within
        print(f"goal dev <= {goal:.1f} CPU s: {'met' if within else 'MISSED'}")
        if "prod" in cpu_medians:
            ratio = cpu_medians["prod"] / cpu_medians["dev"]
            within = ratio <= GOAL_PROD_RATIO
            ok &= within
            print(f"goal prod/dev <= {GOAL_PROD_RATIO} (CPU s): {ratio:.2f} "
                  f"({'met' if within else 'MISSED'})")
    return ok


if __name__ == "__main__":
    sys.exit(main())
