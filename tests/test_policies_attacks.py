"""The security review's findings (issue: attacks on the pack), each as a violating design and
its compliant twin, through the real pack in both modes (update and preview), on
tests/test_policies.py's compliant world.

- Launchers the model did not know (an ASG's mixedInstancesPolicy, a Spot Fleet request, an
  EC2 Fleet, a launch configuration, an ECS service): a private-tier interface that asks for a
  public IPv4 is refused by private-servers-no-public-ip; without one it is clean.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi_aws as aws
import pytest

from review import PolicyPack
from tests.test_policies import MODES, Case, I, World, analyze, check, pack

__all__ = ["pack"]  # the session-wide pack fixture

AMI = "ami-0123456789abcdef0"


def _lt(w: World, public: bool) -> aws.ec2.LaunchTemplate:
    return aws.ec2.LaunchTemplate(
        "mlt", image_id=AMI,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required"),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/sda1",
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(encrypted="true"))],
        network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            device_index=0, associate_public_ip_address=str(public).lower(),
            security_groups=[w.sgs["db"].id])])


def _private_tag() -> list[aws.autoscaling.GroupTagArgs]:
    return [aws.autoscaling.GroupTagArgs(key="Tier", value="private", propagate_at_launch=True)]


def _asg_mixed(public: bool) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        lt = _lt(w, public)
        spec = (aws.autoscaling
                .GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs)
        aws.autoscaling.Group(
            "mixed", min_size=1, max_size=2, vpc_zone_identifiers=[w.subnets["priv"].id],
            mixed_instances_policy=aws.autoscaling.GroupMixedInstancesPolicyArgs(
                launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
                    launch_template_specification=spec(launch_template_id=lt.id,
                                                       version="$Latest"))),
            tags=_private_tag())
    return tweak


def _spot_fleet(public: bool) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        aws.ec2.SpotFleetRequest(
            "fleet", iam_fleet_role="arn:aws:iam::123456789012:role/fleet", target_capacity=1,
            launch_specifications=[aws.ec2.SpotFleetRequestLaunchSpecificationArgs(
                ami=AMI, instance_type="t3.micro", subnet_id=w.subnets["priv"].id,
                associate_public_ip_address=public, vpc_security_group_ids=[w.sgs["db"].id],
                tags={"Role": "worker", "Tier": "private"})])
    return tweak


def _ec2_fleet(public: bool) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        lt = _lt(w, public)
        aws.ec2.Fleet(
            "fleet2", type="instant",
            launch_template_configs=[aws.ec2.FleetLaunchTemplateConfigArgs(
                launch_template_specification=(
                    aws.ec2.FleetLaunchTemplateConfigLaunchTemplateSpecificationArgs(
                        launch_template_id=lt.id, version="$Latest")),
                overrides=[aws.ec2.FleetLaunchTemplateConfigOverrideArgs(
                    subnet_id=w.subnets["priv"].id)])],
            target_capacity_specification=aws.ec2.FleetTargetCapacitySpecificationArgs(
                default_target_capacity_type="on-demand", total_target_capacity=1))
    return tweak


def _launch_configuration(public: bool) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        lc = aws.ec2.LaunchConfiguration(
            "lc", image_id=AMI, instance_type="t3.micro", associate_public_ip_address=public,
            security_groups=[w.sgs["db"].id],
            metadata_options=aws.ec2.LaunchConfigurationMetadataOptionsArgs(
                http_tokens="required"),
            root_block_device=aws.ec2.LaunchConfigurationRootBlockDeviceArgs(encrypted=True))
        aws.autoscaling.Group(
            "lcasg", min_size=1, max_size=1, vpc_zone_identifiers=[w.subnets["priv"].id],
            launch_configuration=lc.name, tags=_private_tag())
    return tweak


def _ecs_service(public: bool) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        cl = aws.ecs.Cluster("cl")
        td = aws.ecs.TaskDefinition(
            "td", family="db", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            cpu="256", memory="512",
            container_definitions=(Path(__file__).parent / "data" / "ecs-db-container.json")
            .read_text())
        aws.ecs.Service(
            "svc", cluster=cl.arn, task_definition=td.arn, desired_count=1, launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=[w.subnets["priv"].id], assign_public_ip=public,
                security_groups=[w.sgs["db"].id]))
    return tweak


def _pair(name: str, make: Callable[[bool], Callable[[World], None]],
          holder: str) -> list[Case]:
    return [Case(name, {(I, holder)}, tweak=make(True)),
            Case(f"{name}-private", set(), tweak=make(False))]


CASES: list[Case] = [
    *_pair("asg-mixed-instances-public-template", _asg_mixed, "mlt"),
    *_pair("spot-fleet-request-public-ip", _spot_fleet, "fleet"),
    *_pair("ec2-fleet-public-template", _ec2_fleet, "mlt"),
    *_pair("launch-configuration-public-ip", _launch_configuration, "lc"),
    *_pair("ecs-service-assign-public-ip", _ecs_service, "svc"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_attack_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))


