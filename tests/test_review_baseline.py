"""A change reviewed against a deployed stack's state (issue 13, point 2): URNs as the engine
makes them, the export read and checked, and each resource's step as the engine decides it
(same, update, replace, create, delete), with what goes back to the program and to the pack.

The old states are ``pulumi stack export`` documents (``tests.exports.export_of``: the update
run recorded as the engine records a finished ``pulumi up``), edited to be the stack before the
change each test makes.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from review import ReviewError, run_program
from review.baseline import SECRET_SIG, SIG_KEY, parse_baseline
from review.engine import deployed_baseline
from review.mocks import UNKNOWN
from review.plan import Op, ProgramRun, RunMode, engine_urn, step_summary
from review.stack_config import load_project, load_stack_config
from tests.exports import export_of, resource

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {"tiered-network:prefix": "t", "aws:region": "ap-northeast-2"}


# ------------------------------------------------------------------ programs
class Tier(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:net:Tier", name, None, opts)
        self.vpc = aws.ec2.Vpc("vpc", cidr_block="10.9.0.0/24",
                               opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class Net(pulumi.ComponentResource):
    def __init__(self, name: str, cidr: str, protect: bool = False) -> None:
        super().__init__("test:net:Net", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.tier = Tier("tier", child)
        self.subnet = aws.ec2.Subnet(
            "public-a", vpc_id=self.tier.vpc.id, cidr_block=cidr,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.register_outputs({"subnetId": self.subnet.id})


def program(cidr: str = "10.9.0.0/26", ssh: str = "203.0.113.0/24", *, extra_rule: bool = True,
            protect: bool = False, ami: str = "ami-new") -> Any:
    def main() -> None:
        net = Net("net", cidr, protect)
        sg = aws.ec2.SecurityGroup("web-sg", vpc_id=net.tier.vpc.id)
        aws.vpc.SecurityGroupIngressRule(
            "ssh", security_group_id=sg.id, ip_protocol="tcp", from_port=22, to_port=22,
            cidr_ipv4=ssh,
        )
        if extra_rule:
            aws.vpc.SecurityGroupIngressRule(
                "http", security_group_id=sg.id, ip_protocol="tcp", from_port=80, to_port=80,
                cidr_ipv4="0.0.0.0/0",
            )
        web = aws.ec2.Instance(
            "web", ami=ami, instance_type="t3.micro", subnet_id=net.subnet.id,
            vpc_security_group_ids=[sg.id], user_data="#!/bin/sh\necho hi\n",
            opts=pulumi.ResourceOptions(ignore_changes=["ami"]),
        )
        aws.sqs.Queue("queue")  # a type review/tfschema.json does not list
        pulumi.export("webIp", web.private_ip)
        pulumi.export("sgName", sg.name)

    return main


def up(**kw: Any) -> ProgramRun:
    return run_program(program(**kw), config=CONFIG, mode="update", stack="t")


def against(doc: dict[str, Any], **kw: Any) -> ProgramRun:
    old = parse_baseline(doc, source="old.json", stack="t", project="tiered-network")
    return run_program(program(**kw), config=CONFIG, mode="baseline", stack="t", baseline=old)


def step(run: ProgramRun, name: str) -> Any:
    found = [s for s in run.steps if s.name == name]
    assert len(found) == 1, [s.name for s in run.steps]
    return found[0]


def res(run: ProgramRun, name: str) -> Any:
    (found,) = [r for r in run.resources if r.name == name]
    return found


# ------------------------------------------------------------------ URNs (point 1)
def test_urns_are_the_engines_root_stack_type_left_out_parent_types_kept() -> None:
    run = up()
    stack = "urn:pulumi:t::tiered-network::pulumi:pulumi:Stack::tiered-network-t"
    assert res(run, "tiered-network-t").urn == stack
    # a child of the stack: no "pulumi:pulumi:Stack$" (the SDK's mock monitor would add it)
    assert res(run, "net").urn == "urn:pulumi:t::tiered-network::test:net:Net::net"
    assert res(run, "web").urn == "urn:pulumi:t::tiered-network::aws:ec2/instance:Instance::web"
    # a grandchild keeps its parent's WHOLE qualified type (the mock keeps only the last part)
    assert res(run, "vpc").urn == (
        "urn:pulumi:t::tiered-network::test:net:Net$test:net:Tier$aws:ec2/vpc:Vpc::vpc"
    )
    assert res(run, "vpc").parent == res(run, "tier").urn
    assert engine_urn("s", "p", stack, "a:b:C", "n") == "urn:pulumi:s::p::a:b:C::n"


def test_the_shipped_stack_urns_match_the_engine_rule() -> None:
    project = load_project(ROOT)
    run = run_program(project.main, config=load_stack_config(ROOT, "dev"), mode="update",
                      stack="dev", project=project.name)
    by_urn = run.by_urn()
    for r in run.resources:
        parent = by_urn.get(r.parent)
        if r.type == "pulumi:pulumi:Stack":
            continue
        assert parent is not None, r.urn
        assert r.urn == engine_urn("dev", project.name, parent.urn, r.type, r.name)
        assert "pulumi:pulumi:Stack$" not in r.urn


# ------------------------------------------------------------------ steps
@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return export_of(up())


def test_an_unchanged_program_is_all_same_and_gets_the_old_ids_and_outputs(
    base: dict[str, Any],
) -> None:
    doc = copy.deepcopy(base)
    # what AWS assigned: the program must get these back, not the mocks' values
    web = resource(doc, "web")
    web["id"] = web["outputs"]["id"] = "i-0123456789abcdef0"
    web["outputs"]["privateIp"] = "10.9.0.42"
    run = against(doc)
    assert {s.op for s in run.steps} == {Op.SAME}, [(s.name, s.op, s.diffs) for s in run.steps]
    assert len(run.steps) == len(base["deployment"]["resources"])
    assert res(run, "web").outputs["id"] == "i-0123456789abcdef0"
    assert run.outputs["webIp"] == "10.9.0.42"  # the old output went back to the program
    assert run.mode == RunMode.BASELINE and run.dry_run and run.baseline == "old.json"
    assert step_summary(run.steps) == ["Resources:", f"    {len(run.steps)} unchanged"]


def test_a_changed_rule_is_an_update_with_the_old_id_and_the_new_value(
    base: dict[str, Any],
) -> None:
    doc = copy.deepcopy(base)
    ssh = resource(doc, "ssh")
    ssh["inputs"]["cidrIpv4"] = ssh["outputs"]["cidrIpv4"] = "198.51.100.0/24"
    ssh["id"] = ssh["outputs"]["id"] = "sgr-0aaa"
    run = against(doc)
    s = step(run, "ssh")
    assert s.op is Op.UPDATE and s.diffs == ("cidrIpv4",) and not s.replaces
    out = res(run, "ssh").outputs
    assert out["cidrIpv4"] == "203.0.113.0/24"  # AnalyzeStack: the new inputs ...
    assert out["id"] == "sgr-0aaa" and out["arn"] == ssh["outputs"]["arn"]  # ... old computed
    assert res(run, "ssh").inputs["cidrIpv4"] == "203.0.113.0/24"  # Analyze: checked inputs
    others = {x.name: x.op for x in run.steps if x.name != "ssh"}
    assert set(others.values()) == {Op.SAME}, others
    assert step_summary(run.steps)[1] == "    ~ 1 to update"


def test_a_changed_force_new_field_replaces_and_its_id_and_dependants_are_unknown(
    base: dict[str, Any],
) -> None:
    doc = copy.deepcopy(base)
    sub = resource(doc, "public-a")
    sub["inputs"]["cidrBlock"] = sub["outputs"]["cidrBlock"] = "10.9.0.64/26"
    run = against(doc)
    s = step(run, "public-a")
    assert s.op is Op.REPLACE and s.replaces == ("cidrBlock",)
    assert res(run, "public-a").outputs["id"] == UNKNOWN  # replace: ids unknown
    assert res(run, "public-a").outputs["arn"] == UNKNOWN
    # the instance takes the subnet's new (unknown) id, and subnetId forces a new instance
    web = step(run, "web")
    assert web.op is Op.REPLACE and "subnetId" in web.replaces
    assert res(run, "web").inputs["subnetId"] == UNKNOWN
    assert res(run, "web").outputs["id"] == UNKNOWN
    assert run.outputs["webIp"] == UNKNOWN
    assert step(run, "vpc").op is Op.SAME


def test_a_resource_gone_from_the_program_is_a_delete_absent_from_the_plan(
    base: dict[str, Any],
) -> None:
    run = against(copy.deepcopy(base), extra_rule=False)
    s = step(run, "http")
    assert s.op is Op.DELETE and run.steps[-1] is s
    assert "http" not in {r.name for r in run.resources}  # so not in AnalyzeStack either
    assert step_summary(run.steps)[1] == "    - 1 to delete"


def test_a_resource_new_in_the_program_is_a_create_planned_with_unknowns(
    base: dict[str, Any],
) -> None:
    doc = copy.deepcopy(base)
    doc["deployment"]["resources"] = [
        r for r in doc["deployment"]["resources"] if not r["urn"].endswith("::http")
    ]
    run = against(doc)
    s = step(run, "http")
    assert s.op is Op.CREATE
    assert res(run, "http").outputs["id"] == UNKNOWN
    assert res(run, "http").outputs["cidrIpv4"] == "0.0.0.0/0"
    assert {x.op for x in run.steps if x.name != "http"} == {Op.SAME}


def test_ignore_changes_keeps_the_old_ami_instead_of_replacing(base: dict[str, Any]) -> None:
    doc = copy.deepcopy(base)
    web = resource(doc, "web")
    web["inputs"]["ami"] = web["outputs"]["ami"] = "ami-old"
    run = against(doc, ami="ami-newer")
    assert step(run, "web").op is Op.SAME  # without ignoreChanges: ami is ForceNew
    assert res(run, "web").inputs["ami"] == "ami-old"  # Analyze sees the old value
    # the same change to a field the program does not ignore replaces it
    doc2 = copy.deepcopy(base)
    web2 = resource(doc2, "web")
    web2["inputs"]["instanceType"] = web2["outputs"]["instanceType"] = "t3.small"
    assert step(against(doc2), "web").op is Op.UPDATE  # instanceType: updatable
    doc3 = copy.deepcopy(base)
    web3 = resource(doc3, "web")
    web3["inputs"]["subnetId"] = web3["outputs"]["subnetId"] = "subnet-0other"
    s = step(against(doc3), "web")
    assert s.op is Op.REPLACE and s.replaces == ("subnetId",)  # ForceNew, not ignored
    # an Optional+Computed field the program leaves out keeps what the state holds
    doc4 = copy.deepcopy(base)
    resource(doc4, "web")["outputs"]["keyName"] = "set-by-aws"
    assert step(against(doc4), "web").op is Op.SAME


def test_check_keeps_the_old_autoname(base: dict[str, Any]) -> None:
    doc = copy.deepcopy(base)
    sg = resource(doc, "web-sg")
    sg["inputs"]["name"] = sg["outputs"]["name"] = "web-sg-0c0ffee"  # the name AWS was given
    sg["inputs"]["__defaults"] = ["description", "name"]
    run = against(doc)
    assert step(run, "web-sg").op is Op.SAME  # a new random suffix would replace it (ForceNew)
    assert res(run, "web-sg").inputs["name"] == "web-sg-0c0ffee"
    assert run.outputs["sgName"] == "web-sg-0c0ffee"
    # a name the old inputs do not list as a default was the user's: Check draws a new one
    sg["inputs"]["__defaults"] = ["description"]
    s = step(against(doc), "web-sg")
    assert s.op is Op.REPLACE and s.replaces == ("name",)


def test_check_fills_the_old_defaults_listed_in_defaults(base: dict[str, Any]) -> None:
    """A Terraform default that the last Check filled (the old inputs list it in __defaults)
    is filled again; a type review/tfschema.json does not list is otherwise diffed harshly."""
    doc = copy.deepcopy(base)
    queue = resource(doc, "queue")
    queue["inputs"]["visibilityTimeoutSeconds"] = 30  # the sqs schema's Default
    queue["outputs"]["visibilityTimeoutSeconds"] = 30
    queue["inputs"]["__defaults"] = ["visibilityTimeoutSeconds"]
    run = against(doc)
    assert step(run, "queue").op is Op.SAME
    assert res(run, "queue").inputs["visibilityTimeoutSeconds"] == 30
    queue["inputs"]["__defaults"] = []  # the program set it before, and now leaves it out
    s = step(against(doc), "queue")
    assert s.op is Op.REPLACE and s.replaces == ("visibilityTimeoutSeconds",)  # unlisted: harsh


def test_a_replacement_draws_a_new_autoname(base: dict[str, Any]) -> None:
    doc = copy.deepcopy(base)
    sg = resource(doc, "web-sg")
    sg["inputs"]["vpcId"] = sg["outputs"]["vpcId"] = "vpc-0other"
    run = against(doc)
    assert step(run, "web-sg").op is Op.REPLACE
    assert res(run, "web-sg").inputs["name"] != sg["inputs"]["name"]


def test_replacing_or_deleting_a_protected_resource_stops_the_preview(
    base: dict[str, Any],
) -> None:
    prot = export_of(up(protect=True))
    sub = resource(prot, "public-a")
    sub["inputs"]["cidrBlock"] = sub["outputs"]["cidrBlock"] = "10.9.0.64/26"
    with pytest.raises(ReviewError, match=r"unable to replace resource .*::public-a as it is "
                                          r"currently marked for protection"):
        against(prot, protect=True)
    prot2 = export_of(up(protect=True))
    extra = copy.deepcopy(resource(prot2, "public-a"))
    extra["urn"] = extra["urn"].replace("::public-a", "::public-old")
    extra["protect"] = True
    prot2["deployment"]["resources"].append(extra)
    with pytest.raises(ReviewError, match=r"unable to delete resource .*::public-old"):
        against(prot2, protect=True)


def test_a_ciphertext_stays_opaque_and_counts_as_changed(base: dict[str, Any]) -> None:
    doc = copy.deepcopy(base)
    web = resource(doc, "web")
    web["inputs"]["userData"] = web["outputs"]["userData"] = {
        SIG_KEY: SECRET_SIG, "ciphertext": "v1:CIPHERTEXT-MUST-NOT-LEAK",
    }
    run = against(doc)
    s = step(run, "web")
    assert s.op is Op.UPDATE and s.diffs == ("userData",)
    assert "CIPHERTEXT-MUST-NOT-LEAK" not in json.dumps([vars(r) for r in run.resources])
    assert "CIPHERTEXT-MUST-NOT-LEAK" not in repr(parse_baseline(
        doc, source="old.json", stack="t", project="tiered-network"))


def test_a_plaintext_secret_compares_by_value(base: dict[str, Any]) -> None:
    doc = copy.deepcopy(base)
    web = resource(doc, "web")
    plain = json.dumps(web["outputs"]["userData"])
    web["outputs"]["userData"] = {SIG_KEY: SECRET_SIG, "plaintext": plain}
    assert step(against(doc), "web").op is Op.SAME


def test_the_deployed_baseline_is_made_from_an_update_run_only(base: dict[str, Any]) -> None:
    preview = run_program(program(), config=CONFIG, mode="preview", stack="t")
    with pytest.raises(ValueError, match="update run"):
        deployed_baseline(preview, "fresh")


def test_mode_and_baseline_go_together(base: dict[str, Any]) -> None:
    old = parse_baseline(base, source="old.json", stack="t", project="tiered-network")
    with pytest.raises(ValueError, match="needs the old state"):
        run_program(program(), config=CONFIG, mode="baseline", stack="t")
    with pytest.raises(ValueError, match="goes with mode"):
        run_program(program(), config=CONFIG, mode="update", stack="t", baseline=old)
    with pytest.raises(ValueError, match="mode must be one of"):
        run_program(program(), config=CONFIG, mode="upgrade", stack="t")
    with pytest.raises(ValueError, match="shape must be one of fresh, refreshed, not 'stale'"):
        run_program(program(), config=CONFIG, mode="deployed", stack="t", shape="stale",
                    baseline=old)


def test_a_stack_deployed_before_its_components_were_renamed_keeps_them_through_aliases() -> None:
    """The dev stack as it was exported before issue 14 renamed the network and bastion
    components (tierednet:network:TieredNetwork, tierednet:compute:Bastion) and moved the audit
    log under the bastion: the components' aliases (and the aliases their children inherit,
    step_generator.go generateAliases / inheritedChildAlias) find every old resource, so nothing
    is created or deleted."""
    project = load_project(ROOT)
    config = load_stack_config(ROOT, "dev")
    run = run_program(project.main, config=config, mode="update", stack="dev",
                      project=project.name)
    text = json.dumps(export_of(run))
    old_text = (
        text.replace("tierednet:index:Bastion$tierednet:audit:AuditLog", "tierednet:audit:AuditLog")
        .replace("tierednet:index:TieredNetwork", "tierednet:network:TieredNetwork")
        .replace("tierednet:index:Bastion", "tierednet:compute:Bastion")
    )
    assert old_text != text and "tierednet:index:" not in old_text
    doc = json.loads(old_text)
    for r in doc["deployment"]["resources"]:  # the old stack's parent links: the audit log
        if r["urn"].endswith("tierednet:audit:AuditLog::bastion-audit"):  # was the stack's
            r["parent"] = "urn:pulumi:dev::tiered-network::pulumi:pulumi:Stack::tiered-network-dev"
    old = parse_baseline(doc, source="pre-14.json", stack="dev", project=project.name)
    preview = run_program(project.main, config=config, mode="baseline", stack="dev",
                          project=project.name, baseline=old)
    ops = {(s.name, s.op) for s in preview.steps if s.op is not Op.SAME}
    assert not ops, ops
    assert len(preview.steps) == len(run.resources)
    # without the aliases the same old state would mean a new network: create + delete
    unaliased = json.loads(old_text.replace("tierednet:network:TieredNetwork",
                                            "tierednet:network:OldNetwork"))
    old2 = parse_baseline(unaliased, source="x.json", stack="dev", project=project.name)
    churn = run_program(project.main, config=config, mode="baseline", stack="dev",
                        project=project.name, baseline=old2)
    assert {s.op for s in churn.steps} >= {Op.CREATE, Op.DELETE}


def test_the_reachability_matrix_reads_the_declared_rules_not_a_stale_stored_copy() -> None:
    """A pull request that deleted the bastion group's inline world-SSH rule: the group is
    unchanged for the engine (ingress is Optional+Computed, the stored copy stays until a
    refresh), so AnalyzeStack gets the stale copy; the matrix, like the pack, reads what the
    program declares (review/reachability.py passes the checked inputs)."""
    from review import reachability

    project = load_project(ROOT)
    config = load_stack_config(ROOT, "dev")
    run = run_program(project.main, config=config, mode="update", stack="dev",
                      project=project.name)
    doc = export_of(run)
    sg = resource(doc, "bastion-sg")
    sg["outputs"]["ingress"] = [{"protocol": "tcp", "fromPort": 22, "toPort": 22,
                                 "cidrBlocks": ["0.0.0.0/0"], "description": "old"}]
    old = parse_baseline(doc, source="old.json", stack="dev", project=project.name)
    change = run_program(project.main, config=config, mode="baseline", stack="dev",
                         project=project.name, baseline=old)
    assert step(change, "bastion-sg").op is Op.SAME
    assert res(change, "bastion-sg").outputs["ingress"][0]["cidrBlocks"] == ["0.0.0.0/0"]
    sources = {s for p in reachability.matrix(change)["bastion"]["ingressFromInternet"]
               for s in p["sources"]}
    assert sources == {"203.0.113.0/24"}
    blind = [dataclasses.replace(r, inputs=None) for r in reachability.records(change)]
    from policies.rules.netmodel import NetworkModel

    model = NetworkModel(blind)  # the no-inputs reading sees the stale rule as live
    (iface,) = model.servers()["bastion"]
    assert "0.0.0.0/0" in {s for e in model.internet_ingress(iface) for s in e.sources}
