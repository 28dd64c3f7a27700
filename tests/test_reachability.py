"""The network model as the review shows it: the reachability matrix of the shipped stacks.

The program runs under the mocks once per stack and mode (module fixture); the matrix comes
from the policy pack's own model (``policies/rules/netmodel/``) fed with the recorded plan.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from review import reachability, run_program
from review.stack_config import load_project, load_stack_config

ROOT = Path(__file__).resolve().parent.parent


def _row(ingress: list[dict[str, Any]], ipv4: str) -> dict[str, Any]:
    return {"ingressFromInternet": ingress, "egress": {"ipv4": ipv4, "ipv6": "none"}}


def _web(igw: str) -> list[dict[str, Any]]:
    via = (
        "public IPv4 (associatePublicIpAddress of instance 'web-instance') + internet gateway "
        f"'{igw}'"
    )
    # Port 80 only: issue 8 closed 443, which nginx does not serve.
    return [{"ports": "80", "protocol": "tcp", "sources": ["0.0.0.0/0"], "via": via}]


def _bastion(igw: str, office: str) -> list[dict[str, Any]]:
    via = (
        "public IPv4 (associatePublicIpAddress of instance 'bastion-instance'; Elastic IP "
        f"'bastion-eip' via instance) + internet gateway '{igw}'"
    )
    return [{"ports": "22", "protocol": "tcp", "sources": [office], "via": via}]


EXPECTED = {
    "dev": {
        "bastion": _row(_bastion("dev-igw", "203.0.113.0/24"), "igw"),
        "db": _row([], "nat"),
        "web": _row(_web("dev-igw"), "igw"),
    },
    "prod": {
        "bastion": _row(_bastion("prod-igw", "198.51.100.0/24"), "igw"),
        "db": _row([], "nat"),
        "web": _row(_web("prod-igw"), "igw"),
    },
}


@pytest.fixture(scope="module")
def matrices() -> dict[tuple[str, str], dict[str, Any]]:
    project = load_project(ROOT)
    out = {}
    for stack in ("dev", "prod"):
        config = load_stack_config(ROOT, stack)
        for mode in ("update", "preview"):
            run = run_program(project.main, config=config, mode=mode, stack=stack,
                              project=project.name)
            out[(stack, mode)] = reachability.matrix(run)
    return out


@pytest.mark.parametrize("mode", ["update", "preview"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_matrix_of_the_shipped_stacks(
    matrices: dict[tuple[str, str], dict[str, Any]], stack: str, mode: str
) -> None:
    # The same in a preview of a new stack: the model decides without ids.
    assert matrices[(stack, mode)] == EXPECTED[stack]


def test_matrix_renders_every_server(matrices: dict[tuple[str, str], dict[str, Any]]) -> None:
    text = "\n".join(reachability.render(matrices[("dev", "update")], "update"))
    assert "db       out: IPv4 nat, IPv6 none" in text
    assert "in:  nothing from the internet" in text
    assert "tcp 22 from 203.0.113.0/24 via public IPv4" in text


def test_model_imports_no_pulumi() -> None:
    code = (
        "import sys; import policies.rules.netmodel, policies.rules.records;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pulumi', 'pulumi_policy', 'pulumi_aws', 'grpc'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bench_copies_are_independent_networks() -> None:
    """The bench's synthetic stack: every copy is its own network with the same matrix."""
    from review.bench_scale import copies

    project = load_project(ROOT)
    run = run_program(project.main, config=load_stack_config(ROOT, "dev"), mode="update",
                      stack="dev", project=project.name)
    synthetic = copies(run, 3)
    urns = [r.urn for r in synthetic.resources]
    assert len(urns) == len(set(urns))
    own = [r for r in run.resources if not r.type.startswith("pulumi:")]
    assert len(synthetic.resources) == len(run.resources) + 2 * len(own)
    table = reachability.matrix(synthetic)
    assert sorted(table) == sorted(f"c{k}-{s}" for k in range(3) for s in ("bastion", "db", "web"))
    for k in range(3):
        assert table[f"c{k}-db"] == EXPECTED["dev"]["db"]
        assert table[f"c{k}-web"]["ingressFromInternet"][0]["via"].endswith(
            f"internet gateway 'c{k}-dev-igw'"
        )
