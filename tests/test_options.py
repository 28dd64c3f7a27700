"""Issue 9's options through the program under the mocks: ipv6, natStrategy instance, and the
access modes (instance-connect, ssm). One program run per stack and mode (module fixture);
bad input is refused before any resource is registered."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from components.access import AccessMode, render_keyless_ssh_config, session_preferences
from components.nat_instance import nat_user_data
from components.network import ipv6_subnet
from review import ProgramRun, run_program
from review.mocks import VPC_IPV6_BLOCK
from tests.conftest import RecordingMocks
from tests.test_settings import ROOT, refused, registered_before_refusal, stack_config

STACKS = ("ipv6", "natinstance", "eic", "ssm")
SHELLCHECK = Path(sys.executable).parent / "shellcheck"


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], ProgramRun]:
    return {
        (stack, mode): run_program(
            ROOT / "__main__.py", config=stack_config(stack), mode=mode, stack=stack
        )
        for stack in STACKS
        for mode in ("update", "preview")
    }


def of_type(run: ProgramRun, suffix: str) -> list[Any]:
    return [r for r in run.resources if r.type.endswith(suffix)]


def named(run: ProgramRun, name: str) -> Any:
    (found,) = [r for r in run.resources if r.name == name]
    return found


# ------------------------------------------------------------------------------------- ipv6


def test_ipv6_subnet_carving_is_the_nth_64_of_the_56() -> None:
    assert ipv6_subnet("2406:da12:7a3:a100::/56", 0) == "2406:da12:7a3:a100::/64"
    assert ipv6_subnet("2406:da12:7a3:a100::/56", 3) == "2406:da12:7a3:a103::/64"
    assert ipv6_subnet("2406:da12:7a3:a100::/56", 255) == "2406:da12:7a3:a1ff::/64"
    with pytest.raises(ValueError, match="does not fit"):
        ipv6_subnet("2406:da12:7a3:a100::/56", 256)


def test_ipv6_addressing(runs: dict[tuple[str, str], ProgramRun]) -> None:
    run = runs[("ipv6", "update")]
    (vpc,) = of_type(run, ":Vpc")
    assert vpc.inputs["assignGeneratedIpv6CidrBlock"] is True
    subnets = of_type(run, ":Subnet")
    blocks = [ipaddress.IPv6Network(s.inputs["ipv6CidrBlock"]) for s in subnets]
    vpc_block = ipaddress.IPv6Network(VPC_IPV6_BLOCK)
    assert all(b.prefixlen == 64 and b.subnet_of(vpc_block) for b in blocks)
    assert len(set(blocks)) == len(blocks), "the /64s overlap"
    assert all(s.inputs["assignIpv6AddressOnCreation"] is True for s in subnets)
    # Preview: the /56 is unknown, so are the /64s (the apply never runs, nothing is invented).
    for s in of_type(runs[("ipv6", "preview")], ":Subnet"):
        assert s.inputs.get("ipv6CidrBlock") in (None, "04da6b54-80e4-46f7-96ec-b56ff0331ba9")


def test_ipv6_routes(runs: dict[tuple[str, str], ProgramRun]) -> None:
    run = runs[("ipv6", "update")]
    (igw,) = of_type(run, ":InternetGateway")
    (eigw,) = of_type(run, ":EgressOnlyInternetGateway")
    v6 = {
        r.name: r.inputs for r in of_type(run, ":Route") if r.inputs.get("destinationIpv6CidrBlock")
    }
    assert v6["ipv6-public-default-ipv6"]["gatewayId"] == igw.outputs["id"]
    assert v6["ipv6-private-rt-default-ipv6"]["egressOnlyGatewayId"] == eigw.outputs["id"]
    assert "gatewayId" not in v6["ipv6-private-rt-default-ipv6"]


def test_ipv6_groups_and_ssh_config(runs: dict[tuple[str, str], ProgramRun]) -> None:
    run = runs[("ipv6", "update")]
    rules = of_type(run, ":SecurityGroupIngressRule")
    assert {r.inputs.get("cidrIpv6") for r in rules if r.name.startswith("web-in-80")} >= {"::/0"}
    office_v6 = [r for r in rules if r.inputs.get("cidrIpv6") == "2001:db8:1234::/48"]
    assert [r.inputs["fromPort"] for r in office_v6] == [22]
    assert named(run, "bastion-instance").inputs["ipv6AddressCount"] == 1
    v6 = run.outputs["bastionIpv6"]
    assert ipaddress.ip_address(v6).version == 6
    assert f"Host ipv6-bastion-v6\n    HostName {v6}\n" in run.outputs["sshConfig"]


def test_ipv6_office_cidrs_need_ipv6(mocks: RecordingMocks) -> None:
    config = stack_config("ipv6", ipv6=False)
    assert registered_before_refusal(mocks, config) == []
    err = refused("ipv6", ipv6=False)
    assert "Pulumi.ipv6.yaml: tiered-network:officeCidrs[1]" in str(err)
    assert "2001:db8:1234::/48" in str(err) and "set ipv6: true" in str(err)


# ----------------------------------------------------------------------------- NAT instance


def test_nat_instance_design(runs: dict[tuple[str, str], ProgramRun]) -> None:
    run = runs[("natinstance", "update")]
    assert of_type(run, ":NatGateway") == []
    (eni,) = of_type(run, ":NetworkInterface")
    assert eni.inputs["sourceDestCheck"] is False
    assert eni.inputs["tags"]["Role"] == "nat"
    public = named(run, "natinstance-external-a")
    assert eni.inputs["subnetId"] == public.outputs["id"]
    (eip,) = [e for e in of_type(run, ":Eip") if e.inputs.get("networkInterface")]
    assert eip.inputs["networkInterface"] == eni.outputs["id"]
    (igw,) = of_type(run, ":InternetGateway")
    assert igw.urn in eip.dependencies  # AssociateAddress needs the IGW attached
    assert run.outputs["natPublicIps"] == [eip.outputs["publicIp"]]
    (route,) = [r for r in of_type(run, ":Route") if r.name == "natinstance-private-rt-default"]
    assert route.inputs["networkInterfaceId"] == eni.outputs["id"]
    assert "instanceId" not in route.inputs
    (asg,) = of_type(run, "autoscaling/group:Group")
    assert (asg.inputs["minSize"], asg.inputs["maxSize"], asg.inputs["desiredCapacity"]) == (
        1,
        1,
        1,
    )
    assert asg.inputs["vpcZoneIdentifiers"] == [public.outputs["id"]]
    (lt,) = of_type(run, ":LaunchTemplate")
    assert asg.inputs["launchTemplate"]["id"] == lt.outputs["id"]
    assert lt.inputs["instanceType"] == "t4g.nano"
    assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
    assert lt.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    assert "networkInterfaceId" not in lt.inputs["networkInterfaces"][0]  # ASGs refuse it
    # The AMI: Amazon Linux 2023 arm64, looked up per architecture.
    assert "al2023" not in lt.inputs["imageId"]  # an id, not a name
    user_data = base64.b64decode(lt.inputs["userData"]).decode()
    assert user_data.startswith("#cloud-config\n")
    config = yaml.safe_load(user_data)
    conf = next(f for f in config["write_files"] if f["path"] == "/etc/nat-instance.conf")
    assert f"eni_id={eni.outputs['id']}" in conf["content"]
    assert "vpc_cidr=192.168.10.0/24" in conf["content"]
    # SSH is not among what it forwards or admits.
    ports = [
        (r.inputs.get("ipProtocol"), r.inputs.get("fromPort"), r.inputs.get("toPort"))
        for r in of_type(run, ":SecurityGroupIngressRule")
        if "nat-instance" in r.name
    ]
    assert ("tcp", 0, 21) in ports and ("tcp", 23, 65535) in ports
    assert not any(p == "tcp" and lo <= 22 <= hi for p, lo, hi in ports if lo is not None)


def test_nat_instance_per_az_and_refusal(mocks: RecordingMocks) -> None:
    subnets = [
        "external-a:public:a:/26",
        "internal-a:private:a:/27",
        "internal-c:private:c:/27",
        "management:management:a:/27",
    ]
    config = stack_config("natinstance", natInstanceCount=0, subnets=subnets, dbSubnet="internal-a")
    assert registered_before_refusal(mocks, config) == []
    err = refused("natinstance", natInstanceCount=0, subnets=subnets, dbSubnet="internal-a")
    text = str(err)
    assert "Pulumi.natinstance.yaml: tiered-network:natStrategy = 'instance'" in text
    assert "ap-northeast-2c" in text and "natInstanceCount: 1" in text
    both = run_program(
        ROOT / "__main__.py",
        config=stack_config(
            "natinstance",
            natInstanceCount=0,
            subnets=["external-c:public:c:/26", *subnets],
            dbSubnet="internal-a",
        ),
        mode="update",
        stack="natinstance",
    )
    assert len(of_type(both, ":NetworkInterface")) == 2
    assert len(of_type(both, "autoscaling/group:Group")) == 2


@pytest.mark.parametrize(
    ("overrides", "key", "fix"),
    [
        ({"natStrategy": "instances"}, "natStrategy", "instance"),
        ({"natInstanceCount": 2}, "natInstanceCount", "0 or 1"),
        ({"natStrategy": "single"}, "natInstanceCount", "natStrategy: instance"),
        ({"natInstanceType": "t3.nano"}, "natInstanceType", "t4g.nano"),
        ({"access": "vpn"}, "access", "instance-connect"),
    ],
)
def test_bad_option_values_are_refused(
    mocks: RecordingMocks, overrides: dict[str, Any], key: str, fix: str
) -> None:
    assert registered_before_refusal(mocks, stack_config("natinstance", **overrides)) == []
    text = str(refused("natinstance", **overrides))
    assert text.startswith(f"Pulumi.natinstance.yaml: tiered-network:{key} = ")
    assert fix in text and "\n" not in text


def test_nat_instance_script_passes_shellcheck() -> None:
    config = yaml.safe_load(nat_user_data("eni-0123", "10.0.0.0/16"))
    (script,) = [f for f in config["write_files"] if f["path"] == "/usr/local/sbin/nat-instance"]
    done = subprocess.run(
        [str(SHELLCHECK), "-s", "sh", "-"],
        input=script["content"],
        text=True,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert "MASQUERADE" in script["content"] and "--device-index 1" in script["content"]
    assert 'ip -4 route replace default via "$router" dev "$nat_if"' in script["content"]
    assert ["systemctl", "disable", "--now", "sshd"] in config["runcmd"]


# --------------------------------------------------------------------------- access modes


def test_instance_connect(runs: dict[tuple[str, str], ProgramRun]) -> None:
    run = runs[("eic", "update")]
    assert [r for r in run.resources if "bastion" in r.name] == []
    (endpoint,) = of_type(run, "instanceConnectEndpoint:InstanceConnectEndpoint")
    assert endpoint.inputs["subnetId"] == named(run, "eic-management").outputs["id"]
    (eice_sg,) = [g for g in of_type(run, ":SecurityGroup") if g.name == "eic-eice-sg"]
    assert endpoint.inputs["securityGroupIds"] == [eice_sg.outputs["id"]]
    ssh_in = [
        r for r in of_type(run, ":SecurityGroupIngressRule") if r.inputs.get("fromPort") == 22
    ]
    assert len(ssh_in) == 2
    assert all(r.inputs["referencedSecurityGroupId"] == eice_sg.outputs["id"] for r in ssh_in)
    assert all("cidrIpv4" not in r.inputs and "cidrIpv6" not in r.inputs for r in ssh_in)
    ids = run.outputs["serverInstanceIds"]
    cfg = run.outputs["sshConfig"]
    assert f"Host eic-db\n    HostName {ids['db']}\n" in cfg
    assert (
        "ProxyCommand aws ec2-instance-connect open-tunnel --region ap-northeast-2 "
        "--instance-id %h" in cfg
    )
    assert "bastionPublicIp" not in run.outputs and run.outputs["access"] == "instance-connect"


def test_session_manager(runs: dict[tuple[str, str], ProgramRun]) -> None:
    run = runs[("ssm", "update")]
    assert [r for r in run.resources if "bastion" in r.name] == []
    assert [
        r for r in of_type(run, ":SecurityGroupIngressRule") if r.inputs.get("fromPort") == 22
    ] == [], "no inbound SSH at all"
    (attach,) = of_type(run, ":RolePolicyAttachment")
    assert attach.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    (profile,) = of_type(run, ":InstanceProfile")
    for server in ("web", "db"):
        assert (
            named(run, f"{server}-instance").inputs["iamInstanceProfile"]
            == (profile.outputs["name"])
        )
    endpoints = {e.inputs["serviceName"]: e.inputs for e in of_type(run, ":VpcEndpoint")}
    assert set(endpoints) == {
        "com.amazonaws.ap-northeast-2.ssm",
        "com.amazonaws.ap-northeast-2.ssmmessages",
    }
    private = named(run, "ssm-internal").outputs["id"]
    for e in endpoints.values():
        assert e["vpcEndpointType"] == "Interface" and e["privateDnsEnabled"] is True
        assert e["subnetIds"] == [private]
    (https,) = [
        r for r in of_type(run, ":SecurityGroupIngressRule") if r.name == "ssm-endpoints-443"
    ]
    assert (https.inputs["fromPort"], https.inputs["cidrIpv4"]) == (443, "192.168.10.0/24")
    (doc,) = of_type(run, ":Document")
    assert (doc.inputs["name"], doc.inputs["documentType"]) == (
        "SSM-SessionManagerRunShell",
        "Session",
    )
    content = json.loads(doc.inputs["content"])
    assert content["inputs"]["cloudWatchLogGroupName"] == "/ssm/ssm-sessions"
    assert content["inputs"]["cloudWatchStreamingEnabled"] is True
    assert (
        "aws ssm start-session --region ap-northeast-2 --target %h --document-name "
        "AWS-StartSSHSession --parameters portNumber=%p" in run.outputs["sshConfig"]
    )


def test_keyless_modes_refuse_office_cidrs(mocks: RecordingMocks) -> None:
    config = stack_config("ssm", officeCidrs=["198.51.100.0/24"])
    assert registered_before_refusal(mocks, config) == []
    text = str(refused("ssm", officeCidrs=["198.51.100.0/24"]))
    assert text.startswith("Pulumi.ssm.yaml: tiered-network:officeCidrs = ")
    assert "nothing admits SSH from a CIDR" in text


def test_bastion_mode_still_needs_office_cidrs() -> None:
    text = str(refused("eic", access="bastion"))
    assert "Pulumi.eic.yaml: tiered-network:officeCidrs" in text and "at least one" in text


def test_keyless_ssh_config_and_preferences_render() -> None:
    with pytest.raises(ValueError):
        render_keyless_ssh_config(AccessMode.BASTION, "p", {}, region="ap-northeast-2")
    text = render_keyless_ssh_config(
        AccessMode.SSM, "p", {"web": "i-0abc"}, region="ap-northeast-2", key_file="~/.ssh/k"
    )
    assert re.search(r"^Host p-web\n    HostName i-0abc\n", text, re.M)
    doc = json.loads(session_preferences("/x/y"))
    assert (
        doc["sessionType"] == "Standard_Stream"
        and doc["inputs"]["cloudWatchLogGroupName"] == "/x/y"
    )


def test_switching_access_replaces_no_server() -> None:
    """Dropping the bastion for a keyless mode deletes it and adds resources, but replaces no
    server (the instance profile is added in place), as the README says."""
    from tests.replacement import replaced
    from tests.test_settings import run

    dev = run("dev")
    for access in ("ssm", "instance-connect"):
        after = run("dev", access=access, officeCidrs=[])
        assert replaced(dev, after) == set(), access
        names = {r.name for r in after.resources}
        assert not [r for r in names if r.startswith("bastion")], access


def test_nat_instance_user_data_passes_cloud_inits_schema() -> None:
    """The NAT instance's cloud-config, through cloud-init's own validator (unpacked by
    `make install`, as tests/test_userdata_validators.py uses it)."""
    from tests.test_userdata_validators import CLOUD_INIT

    if not (CLOUD_INIT / "cloudinit").is_dir():
        pytest.skip("cloud-init not unpacked: `make install` needs apt-get (see the Makefile)")
    sys.path.append(str(CLOUD_INIT))
    from cloudinit.config import schema  # type: ignore[import-not-found]

    doc = yaml.safe_load(nat_user_data("eni-0123456789abcdef0", "192.168.10.0/24"))
    schema.validate_cloudconfig_schema(doc, schema.get_schema(), strict=True)
    bad = {**doc, "write_files": [{"path": "/etc/x", "contentt": "x"}]}
    with pytest.raises(schema.SchemaValidationError, match="contentt"):
        schema.validate_cloudconfig_schema(bad, schema.get_schema(), strict=True)
