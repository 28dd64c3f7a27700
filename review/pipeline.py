"""``review()``: run the program in each mode and the policy pack over it, as
``pulumi preview --policy-pack`` does, and return a ``ReviewReport``."""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from .analyzer import PolicyPack
from .cost import Bill, PriceTableError, estimate
from .engine import run_program
from .errors import ProgramError, ReviewError
from .mocks import MODES
from .plan import ProgramRun
from .report import ModeResult, ReviewReport
from .stack_config import load_project, load_stack_config


def pack_env(config: dict[str, str], *, stack: str, project: str, dry_run: bool) -> dict[str, str]:
    """The environment the CLI gives a policy pack process."""
    env = dict(os.environ)
    env.update(
        PULUMI_CONFIG=json.dumps(config),
        PULUMI_PROJECT=project,
        PULUMI_STACK=stack,
        PULUMI_DRY_RUN="true" if dry_run else "false",
        PULUMI_ORGANIZATION="organization",
    )
    return env


OFFICE_POLICY = "bastion-ssh-only-from-office"


def check_office_cidrs(
    config: dict[str, str], *, project: str, stack: str, config_file: Path
) -> None:
    """Before analysing: every office CIDR of the stack must lie inside the pack's list.

    The two lists are separate on purpose: the pack's (``policies/config/<stack>.json``) belongs
    to whoever guards the AWS account, and a stack author must not widen it from the stack file.
    A stack range outside it would only surface as a mandatory violation after the whole run;
    this names the file to change and why, first. The pack's list may be wider (other offices).
    """
    raw = config.get(f"{project}:officeCidrs")
    try:
        pack = json.loads(config_file.read_text(encoding="utf-8"))
        stack_cidrs = json.loads(raw) if raw else []
    except (OSError, ValueError):
        return  # the program and the pack report unreadable or malformed input themselves
    policy = pack.get(OFFICE_POLICY) if isinstance(pack, dict) else None
    pack_cidrs = policy.get("officeCidrs") if isinstance(policy, dict) else None
    if not isinstance(pack_cidrs, list) or not isinstance(stack_cidrs, list):
        return
    try:
        allowed = [ipaddress.ip_network(c, strict=False) for c in pack_cidrs]
    except (TypeError, ValueError):
        return  # the pack's config schema refuses it, naming the key
    for i, cidr in enumerate(stack_cidrs):
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except (TypeError, ValueError):
            return  # the program refuses it, naming the key
        if not any(net.version == a.version and net.subnet_of(a) for a in allowed):  # type: ignore[arg-type]
            raise ReviewError(
                f"Pulumi.{stack}.yaml: {project}:officeCidrs[{i}] = {cidr!r} is outside the "
                f"policy pack's office list {pack_cidrs} ({_rel(config_file)}, "
                f"{OFFICE_POLICY}.officeCidrs); the preview would fail on the bastion's SSH "
                f"rule. Fix: if {cidr} is your office, add it to {_rel(config_file)} (that "
                f"list belongs to whoever guards the account: a stack cannot widen it), else "
                f"set officeCidrs in Pulumi.{stack}.yaml to a range inside the pack's list"
            )


def starter_pack_config(config: dict[str, str], project: str) -> dict[str, object]:
    """The smallest pack config under which this stack can review clean: the pack's own
    defaults for every level, and what ``bastion-ssh-only-from-office`` needs to know, the
    stack's office ranges (with ``access: bastion``) or its keyless access mode."""
    access = config.get(f"{project}:access") or "bastion"
    if access != "bastion":
        return {OFFICE_POLICY: {"access": access}}
    try:
        cidrs = json.loads(config.get(f"{project}:officeCidrs") or "[]")
    except ValueError:
        cidrs = []
    return {OFFICE_POLICY: {"officeCidrs": cidrs if isinstance(cidrs, list) else []}}


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def review(
    project_dir: Path,
    stack: str,
    modes: Sequence[str] = MODES,
    pack_dir: Path | None = None,
    config_file: Path | None = None,
    *,
    python: str | None = None,  # the pack's interpreter; default: as the CLI picks it
) -> ReviewReport:
    """Run the program in each mode and the policy pack on each run, as
    ``pulumi preview --policy-pack <pack_dir> --policy-pack-config <config_file>`` would.
    Defaults: ``<project>/policies`` and ``<project>/policies/config/<stack>.json``."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    project_dir = Path(project_dir).resolve()
    modes = list(dict.fromkeys(modes))
    for m in modes:
        if m not in MODES:
            raise ReviewError(f"unknown mode {m!r}; use update, preview or both")
    pack_dir = Path(pack_dir).resolve() if pack_dir else project_dir / "policies"
    config_file = (
        Path(config_file).resolve()
        if config_file
        else project_dir / "policies" / "config" / f"{stack}.json"
    )
    project = load_project(project_dir)
    config = load_stack_config(project_dir, stack)
    if not config_file.exists():
        raise ReviewError(
            f"{_rel(config_file)}: policy pack config not found. Fix: create it with "
            f"{json.dumps(starter_pack_config(config, project.name))} (what the shipped "
            f"stacks' configs hold; the office list belongs to whoever guards the account), "
            f"or pass another --config-file"
        )

    # Start one pack per mode now (as the CLI does per operation, with PULUMI_DRY_RUN set
    # accordingly): they boot while the program runs.
    packs: dict[str, PolicyPack] = {}
    try:
        for m in modes:
            packs[m] = PolicyPack(
                pack_dir,
                python,
                env=pack_env(config, stack=stack, project=project.name, dry_run=m == "preview"),
            )
        timings["spawn"] = time.perf_counter() - t0

        runs: dict[str, ProgramRun] = {}
        for m in modes:
            t = time.perf_counter()
            runs[m] = run_program(
                project.main, config=config, mode=m, stack=stack, project=project.name
            )
            timings[f"program_{m}"] = time.perf_counter() - t
            errors = [e for e in runs[m].logs if e.severity == "error"]
            if errors:
                raise ProgramError(f"program logged an error ({m}): {errors[0].message}")

        # The program accepted the stack's values; now, before analysing, the pack's list.
        check_office_cidrs(config, project=project.name, stack=stack, config_file=config_file)
        results: list[ModeResult] = []
        for m in modes:
            t = time.perf_counter()
            pack = packs[m]
            pack.wait_ready()
            timings[f"pack_ready_{m}"] = time.perf_counter() - t0
            pack.configure_stack(
                stack=stack, project=project.name, config=config, dry_run=m == "preview"
            )
            pack.configure(config_file)
            results.append(ModeResult(m, runs[m], pack.analyze(runs[m])))
            timings[f"analyze_{m}"] = time.perf_counter() - t
        info = packs[modes[0]].info()
        policies = packs[modes[0]].policies
    finally:
        for pack in packs.values():
            pack.close()
    bill: Bill | None = None
    cost_error = ""
    try:  # priced from the update run (ids known), else the only run there is
        bill = estimate(runs.get("update") or runs[modes[0]])
    except PriceTableError as exc:
        cost_error = str(exc)
    timings["total"] = time.perf_counter() - t0
    return ReviewReport(
        project=project.name,
        stack=stack,
        project_dir=project_dir,
        pack_dir=pack_dir,
        config_file=config_file,
        pack_name=info.name,
        pack_version=info.version,
        policies=policies,
        results=results,
        timings=timings,
        cost=bill,
        cost_error=cost_error,
    )
