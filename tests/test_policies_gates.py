"""The gates of `pulumi up` (issue 13 point 5): resource policies stop a resource before it
exists (policies/rules/gates.py), through the real pack over gRPC.

Modes, as review.engine runs them: ``update`` is `pulumi up` of a new stack without a preview
(``--skip-preview``: not a dry run, every value known), where a mandatory ``Analyze``
diagnostic makes the engine bail before the step and before ``AnalyzeStack``
(pulumi/pulumi pkg/resource/deploy/deployment_executor.go); ``preview`` and ``deployed`` are dry
runs, where the stack policies judge the plan before anything exists and the gates stand aside.
Each gate rule gets a violating and a compliant case in every mode, each violation is reported
once, and `--skip-preview` is simulated call by call: ``Analyze`` alone refuses the resource.
test_policies.test_policy_case also runs every case of the tables with the gates on and checks
that no gate refuses what the stack policies pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from review import PolicyPack
from review.analyzer import _analyze_request, _struct
from review.plan import ProgramRun, with_default_providers
from tests.runs import case_run
from tests.test_policies import (
    CASES,
    CONFIG_DIR,
    GATES,
    PROGRAM_CONFIG,
    Case,
    Opts,
    World,
    check,
    config_file,
    pack,
    resource_name,
)

__all__ = ["pack"]  # the session-wide pack fixture

SSH = "ssh-rule-from-office-only"
PUBLIC_IP = "private-tier-no-public-ip-flag"
HARDENING = "host-hardening-declared"
S = "servers-ssh-only-from-bastion"
MODES = ("update", "preview", "deployed")


def _inline_world_ssh(w: World) -> None:
    aws.ec2.SecurityGroup(
        "open-inline",
        vpc_id=w.vpc.id,
        description="inline SSH from anywhere",
        ingress=[{"protocol": "tcp", "from_port": 20, "to_port": 25,
                  "cidr_blocks": ["0.0.0.0/0"], "description": "ssh"}],
        tags={"Tier": "public"},
    )  # fmt: skip


def _bastion_ssh_from(cidr: str) -> Any:
    def tweak(w: World) -> None:
        w.ingress("bastion-ssh-8", "bastion", 22, cidr_ipv4=cidr)

    return tweak


WIDE_OFFICE = {"bastion-ssh-only-from-office": {"officeCidrs": ["8.0.0.0/8"]}}
EXTRA = [
    Case("gate-inline-ssh-range-world", {(S, "open-inline")}, tweak=_inline_world_ssh),
    # The gate reads bastion-ssh-only-from-office.officeCidrs: outside it, refused; inside, not.
    Case("gate-bastion-ssh-from-8/8", {("bastion-ssh-only-from-office", "bastion-ssh-8")},
         tweak=_bastion_ssh_from("8.0.0.0/8")),
    Case("gate-bastion-ssh-from-8/8-office", set(), Opts(office_cidrs=("8.0.0.0/8",)),
         tweak=_bastion_ssh_from("8.0.0.0/8"), config=WIDE_OFFICE),
]
BY_ID = {c.id: c for c in [*CASES, *EXTRA]}

# (case, gate, the resource it stops): one per rule form and fact.
VIOLATING = [
    ("bastion-from-internet-v4", SSH, "bastion-ssh-world"),  # vpc.SecurityGroupIngressRule
    ("bastion-from-internet-v6", SSH, "bastion-ssh-world6"),  # ::/0
    ("web-sg-rule-all-traffic", SSH, "web-all"),  # SecurityGroupRule, all protocols
    ("gate-inline-ssh-range-world", SSH, "open-inline"),  # inline ingress, ports 20-25
    ("gate-bastion-ssh-from-8/8", SSH, "bastion-ssh-8"),  # outside the office list
    ("private-subnet-maps-public-ip", PUBLIC_IP, "priv"),
    ("db-associate-public-ip", PUBLIC_IP, "db"),
    ("imdsv1-optional", HARDENING, "db"),
    ("root-unencrypted", HARDENING, "db"),
    ("launch-template-unhardened", HARDENING, "lt"),
]
# Compliant for the gates: clean, or a violation only the stack policies can decide (a narrow
# public source may be a VPC's own block; an undeclared setting is filled in by AWS).
COMPLIANT = [
    "compliant-dev",
    "gate-bastion-ssh-from-8/8-office",
    "compliant-bastion-https-from-the-world",
    "compliant-bastion-ssh-from-the-vpc",
    "compliant-prod-v6-office-subnet",
    "web-inline-ssh-from-office",
    "bastion-from-office-superset",
    "bastion-all-protocols-sg-rule",
    "imds-unset",
    "root-device-unset",
]


def _run(case: Case, mode: str) -> ProgramRun:
    return case_run(case, mode, PROGRAM_CONFIG, shape="fresh" if mode == "deployed" else None)


def _analyze(pack: PolicyPack, case: Case, mode: str, tmp_path: Path,
             config: dict[str, Any] | None = None) -> list[Any]:
    path = config_file(config if config is not None else case.config, tmp_path, gates=True)
    pack.configure(path)
    return list(pack.analyze(_run(case, mode)))


def _once(diags: list[Any]) -> None:
    seen = [(d.policy, d.urn) for d in diags if d.level == "mandatory"]
    assert len(seen) == len(set(seen)), f"reported twice: {seen}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case_id", "gate", "name"), VIOLATING, ids=[v[0] for v in VIOLATING])
def test_a_gate_stops_the_resource_in_an_update_and_stands_aside_in_a_preview(
    pack: PolicyPack, case_id: str, gate: str, name: str, mode: str, tmp_path: Path
) -> None:
    case = BY_ID[case_id]
    diags = _analyze(pack, case, mode, tmp_path)
    gated = {(d.policy, resource_name(d.urn)) for d in diags if d.policy in GATES}
    _once(diags)
    if mode == "update":
        assert (gate, name) in gated, f"{gate} did not stop {name}: {gated}"
        assert pack.stack_skipped, "a mandatory Analyze diagnostic ends the update"
        d = next(d for d in diags if d.policy == gate)
        assert d.level == "mandatory" and f"'{name}'" in d.message and "Stopped" in d.message
    else:
        assert not gated, "in a dry run the stack policies judge, once"
        check(diags, case.expected_for("update" if mode == "deployed" else mode))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", COMPLIANT)
def test_a_gate_passes_what_it_cannot_refuse(
    pack: PolicyPack, case_id: str, mode: str, tmp_path: Path
) -> None:
    case = BY_ID[case_id]
    diags = _analyze(pack, case, mode, tmp_path)
    assert not [d for d in diags if d.policy in GATES], [d.message for d in diags]
    assert not pack.stack_skipped
    _once(diags)
    check(diags, case.expected_for("update" if mode == "deployed" else mode))


def test_skip_preview_refuses_the_rule_at_analyze(pack: PolicyPack, tmp_path: Path) -> None:
    """`pulumi up --skip-preview`, call by call: the engine sends ``Analyze`` for each resource
    as the program registers it and runs the step only if no mandatory diagnostic came back.
    No ``AnalyzeStack`` is sent (it comes after the steps): the world-open SSH rule is refused
    before it exists, and every other resource of the design passes."""
    case = BY_ID["bastion-from-internet-v4"]
    pack.configure(config_file(case.config, tmp_path, gates=True))
    run = case_run(case, "update", PROGRAM_CONFIG)
    pack.configure_stack(stack=run.stack, project=run.project, config=run.config, dry_run=False)
    resources = list(with_default_providers(run))
    by_urn = {r.urn: r for r in resources}
    answers = pack.call_many(
        "Analyze", resources, [_analyze_request(r, _struct(r.inputs), by_urn) for r in resources]
    )
    refused = {
        r.name: [d.policyName for d in a.diagnostics if d.enforcementLevel == 1]
        for r, a in zip(resources, answers, strict=True)
    }
    assert refused.pop("bastion-ssh-world") == [SSH]
    assert not any(refused.values()), refused


def test_an_advisory_gate_stands_aside_for_its_enabled_stack_policies(
    pack: PolicyPack, tmp_path: Path
) -> None:
    """Reported once whatever the levels: an advisory gate stops nothing, so beside an enabled
    stack policy (which reports after the steps) it is silent; with every stack policy it
    stands for disabled, it is the only reporter."""
    case = BY_ID["bastion-from-internet-v4"]
    dev = json.loads((CONFIG_DIR / "dev.json").read_text())
    diags = _analyze(pack, case, "update", tmp_path, {**dev, SSH: "advisory"})
    assert not pack.stack_skipped
    assert not [d for d in diags if d.policy == SSH]
    check(diags, case.expected)
    alone = {**dev, SSH: "advisory", "bastion-ssh-only-from-office": {
        "enforcementLevel": "disabled", **dev["bastion-ssh-only-from-office"]}, S: "disabled"}
    diags = _analyze(pack, case, "update", tmp_path, alone)
    assert [(d.policy, d.level) for d in diags if d.policy in GATES] == [(SSH, "advisory")]
    assert not pack.stack_skipped
