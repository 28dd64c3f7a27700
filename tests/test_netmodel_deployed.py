"""The network model on records in the shapes the AWS provider stores (issue 13 point 3), with
and without the checked inputs ``Analyze`` saw (pure Python, no pack process).

* An instance's own primary ENI is that instance's interface: the stored
  ``primaryNetworkInterface`` of every deployed instance names it.
* A group's refreshed ``ingress`` and a table's refreshed ``routes`` hold copies of the separate
  rules and routes: each counts once.
* A stale copy (the stored state of a group or table this change leaves alone, holding a rule or
  route the change deletes) is not counted when the inputs were seen -- it is reported as
  undeclared -- and is counted when they were not (the adversarial reading).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from policies.rules import _net
from policies.rules.netmodel import NetworkModel
from policies.rules.records import Index, Record, Res
from review import reachability, run_program
from review.plan import ProgramRun
from tests.deployed_shapes import deployed, with_stored
from tests.test_policies import PROGRAM_CONFIG, Opts, World


def _run(tweak: Callable[[World], None] | None = None, opts: Opts | None = None) -> ProgramRun:
    def program() -> None:
        w = World(opts or Opts())
        if tweak is not None:
            tweak(w)

    return run_program(program, config=PROGRAM_CONFIG, mode="update")


def _records(run: ProgramRun, inputs: bool) -> list[Record]:
    """The run as AnalyzeStack sends it (outputs), with the Analyze inputs when ``inputs``."""
    by_urn = run.by_urn()
    return [
        dataclasses.replace(r, inputs=reachability.plain(by_urn[r.urn].inputs))
        if inputs and by_urn[r.urn].custom else r
        for r in reachability.records(run)
    ]


def _model(run: ProgramRun, inputs: bool) -> NetworkModel:
    return NetworkModel(_records(run, inputs))


def _iface(model: NetworkModel, name: str) -> Any:
    (res,) = [r for r in model.index if r.name == name]
    ifaces = model.interface_of(res)
    assert len(ifaces) == 1, (name, ifaces)
    return ifaces[0]


def _exposures(model: NetworkModel, name: str) -> set[tuple[str, str]]:
    return {(e.ports_text, s) for e in model.internet_ingress(_iface(model, name))
            for s in e.sources}


def _widen_bastion(w: World) -> None:
    w.ingress("bastion-ssh-world", "bastion", 22, cidr_ipv4="0.0.0.0/0")


def _eip_on_db(w: World) -> None:
    aws.ec2.Eip("db-eip", domain="vpc", instance=w.db.id)


@pytest.mark.parametrize("inputs", [True, False])
@pytest.mark.parametrize("shape", ["fresh", "refreshed"])
def test_an_instances_own_primary_eni_is_its_interface(shape: str, inputs: bool) -> None:
    run = deployed(_run(_widen_bastion), shape)
    bastion = next(r for r in run.resources if r.name == "bastion")
    assert bastion.outputs["primaryNetworkInterface"] == {
        "deleteOnTermination": True, "networkInterfaceId": "bastion-eni-id"}
    model = _model(run, inputs)
    for server in ("bastion", "web", "db"):
        assert _iface(model, server).kind == "instance"
    assert ("tcp port 22", "0.0.0.0/0") in _exposures(model, "bastion")
    assert ("tcp port 22", "203.0.113.0/24") in _exposures(model, "bastion")


@pytest.mark.parametrize("inputs", [True, False])
@pytest.mark.parametrize("shape", ["fresh", "refreshed"])
def test_an_eip_on_the_db_gives_it_one_public_address(shape: str, inputs: bool) -> None:
    run = deployed(_run(_eip_on_db), shape)
    eip = next(r for r in run.resources if r.name == "db-eip")
    assert eip.outputs["networkInterface"] == "db-eni-id"  # named both ways once deployed
    model = _model(run, inputs)
    db = _iface(model, "db")
    eip_reasons = [r for r in db.public_v4 if r.res.name == "db-eip"]
    assert len(eip_reasons) == 1
    # The NAT gateway's EIP names the gateway's own interface: no server's, no unknown holder.
    assert model.public_ip_problems == []
    if inputs:  # the stored associatePublicIpAddress (true: the EIP) is not the program's
        assert [r.res.name for r in db.public_v4] == ["db-eip"]


@pytest.mark.parametrize("inputs", [True, False])
def test_refreshed_rules_and_routes_count_once(inputs: bool) -> None:
    run = _run()
    update, refreshed = _model(run, True), _model(deployed(run, "refreshed"), inputs)
    sg = next(r for r in refreshed.index if r.name == "bastion-sg")
    assert sg.get("ingress") if not inputs else sg.stored["ingress"], "the mirror is there"

    def rules(model: NetworkModel, name: str) -> list[str]:
        group = next(r for r in model.index if r.name == name)
        return sorted(f"{r.form} {r.ports_text()} {[c.text for c in r.cidrs]}"
                      for r in model.ingress_rules(group))

    for name in ("bastion-sg", "web-sg", "db-sg"):
        assert len(rules(refreshed, name)) == len(rules(update, name)), name
    table = next(r for r in refreshed.index if r.name == "public-rt")
    assert len(refreshed.routes_of(table)) == len(update.routes_of(
        next(r for r in update.index if r.name == "public-rt")))
    for server in ("bastion", "web", "db"):
        assert _exposures(refreshed, server) == _exposures(update, server)
    assert refreshed.undeclared == [] and _net.undeclared_rules(refreshed.index) == []


def _stale(baseline_tweak: Callable[[World], None], names: set[str],
           opts: Opts | None = None, change_opts: Opts | None = None) -> ProgramRun:
    """The change (no tweak) reviewed against the refreshed state of ``baseline_tweak``: the
    resources ``names`` are unchanged, so their stored outputs are the baseline's."""
    baseline = deployed(_run(baseline_tweak, opts), "refreshed")
    change = deployed(_run(None, change_opts or opts), "refreshed")
    return with_stored(change, baseline, names)


def test_a_stale_rule_copy_is_not_counted_when_the_inputs_were_seen() -> None:
    run = _stale(_widen_bastion, {"bastion-sg"})
    model = _model(run, inputs=True)
    assert ("tcp port 22", "0.0.0.0/0") not in _exposures(model, "bastion")
    found = _net.undeclared_rules(model.index)
    assert [(u.res.name, u.field, u.what) for u in found] == [
        ("bastion-sg", "ingress", "tcp port 22 from 0.0.0.0/0")]


def test_a_stale_rule_copy_counts_without_inputs() -> None:
    model = _model(_stale(_widen_bastion, {"bastion-sg"}), inputs=False)
    assert ("tcp port 22", "0.0.0.0/0") in _exposures(model, "bastion")
    assert _net.undeclared_rules(model.index) == []  # nothing to compare with


def _v6_igw_route_on_private(w: World) -> None:
    aws.ec2.Route("private-v6-igw", route_table_id=w.private_rt.id,
                  destination_ipv6_cidr_block="::/0", gateway_id=w.igw.id)


@pytest.mark.parametrize("inputs", [True, False])
def test_a_stale_route_copy(inputs: bool) -> None:
    model = _model(_stale(_v6_igw_route_on_private, {"private-rt"}, Opts(ipv6=True)), inputs)
    table = next(r for r in model.index if r.name == "private-rt")
    kinds = sorted(r.kind for r in model.routes_of(table))
    assert kinds == (["nat"] if inputs else ["igw", "nat"])
    assert [(u.res.name, u.what) for u in model.undeclared] == (
        [("private-rt", "::/0 to gatewayId igw-id")] if inputs else [])


def test_a_route_the_change_retargets_is_judged_as_the_route() -> None:
    """The private table's stored default route still goes to the IGW; the change points the
    Route resource (same destination) at the NAT: AWS holds one route per destination, so the
    stored one is that Route's old copy, with or without inputs."""
    for inputs in (True, False):
        run = _stale(lambda w: None, {"private-rt"}, Opts(priv_default_route="igw"),
                     Opts(priv_default_route="nat"))
        model = _model(run, inputs)
        table = next(r for r in model.index if r.name == "private-rt")
        assert [r.kind for r in model.routes_of(table)] == ["nat"], inputs
        assert model.undeclared == []


def _nacl_denies_web_ssh(deny: bool) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        entries = [aws.ec2.NetworkAclIngressArgs(protocol="-1", rule_no=200, action="allow",
                                                 cidr_block="0.0.0.0/0", from_port=0, to_port=0)]
        if deny:
            entries.insert(0, aws.ec2.NetworkAclIngressArgs(
                protocol="tcp", rule_no=100, action="deny", cidr_block="0.0.0.0/0",
                from_port=22, to_port=22))
        aws.ec2.NetworkAcl("pub-acl", vpc_id=w.vpc.id, subnet_ids=[w.subnets["pub"].id],
                           ingress=entries)
        w.ingress("web-ssh-world", "web", 22, cidr_ipv4="0.0.0.0/0")

    return tweak


@pytest.mark.parametrize("inputs", [True, False])
def test_a_stale_nacl_deny_never_closes_a_path(inputs: bool) -> None:
    """The change drops the NACL's deny; the NACL's stored entries still hold it. With inputs
    the declaration (allow only) is judged; without, the unattributable stored entries admit."""
    baseline = deployed(_run(_nacl_denies_web_ssh(True)), "refreshed")
    change = deployed(_run(_nacl_denies_web_ssh(False)), "refreshed")
    model = _model(with_stored(change, baseline, {"pub-acl"}), inputs)
    assert ("tcp port 22", "0.0.0.0/0") in _exposures(model, "web")
    # The same NACL deny, declared, does close it (with inputs: the NACL is trusted).
    closed = _model(baseline, inputs=True)
    assert ("tcp port 22", "0.0.0.0/0") not in _exposures(closed, "web")


def test_inputs_decide_what_is_declared() -> None:
    res = Res("aws:ec2/eip:Eip", "urn:e", "e", {"instance": "i-1", "networkInterface": "eni-1"},
              [], {}, inputs={"instance": "i-1", "domain": "vpc"})
    assert res.declared("instance") and not res.declared("networkInterface")
    assert "networkInterface" not in res.props and res.stored["networkInterface"] == "eni-1"
    unseen = Res("aws:ec2/eip:Eip", "urn:e", "e", {"instance": "i-1", "networkInterface": "eni-1"},
                 [], {})
    assert unseen.declared("networkInterface") and unseen.stored == {}
    assert Index([res]).resources[0] is res


@pytest.mark.parametrize("inputs", [True, False])
def test_a_stored_address_or_group_nothing_explains(inputs: bool) -> None:
    """The DB's stored state holds a public IPv4 and a group the program never declared (an
    EIP associated and a group attached in the console, or the copy of an EIP this change
    deletes): reported as undeclared when the inputs were seen, counted when they were not."""
    run = deployed(_run(), "refreshed")
    run = dataclasses.replace(run, resources=[
        dataclasses.replace(r, outputs={**r.outputs, "associatePublicIpAddress": True,
                                        "vpcSecurityGroupIds": ["db-sg-id", "sg-0drift"]})
        if r.name == "db" else r for r in run.resources])
    model = _model(run, inputs)
    db = _iface(model, "db")
    if inputs:
        assert db.public_v4 == [] and [g.name for g in db.groups] == ["db-sg"]
        assert sorted((u.res.name, u.field, u.what) for u in model.undeclared) == [
            ("db", "associatePublicIpAddress",
             "a public IPv4 address (associatePublicIpAddress is true)"),
            ("db", "vpcSecurityGroupIds", "security group sg-0drift")]
    else:
        assert [r.text for r in db.public_v4] == ["associatePublicIpAddress of instance 'db'"]
        assert db.groups_unknown == ["security group sg-0drift (outside this stack)"]
        assert model.undeclared == []
