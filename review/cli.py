"""``python -m review``: preview the program offline and run the policy pack over it.

Exit codes: 0 clean (advisories allowed); 1 a mandatory violation, or a mandatory policy that
could not run during preview; 2 a program/config/pack error (one line naming the file/key).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import ReviewError
from .pipeline import review

EXIT_OK, EXIT_VIOLATION, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m review",
        description="Run the Pulumi program under mocks (update and/or preview) and the policy "
        "pack over it, like `pulumi preview --policy-pack policies "
        "--policy-pack-config policies/config/<stack>.json`.",
    )
    p.add_argument("--stack", "-s", default="dev", help="stack name (default: dev)")
    p.add_argument(
        "--mode",
        "-m",
        default="both",
        choices=["both", "update", "preview"],
        help="which run(s): update (known values), preview (unknowns), or both",
    )
    p.add_argument(
        "--project-dir",
        "-C",
        type=Path,
        default=Path("."),
        help="directory holding Pulumi.yaml (default: .)",
    )
    p.add_argument(
        "--pack-dir",
        type=Path,
        default=None,
        help="policy pack directory (default: <project>/policies)",
    )
    p.add_argument(
        "--config-file",
        type=Path,
        default=None,
        help="policy pack config (default: <project>/policies/config/<stack>.json)",
    )
    p.add_argument("--json", action="store_true", help="print a machine-readable document")
    p.add_argument("--no-plan", action="store_true", help="omit the resource tree")
    p.add_argument(
        "--debug-logs", action="store_true", help="keep the program's debug log lines in --json"
    )
    p.add_argument(
        "--markdown",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the review as Markdown (verdict, reachability, bill) for a PR summary",
    )
    p.add_argument(
        "--diagram",
        type=Path,
        default=None,
        metavar="DIR",
        help="also draw the reviewed plan to DIR/<stack>-network.svg and .png",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    modes = ("update", "preview") if args.mode == "both" else (args.mode,)
    # What an earlier run wrote goes first: a run that fails leaves no stale picture or summary.
    if args.diagram is not None:
        from .diagram import remove_diagram

        remove_diagram(args.diagram, args.stack)
    if args.markdown is not None:
        args.markdown.unlink(missing_ok=True)
    try:
        report = review(
            args.project_dir,
            args.stack,
            modes,
            pack_dir=args.pack_dir,
            config_file=args.config_file,
        )
    except ReviewError as exc:
        message = " ".join(str(exc).split())  # one line
        if args.json:
            print(json.dumps({"error": message, "exitCode": EXIT_ERROR}, indent=2))
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR
    if args.diagram is not None:
        from .diagram import write_diagram  # graphviz only when asked

        run = report.run("update") or report.results[0].run  # the run the review recorded
        try:
            # Internet paths from the pack's network model (issue 7), for the same run.
            written = write_diagram(run, args.diagram, report.reachability(run.mode))
        except (OSError, RuntimeError) as exc:
            print(f"error: diagram: {' '.join(str(exc).split())}", file=sys.stderr)
            return EXIT_ERROR
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
    if args.markdown is not None:
        from .summary import markdown

        run = report.run("update") or report.results[0].run
        picture = f"`{args.diagram / (run.stack + '-network.png')}`" if args.diagram else ""
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(report.to_dict(), picture=picture))
        print(f"wrote {args.markdown}", file=sys.stderr)
    try:
        if args.json:
            print(json.dumps(report.to_dict(debug_logs=args.debug_logs), indent=2))
        else:
            print(report.render(plan=not args.no_plan))
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: the exit code still tells the result
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
