"""``review()``: run the program in each mode and the policy pack over it, as
``pulumi preview --policy-pack`` does, and return a ``ReviewReport``.

Runs (``RunSpec``): ``update`` and ``preview`` (a new stack); ``deployed``, a no-op preview
against the program's own update as AWS stores it, once per shape (``fresh``: right after
``pulumi up``; ``refreshed``: after ``pulumi refresh``); ``baseline``, a preview against the
stack's ``pulumi stack export`` (``--baseline FILE``)."""

from __future__ import annotations

import importlib
import ipaddress
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .analyzer import PolicyPack
from .baseline import Baseline, load_baseline
from .cost import Bill, PriceTableError, estimate
from .deployed_spec import Shape
from .engine import deployed_baseline, run_program
from .errors import ProgramError, ReviewError
from .mocks import MODES
from .plan import ProgramRun, RunMode
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
    """Before analysing: the pack config can judge the stack (``check_pack_office``), and every
    office CIDR of the stack lies inside the pack's list.

    The two lists are separate on purpose: the pack's (``policies/config/<stack>.json``) belongs
    to whoever guards the AWS account, and a stack author must not widen it from the stack file.
    A stack range outside it would only surface as a mandatory violation after the whole run;
    this names the file to change and why, first. The pack's list may be wider (other offices).
    """
    raw = config.get(f"{project}:officeCidrs")
    try:
        text = config_file.read_text(encoding="utf-8")
        stack_cidrs = json.loads(raw) if raw else []
    except (OSError, ValueError):
        return  # the program and the pack report unreadable or malformed input themselves
    try:
        pack = json.loads(text) if text.strip() else None
    except ValueError:
        return  # the pack reports malformed JSON itself, naming the file
    check_pack_office(config, text, pack, stack_cidrs, project=project, stack=stack,
                      config_file=config_file)
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


def _private_ranges() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The stack side's private address space (components/settings.py ``PRIVATE_RANGES``), read
    as the installed ``tierednet`` package: the same file, under another name than the
    program's ``components``, so the program's next run still imports its own copy."""
    settings = importlib.import_module("tierednet.settings")
    return tuple(settings.PRIVATE_RANGES)


def check_pack_office(
    config: dict[str, str], text: str, pack: Any, stack_cidrs: Any, *, project: str,
    stack: str, config_file: Path,
) -> None:
    """The pack config ``text`` (``pack``, as JSON; None when empty) can judge this stack's
    way in: its ``access`` is the stack's, and for a bastion it lists office ranges, each a
    public CIDR that is not the whole internet (``stack_cidrs``: the stack's own list).
    Otherwise every run would end in mandatory violations (or pass a range the stack side
    refuses); this stops first, naming the file, the key, the value and the fix. Only for a
    stack with an ``access`` key (this project's Pulumi.yaml declares it, default bastion)."""
    if f"{project}:access" not in config:
        return  # a program without this project's way in (Pulumi.yaml declares access)
    where = _rel(config_file)
    stack_file = f"Pulumi.{stack}.yaml"
    access = config[f"{project}:access"] or "bastion"
    stack_access = f"{stack_file}'s {project}:access = {access!r}"
    starter = json.dumps(starter_pack_config(config, project))
    if not text.strip():
        why = (
            "gets no office list and would refuse the bastion's SSH rule from any range"
            if access == "bastion"
            else f"would take access 'bastion' (its default), not the stack's {access!r}"
        )
        raise ReviewError(
            f"{where} is empty ({len(text.encode())} bytes), not JSON: {OFFICE_POLICY} "
            f"{why} ({stack_access}). Fix: write {starter} in {where} (the office list belongs "
            f"to whoever guards the account)"
        )
    policy = pack.get(OFFICE_POLICY) if isinstance(pack, dict) else None
    if not isinstance(pack, dict) or (policy is not None and not isinstance(policy, dict)):
        return  # the pack's config schema refuses it, naming the key
    pack_access = (policy or {}).get("access", "bastion")
    if pack_access != access:
        shown = f"{pack_access!r}" + ("" if "access" in (policy or {}) else " (the default)")
        raise ReviewError(
            f"{where}: {OFFICE_POLICY}.access = {shown} differs from {stack_access}: the pack "
            f"would judge another way in than the stack builds. Fix: make them agree: set "
            f'"access": "{access}" under "{OFFICE_POLICY}" in {where}, or '
            f"`{project}:access: {pack_access}` in {stack_file}"
        )
    if access != "bastion":
        return
    cidrs = (policy or {}).get("officeCidrs")
    ours = f"{stack_file}'s {project}:officeCidrs holds {stack_cidrs}" if stack_cidrs else (
        f"{stack_file} has no {project}:officeCidrs yet"
    )
    if cidrs is None or cidrs == []:
        value = "[]" if cidrs == [] else f"not set (the file holds {json.dumps(pack)})"
        raise ReviewError(
            f"{where}: {OFFICE_POLICY}.officeCidrs is {value}, but {stack_access}: the pack "
            f"would refuse the bastion's SSH rule from any range. Fix: list the office's public "
            f"ranges there, e.g. {starter} ({ours}; the list belongs to whoever guards the "
            f"account)"
        )
    if not isinstance(cidrs, list) or not all(isinstance(c, str) for c in cidrs):
        return  # the pack's config schema refuses it, naming the key
    private = _private_ranges()
    for i, cidr in enumerate(cidrs):
        key = f"{where}: {OFFICE_POLICY}.officeCidrs[{i}] = {cidr!r}"
        fix = f"Fix: replace it in {where} with the office's public range ({ours})"
        try:
            net = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError as exc:
            raise ReviewError(
                f"{key} is not a CIDR ({exc}). {fix}, written as an address and a prefix length"
            ) from None
        if net.prefixlen == 0:
            raise ReviewError(
                f"{key} admits SSH from the whole internet, which the office list exists to "
                f"prevent. {fix}"
            )
        hit = next((r for r in private if net.version == r.version and net.overlaps(r)), None)
        if hit is not None:
            raise ReviewError(
                f"{key} is private address space ({hit}): the bastion is reached through the "
                f"internet gateway, which shows an office's public address, never this one "
                f"(the stack side refuses it too). {fix}"
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


@dataclass(frozen=True)
class RunSpec:
    """One run the review makes and analyses: a mode, with the deployed state's shape."""

    mode: RunMode
    shape: str = ""

    @property
    def label(self) -> str:
        return f"{self.mode.value}-{self.shape}" if self.shape else self.mode.value


SHAPES: tuple[str, ...] = tuple(s.value for s in Shape)  # fresh, refreshed


def run_specs(modes: Sequence[str], *, baseline: bool) -> list[RunSpec]:
    """The runs for ``modes`` (``deployed`` is one run per shape of the deployed state: right
    after ``pulumi up`` and after ``pulumi refresh``), plus the baseline preview if there is
    a baseline file."""
    out: list[RunSpec] = []
    for m in dict.fromkeys(modes):
        try:
            mode = RunMode.parse(m)
        except ValueError:
            raise ReviewError(
                f"unknown mode {m!r}; use update, preview, both or deployed"
            ) from None
        if mode is RunMode.BASELINE:
            if not baseline:
                raise ReviewError("mode 'baseline' needs a stack export: pass --baseline FILE")
            continue
        if mode is RunMode.DEPLOYED:
            out.extend(RunSpec(mode, shape) for shape in SHAPES)
        else:
            out.append(RunSpec(mode))
    if baseline:
        out.append(RunSpec(RunMode.BASELINE))
    return out


def review(
    project_dir: Path,
    stack: str,
    modes: Sequence[str] = MODES,
    pack_dir: Path | None = None,
    config_file: Path | None = None,
    *,
    python: str | None = None,  # the pack's interpreter; default: as the CLI picks it
    baseline: Path | None = None,  # a `pulumi stack export` of the stack: also preview against it
) -> ReviewReport:
    """Run the program in each mode and the policy pack on each run, as
    ``pulumi preview --policy-pack <pack_dir> --policy-pack-config <config_file>`` would.
    Defaults: ``<project>/policies`` and ``<project>/policies/config/<stack>.json``.
    ``baseline``: the stack's ``pulumi stack export``; the program is also previewed against
    that state, as ``pulumi preview`` previews a change to a deployed stack."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    project_dir = Path(project_dir).resolve()
    specs = run_specs(modes, baseline=baseline is not None)
    pack_dir = Path(pack_dir).resolve() if pack_dir else project_dir / "policies"
    config_file = (
        Path(config_file).resolve()
        if config_file
        else project_dir / "policies" / "config" / f"{stack}.json"
    )
    project = load_project(project_dir)
    config_warnings: list[str] = []
    config = load_stack_config(project_dir, stack, warnings=config_warnings)
    if not config_file.exists():
        raise ReviewError(
            f"{_rel(config_file)}: policy pack config not found. Fix: create it with "
            f"{json.dumps(starter_pack_config(config, project.name))} (what the shipped "
            f"stacks' configs hold; the office list belongs to whoever guards the account), "
            f"or pass another --config-file"
        )
    old_state: Baseline | None = None
    if baseline is not None:  # read and checked before anything runs
        old_state = load_baseline(Path(baseline), stack=stack, project=project.name)

    # Start one pack per run now (as the CLI does per operation, with PULUMI_DRY_RUN set
    # accordingly): they boot while the program runs.
    packs: dict[str, PolicyPack] = {}
    runs: dict[str, ProgramRun] = {}
    try:
        for spec in specs:
            packs[spec.label] = PolicyPack(
                pack_dir,
                python,
                env=pack_env(
                    config, stack=stack, project=project.name, dry_run=spec.mode.dry_run
                ),
            )
        timings["spawn"] = time.perf_counter() - t0

        def program(mode: RunMode, **kw: Any) -> ProgramRun:
            return run_program(
                project.main, config=config, mode=mode, stack=stack, project=project.name, **kw
            )

        update: ProgramRun | None = None
        for spec in specs:
            t = time.perf_counter()
            if spec.mode is RunMode.DEPLOYED:
                if update is None:  # one update run makes both shapes of the deployed state
                    update = runs.get("update") or program(RunMode.UPDATE)
                    _no_errors(update, "update")
                state = deployed_baseline(update, spec.shape)
                runs[spec.label] = program(spec.mode, baseline=state, shape=spec.shape)
            elif spec.mode is RunMode.BASELINE:
                runs[spec.label] = program(spec.mode, baseline=old_state)
            else:
                runs[spec.label] = program(spec.mode)
                if spec.mode is RunMode.UPDATE:
                    update = runs[spec.label]
            timings[f"program_{spec.label}"] = time.perf_counter() - t
            _no_errors(runs[spec.label], spec.label)

        # The program accepted the stack's values; now, before analysing, the pack's list.
        check_office_cidrs(config, project=project.name, stack=stack, config_file=config_file)
        results: list[ModeResult] = []
        for spec in specs:
            t = time.perf_counter()
            pack = packs[spec.label]
            pack.wait_ready()
            timings[f"pack_ready_{spec.label}"] = time.perf_counter() - t0
            pack.configure_stack(
                stack=stack, project=project.name, config=config, dry_run=spec.mode.dry_run
            )
            pack.configure(config_file)
            run = runs[spec.label]
            results.append(ModeResult(spec.label, run, pack.analyze(run)))
            timings[f"analyze_{spec.label}"] = time.perf_counter() - t
        info = packs[specs[0].label].info()
        policies = packs[specs[0].label].policies
    finally:
        for pack in packs.values():
            pack.close()
    bill: Bill | None = None
    cost_error = ""
    try:  # priced from the update run (ids known), else the first run there is
        bill = estimate(update or runs[specs[0].label])
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
        config_warnings=config_warnings,
    )


def _no_errors(run: ProgramRun, label: str) -> None:
    errors = [e for e in run.logs if e.severity == "error"]
    if errors:
        raise ProgramError(f"program logged an error ({label}): {errors[0].message}")
