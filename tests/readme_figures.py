"""The figures the README quotes, and the commands they come from (issue 15, item 2).

``tests/test_readme_figures.py`` fails when the README and a command disagree, naming what to
update; ``make readme-figures`` (``python -m tests.readme_figures``) prints every current figure,
so updating the README is a copy-paste:

- the sample outputs of ``make review`` (``$ make review`` blocks: plan, reachability, bills):
  every line the README shows must be a line the command prints, in the same order (``...``
  stands for lines left out);
- the component table's argument lists: each ``XArgs(...)`` lists the dataclass's fields, in
  order (``components/<module>.py``);
- the NAT-instance stack's cost breakdown, whose parts must add up to its bill;
- the bench's figures (resources analysed, CPU seconds, a fresh clone's ``make test``), quoted
  from ``docs/bench.json``, which ``make bench`` writes: timings are never taken in a test.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BENCH = ROOT / "docs" / "bench.json"


def readme() -> str:
    return README.read_text(encoding="utf-8")


# ------------------------------------------------------------------ `make review` samples
@cache
def review_output(stack: str) -> str:
    """What `make review STACK=<stack>` prints (the review's stdout; both modes, with the plan),
    from a fresh interpreter as make runs it: in a process that has already run programs, the
    order in which concurrent registrations reach the mock monitor can differ."""
    proc = subprocess.run(
        [sys.executable, "-m", "review", "--stack", stack, "-C", str(ROOT)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def code_blocks(text: str, language: str = "") -> Iterator[list[str]]:
    """The lines of each fenced code block of ``language`` (``""``: no language given)."""
    block: list[str] | None = None
    fence = ""
    for line in text.splitlines():
        if block is None and line.startswith("```"):
            block, fence = [], line[3:].strip()
        elif block is not None and line.startswith("```"):
            if fence == language:
                yield block
            block = None
        elif block is not None:
            block.append(line)


def sample_blocks(text: str) -> Iterator[tuple[str, str, list[str]]]:
    """(command, stack, shown lines) for each `$ make review ...` in the README's code blocks
    (the lines after it, up to the next `$ ` line or the block's end); a block opening with
    `Reachability (` is `make review`'s too (dev)."""
    for lines in code_blocks(text):
        if lines and lines[0].startswith("Reachability ("):
            yield "make review", "dev", lines
            continue
        current: tuple[str, str] | None = None
        shown: list[str] = []
        for line in lines:
            if line.startswith("$ "):
                if current:
                    yield current[0], current[1], shown
                command = line[2:].split("#", 1)[0].strip()
                if not command.startswith("make review"):
                    current = None
                    continue
                stack = re.search(r"STACK=(\w+)", command)
                current, shown = (command, stack.group(1) if stack else "dev"), []
            elif current:
                shown.append(line)
        if current:
            yield current[0], current[1], shown


TREE_ROW = re.compile(r"^ \+   [│├└─ ]*(\S+)\s+(\S+)$")


def tree_row(line: str) -> tuple[str, str] | None:
    """(type, name) of a plan-tree row (`` +   ├─ aws:ec2/vpc:Vpc   dev-vpc``), else None."""
    m = TREE_ROW.match(line)
    return (m.group(1), m.group(2)) if m else None


def sample_drift(shown: list[str], printed: str) -> str:
    """'' if the shown lines are printed lines, in order, each right after the one before
    unless a `...` line stands between them; else what differs.

    Plan-tree rows are the exception: siblings come in the order their registrations reach the
    engine, which the SDK sends from worker threads (as a real `pulumi preview` lists them in
    the order its steps run), so a tree row only has to be one the command prints, with its
    name, and the tree's glyphs are not compared."""
    import difflib

    lines = printed.splitlines()
    rows = {r for r in map(tree_row, lines) if r}
    last_row = max((i for i, line in enumerate(lines) if tree_row(line)), default=-1)
    at, gap = 0, True  # the first shown line may come anywhere
    for line in shown:
        if line.strip() == "...":
            gap = True
            continue
        row = tree_row(line)
        if row is not None:
            if row not in rows:
                near = difflib.get_close_matches(line, lines, 1, 0.5)
                return f"the README shows {line!r}; the command prints {(near or [None])[0]!r}"
            at, gap = max(at, last_row + 1), True
            continue
        found = lines.index(line, at) if line in lines[at:] else -1
        if found < 0 or (not gap and found != at):
            expected = lines[at] if not gap and at < len(lines) else None
            near = expected or next(iter(difflib.get_close_matches(line, lines[at:], 1, 0.5)), None)
            return f"the README shows {line!r}; the command prints {near!r} there"
        at, gap = found + 1, False
    return ""


# ------------------------------------------------------------------ component table
def component_rows(text: str) -> dict[str, tuple[str, list[str]]]:
    """`XArgs` -> (module, the argument names the README's component table lists): the code
    span ``Name(a, b: T, ...)`` in a row's inputs column, where Name is a class of the module."""
    table = text.split("## Components (`components/`)", 1)[1].lstrip("\n").split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        module = re.fullmatch(r"`(\w+)\.py`", cells[0]) if len(cells) == 4 else None
        if not module:
            continue
        for cls, args in re.findall(r"`(\w+)\(([^`]*)\)`", cells[2]):
            if args_class(module.group(1), cls) is None:
                continue
            names = [a.split(":")[0].strip() for a in re.split(r",\s*(?![^\[]*\])", args)]
            rows[cls] = (module.group(1), names)
    return rows


def args_class(module: str, cls: str) -> type | None:
    """``components.<module>.<cls>`` if it is an args class (a dataclass or a TypedDict)."""
    found = getattr(importlib.import_module(f"components.{module}"), cls, None)
    is_typed_dict = isinstance(found, type) and hasattr(found, "__required_keys__")
    return found if dataclasses.is_dataclass(found) or is_typed_dict else None


def component_fields(module: str, cls: str) -> list[str]:
    """The fields of ``components.<module>.<cls>``, in order: a dataclass's init fields, or a
    TypedDict's keys."""
    args = args_class(module, cls)
    assert args is not None, f"components.{module}.{cls} is not an args class"
    if dataclasses.is_dataclass(args):
        return [f.name for f in dataclasses.fields(args) if f.init]
    return list(args.__annotations__)


# ------------------------------------------------------------------ NAT instance bill
def nat_instance_breakdown() -> dict[str, float]:
    """The natinstance stack's bill against dev's: what the README's breakdown says."""
    from review.cost import estimate
    from tests.conftest import StackRuns

    runs = StackRuns()
    dev, nat = estimate(runs("dev")), estimate(runs("natinstance"))

    def cost(bill: Any, *kinds: str) -> float:
        return round(sum(round(i.monthly, 2) for i in bill.items if i.kind in kinds), 2)

    kinds = {i.kind for i in dev.items} | {i.kind for i in nat.items}
    gateway = cost(dev, *(k for k in kinds if k.startswith("natGateway")))
    return {
        "total": nat.monthly,
        "natInstance": cost(nat, *(k for k in kinds if k.startswith("natInstance"))),
        "natGateway": gateway,
        "publicIpv4": round(cost(nat, "publicIpv4") - cost(dev, "publicIpv4"), 2),
        "ebs": round(cost(nat, "ebs") - cost(dev, "ebs"), 2),
        "devTotal": dev.monthly,
    }


def nat_instance_sentence(b: dict[str, float]) -> str:
    return (
        f"Cost: **${b['total']:.2f}** (NAT instance ${b['natInstance']:.2f} instead of the "
        f"gateway's ${b['natGateway']:.2f}; one more public IPv4, the instance's transient boot "
        f"address, ${b['publicIpv4']:.2f}; its 8 GiB root volume ${b['ebs']:.2f}"
    )


# ------------------------------------------------------------------ the bench's figures
def bench() -> dict[str, Any]:
    return json.loads(BENCH.read_text(encoding="utf-8"))


def minutes(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s} s"


def bench_sentences(b: dict[str, Any]) -> dict[str, str]:
    """The README's sentences quoting docs/bench.json, as they must read."""
    m = b["machine"]
    out = {}
    scale = b["scale"]["update"]
    hi = scale["copies"]["64"]
    out["scale"] = (
        f"64 copies of the dev network ({hi['resources']:,} resources) in "
        f"{hi['cpuSeconds']:.2f} CPU s of the pack process ({hi['analyzeCpuSeconds']:.2f} s for "
        f"the {hi['resources']:,} `Analyze` calls, made one at a time as the engine makes them, "
        f"{hi['analyzeStackCpuSeconds']:.2f} s for `AnalyzeStack`; medians of each), "
        f"{scale['ratio']:.2f} times the time of 16 copies; a pack whose policies do nothing "
        f"takes {hi['floorCpuSeconds']:.2f} CPU s for the same calls"
    )
    r = b["review"]
    out["review"] = (
        f"`make review` (both modes) takes {r['dev']['cpuSecondsMedian']:.2f} CPU s for dev and "
        f"{r['prod']['cpuSecondsMedian']:.2f} for prod"
    )
    missed = [
        f"{mode} mode's 64 copies {s['copies']['64']['cpuSeconds']:.2f} CPU s "
        f"({s['ratio']:.2f} times 16 copies)"
        for mode, s in sorted(b["scale"].items())
        if not s["met"]
    ]
    out["goals"] = (
        f"Missed in that run: the {'; the '.join(missed)} (goals: 2 CPU s, 4.5 times)"
        if missed
        else "Every CPU goal (review and pack) was met in that run"
    )
    out["packScale"] = pack_scale_sentence(b)
    f = b.get("firstRun")
    if f is None:  # not measured yet (`make bench BENCH_ARGS=--first-run` records it)
        return out
    passed = re.match(r"(\d+) passed", f["pytestSummary"])
    out["firstRun"] = (
        f"A fresh clone's `make test` took {minutes(f['wallSeconds'])} wall and "
        f"{f['cpuSeconds']:.0f} CPU s ({passed.group(1) if passed else '?'} tests passed), "
        f"measured by `make bench BENCH_ARGS=--first-run` on {m['cpus']} cores "
        f"({m['cpuModel']}) with a load average of {f['loadAverage1mAtStart']:.2f} at the start"
        + (f" and the box's reference loop at {f['referenceCpuSeconds']:.2f} CPU s "
           f"({f['cpuSeconds'] / f['referenceCpuSeconds']:.0f} loops' worth)"
           if "referenceCpuSeconds" in f else "")
        + f": the 6-minute goal {'met' if f['met'] else 'missed'}"
    )
    return out


def pack_scale_sentence(b: dict[str, Any]) -> str:
    """policies/README.md "Scale" quotes both modes' 64 copies from docs/bench.json."""
    parts = []
    for mode in ("update", "preview"):
        s = b["scale"][mode]
        lo, hi = s["copies"]["16"], s["copies"]["64"]
        parts.append(
            f"{mode} {lo['cpuSeconds']:.2f} and {hi['cpuSeconds']:.2f} CPU s "
            f"({s['ratio']:.2f}x; `AnalyzeStack` alone {hi['analyzeStackCpuSeconds']:.2f} s; "
            f"no-op policies {hi['floorCpuSeconds']:.2f} s)"
        )
    return f"median pack CPU for 16 and 64 copies: {'; '.join(parts)}"


def main() -> None:
    text = readme()
    print("# `make review` samples: the README's lines must be lines these commands print")
    for command, stack, shown in sample_blocks(text):
        drift = sample_drift(shown, review_output(stack))
        print(f"- {command}: {drift or 'matches'}")
    print("\n# Component table (README `## Components`): the args dataclasses' fields")
    for cls, (module, _names) in component_rows(text).items():
        print(f"- {cls}({', '.join(component_fields(module, cls))})")
    print("\n# NAT instance bill (README `### Beyond the peers`)")
    print(nat_instance_sentence(nat_instance_breakdown()))
    print("\n# From docs/bench.json (`make bench`, `make bench BENCH_ARGS=--first-run`)")
    for name, sentence in bench_sentences(bench()).items():
        print(f"policies/README.md (Scale): {sentence}" if name == "packScale" else sentence)
    print("\n# `make review` output, to paste from (dev, then prod)")
    print(review_output("dev"))
    print(review_output("prod"))


if __name__ == "__main__":
    main()
