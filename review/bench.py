"""``python -m review.bench``: wall time of ``python -m review`` per stack and of the test suite.

Each review is a fresh interpreter (as ``make review`` runs it), both modes, timed end to end;
exit codes 0 and 1 are results, 2 is an error and aborts the bench.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_DEV_SECONDS = 3.0
GOAL_PROD_RATIO = 1.5


def _time(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t, proc.returncode, proc.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m review.bench", description=__doc__)
    p.add_argument("--runs", type=int, default=5, help="reviews per stack (default 5)")
    p.add_argument("--stacks", nargs="+", default=["dev", "prod"])
    p.add_argument("--mode", default="both", choices=["both", "update", "preview"])
    p.add_argument("--project-dir", "-C", type=Path, default=Path("."))
    p.add_argument("--no-tests", action="store_true", help="skip timing the test suite")
    args = p.parse_args(argv)

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
        within = medians["dev"] <= GOAL_DEV_SECONDS
        ok &= within
        print(f"goal dev <= {GOAL_DEV_SECONDS:.1f}s: {'met' if within else 'MISSED'}")
        if "prod" in medians:
            ratio = medians["prod"] / medians["dev"]
            within = ratio <= GOAL_PROD_RATIO
            ok &= within
            print(
                f"goal prod/dev <= {GOAL_PROD_RATIO}: {ratio:.2f} ({'met' if within else 'MISSED'})"
            )

    if not args.no_tests:
        seconds, code, _ = _time(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], args.project_dir
        )
        print(f"test suite (pytest, one run): {seconds:.2f}s, exit {code}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
