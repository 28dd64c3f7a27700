"""Issue 17 point 2: interface holders as one concept (policies/rules/netmodel/holder_table.py).

Each holder the model did not see is a violating design with its compliant twin, through the
real pack in every review mode (``MODES``; the deployed mode runs them in
tests/test_policies_deployed.py), on tests/test_policies.py's compliant world. Every case states
the exact set of (policy, resource) violations it must produce. The holders' interfaces feed the
existing policies exactly as an instance's do: a public IPv4 address on a private-tier
interface (``private-servers-no-public-ip``), a path from the internet to one, its own way out
(``private-subnets-egress-via-nat``), and its groups count as private-tier groups
(``private-tier-no-outside-cidrs``).

A subnet group, cluster or template the model cannot resolve fails closed: a public address
asked for in a subnet group outside the stack, or a launch template outside the stack that may
ask for one, is refused with the value named.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from review import PolicyPack
from tests.test_policies import MODES, B, Case, I, N, Opts, P, S, World, analyze, check, pack
from tests.test_policies_doors import client_vpn, client_vpn_in_private_subnet

__all__ = ["pack"]  # the session-wide pack fixture

Tweak = Callable[[World], None]
AMI = "ami-0123456789abcdef0"
ROLE = "arn:aws:iam::123456789012:role/app"
CERT = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f6b7c1e-1111-2222-3333-444455556666"


def _priv_b(w: World) -> aws.ec2.Subnet:
    """A second private subnet in another zone (RDS and ElastiCache subnet groups span two)."""
    subnet = aws.ec2.Subnet("priv-b", vpc_id=w.vpc.id, cidr_block="10.0.0.192/28",
                            availability_zone="ap-northeast-2b", map_public_ip_on_launch=False,
                            tags={"Tier": "private"})
    aws.ec2.RouteTableAssociation("priv-b-assoc", subnet_id=subnet.id,
                                  route_table_id=w.private_rt.id)
    return subnet


def _group(w: World, name: str, port: int, **source: Any) -> aws.ec2.SecurityGroup:
    """A group admitting ``port`` from ``source`` (a CIDR or a group)."""
    w.sgs[name] = w.sg(f"{name}-sg", {"Role": name})
    w.ingress(f"{name}-in", name, port, **source)
    return w.sgs[name]


WORLD = {"cidr_ipv4": "0.0.0.0/0"}


def _from_web(w: World) -> dict[str, Any]:
    return {"referenced_security_group_id": w.sgs["web"].id}


# ---------------------------------------------------------------------------------------------
# RDS: instances, clusters and cluster instances, through subnet groups


def _rds(public: bool, spans_public: bool) -> Tweak:
    """A MySQL DB instance in a subnet group of two zones: the public subnet and a private
    one, or two private ones."""
    def tweak(w: World) -> None:
        second = _priv_b(w)
        first = w.subnets["pub"] if spans_public else w.subnets["priv"]
        group = aws.rds.SubnetGroup("dbs", subnet_ids=[first.id, second.id])
        aws.rds.Instance(
            "rds", engine="mysql", instance_class="db.t3.micro", allocated_storage=20,
            username="admin", manage_master_user_password=True, storage_encrypted=True,
            skip_final_snapshot=True, db_subnet_group_name=group.name,
            vpc_security_group_ids=[w.sgs["db"].id], publicly_accessible=public)
    return tweak


def _rds_open_group(open_: bool) -> Tweak:
    """A DB instance in private subnets whose own group admits 3306 from the world, or from
    the web tier."""
    def tweak(w: World) -> None:
        group = aws.rds.SubnetGroup("dbs", subnet_ids=[w.subnets["priv"].id, _priv_b(w).id])
        sg = _group(w, "rds", 3306, **(WORLD if open_ else _from_web(w)))
        aws.rds.Instance(
            "rds", engine="mysql", instance_class="db.t3.micro", allocated_storage=20,
            username="admin", manage_master_user_password=True, storage_encrypted=True,
            skip_final_snapshot=True, db_subnet_group_name=group.name,
            vpc_security_group_ids=[sg.id])
    return tweak


def _rds_outside_group(public: bool) -> Tweak:
    """A DB instance in a subnet group of another stack: its subnets may be this stack's."""
    def tweak(w: World) -> None:
        aws.rds.Instance(
            "rds", engine="mysql", instance_class="db.t3.micro", allocated_storage=20,
            username="admin", manage_master_user_password=True, storage_encrypted=True,
            skip_final_snapshot=True, db_subnet_group_name="shared-db-subnets",
            vpc_security_group_ids=[w.sgs["db"].id], publicly_accessible=public)
    return tweak


def _aurora(public: bool) -> Tweak:
    """An Aurora cluster over the public and a private subnet; its instance is publicly
    accessible or not (the instance's groups are the cluster's)."""
    def tweak(w: World) -> None:
        group = aws.rds.SubnetGroup("dbs", subnet_ids=[w.subnets["pub"].id, _priv_b(w).id])
        cluster = aws.rds.Cluster(
            "aurora", engine="aurora-mysql", master_username="admin",
            manage_master_user_password=True, storage_encrypted=True, skip_final_snapshot=True,
            db_subnet_group_name=group.name, vpc_security_group_ids=[w.sgs["db"].id])
        aws.rds.ClusterInstance("aurora-1", cluster_identifier=cluster.id,
                                instance_class="db.r6g.large", engine="aurora-mysql",
                                db_subnet_group_name=group.name, publicly_accessible=public)
    return tweak


# ---------------------------------------------------------------------------------------------
# ECS services and task sets, Lambda functions


def _task_definition() -> aws.ecs.TaskDefinition:
    return aws.ecs.TaskDefinition(
        "td", family="app", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
        cpu="256", memory="512",
        container_definitions='[{"name": "app", "image": "nginx", '
                              '"portMappings": [{"containerPort": 8080}]}]')


def _ecs_public_subnet(private_tier: bool) -> Tweak:
    """A Fargate service in the public subnet with a public IP, its group open on 8080 to the
    world: a private-tier service (tagged so) there is reachable; a public one is a web task."""
    def tweak(w: World) -> None:
        sg = _group(w, "task", 8080, **WORLD)
        aws.ecs.Service(
            "svc", cluster=aws.ecs.Cluster("cl").arn, task_definition=_task_definition().arn,
            desired_count=1, launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=[w.subnets["pub"].id], assign_public_ip=True, security_groups=[sg.id]),
            tags={"Tier": "private"} if private_tier else {"Tier": "public"})
    return tweak


def _ecs_task_set(public: bool) -> Tweak:
    """A task set of an externally deployed service, in the private subnet."""
    def tweak(w: World) -> None:
        cl = aws.ecs.Cluster("cl")
        svc = aws.ecs.Service(
            "ext-svc", cluster=cl.arn, desired_count=1,
            deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(type="EXTERNAL"))
        aws.ecs.TaskSet(
            "ts", cluster=cl.arn, service=svc.name, task_definition=_task_definition().arn,
            launch_type="FARGATE",
            network_configuration=aws.ecs.TaskSetNetworkConfigurationArgs(
                subnets=[w.subnets["priv"].id], assign_public_ip=public,
                security_groups=[w.sgs["db"].id]))
    return tweak


def _lambda_behind_alb(open_: bool) -> Tweak:
    """A function in the private subnet, invoked by an internet-facing ALB (target type
    lambda: invoked, not connected to), its group admitting 443 from the world or nothing."""
    def tweak(w: World) -> None:
        w.sgs["fn"] = w.sg("fn-sg", {"Role": "fn"})
        if open_:
            w.ingress("fn-in", "fn", 443, **WORLD)
        fn = aws.lambda_.Function(
            "fn", role=ROLE, runtime="python3.12", handler="app.handler",
            s3_bucket="t-artifacts", s3_key="fn.zip",
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=[w.subnets["priv"].id], security_group_ids=[w.sgs["fn"].id]))
        tg = aws.lb.TargetGroup("alb-fn-tg", target_type="lambda")
        aws.lb.TargetGroupAttachment("alb-fn-att", target_group_arn=tg.arn, target_id=fn.arn)
        w.sgs["alb"] = w.sg("alb-sg", {"Role": "lb", "Tier": "public"})
        w.ingress("alb-in", "alb", 443, **WORLD)
        lb = aws.lb.LoadBalancer("alb", internal=False, load_balancer_type="application",
                                 subnets=[w.subnets["pub"].id], security_groups=[w.sgs["alb"].id])
        aws.lb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTPS",
                        certificate_arn=CERT,
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg.arn)])
    return tweak


# ---------------------------------------------------------------------------------------------
# EC2: Spot Fleet overrides, mixed-instances override templates, ENI IPv6 prefixes and lists


def _template(w: World, name: str, sg: str, public: str | None = None) -> aws.ec2.LaunchTemplate:
    nic: dict[str, Any] = {"device_index": 0, "security_groups": [w.sgs[sg].id]}
    if public is not None:
        nic["associate_public_ip_address"] = public
    return aws.ec2.LaunchTemplate(
        name, image_id=AMI, instance_type="t3.micro",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required"),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/sda1",
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(encrypted="true"))],
        network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(**nic)])


def _spot_fleet_override(private_tier: bool) -> Tweak:
    """A Spot Fleet whose template's override puts it in the public subnet (which maps public
    IPs), its group open on 8080 to the world: a private-tier fleet there is reachable and
    goes out through the internet gateway; a public-tier one is a web fleet."""
    def tweak(w: World) -> None:
        _group(w, "fleet", 8080, **WORLD)
        lt = _template(w, "fleet-lt", "fleet")
        aws.ec2.SpotFleetRequest(
            "fleet", iam_fleet_role=ROLE, target_capacity=1,
            launch_template_configs=[aws.ec2.SpotFleetRequestLaunchTemplateConfigArgs(
                launch_template_specification=(
                    aws.ec2.SpotFleetRequestLaunchTemplateConfigLaunchTemplateSpecificationArgs(
                        id=lt.id, version="$Latest")),
                overrides=[aws.ec2.SpotFleetRequestLaunchTemplateConfigOverrideArgs(
                    subnet_id=w.subnets["pub"].id)])],
            tags={"Tier": "private" if private_tier else "public"})
    return tweak


def _mixed_override(open_: bool) -> Tweak:
    """A private-tier ASG whose mixed-instances policy overrides one instance type with a
    template whose group admits 3306 from the world (or from the web tier)."""
    def tweak(w: World) -> None:
        base = _template(w, "base-lt", "db", public="false")
        _group(w, "big", 3306, **(WORLD if open_ else _from_web(w)))
        big = _template(w, "big-lt", "big", public="false")
        asg = aws.autoscaling
        spec = asg.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs
        override_spec = (
            asg.GroupMixedInstancesPolicyLaunchTemplateOverrideLaunchTemplateSpecificationArgs)
        aws.autoscaling.Group(
            "mixed", min_size=1, max_size=2, vpc_zone_identifiers=[w.subnets["priv"].id],
            mixed_instances_policy=asg.GroupMixedInstancesPolicyArgs(
                launch_template=asg.GroupMixedInstancesPolicyLaunchTemplateArgs(
                    launch_template_specification=spec(launch_template_id=base.id,
                                                       version="$Latest"),
                    overrides=[
                        asg.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(
                            instance_type="t3.micro"),
                        asg.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(
                            instance_type="m5.large", launch_template_specification=(
                                override_spec(launch_template_id=big.id,
                                              version="$Latest")))])),
            tags=[aws.autoscaling.GroupTagArgs(key="Tier", value="private",
                                               propagate_at_launch=True)])
    return tweak


def _asg_outside_template(w: World) -> None:
    """A private-tier ASG launching from a template of another stack: it may ask for a public
    address and carry any group."""
    aws.autoscaling.Group(
        "workers", min_size=1, max_size=1, vpc_zone_identifiers=[w.subnets["priv"].id],
        launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id="lt-0123456789abcdef0",
                                                                version="$Latest"),
        tags=[aws.autoscaling.GroupTagArgs(key="Tier", value="private",
                                           propagate_at_launch=True)])


def _eni_v6(how: str | None) -> Tweak:
    """A private-tier ENI (tagged so) in the public subnet, whose table sends ::/0 to the
    internet gateway: an IPv6 prefix or address list takes it out (and in) that way; none
    leaves it no way out at all."""
    def tweak(w: World) -> None:
        kw: dict[str, Any] = {}
        if how == "prefix":
            kw = {"ipv6_prefix_count": 1}
        elif how == "list":
            kw = {"ipv6_address_list_enabled": True,
                  "ipv6_address_lists": ["2001:db8:0:1::10"]}
        elif how == "prefixes":
            kw = {"ipv6_prefixes": ["2001:db8:0:1:1::/80"]}
        aws.ec2.NetworkInterface("eni6", subnet_id=w.subnets["pub"].id,
                                 security_groups=[w.sgs["db"].id],
                                 tags={"Tier": "private", "Role": "db"}, **kw)
    return tweak


def _eni_v6_private_subnet(v6: bool) -> Tweak:
    """The private table sends ::/0 to the internet gateway (refused on its own), and an ENI
    in the private subnet whose group admits 5432 from any IPv6 address: with an IPv6 prefix
    it is reachable from the internet; without one it is not."""
    def tweak(w: World) -> None:
        aws.ec2.Route("priv-v6-igw", route_table_id=w.private_rt.id,
                      destination_ipv6_cidr_block="::/0", gateway_id=w.igw.id)
        _group(w, "pg", 5432, cidr_ipv6="::/0")
        aws.ec2.NetworkInterface("eni6", subnet_id=w.subnets["priv"].id,
                                 security_groups=[w.sgs["pg"].id],
                                 **({"ipv6_prefix_count": 1} if v6 else {}))
    return tweak


def _asg_spanning(public_subnet: bool) -> Tweak:
    """A private-tier ASG (tagged so) over the private subnet and, or not, the public one
    (which maps public IPs on launch; its template leaves the flag unset)."""
    def tweak(w: World) -> None:
        lt = _template(w, "span-lt", "db")
        zones = [w.subnets["priv"].id, *([w.subnets["pub"].id] if public_subnet else [])]
        aws.autoscaling.Group(
            "span", min_size=1, max_size=2, vpc_zone_identifiers=zones,
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id=lt.id,
                                                                    version="$Latest"),
            tags=[aws.autoscaling.GroupTagArgs(key="Tier", value="private",
                                               propagate_at_launch=True)])
    return tweak


# ---------------------------------------------------------------------------------------------
# ElastiCache, EFS, interface endpoints, Client VPN, Instance Connect


def _cache(kind: str, open_: bool) -> Tweak:
    def tweak(w: World) -> None:
        group = aws.elasticache.SubnetGroup("caches", name="caches",
                                            subnet_ids=[w.subnets["priv"].id, _priv_b(w).id])
        sg = _group(w, "cache", 6379, **(WORLD if open_ else _from_web(w)))
        if kind == "cluster":
            aws.elasticache.Cluster("cache", engine="redis", node_type="cache.t3.micro",
                                    num_cache_nodes=1, subnet_group_name=group.name,
                                    security_group_ids=[sg.id])
        else:
            aws.elasticache.ReplicationGroup(
                "cache", description="sessions", engine="redis", node_type="cache.t3.micro",
                num_cache_clusters=2, automatic_failover_enabled=True,
                at_rest_encryption_enabled=True, transit_encryption_enabled=True,
                subnet_group_name=group.name, security_group_ids=[sg.id])
    return tweak


def _mount_target(open_: bool) -> Tweak:
    def tweak(w: World) -> None:
        sg = _group(w, "nfs", 2049, **(WORLD if open_ else {"cidr_ipv4": "10.0.0.0/24"}))
        aws.efs.MountTarget("mt", file_system_id="fs-0123456789abcdef0",
                            subnet_id=w.subnets["priv"].id, security_groups=[sg.id])
    return tweak


def _interface_endpoint(open_: bool) -> Tweak:
    def tweak(w: World) -> None:
        sg = _group(w, "vpce", 443, **(WORLD if open_ else {"cidr_ipv4": "10.0.0.0/24"}))
        aws.ec2.VpcEndpoint("sts", vpc_id=w.vpc.id,
                            service_name="com.amazonaws.ap-northeast-2.sts",
                            vpc_endpoint_type="Interface", subnet_ids=[w.subnets["priv"].id],
                            security_group_ids=[sg.id], private_dns_enabled=True)
    return tweak


def _client_vpn_association(open_: bool) -> Tweak:
    """A Client VPN endpoint associated with the private subnet: its interfaces there carry
    the endpoint's group (a group admitting 443 from the world is a private-tier group)."""
    def tweak(w: World) -> None:
        client_vpn_in_private_subnet(w)
        if open_:
            w.ingress("vpn-in", "vpn", 443, **WORLD)
    return tweak


def _instance_connect(open_: bool) -> Tweak:
    def tweak(w: World) -> None:
        w.sgs["eic"] = w.sg("eic-sg", {"Role": "eic"})
        if open_:
            w.ingress("eic-in", "eic", 443, **WORLD)
        aws.ec2transitgateway.InstanceConnectEndpoint(
            "eic", subnet_id=w.subnets["priv"].id, security_group_ids=[w.sgs["eic"].id],
            preserve_client_ip=False)
    return tweak


# ---------------------------------------------------------------------------------------------
# The bastion's group on a holder other than the bastion: servers admit SSH from that group, so
# whatever carries it reaches their port 22 as the bastion does (servers-ssh-only-from-bastion)


def _carrying(group: str, place: Callable[[World, Any], None]) -> Tweak:
    """``place(w, group_id)`` in the management subnet, carrying the bastion's group
    (``group="bastion"``) or a management group of its own named ``group``."""
    def tweak(w: World) -> None:
        if group != "bastion":
            w.sgs[group] = w.sg(f"{group}-sg", {"Role": group, "Tier": "management"})
        place(w, w.sgs[group].id)
    return tweak


def _lambda_with(group: str) -> Tweak:
    """A function carrying the group."""
    return _carrying(group, lambda w, sg: aws.lambda_.Function(
        "ops-fn", role=ROLE, runtime="python3.12", handler="app.handler",
        s3_bucket="t-artifacts", s3_key="fn.zip",
        vpc_config=aws.lambda_.FunctionVpcConfigArgs(
            subnet_ids=[w.subnets["mgmt"].id], security_group_ids=[sg])))


def _endpoint_with(group: str) -> Tweak:
    """An interface endpoint carrying the group."""
    return _carrying(group, lambda w, sg: aws.ec2.VpcEndpoint(
        "ssm-vpce", vpc_id=w.vpc.id, service_name="com.amazonaws.ap-northeast-2.ssm",
        vpc_endpoint_type="Interface", subnet_ids=[w.subnets["mgmt"].id],
        security_group_ids=[sg], private_dns_enabled=True))


def _ecs_with(group: str) -> Tweak:
    """A Fargate service carrying the group."""
    return _carrying(group, lambda w, sg: aws.ecs.Service(
        "ops-svc", cluster=aws.ecs.Cluster("cl").arn, task_definition=_task_definition().arn,
        desired_count=1, launch_type="FARGATE",
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
            subnets=[w.subnets["mgmt"].id], security_groups=[sg]),
        tags={"Tier": "management"}))


def _client_vpn_with(group: str) -> Tweak:
    """A Client VPN endpoint carrying the group (with the bastion's, its remote users arrive
    as the bastion)."""
    return _carrying(group, lambda w, _sg: client_vpn(w, "ops-vpn", "mgmt", group))


# Every rule that trusts the group: the servers' rules sourced from it, the office rule on it.
NOT_THE_BASTION = {(S, "bastion-ssh-office-0"), (S, "web-ssh"), (S, "db-ssh")}


# ---------------------------------------------------------------------------------------------
# The cases


CASES: list[Case] = [
    # RDS: publiclyAccessible gives the DB a public IPv4 address wherever its subnet group
    # places it (the routes decide whether it is reachable): refused on the private tier.
    Case("rds-publicly-accessible-spanning-public-subnet", {(I, "rds")},
         tweak=_rds(public=True, spans_public=True)),
    Case("rds-publicly-accessible-in-private-subnets", {(I, "rds")},
         tweak=_rds(public=True, spans_public=False)),
    Case("compliant-rds-spanning-public-subnet-not-public", set(),
         tweak=_rds(public=False, spans_public=True)),
    Case("compliant-rds-in-private-subnets", set(), tweak=_rds(public=False, spans_public=False)),
    Case("rds-own-group-open-to-world", {(P, "rds-in")}, tweak=_rds_open_group(True)),
    Case("compliant-rds-own-group-from-web", set(), tweak=_rds_open_group(False)),
    Case("rds-public-in-subnet-group-outside-stack", {(I, "rds")},
         tweak=_rds_outside_group(True)),
    Case("compliant-rds-in-subnet-group-outside-stack", set(), tweak=_rds_outside_group(False)),
    Case("aurora-instance-publicly-accessible", {(I, "aurora-1")}, tweak=_aurora(True)),
    Case("compliant-aurora-instance-not-public", set(), tweak=_aurora(False)),
    # ECS services and task sets, Lambda functions.
    Case("ecs-private-service-public-ip-in-public-subnet",
         {(I, "svc"), (I, "task-in"), (N, "svc"), (P, "task-in")},
         tweak=_ecs_public_subnet(private_tier=True)),
    Case("compliant-ecs-public-service-in-public-subnet", set(),
         tweak=_ecs_public_subnet(private_tier=False)),
    Case("ecs-task-set-assign-public-ip", {(I, "ts")}, tweak=_ecs_task_set(True)),
    Case("compliant-ecs-task-set-private", set(), tweak=_ecs_task_set(False)),
    Case("lambda-private-group-open-to-world", {(P, "fn-in")}, tweak=_lambda_behind_alb(True)),
    Case("compliant-lambda-private-behind-internet-alb", set(), tweak=_lambda_behind_alb(False)),
    # EC2: fleets, mixed-instances overrides, ENI IPv6 prefixes and lists, outside templates.
    Case("spot-fleet-private-override-into-public-subnet",
         {(I, "fleet"), (I, "fleet-in"), (N, "fleet"), (P, "fleet-in")},
         tweak=_spot_fleet_override(private_tier=True)),
    Case("compliant-spot-fleet-public-override-into-public-subnet", set(),
         tweak=_spot_fleet_override(private_tier=False)),
    Case("asg-mixed-override-template-group-open", {(P, "big-in")}, tweak=_mixed_override(True)),
    Case("compliant-asg-mixed-override-template-group-from-web", set(),
         tweak=_mixed_override(False)),
    # The template may also carry any group, the bastion's included: nothing may trust it.
    Case("asg-template-outside-stack", {(I, "workers")} | NOT_THE_BASTION,
         tweak=_asg_outside_template),
    Case("eni-ipv6-prefix-count", {(N, "eni6")}, Opts(ipv6=True), _eni_v6("prefix")),
    Case("eni-ipv6-prefixes", {(N, "eni6")}, Opts(ipv6=True), _eni_v6("prefixes")),
    Case("eni-ipv6-address-list", {(N, "eni6")}, Opts(ipv6=True), _eni_v6("list")),
    Case("compliant-eni-without-ipv6", set(), Opts(ipv6=True), _eni_v6(None)),
    Case("eni-ipv6-prefix-in-private-subnet-reachable", {(N, "priv"), (P, "pg-in"), (I, "pg-in")},
         Opts(ipv6=True), _eni_v6_private_subnet(True)),
    # The twin: the same route and rule (refused on their own), but no IPv6 address: no path.
    Case("eni-without-ipv6-in-private-subnet-unreachable", {(N, "priv"), (P, "pg-in")},
         Opts(ipv6=True), _eni_v6_private_subnet(False)),
    Case("asg-spanning-public-subnet", {(I, "span"), (N, "span")}, tweak=_asg_spanning(True)),
    Case("compliant-asg-in-private-subnet", set(), tweak=_asg_spanning(False)),
    # ElastiCache, EFS, interface endpoints, Client VPN, Instance Connect: their groups are
    # private-tier groups.
    Case("cache-cluster-group-open", {(P, "cache-in")}, tweak=_cache("cluster", True)),
    Case("compliant-cache-cluster-group-from-web", set(), tweak=_cache("cluster", False)),
    Case("replication-group-group-open", {(P, "cache-in")}, tweak=_cache("group", True)),
    Case("compliant-replication-group-from-web", set(), tweak=_cache("group", False)),
    Case("efs-mount-target-group-open", {(P, "nfs-in")}, tweak=_mount_target(True)),
    Case("compliant-efs-mount-target-from-vpc", set(), tweak=_mount_target(False)),
    Case("interface-endpoint-group-open", {(P, "vpce-in")}, tweak=_interface_endpoint(True)),
    Case("compliant-interface-endpoint-from-vpc", set(), tweak=_interface_endpoint(False)),
    Case("client-vpn-association-group-open", {(P, "vpn-in")},
         tweak=_client_vpn_association(True)),
    Case("compliant-client-vpn-association", set(), tweak=_client_vpn_association(False)),
    Case("instance-connect-group-open", {(P, "eic-in")}, tweak=_instance_connect(True)),
    Case("compliant-instance-connect", set(), tweak=_instance_connect(False)),
    # The bastion's group on a Lambda function, an interface endpoint, an ECS service: it is no
    # longer the bastion's, so nothing may trust it; their own group is compliant.
    Case("lambda-carries-bastion-group", NOT_THE_BASTION, tweak=_lambda_with("bastion")),
    Case("compliant-lambda-own-group-in-management-subnet", set(),
         tweak=_lambda_with("ops")),
    Case("vpc-endpoint-carries-bastion-group", NOT_THE_BASTION,
         tweak=_endpoint_with("bastion")),
    Case("compliant-vpc-endpoint-own-group-in-management-subnet", set(),
         tweak=_endpoint_with("vpce")),
    Case("ecs-service-carries-bastion-group", NOT_THE_BASTION, tweak=_ecs_with("bastion")),
    Case("compliant-ecs-service-own-group-in-management-subnet", set(),
         tweak=_ecs_with("ops")),
    # Its users reach the servers' SSH as the bastion (the door, bastion-ssh-only-from-office),
    # and the group is no longer the bastion's.
    Case("client-vpn-carries-bastion-group", NOT_THE_BASTION | {(B, "ops-vpn")},
         tweak=_client_vpn_with("bastion")),
    Case("compliant-client-vpn-own-group-in-management-subnet", set(),
         tweak=_client_vpn_with("ops")),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_holder_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))
