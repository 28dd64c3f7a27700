"""Values AWS would reject are refused up front (item 4)."""

from __future__ import annotations

import pytest

from components.ami import architecture, validate_instance_type
from components.errors import ConfigError
from components.network import LOG_RETENTION_DAYS
from review import ProgramRun
from tests.conftest import RecordingMocks
from tests.test_settings import refused, registered_before_refusal, run, stack_config

AMI = "aws:ec2/getAmi:getAmi"


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("t3.micro", "x86_64"),
        ("t4g.micro", "arm64"),
        ("m7g.large", "arm64"),
        ("c7gn.xlarge", "arm64"),
        ("r8g.large", "arm64"),
        ("im4gn.large", "arm64"),
        ("a1.medium", "arm64"),
        ("g5g.xlarge", "arm64"),
        ("g4dn.xlarge", "x86_64"),
        ("g4ad.xlarge", "x86_64"),
        ("m7i-flex.large", "x86_64"),
        ("c5n.large", "x86_64"),
    ],
)
def test_the_architecture_follows_the_instance_type(instance_type: str, arch: str) -> None:
    validate_instance_type("t", instance_type)
    assert architecture(instance_type) == arch


def _instances(done: ProgramRun) -> dict[str, str]:
    return {
        r.inputs["tags"]["Role"]: r.inputs["ami"]
        for r in done.resources
        if r.type == "aws:ec2/instance:Instance"
    }


def test_a_graviton_server_gets_the_arm64_image_and_the_others_keep_amd64() -> None:
    done = run("dev", webInstanceType="t4g.small")
    amis = _instances(done)
    assert amis["web"] != amis["db"] == amis["bastion"]
    baseline = _instances(run("dev"))
    assert baseline["web"] == baseline["db"] == amis["db"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("t3.mirco", "did you mean t3.micro"),
        ("t3.huge", "not an EC2 instance type"),
        ("huge", "not an EC2 instance type"),
        ("mac2.metal", "dedicated host"),
    ],
)
def test_instance_type_typos_are_refused(value: str, words: str) -> None:
    err = refused(dbInstanceType=value)
    assert err.setting == "dbInstanceType" and words in str(err)


def test_an_az_aws_does_not_offer_is_refused_at_deploy_time() -> None:
    """ap-northeast-2e passes the name check; aws.get_availability_zones (mocked: a-d) does not
    list it."""
    err = refused(
        availabilityZones=["ap-northeast-2a", "ap-northeast-2e"],
        subnets=[
            "external-a:public:a:/26",
            "internal:private:a:/27",
            "management:management:a:/27",
        ],
    )
    assert err.setting == "availabilityZones[1]"
    assert "aws.get_availability_zones" in str(err) and "ap-northeast-2d" in str(err)


def test_the_az_check_runs_before_any_resource(mocks: RecordingMocks) -> None:
    config = stack_config(
        "dev",
        availabilityZones=["ap-northeast-2a", "ap-northeast-2e"],
        subnets=[
            "external-a:public:a:/26",
            "internal:private:a:/27",
            "management:management:a:/27",
        ],
    )
    assert registered_before_refusal(mocks, config) == []


@pytest.mark.parametrize("days", [2, 100, 364, 0, 4000])
def test_flow_log_retention_takes_only_cloudwatch_values(days: int) -> None:
    err = refused(flowLogs=True, flowLogRetentionDays=days)
    assert err.setting == "flowLogRetentionDays" and "CloudWatch Logs accepts" in str(err)


def test_every_cloudwatch_retention_is_accepted() -> None:
    assert 365 in LOG_RETENTION_DAYS and len(LOG_RETENTION_DAYS) == 22
    run("dev", flowLogs=True, flowLogRetentionDays=400)


def test_bad_types_direct() -> None:
    with pytest.raises(ConfigError):
        validate_instance_type("x", "t3.micro ")
