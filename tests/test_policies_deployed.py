"""One verdict per network (issue 13 point 3), through the real pack over gRPC.

* Property: every violating and compliant case of test_policies, test_policies_attacks,
  test_policies_options, test_policies_doors, test_policies_holders and test_policies_types
  gets, in the review's deployed mode (``run_program(..., mode="deployed", shape=...)``: a
  no-op preview against the program's own update as the provider stores it after
  ``pulumi up``, ``fresh``, and after ``pulumi refresh``, ``refreshed``; review.deployed makes
  the state, review.steps the steps),
  exactly the verdict it gets in update mode: the same (policy, resource) set, nothing skipped.
  The pack gets what the engine sends it: ``Analyze`` with each resource's checked inputs,
  then ``AnalyzeStack`` with each step's planned state (a ``same`` resource's stored outputs).
* A pull request that deletes a bad rule or route is not blocked by the stored copy the group or
  table it leaves alone still holds; the copy is reported by the advisory
  ``no-undeclared-rules`` instead (it is either that stale copy or drift). The change is reviewed
  as ``--baseline`` reviews one: a preview (``mode="baseline"``) against the refreshed export of
  the state before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pulumi_aws as aws
import pytest

from review import PolicyPack, run_program
from review.engine import deployed_baseline
from review.plan import ProgramRun
from tests import (
    test_policies_attacks,
    test_policies_doors,
    test_policies_holders,
    test_policies_options,
    test_policies_types,
)
from tests.runs import case_run
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
SHAPES = ("fresh", "refreshed")
ALL_CASES = [*CASES, *test_policies_attacks.CASES, *test_policies_options.CASES,
             *test_policies_doors.DEPLOYED_CASES, *test_policies_holders.CASES,
             *test_policies_types.CASES]


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_deployed_verdict_is_the_update_verdict(pack: PolicyPack, case: Case,
                                                tmp_path: Path) -> None:
    pack.configure(config_file(case.config, tmp_path))
    for shape in SHAPES:
        deployed = case_run(case, "deployed", PROGRAM_CONFIG, shape=shape)
        diags = pack.analyze(deployed)
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
            after: Callable[[World], None] | None, opts: Opts | None = None) -> list[object]:
    """Review the change from ``before`` to ``after`` as ``--baseline`` does: a preview of
    ``after`` against the refreshed state of ``before`` (the engine decides which resources are
    unchanged and send their stored outputs)."""
    pack.configure(config_file("dev", tmp_path))
    return list(pack.analyze(_against(before, after, opts or Opts())))


def _against(before: Callable[[World], None] | None, after: Callable[[World], None] | None,
             opts: Opts) -> ProgramRun:
    old = run_program(_program(before, opts), config=PROGRAM_CONFIG, mode="update")
    return run_program(_program(after, opts), config=PROGRAM_CONFIG, mode="baseline",
                       baseline=deployed_baseline(old, "refreshed"))


def _world_ssh(w: World) -> None:
    w.ingress("bastion-ssh-world", "bastion", 22, cidr_ipv4="0.0.0.0/0")


def _private_igw_v6(w: World) -> None:
    aws.ec2.Route("private-v6-igw", route_table_id=w.private_rt.id,
                  destination_ipv6_cidr_block="::/0", gateway_id=w.igw.id)


def test_the_baseline_is_blocked(pack: PolicyPack, tmp_path: Path) -> None:
    """The state the next two pull requests start from violates rules 1 and 2."""
    diags = _change(pack, tmp_path, _world_ssh, _world_ssh)
    check(diags, {(B, "bastion-ssh-world")})
    diags = _change(pack, tmp_path, _private_igw_v6, _private_igw_v6, Opts(ipv6=True))
    check(diags, {(N, "priv")})


def test_deleting_a_bad_rule_is_not_blocked_by_its_stored_copy(pack: PolicyPack,
                                                               tmp_path: Path) -> None:
    diags = _change(pack, tmp_path, _world_ssh, None)
    check(diags, {(UN, "bastion-sg")})
    (advice,) = [d for d in diags if d.policy == UN]
    assert "tcp port 22 from 0.0.0.0/0" in advice.message and advice.level == "advisory"


def test_deleting_a_bad_route_is_not_blocked_by_its_stored_copy(pack: PolicyPack,
                                                                tmp_path: Path) -> None:
    diags = _change(pack, tmp_path, _private_igw_v6, None, Opts(ipv6=True))
    check(diags, {(UN, "private-rt")})
    (advice,) = [d for d in diags if d.policy == UN]
    assert re.search(r"::/0 to gatewayId igw-0[0-9a-f]{16}\b", advice.message), advice.message


def test_retargeting_a_route_is_judged_as_the_new_route(pack: PolicyPack,
                                                        tmp_path: Path) -> None:
    """The private default route moves from the IGW to the NAT (same destination, so the
    table's stored copy is that route's old self): clean, and nothing undeclared."""
    pack.configure(config_file("dev", tmp_path))
    before = run_program(_program(None, Opts(priv_default_route="igw")), config=PROGRAM_CONFIG,
                         mode="update")
    old = deployed_baseline(before, "refreshed")
    change = run_program(_program(None, Opts()), config=PROGRAM_CONFIG, mode="baseline",
                         baseline=old)
    check(pack.analyze(change), set())
    noop = run_program(_program(None, Opts(priv_default_route="igw")), config=PROGRAM_CONFIG,
                       mode="deployed", shape="refreshed", baseline=old)
    check(pack.analyze(noop), {(N, "priv")})


def test_deleting_an_eip_on_the_db_after_a_refresh_replaces_the_db(pack: PolicyPack,
                                                                   tmp_path: Path) -> None:
    """After a refresh the DB's stored associatePublicIpAddress is true while the EIP is
    associated (ec2_instance.go resourceInstanceRead: "its primary ENI has an association");
    the program declares false and the attribute is ForceNew, so every preview from then on
    replaces the DB, with or without the EIP (hashicorp/terraform-provider-aws#37318): the pack
    never gets that stale flag as a DB left alone. Deleting the EIP is then clean; keeping it
    is the EIP violation."""
    def eip(w: World) -> None:
        aws.ec2.Eip("db-eip", domain="vpc", instance=w.db.id)

    diags = _change(pack, tmp_path, eip, eip)
    check(diags, {(I, "db-eip")})
    run = _against(eip, None, Opts())
    (db,) = [s for s in run.steps if s.name == "db"]
    assert db.op == "replace" and db.replaces == ("associatePublicIpAddress",)
    (gone,) = [s for s in run.steps if s.name == "db-eip"]
    assert gone.op == "delete"
    check(list(pack.analyze(run)), set())
