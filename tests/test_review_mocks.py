"""AwsMocks: computed values in update mode, unknowns in preview mode, invokes."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs

from review.mocks import UNKNOWN, AwsMocks, UnsupportedInvokeError
from review.plan import ProgramRun


def _args(typ: str, name: str, **inputs: object) -> MockResourceArgs:
    return MockResourceArgs(typ=typ, name=name, inputs=dict(inputs), custom=True)


# ------------------------------------------------------------- direct calls
def test_update_ids_arn_and_inputs_passthrough() -> None:
    m = AwsMocks("update")
    rid, out = m.new_resource(
        _args(
            "aws:ec2/securityGroup:SecurityGroup", "web-sg", vpcId="vpc-id", tags={"Name": "x-web"}
        )
    )
    assert rid == "web-sg-id"
    assert out["vpcId"] == "vpc-id"
    assert out["tags"] == {"Name": "x-web"}
    assert out["arn"].startswith("arn:aws:ec2:") and out["arn"].endswith("/web-sg-id")
    assert out["ownerId"] == "123456789012"


def test_instance_private_ip_inside_subnet_cidr_and_sequential() -> None:
    m = AwsMocks("update")
    sid, _ = m.new_resource(
        _args("aws:ec2/subnet:Subnet", "private-a", cidrBlock="192.168.7.128/27")
    )
    _, a = m.new_resource(
        _args("aws:ec2/instance:Instance", "db", subnetId=sid, associatePublicIpAddress=False)
    )
    _, b = m.new_resource(
        _args("aws:ec2/instance:Instance", "db2", subnetId=sid, associatePublicIpAddress=False)
    )
    net = ipaddress.ip_network("192.168.7.128/27")
    assert a["privateIp"] == "192.168.7.138"
    assert b["privateIp"] == "192.168.7.139"
    assert ipaddress.ip_address(a["privateIp"]) in net
    assert a["publicIp"] == ""
    assert a["privateDns"].startswith("ip-192-168-7-138.")


def test_public_ip_only_when_associate_public_ip_address() -> None:
    m = AwsMocks("update")
    sid, _ = m.new_resource(_args("aws:ec2/subnet:Subnet", "pub", cidrBlock="10.0.0.0/26"))
    _, pub = m.new_resource(
        _args("aws:ec2/instance:Instance", "web", subnetId=sid, associatePublicIpAddress=True)
    )
    _, priv = m.new_resource(_args("aws:ec2/instance:Instance", "app", subnetId=sid))
    assert ipaddress.ip_address(pub["publicIp"]) in ipaddress.ip_network("203.0.113.0/24")
    assert priv["publicIp"] == ""


def test_eip_and_nat_gateway() -> None:
    m = AwsMocks("update")
    sid, _ = m.new_resource(_args("aws:ec2/subnet:Subnet", "pub", cidrBlock="10.0.0.0/26"))
    eid, eip = m.new_resource(_args("aws:ec2/eip:Eip", "nat-eip", domain="vpc"))
    assert eip["allocationId"] == eid
    assert eip["publicIp"].startswith("203.0.113.")
    _, nat = m.new_resource(
        _args("aws:ec2/natGateway:NatGateway", "nat", subnetId=sid, allocationId=eid)
    )
    assert nat["publicIp"] == eip["publicIp"]
    assert ipaddress.ip_address(nat["privateIp"]) in ipaddress.ip_network("10.0.0.0/26")


def test_preview_computed_keys_and_id_unknown_inputs_kept() -> None:
    m = AwsMocks("preview")
    rid, out = m.new_resource(
        _args(
            "aws:ec2/instance:Instance",
            "web",
            subnetId=UNKNOWN,
            instanceType="t3.micro",
            associatePublicIpAddress=True,
        )
    )
    assert rid == ""
    assert out["instanceType"] == "t3.micro"
    assert out["subnetId"] == UNKNOWN
    for key in ("privateIp", "publicIp", "privateDns", "arn", "id"):
        assert out[key] == UNKNOWN, key


def test_components_get_no_computed_outputs() -> None:
    rid, out = AwsMocks("update").new_resource(
        MockResourceArgs(typ="tiered:net:Network", name="net", inputs={}, custom=False)
    )
    assert (rid, out) == ("", {})


def test_get_ami_and_unsupported_invoke() -> None:
    m = AwsMocks("preview")
    ret, failures = m.call(MockCallArgs("aws:ec2/getAmi:getAmi", {"mostRecent": True}, ""))
    assert failures == []
    assert "24.04" in ret["name"] and ret["name"].startswith("ubuntu/")
    assert ret["id"] == ret["imageId"] and ret["id"].startswith("ami-")
    assert ret["architecture"] == "x86_64"
    with pytest.raises(UnsupportedInvokeError, match="aws:s3/getBucket:getBucket"):
        m.call(MockCallArgs("aws:s3/getBucket:getBucket", {}, ""))


def test_bad_mode_rejected() -> None:
    with pytest.raises(ValueError, match="mode"):
        AwsMocks("up")  # type: ignore[arg-type]


# ------------------------------------------- through the SDK (set_mocks)
def _program() -> tuple[aws.ec2.Subnet, aws.ec2.Instance, str]:
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.1.0.0/24")
    subnet = aws.ec2.Subnet(
        "public-a", vpc_id=vpc.id, cidr_block="10.1.0.0/26", map_public_ip_on_launch=False
    )
    ami = aws.ec2.get_ami(most_recent=True, owners=["099720109477"])
    inst = aws.ec2.Instance(
        "web",
        subnet_id=subnet.id,
        ami=ami.id,
        instance_type="t3.micro",
        associate_public_ip_address=True,
    )
    return subnet, inst, ami.name


def _known(o: pulumi.Output) -> pulumi.Output:
    """An Output of (is_known, value) for assertion."""

    async def get() -> tuple[bool, object]:
        value = await o.future(with_unknowns=True)
        # An Unknown inside the tuple would make the apply below skip in preview: flatten it.
        return await o.is_known(), ("<unknown>" if type(value).__name__ == "Unknown" else value)

    return pulumi.Output.from_input(get())


def test_sdk_update_mode_values_known() -> None:
    pulumi.runtime.set_mocks(AwsMocks("update"), project="p", stack="s", preview=False)

    @pulumi.runtime.test
    def check() -> pulumi.Output:
        subnet, inst, ami_name = _program()
        assert "24.04" in ami_name

        def verify(args: list) -> None:
            (id_known, sid), (ip_known, ip), (pub_known, pub) = args
            assert id_known and sid == "public-a-id"
            assert ip_known and ip == "10.1.0.10"
            assert pub_known and pub.startswith("203.0.113.")

        return pulumi.Output.all(
            _known(subnet.id), _known(inst.private_ip), _known(inst.public_ip)
        ).apply(verify)

    check()


def test_sdk_preview_mode_unknowns_propagate() -> None:
    pulumi.runtime.set_mocks(AwsMocks("preview"), project="p", stack="s", preview=True)
    seen: dict[str, object] = {}

    @pulumi.runtime.test
    def check() -> pulumi.Output:
        subnet, inst, ami_name = _program()
        assert "24.04" in ami_name  # invokes run during preview: known
        inst.private_ip.apply(lambda v: seen.setdefault("apply_ran", v))

        def verify(args: list) -> None:
            (id_known, _), (ip_known, _), (sub_known, _), (type_known, itype) = args
            assert not id_known, "subnet id must be unknown in preview"
            assert not ip_known, "instance privateIp must be unknown in preview"
            assert not sub_known, "instance subnetId (derived input) must be unknown"
            assert type_known and itype == "t3.micro"
            seen["verified"] = True

        return pulumi.Output.all(
            _known(subnet.id),
            _known(inst.private_ip),
            _known(inst.subnet_id),
            _known(inst.instance_type),
        ).apply(verify)

    check()
    assert seen.get("verified") is True, "the preview assertions did not run"
    assert "apply_ran" not in seen, "apply on an unknown output must not run in preview"


_RUNS = [("update", None), ("preview", None), ("deployed", "fresh"), ("deployed", "refreshed")]
_ALLOCATED = ("privateIp", "publicIp", "privateDns", "publicDns")  # what the mocks hand out


def _same(run: ProgramRun) -> list[str]:
    """``run`` as the policy tests may rely on it: each address the mocks allocated read as
    "an address" wherever it appears (every other value, CIDRs included, exactly), each
    resource's dependencies as a set, each mapping by its keys (tests/runs.py)."""
    allocated = {v for r in run.resources for k, v in r.outputs.items()
                 if k in _ALLOCATED and isinstance(v, str) and v and v != UNKNOWN}
    allocated |= {a.replace(".", "-") for a in allocated}
    pattern = re.compile("|".join(rf"(?<![\d.-]){re.escape(a)}(?![\d.-])"
                                  for a in sorted(allocated, key=len, reverse=True)) or "$^")
    resources = [dataclasses.replace(
        r, dependencies=sorted(r.dependencies),
        property_dependencies={k: sorted(v) for k, v in r.property_dependencies.items()})
        for r in run.resources]
    parts = [*map(dataclasses.asdict, [*resources, *run.steps, *run.logs]), run.outputs,
             run.config]
    return sorted(pattern.sub("<address>", json.dumps(p, sort_keys=True, default=str))
                  for p in parts)


def _differ(a: list[str], b: list[str]) -> str:
    return "\n".join(f"- {x}\n+ {y}" for x, y in zip(sorted(set(a) - set(b)),
                                                   sorted(set(b) - set(a)), strict=False))


def _fresh_run(mode: str, shape: str | None) -> ProgramRun:
    from review import run_program
    from review.engine import deployed_baseline
    from tests.test_policies import CASES, PROGRAM_CONFIG

    case = next(c for c in CASES if c.id.startswith("compliant"))
    if shape is None:
        return run_program(case.program(), config=PROGRAM_CONFIG, mode=mode)
    update = run_program(case.program(), config=PROGRAM_CONFIG, mode="update")
    return run_program(case.program(), config=PROGRAM_CONFIG, mode=mode, shape=shape,
                       baseline=deployed_baseline(update, shape))


@pytest.mark.parametrize("mode, shape", _RUNS)
def test_a_case_runs_the_same_every_time(mode: str, shape: str | None) -> None:
    """tests/runs.py runs each policy case once per session and shares it between processes:
    sound only if every run of the same program is the same run. It is, up to three orders
    that vary: the addresses the mocks hand out in the order the SDK's RPCs arrive
    (``_next_host``, ``_next_public_ip``), and the order of each resource's dependencies and
    of a preview's unknown outputs, which the SDK collects in sets (their order follows the
    process's string hashing, PYTHONHASHSEED). Every test already judged one such sample
    (``_same`` reads a run without those orders). The shared run is a copy: changing it
    leaves the next caller's run as it was."""
    from tests.runs import case_run
    from tests.test_policies import CASES, PROGRAM_CONFIG

    case = next(c for c in CASES if c.id.startswith("compliant"))
    first = _same(_fresh_run(mode, shape))
    again = _same(_fresh_run(mode, shape))
    assert len(first) > 20 and again == first, _differ(first, again)
    shared = _same(case_run(case, mode, PROGRAM_CONFIG, shape=shape))
    assert shared == first, _differ(first, shared)
    changed = case_run(case, mode, PROGRAM_CONFIG, shape=shape)
    changed.resources.clear()
    assert _same(case_run(case, mode, PROGRAM_CONFIG, shape=shape)) == first


def test_a_run_from_another_process_is_the_same(tmp_path: Path) -> None:
    """As the xdist workers share runs: each run made by a process with another string-hash
    seed reads the same as this process's."""
    import pickle
    import subprocess
    import sys

    out = tmp_path / "runs.pickle"
    script = ("import pickle, sys; from tests.test_review_mocks import _RUNS, _fresh_run; "
              "pickle.dump([_fresh_run(m, s) for m, s in _RUNS], open(sys.argv[1], 'wb'))")
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    subprocess.run([sys.executable, "-c", script, str(out)], check=True,
                   cwd=Path(__file__).parent.parent, env={**os.environ, "PYTHONHASHSEED": seed})
    theirs = pickle.loads(out.read_bytes())
    for (mode, shape), run in zip(_RUNS, theirs, strict=True):
        ours, other = _same(_fresh_run(mode, shape)), _same(run)
        assert ours == other, f"{mode} {shape}:\n{_differ(ours, other)}"
