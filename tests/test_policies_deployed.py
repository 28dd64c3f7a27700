"""One verdict per network (issue 13 point 3), through the real pack over gRPC.

* Property: every violating and compliant case of test_policies, test_policies_attacks,
  test_policies_options and test_policies_doors gets, on the state the provider stores after
  ``pulumi up`` (``fresh``) and after ``pulumi refresh`` (``refreshed``;
  tests/deployed_shapes.py), exactly the verdict it gets in update mode: the same (policy,
  resource) set, nothing skipped. The pack gets what the engine sends it: ``Analyze`` with each
  resource's checked inputs, then ``AnalyzeStack`` with the stored outputs.
* A pull request that deletes a bad rule or route is not blocked by the stored copy the group or
  table it leaves alone still holds; the copy is reported by the advisory
  ``no-undeclared-rules`` instead (it is either that stale copy or drift).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi_aws as aws
import pytest

from review import PolicyPack, run_program
from review.plan import ProgramRun
from tests import test_policies_attacks, test_policies_doors, test_policies_options
from tests.deployed_shapes import SHAPES, deployed, with_stored
from tests.test_policies import (
    CASES,
    PROGRAM_CONFIG,
    B,
    Case,
    I,
    N,
    Opts,
    World,
    check,
    config_file,
    pack,
)

__all__ = ["pack"]  # the session-wide pack fixture

UN = "no-undeclared-rules"
ALL_CASES = [*CASES, *test_policies_attacks.CASES, *test_policies_options.CASES,
             *test_policies_doors.DEPLOYED_CASES]


def _update(case: Case) -> ProgramRun:
    return run_program(case.program(), config=PROGRAM_CONFIG, mode="update")


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_deployed_verdict_is_the_update_verdict(pack: PolicyPack, case: Case,
                                                tmp_path: Path) -> None:
    pack.configure(config_file(case.config, tmp_path))
    run = _update(case)
    for shape in SHAPES:
        diags = pack.analyze(deployed(run, shape))
        try:
            check(diags, case.expected_for("update"))
        except AssertionError as exc:
            raise AssertionError(f"{shape}: {exc}") from None


def _program(tweak: Callable[[World], None] | None, opts: Opts) -> Callable[[], None]:
    def run() -> None:
        w = World(opts)
        if tweak is not None:
            tweak(w)

    return run


def _change(pack: PolicyPack, tmp_path: Path, before: Callable[[World], None] | None,
            after: Callable[[World], None] | None, unchanged: set[str],
            opts: Opts | None = None) -> list[object]:
    """Review the change from ``before`` to ``after`` against the refreshed state of
    ``before``: the resources ``unchanged`` send their stored (old) outputs."""
    opts = opts or Opts()
    pack.configure(config_file("dev", tmp_path))
    baseline = deployed(run_program(_program(before, opts), config=PROGRAM_CONFIG,
                                    mode="update"), "refreshed")
    change = deployed(run_program(_program(after, opts), config=PROGRAM_CONFIG, mode="update"),
                      "refreshed")
    return list(pack.analyze(with_stored(change, baseline, unchanged)))


def _world_ssh(w: World) -> None:
    w.ingress("bastion-ssh-world", "bastion", 22, cidr_ipv4="0.0.0.0/0")


def _private_igw_v6(w: World) -> None:
    aws.ec2.Route("private-v6-igw", route_table_id=w.private_rt.id,
                  destination_ipv6_cidr_block="::/0", gateway_id=w.igw.id)


def test_the_baseline_is_blocked(pack: PolicyPack, tmp_path: Path) -> None:
    """The state the next two pull requests start from violates rules 1 and 2."""
    diags = _change(pack, tmp_path, _world_ssh, _world_ssh, {"bastion-sg"})
    check(diags, {(B, "bastion-ssh-world")})
    diags = _change(pack, tmp_path, _private_igw_v6, _private_igw_v6, {"private-rt"},
                    Opts(ipv6=True))
    check(diags, {(N, "priv")})


def test_deleting_a_bad_rule_is_not_blocked_by_its_stored_copy(pack: PolicyPack,
                                                               tmp_path: Path) -> None:
    diags = _change(pack, tmp_path, _world_ssh, None, {"bastion-sg"})
    check(diags, {(UN, "bastion-sg")})
    (advice,) = [d for d in diags if d.policy == UN]
    assert "tcp port 22 from 0.0.0.0/0" in advice.message and advice.level == "advisory"


def test_deleting_a_bad_route_is_not_blocked_by_its_stored_copy(pack: PolicyPack,
                                                                tmp_path: Path) -> None:
    diags = _change(pack, tmp_path, _private_igw_v6, None, {"private-rt"}, Opts(ipv6=True))
    check(diags, {(UN, "private-rt")})
    (advice,) = [d for d in diags if d.policy == UN]
    assert "::/0 to gatewayId igw-id" in advice.message


def test_retargeting_a_route_is_judged_as_the_new_route(pack: PolicyPack,
                                                        tmp_path: Path) -> None:
    """The private default route moves from the IGW to the NAT (same destination, so the
    table's stored copy is that route's old self): clean, and nothing undeclared."""
    pack.configure(config_file("dev", tmp_path))
    baseline = deployed(run_program(_program(None, Opts(priv_default_route="igw")),
                                    config=PROGRAM_CONFIG, mode="update"), "refreshed")
    change = deployed(run_program(_program(None, Opts()), config=PROGRAM_CONFIG, mode="update"),
                      "refreshed")
    check(pack.analyze(with_stored(change, baseline, {"private-rt"})), set())
    check(pack.analyze(baseline), {(N, "priv")})


def test_deleting_an_eip_on_the_db_is_not_blocked_by_the_db_stored_address(
        pack: PolicyPack, tmp_path: Path) -> None:
    """The DB's stored associatePublicIpAddress is true while the EIP is associated; the
    change deletes the EIP and leaves the DB alone."""
    def eip(w: World) -> None:
        aws.ec2.Eip("db-eip", domain="vpc", instance=w.db.id)

    diags = _change(pack, tmp_path, eip, eip, {"db"})
    check(diags, {(I, "db-eip")})
    diags = _change(pack, tmp_path, eip, None, {"db"})
    check(diags, {(UN, "db")})

