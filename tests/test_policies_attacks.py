"""The security review's findings (issue: attacks on the pack), each as a violating design and
its compliant twin, through the real pack in both modes (update and preview), on
tests/test_policies.py's compliant world.

- Launchers the model did not know (an ASG's mixedInstancesPolicy, a Spot Fleet request, an
  EC2 Fleet, a launch configuration, an ECS service): a private-tier interface that asks for a
  public IPv4 is refused by private-servers-no-public-ip; without one it is clean.
- A chain of balancers: an internet-facing NLB -> target group of type alb -> an internal ALB
  -> the DB makes the DB reachable from the internet; with an internal NLB it is not.
- A CIDR with host bits set (203.0.113.5/8) is not silently dropped: it is judged as the network
  it names and the bastion rule is refused with the written value and the fix.
- A DB rule from a ManagedPrefixList of the stack whose entries are all inside the VPC is clean
  (private-tier-no-outside-cidrs); an entry outside the VPC is refused.
- In preview, a DB rule from its own VPC's ipv6CidrBlock (unknown, but its only property
  dependency is that VPC) is inside the VPC; another VPC's block is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi_aws as aws
import pytest

from policies.rules.classes import Class, class_of
from review import PolicyPack
from tests.test_policies import (
    FL,
    KT,
    MODES,
    B,
    Case,
    I,
    Opts,
    P,
    World,
    _hardened_lt,
    _lb,
    analyze,
    check,
    pack,
)

__all__ = ["pack"]  # the session-wide pack fixture

AMI = "ami-0123456789abcdef0"


def _private_tag() -> list[aws.autoscaling.GroupTagArgs]:
    return [aws.autoscaling.GroupTagArgs(key="Tier", value="private", propagate_at_launch=True)]


def _asg_mixed(public: bool) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        lt = _hardened_lt(w, public, name="mlt")
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
        lt = _hardened_lt(w, public, name="mlt")
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


def _nlb_to_internal_alb_to_db(nlb_internal: bool) -> Callable[[World], None]:
    """An NLB forwards to an internal ALB (target group of target type alb), which forwards to
    the DB: internet-facing, the DB is reachable through the chain; an internal NLB is not."""
    def tweak(w: World) -> None:
        nlb = _lb(w, "nlb", internal=nlb_internal, lb_type="network", sg_ports=None)
        w.sgs["ialb"] = w.sg("ialb-sg", {"Role": "lb", "Tier": "private"})
        w.ingress("ialb-in", "ialb", 80, cidr_ipv4="10.0.0.0/24")  # the NLB's nodes
        ialb = aws.lb.LoadBalancer(
            "ialb", internal=True, load_balancer_type="application",
            subnets=[w.subnets["priv"].id], security_groups=[w.sgs["ialb"].id])
        w.ingress("db-from-ialb", "db", 3306, referenced_security_group_id=w.sgs["ialb"].id)
        tg_db = aws.lb.TargetGroup("ialb-db-tg", port=3306, protocol="HTTP", vpc_id=w.vpc.id,
                                   target_type="instance")
        aws.lb.TargetGroupAttachment("ialb-db-att", target_group_arn=tg_db.arn,
                                     target_id=w.db.id)
        aws.lb.Listener("ialb-listener", load_balancer_arn=ialb.arn, port=80, protocol="HTTP",
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg_db.arn)])
        tg_alb = aws.lb.TargetGroup("nlb-alb-tg", port=80, protocol="TCP", vpc_id=w.vpc.id,
                                    target_type="alb")
        aws.lb.TargetGroupAttachment("nlb-alb-att", target_group_arn=tg_alb.arn,
                                     target_id=ialb.arn)
        aws.lb.Listener("nlb-alb-listener", load_balancer_arn=nlb.arn, port=80, protocol="TCP",
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg_alb.arn)])
    return tweak


def _bastion_ssh_from(cidr: str) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        aws.ec2.SecurityGroupRule(
            "bastion-extra", type="ingress", security_group_id=w.sgs["bastion"].id,
            protocol="tcp", from_port=22, to_port=22, cidr_blocks=[cidr], description="office")
    return tweak


def _db_from_own_prefix_list(cidr: str) -> Callable[[World], None]:
    def tweak(w: World) -> None:
        pl = aws.ec2.ManagedPrefixList(
            "vpc-pl", address_family="IPv4", max_entries=1,
            entries=[aws.ec2.ManagedPrefixListEntryArgs(cidr=cidr, description="pub")])
        w.ingress("db-from-pl", "db", 3306, prefix_list_id=pl.id)
    return tweak


def _db_v6_from_vpc_block(own: bool) -> Callable[[World], None]:
    """The private tier's IPv6 way out is an egress-only IGW; the DB admits 3306 from a VPC's
    IPv6 block (unknown in preview): its own VPC's is inside it, another VPC's is not."""
    def tweak(w: World) -> None:
        eigw = aws.ec2.EgressOnlyInternetGateway("eigw", vpc_id=w.vpc.id)
        aws.ec2.Route("priv-v6-eigw", route_table_id=w.private_rt.id,
                      destination_ipv6_cidr_block="::/0", egress_only_gateway_id=eigw.id)
        vpc = w.vpc if own else aws.ec2.Vpc(
            "other-vpc", cidr_block="10.9.0.0/16", assign_generated_ipv6_cidr_block=True)
        w.ingress("db-v6-vpc", "db", 3306, cidr_ipv6=vpc.ipv6_cidr_block)
    return tweak


def _pair(name: str, make: Callable[[bool], Callable[[World], None]],
          holder: str) -> list[Case]:
    return [Case(name, {(I, holder)}, tweak=make(True)),
            Case(f"{name}-private", set(), tweak=make(False))]


_UNKNOWN_FLEET = ({(KT, "fleet2")} if class_of("aws:ec2/fleet:Fleet").cls is Class.UNKNOWN
                  else set())
CASES: list[Case] = [
    *_pair("asg-mixed-instances-public-template", _asg_mixed, "mlt"),
    *_pair("spot-fleet-request-public-ip", _spot_fleet, "fleet"),
    # Until the network model holds EC2 Fleets (issue 17 point 2), the type is unknown
    # (issue 17 point 1): referencing the private subnet, it is refused by network-types-known,
    # public address or not.
    Case("ec2-fleet-public-template", {(I, "mlt"), *_UNKNOWN_FLEET}, tweak=_ec2_fleet(True)),
    Case("ec2-fleet-public-template-private", set(_UNKNOWN_FLEET), tweak=_ec2_fleet(False)),
    *_pair("launch-configuration-public-ip", _launch_configuration, "lc"),
    *_pair("ecs-service-assign-public-ip", _ecs_service, "svc"),
    Case("nlb-to-internal-alb-to-db", {(I, "nlb-alb-listener")},
         tweak=_nlb_to_internal_alb_to_db(nlb_internal=False)),
    Case("internal-nlb-to-internal-alb-to-db", set(),
         tweak=_nlb_to_internal_alb_to_db(nlb_internal=True)),
    # Host bits set: judged as the whole /8 and refused with the value named, even when the
    # network it names would be inside the office.
    Case("bastion-ssh-cidr-with-host-bits", {(B, "bastion-extra")},
         tweak=_bastion_ssh_from("203.0.113.5/8")),
    Case("bastion-ssh-office-cidr-with-host-bits", {(B, "bastion-extra")},
         tweak=_bastion_ssh_from("203.0.113.5/25")),
    Case("bastion-ssh-office-subrange", set(), tweak=_bastion_ssh_from("203.0.113.0/25")),
    Case("db-from-own-prefix-list-inside-vpc", set(),
         tweak=_db_from_own_prefix_list("10.0.0.0/26")),
    Case("db-from-own-prefix-list-outside-vpc", {(P, "db-from-pl")},
         tweak=_db_from_own_prefix_list("198.51.100.0/24")),
    Case("db-v6-from-own-vpc-block", set(), Opts(ipv6=True), _db_v6_from_vpc_block(own=True)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_attack_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))


def test_db_v6_from_other_vpc_block_refused_in_preview(pack: PolicyPack, tmp_path: Path) -> None:
    """The twin of db-v6-from-own-vpc-block: another VPC's IPv6 block, unknown in preview, is
    not the rule's own VPC's, so it is refused. Preview only: the mocks give every VPC the
    same IPv6 block, so an update run cannot tell the two VPCs apart."""
    case = Case("db-v6-from-other-vpc-block", {(P, "db-v6-vpc"), (FL, "other-vpc")},
                Opts(ipv6=True), _db_v6_from_vpc_block(own=False))
    check(analyze(pack, case, "preview", tmp_path), case.expected)


