"""A second reader's attacks on the pack (issue 17), as designs a user or an attacker builds,
each with what a sound pack that does not cry wolf reports, in update, preview and the two
deployed shapes (and, for the indirect references, as a --baseline review of the change).

Findings it made, fixed with these as their tests: an NLB TCP_UDP listener forwards TCP too
(netmodel.forwarders); a protocol written "006", "+6", "06" or "-01" is tcp or all, as
terraform-provider-aws ProtocolForValue reads it (records.ip_protocol); a reference taken from
another resource's output of the same name (``assoc.route_table_id``) resolves in a preview
(records.Index._through_outputs); a route to a Gateway Load Balancer endpoint is a route to an
appliance (netmodel.gateways); an instance whose subnet comes from its launch template is
tiered by it (tiers); a Gateway Load Balancer is no internet door (netmodel.forwarders). The
rest were handled before and stay so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from review import PolicyPack
from tests.runs import case_run
from tests.test_policies import (
    MODES,
    PROGRAM_CONFIG,
    B,
    Case,
    I,
    N,
    Opts,
    P,
    S,
    T,
    Tweak,
    World,
    analyze,
    check,
    config_file,
    pack,
)
from tests.test_policies_doors import _open_group

__all__ = ["pack"]

AMI = "ami-0123456789abcdef0"
GWLB_SERVICE = "com.amazonaws.vpce.ap-northeast-2.vpce-svc-0123456789abcdef0"


# 1. NLB listener TCP_UDP: forwards TCP too
def _nlb_tcp_udp_to_db(proto: str) -> Tweak:
    def tweak(w: World) -> None:
        nlb = aws.lb.LoadBalancer("nlb", internal=False, load_balancer_type="network",
                                  subnets=[w.subnets["pub"].id])
        w.ingress("db-from-vpc", "db", 3306, cidr_ipv4="10.0.0.0/24")
        tg = aws.lb.TargetGroup("nlb-db-tg", port=3306, protocol=proto, vpc_id=w.vpc.id,
                                target_type="instance")
        aws.lb.TargetGroupAttachment("nlb-db-att", target_group_arn=tg.arn, target_id=w.db.id)
        aws.lb.Listener("nlb-db-listener", load_balancer_arn=nlb.arn, port=3306, protocol=proto,
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg.arn)])
    return tweak


# 3. split halves
def _bastion_split(w: World) -> None:
    for i, c in enumerate(("0.0.0.0/1", "128.0.0.0/1")):
        w.ingress(f"bastion-half-{i}", "bastion", 22, cidr_ipv4=c)


# 5. prefix list whose 0.0.0.0/0 entry is a separate resource
def _db_pl_entry_resource(w: World) -> None:
    pl = aws.ec2.ManagedPrefixList(
        "vpc-pl", address_family="IPv4", max_entries=2,
        entries=[aws.ec2.ManagedPrefixListEntryArgs(cidr="10.0.0.0/26", description="pub")])
    aws.ec2.ManagedPrefixListEntry("pl-world", prefix_list_id=pl.id, cidr="0.0.0.0/0")
    w.ingress("db-from-pl", "db", 3306, prefix_list_id=pl.id)


# 6. route with prefix-list destination (separate 0.0.0.0/0 entry) to an appliance ENI
def _route_pl_to_appliance(w: World) -> None:
    pl = aws.ec2.ManagedPrefixList(
        "dst-pl", address_family="IPv4", max_entries=2,
        entries=[aws.ec2.ManagedPrefixListEntryArgs(cidr="10.1.0.0/16", description="x")])
    aws.ec2.ManagedPrefixListEntry("dst-pl-world", prefix_list_id=pl.id, cidr="8.0.0.0/8")
    eni = aws.ec2.NetworkInterface("appliance-eni", subnet_id=w.subnets["pub"].id,
                                   source_dest_check=False)
    aws.ec2.Route("priv-pl-appliance", route_table_id=w.private_rt.id,
                  destination_prefix_list_id=pl.id, network_interface_id=eni.id)


# 7. private default route to a Gateway Load Balancer endpoint (an appliance, like an ENI)
def _route_to_gwlbe(w: World) -> None:
    ep = aws.ec2.VpcEndpoint("gwlbe", vpc_id=w.vpc.id, vpc_endpoint_type="GatewayLoadBalancer",
                             service_name=GWLB_SERVICE, subnet_ids=[w.subnets["pub"].id])
    aws.ec2.Route("priv-v4-gwlbe", route_table_id=w.private_rt.id,
                  destination_cidr_block="8.8.8.0/24", vpc_endpoint_id=ep.id)


# 9. aws.alb.* alias types
def _alb_alias_to_db(w: World) -> None:
    _open_group(w, "alb", 443)
    lb = aws.alb.LoadBalancer("alb", internal=False, load_balancer_type="application",
                              subnets=[w.subnets["pub"].id], security_groups=[w.sgs["alb"].id])
    w.ingress("db-from-alb", "db", 3306, referenced_security_group_id=w.sgs["alb"].id)
    tg = aws.alb.TargetGroup("alb-db-tg", port=3306, protocol="HTTP", vpc_id=w.vpc.id)
    aws.alb.TargetGroupAttachment("alb-db-att", target_group_arn=tg.arn, target_id=w.db.id)
    aws.alb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTP",
                     default_actions=[aws.alb.ListenerDefaultActionArgs(
                         type="forward", target_group_arn=tg.arn)])


# 11/12. EIP association forms
def _eip_assoc_public_ip(w: World) -> None:
    eip = aws.ec2.Eip("x-eip", domain="vpc")
    aws.ec2.EipAssociation("x-assoc", public_ip=eip.public_ip, instance_id=w.db.id)


def _eip_assoc_literal_alloc(w: World) -> None:
    aws.ec2.EipAssociation("x-assoc", allocation_id="eipalloc-0123456789abcdef0",
                           network_interface_id=w.db.primary_network_interface_id)


def _eip_assoc_literal_alloc_instance(w: World) -> None:
    aws.ec2.EipAssociation("x-assoc", allocation_id="eipalloc-0123456789abcdef0",
                           instance_id=w.db.id)


# 13. an instance whose subnet, public IP and groups come from its launch template only
def _instance_from_lt(subnet: str, public: bool) -> Tweak:
    def tweak(w: World) -> None:
        lt = aws.ec2.LaunchTemplate(
            "db2-lt", image_id=AMI, instance_type="t3.micro",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required"),
            network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                device_index=0, subnet_id=w.subnets[subnet].id,
                associate_public_ip_address=str(public).lower(),
                security_groups=[w.sgs["db"].id])])
        aws.ec2.Instance(
            "db2", launch_template=aws.ec2.InstanceLaunchTemplateArgs(id=lt.id,
                                                                      version="$Latest"),
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
            tags={"Role": "db", "Tier": "private"})
    return tweak


def _internet_alb(w: World) -> aws.lb.LoadBalancer:
    """An internet-facing ALB in the public subnet with the open group ``alb``
    (test_policies_doors._open_group: 443 from anywhere)."""
    return aws.lb.LoadBalancer("alb", internal=False, load_balancer_type="application",
                               subnets=[w.subnets["pub"].id],
                               security_groups=[w.sgs["alb"].id])


# 15. secondary VPC CIDR (false-alarm check)
def _secondary_cidr(w: World) -> None:
    assoc = aws.ec2.VpcIpv4CidrBlockAssociation("vpc-2nd", vpc_id=w.vpc.id,
                                                cidr_block="10.1.0.0/16")
    sub = aws.ec2.Subnet("app2", vpc_id=assoc.vpc_id, cidr_block="10.1.0.0/24",
                         availability_zone="ap-northeast-2a", map_public_ip_on_launch=False,
                         tags={"Tier": "private"})
    aws.ec2.RouteTableAssociation("app2-assoc", subnet_id=sub.id, route_table_id=w.private_rt.id)
    w.ingress("db-from-app2", "db", 3306, cidr_ipv4="10.1.0.0/24")


# 18. public table made main; private subnet explicitly associated (false-alarm check)
def _main_is_public(w: World) -> None:
    aws.ec2.MainRouteTableAssociation("main-public", vpc_id=w.vpc.id,
                                      route_table_id=w.public_rt.id)


# 24. IP target literal in the private subnet (not the DB's mocked IP)
def _alb_ip_literal(w: World) -> None:
    _open_group(w, "alb", 443)
    lb = _internet_alb(w)
    w.ingress("db-from-alb", "db", 3306, referenced_security_group_id=w.sgs["alb"].id)
    tg = aws.lb.TargetGroup("alb-ip-tg", port=3306, protocol="HTTP", vpc_id=w.vpc.id,
                            target_type="ip")
    aws.lb.TargetGroupAttachment("alb-ip-att", target_group_arn=tg.arn, target_id="10.0.0.140")
    aws.lb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTP",
                    default_actions=[aws.lb.ListenerDefaultActionArgs(
                        type="forward", target_group_arn=tg.arn)])


# NAT64 written in upper case (false-alarm check)
def _nat64_upper(w: World) -> None:
    aws.ec2.Route("priv-nat64", route_table_id=w.private_rt.id,
                  destination_ipv6_cidr_block="64:FF9B::/96", nat_gateway_id=w.nat.id)


# IPv4-mapped IPv6 SSH source on a dual-stack bastion (is it an internet range?)
def _bastion_v6_mapped(w: World) -> None:
    w.ingress("bastion-mapped", "bastion", 22, cidr_ipv6="::ffff:0.0.0.0/96")


CASES: list[Case] = [
    Case("a17-nlb-tcp-udp-to-db", {(I, "nlb-db-listener")}, tweak=_nlb_tcp_udp_to_db("TCP_UDP")),
    Case("a17-nlb-tcp-to-db", {(I, "nlb-db-listener")}, tweak=_nlb_tcp_udp_to_db("TCP")),
    Case("a17-bastion-split-halves", {(B, "bastion-half-0"), (B, "bastion-half-1")},
         tweak=_bastion_split),
    Case("a17-db-pl-world-entry-resource", {(P, "db-from-pl")}, tweak=_db_pl_entry_resource),
    Case("a17-route-pl-entry-to-appliance", {(N, "priv")}, tweak=_route_pl_to_appliance),
    Case("a17-route-to-gwlb-endpoint", {(N, "priv")}, tweak=_route_to_gwlbe),
    Case("a17-alb-alias-to-db", {(I, "alb-listener")}, tweak=_alb_alias_to_db),
    Case("a17-eip-assoc-public-ip", {(I, "x-assoc")}, tweak=_eip_assoc_public_ip),
    Case("a17-eip-assoc-literal-alloc-eni", {(I, "x-assoc")}, tweak=_eip_assoc_literal_alloc),
    Case("a17-eip-assoc-literal-alloc-instance", {(I, "x-assoc")},
         tweak=_eip_assoc_literal_alloc_instance),
    Case("a17-instance-from-lt", {(I, "db2-lt"), (N, "db2"), (T, "db2")},
         tweak=_instance_from_lt("pub", True)),
    Case("a17-secondary-cidr", set(), tweak=_secondary_cidr),
    Case("a17-main-is-public", set(), tweak=_main_is_public),
    Case("a17-alb-ip-literal", {(I, "alb-listener")}, tweak=_alb_ip_literal),
    Case("a17-nat64-upper", set(), Opts(ipv6=True), tweak=_nat64_upper),
    Case("a17-bastion-v6-mapped", {(B, "bastion-mapped")}, Opts(ipv6=True),
         tweak=_bastion_v6_mapped),
]


# ---------------------------------------------------------------------------------------------
# batch 2

def _nlb_to_bastion(proto: str) -> Tweak:
    """Internet NLB (no groups) :22 -> bastion:22; the bastion admits 22 from the VPC (the
    NLB's nodes / health checks)."""
    def tweak(w: World) -> None:
        nlb = aws.lb.LoadBalancer("nlb", internal=False, load_balancer_type="network",
                                  subnets=[w.subnets["pub"].id])
        w.ingress("bastion-ssh-hc", "bastion", 22, cidr_ipv4="10.0.0.0/26")
        tg = aws.lb.TargetGroup("nlb-ssh-tg", port=22, protocol=proto, vpc_id=w.vpc.id,
                                target_type="instance")
        aws.lb.TargetGroupAttachment("nlb-ssh-att", target_group_arn=tg.arn,
                                     target_id=w.bastion.id)
        aws.lb.Listener("nlb-ssh-listener", load_balancer_arn=nlb.arn, port=22, protocol=proto,
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg.arn)])
    return tweak


def _cross_vpc_ip_target(w: World) -> None:
    """An internet ALB in VPC 1 whose ip target group (availabilityZone "all") registers a DB
    in a private subnet of a peered VPC 2 of this stack; DB2 admits 3306 from the ALB's group."""
    vpc2 = aws.ec2.Vpc("vpc2", cidr_block="10.1.0.0/24")
    aws.ec2.FlowLog("vpc2-flow-log", vpc_id=vpc2.id, traffic_type="ALL",
                    log_destination_type="s3", log_destination="arn:aws:s3:::t-flow-logs")
    pcx = aws.ec2.VpcPeeringConnection("pcx", vpc_id=w.vpc.id, peer_vpc_id=vpc2.id,
                                       auto_accept=True)
    priv2 = aws.ec2.Subnet("priv2", vpc_id=vpc2.id, cidr_block="10.1.0.0/25",
                           availability_zone="ap-northeast-2a", map_public_ip_on_launch=False,
                           tags={"Tier": "private"})
    rt2 = aws.ec2.RouteTable("rt2", vpc_id=vpc2.id, tags={"Tier": "private"})
    aws.ec2.Route("rt2-to-vpc1", route_table_id=rt2.id, destination_cidr_block="10.0.0.0/24",
                  vpc_peering_connection_id=pcx.id)
    aws.ec2.RouteTableAssociation("priv2-assoc", subnet_id=priv2.id, route_table_id=rt2.id)
    aws.ec2.Route("pub-to-vpc2", route_table_id=w.public_rt.id,
                  destination_cidr_block="10.1.0.0/24", vpc_peering_connection_id=pcx.id)
    _open_group(w, "alb", 443)
    sg2 = aws.ec2.SecurityGroup("db2-sg", vpc_id=vpc2.id, description="db2",
                                tags={"Role": "db", "Tier": "private"})
    aws.vpc.SecurityGroupIngressRule("db2-from-alb", security_group_id=sg2.id,
                                     ip_protocol="tcp", from_port=3306, to_port=3306,
                                     referenced_security_group_id=w.sgs["alb"].id,
                                     description="alb")
    aws.ec2.Instance(
        "db2", ami=AMI, instance_type="t3.micro", subnet_id=priv2.id,
        vpc_security_group_ids=[sg2.id], associate_public_ip_address=False,
        private_ip="10.1.0.10",
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "db", "Tier": "private"})
    lb = _internet_alb(w)
    tg = aws.lb.TargetGroup("alb-ip-tg", port=3306, protocol="HTTP", vpc_id=w.vpc.id,
                            target_type="ip")
    aws.lb.TargetGroupAttachment("alb-ip-att", target_group_arn=tg.arn, target_id="10.1.0.10",
                                 availability_zone="all")
    aws.lb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTP",
                    default_actions=[aws.lb.ListenerDefaultActionArgs(
                        type="forward", target_group_arn=tg.arn)])


CASES += [
    # in a preview the template's networkInterfaces depend on the subnet and the groups alike,
    # so its subnet is not known to be the subnet (fail closed: tier-declared)
    Case("a17-instance-from-lt-private", set(), tweak=_instance_from_lt("priv", False),
         preview_expected={(T, "db2")}),
    Case("a17-nlb-tcp-udp-to-bastion", {(B, "nlb-ssh-listener")},
         tweak=_nlb_to_bastion("TCP_UDP")),
    Case("a17-nlb-tcp-to-bastion", {(B, "nlb-ssh-listener")}, tweak=_nlb_to_bastion("TCP")),
    Case("a17-cross-vpc-ip-target", {(I, "alb-listener")}, tweak=_cross_vpc_ip_target),
]



# ---------------------------------------------------------------------------------------------
# batch 3

def _spot_eip_assoc(w: World) -> None:
    spot = aws.ec2.SpotInstanceRequest(
        "spotdb", ami=AMI, instance_type="t3.micro", subnet_id=w.subnets["priv"].id,
        vpc_security_group_ids=[w.sgs["db"].id], associate_public_ip_address=False,
        wait_for_fulfillment=True,
        metadata_options=aws.ec2.SpotInstanceRequestMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.SpotInstanceRequestRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "db", "Tier": "private"})
    eip = aws.ec2.Eip("spot-eip", domain="vpc")
    aws.ec2.EipAssociation("spot-assoc", allocation_id=eip.allocation_id,
                           instance_id=spot.spot_instance_id)


def _route_via_assoc_output(w: World) -> None:
    assoc = aws.ec2.RouteTableAssociation("app-assoc", subnet_id=w.subnets["priv"].id,
                                          route_table_id=w.private_rt.id)
    aws.ec2.Route("priv-igw-sneaky", route_table_id=assoc.route_table_id,
                  destination_cidr_block="8.8.8.0/24", gateway_id=w.igw.id)


def _bastion_group_on_web_eni(w: World) -> None:
    aws.ec2.NetworkInterfaceSecurityGroupAttachment(
        "web-bastion-sg", security_group_id=w.sgs["bastion"].id,
        network_interface_id=w.web.primary_network_interface_id)


CASES += [
    Case("a17-spot-eip-association", {(I, "spot-assoc")}, tweak=_spot_eip_assoc),
    Case("a17-route-via-assoc-output", {(N, "priv")}, tweak=_route_via_assoc_output),
    Case("a17-bastion-group-on-web-eni", {(B, "bastion-ssh-office-0"),
                                           (S, "bastion-ssh-office-0"), (S, "db-ssh"),
                                           (S, "web-ssh")}, tweak=_bastion_group_on_web_eni),
]


def _public_holder_with_db_group(kind: str) -> Tweak:
    """Modelled twins of the EKS case: the DB's group on a public-tier launcher (LT asks for
    a public IPv4) in the public subnet."""
    def tweak(w: World) -> None:
        if kind == "instance":
            aws.ec2.Instance(
                "pubdb", ami=AMI, instance_type="t3.micro", subnet_id=w.subnets["pub"].id,
                vpc_security_group_ids=[w.sgs["db"].id], associate_public_ip_address=True,
                metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
                root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
                tags={"Role": "web", "Tier": "public"})
            return
        lt = aws.ec2.LaunchTemplate(
            "ng-lt", image_id=AMI, instance_type="t3.micro",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required"),
            network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                device_index=0, associate_public_ip_address="true",
                security_groups=[w.sgs["db"].id])])
        aws.autoscaling.Group(
            "ngasg", min_size=1, max_size=1, vpc_zone_identifiers=[w.subnets["pub"].id],
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id=lt.id,
                                                                    version="$Latest"),
            tags=[aws.autoscaling.GroupTagArgs(key="Tier", value="public",
                                               propagate_at_launch=True)])
    return tweak


CASES += [
    Case("a17-twin-instance-public-with-db-group", set(),
         tweak=_public_holder_with_db_group("instance")),
    Case("a17-twin-asg-public-lt-db-group", set(),
         tweak=_public_holder_with_db_group("asg")),
]


def _second_64(block: str) -> str:
    import ipaddress
    return str(list(ipaddress.ip_network(block).subnets(new_prefix=64))[1])


def _asg_private_in_dual_stack_public(w: World) -> None:
    pub6 = aws.ec2.Subnet("pub6", vpc_id=w.vpc.id, cidr_block="10.0.0.64/27",
                          ipv6_cidr_block=w.vpc.ipv6_cidr_block.apply(_second_64),
                          assign_ipv6_address_on_creation=True,
                          availability_zone="ap-northeast-2a", map_public_ip_on_launch=False,
                          tags={"Tier": "public"})
    aws.ec2.RouteTableAssociation("pub6-assoc", subnet_id=pub6.id,
                                  route_table_id=w.public_rt.id)
    w.ingress("web-https-v6", "web", 443, cidr_ipv6="::/0")
    lt = aws.ec2.LaunchTemplate(
        "w6-lt", image_id=AMI, instance_type="t3.micro",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required"),
        vpc_security_group_ids=[w.sgs["web"].id])
    aws.autoscaling.Group(
        "w6asg", min_size=1, max_size=1, vpc_zone_identifiers=[pub6.id],
        launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id=lt.id, version="$Latest"),
        tags=[aws.autoscaling.GroupTagArgs(key="Tier", value="private",
                                           propagate_at_launch=True)])


def _nlb_udp_to_db(w: World) -> None:
    nlb = aws.lb.LoadBalancer("nlb", internal=False, load_balancer_type="network",
                              subnets=[w.subnets["pub"].id])
    aws.vpc.SecurityGroupIngressRule("db-udp-from-vpc", security_group_id=w.sgs["db"].id,
                                     ip_protocol="udp", from_port=3306, to_port=3306,
                                     cidr_ipv4="10.0.0.0/24", description="x")
    tg = aws.lb.TargetGroup("nlb-db-tg", port=3306, protocol="UDP", vpc_id=w.vpc.id,
                            target_type="instance")
    aws.lb.TargetGroupAttachment("nlb-db-att", target_group_arn=tg.arn, target_id=w.db.id)
    aws.lb.Listener("nlb-db-listener", load_balancer_arn=nlb.arn, port=3306, protocol="UDP",
                    default_actions=[aws.lb.ListenerDefaultActionArgs(
                        type="forward", target_group_arn=tg.arn)])


def _gwlb_appliance(all_from_vpc: bool) -> Tweak:
    def tweak(w: World) -> None:
        w.sgs["appl"] = w.sg("appl-sg", {"Role": "appliance", "Tier": "private"})
        if all_from_vpc:
            aws.vpc.SecurityGroupIngressRule("appl-all-vpc", security_group_id=w.sgs["appl"].id,
                                             ip_protocol="-1", cidr_ipv4="10.0.0.0/24",
                                             description="x")
        else:
            aws.vpc.SecurityGroupIngressRule("appl-geneve", security_group_id=w.sgs["appl"].id,
                                             ip_protocol="udp", from_port=6081, to_port=6081,
                                             cidr_ipv4="10.0.0.0/24", description="x")
        appl = aws.ec2.Instance(
            "appl", ami=AMI, instance_type="t3.micro", subnet_id=w.subnets["priv"].id,
            vpc_security_group_ids=[w.sgs["appl"].id], associate_public_ip_address=False,
            source_dest_check=False,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
            tags={"Role": "appliance", "Tier": "private"})
        gwlb = aws.lb.LoadBalancer("gwlb", load_balancer_type="gateway",
                                   subnets=[w.subnets["priv"].id])
        tg = aws.lb.TargetGroup("gwlb-tg", port=6081, protocol="GENEVE", vpc_id=w.vpc.id,
                                target_type="instance")
        aws.lb.TargetGroupAttachment("gwlb-att", target_group_arn=tg.arn, target_id=appl.id)
        aws.lb.Listener("gwlb-listener", load_balancer_arn=gwlb.arn,
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg.arn)])
    return tweak


CASES += [
    Case("a17-asg-private-in-dual-stack-public", {(I, "web-https-v6"), (N, "w6asg"),
                                                  (P, "web-https"), (P, "web-https-v6")},
         Opts(ipv6=True),
         tweak=_asg_private_in_dual_stack_public),
    Case("a17-nlb-udp-to-db", {(I, "nlb-db-listener")}, tweak=_nlb_udp_to_db),
    Case("a17-gwlb-appliance-geneve", set(), tweak=_gwlb_appliance(False)),
    Case("a17-gwlb-appliance-all-from-vpc", {(S, "appl-all-vpc")}, tweak=_gwlb_appliance(True)),
]


def _regional_nat(w: World) -> None:
    eip = aws.ec2.Eip("rnat-eip", domain="vpc", tags={"Tier": "public"})
    rnat = aws.ec2.NatGateway(
        "rnat", availability_mode="regional", vpc_id=w.vpc.id,
        availability_zone_addresses=[aws.ec2.NatGatewayAvailabilityZoneAddressArgs(
            availability_zone="ap-northeast-2a", allocation_ids=[eip.allocation_id])],
        tags={"Tier": "public"})
    rt = aws.ec2.RouteTable("privb-rt", vpc_id=w.vpc.id, tags={"Tier": "private"})
    aws.ec2.Route("privb-default", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0",
                  nat_gateway_id=rnat.id)
    sub = aws.ec2.Subnet("privb", vpc_id=w.vpc.id, cidr_block="10.0.0.192/27",
                         availability_zone="ap-northeast-2a", map_public_ip_on_launch=False,
                         tags={"Tier": "private"})
    aws.ec2.RouteTableAssociation("privb-assoc", subnet_id=sub.id, route_table_id=rt.id)


CASES += [Case("a17-regional-nat-gateway", set(), tweak=_regional_nat)]


def _db_world_rule_via_other_rule(w: World) -> None:
    """A DB-group rule from the world whose securityGroupId is another resource's output that
    equals the DB group's id (a RouteTableAssociation-style indirection)."""
    anchor = aws.ec2.SecurityGroupRule(
        "db-anchor", type="ingress", security_group_id=w.sgs["db"].id, protocol="tcp",
        from_port=5432, to_port=5432, source_security_group_id=w.sgs["web"].id,
        description="anchor")
    aws.vpc.SecurityGroupIngressRule("db-world", security_group_id=anchor.security_group_id,
                                     ip_protocol="tcp", from_port=3306, to_port=3306,
                                     cidr_ipv4="0.0.0.0/0", description="x")


def _route_nat_via_assoc_output(w: World) -> None:
    """Compliant twin of route-via-assoc-output: a NAT64 route added the same way."""
    assoc = aws.ec2.RouteTableAssociation("app-assoc", subnet_id=w.subnets["priv"].id,
                                          route_table_id=w.private_rt.id)
    aws.ec2.Route("priv-nat64", route_table_id=assoc.route_table_id,
                  destination_ipv6_cidr_block="64:ff9b::/96", nat_gateway_id=w.nat.id)


def _eni_sg_attach_via_other(w: World) -> None:
    """An open group attached to the DB's ENI, the ENI id taken from an EBS VolumeAttachment-
    like indirection: an ENI SG attachment's own output."""
    first = aws.ec2.NetworkInterfaceSecurityGroupAttachment(
        "db-eni-db-sg", security_group_id=w.sgs["db"].id,
        network_interface_id=w.db.primary_network_interface_id)
    w.sgs["open"] = w.sg("open-sg", {"Role": "x", "Tier": "public"})
    w.ingress("open-3306", "open", 3306, cidr_ipv4="0.0.0.0/0")
    aws.ec2.NetworkInterfaceSecurityGroupAttachment(
        "db-eni-open", security_group_id=w.sgs["open"].id,
        network_interface_id=first.network_interface_id)


CASES += [
    Case("a17-db-world-rule-via-other-rule", {(P, "db-world")},
         tweak=_db_world_rule_via_other_rule),
    Case("a17-route-nat64-via-assoc-output", set(), tweak=_route_nat_via_assoc_output),
    Case("a17-eni-sg-attach-via-other", {(P, "open-3306")},
         tweak=_eni_sg_attach_via_other),
]


def _listener_via_other_listener(w: World) -> None:
    """Internet ALB in front of the web server (compliant); a second listener on the same ALB,
    its loadBalancerArn taken from the first listener's output, forwards to the DB."""
    _open_group(w, "alb", 443)
    w.ingress("alb-in-8443", "alb", 8443, cidr_ipv4="0.0.0.0/0")
    lb = _internet_alb(w)
    w.ingress("web-from-alb", "web", 80, referenced_security_group_id=w.sgs["alb"].id)
    w.ingress("db-from-alb", "db", 3306, referenced_security_group_id=w.sgs["alb"].id)
    tgw = aws.lb.TargetGroup("alb-web-tg", port=80, protocol="HTTP", vpc_id=w.vpc.id)
    aws.lb.TargetGroupAttachment("alb-web-att", target_group_arn=tgw.arn, target_id=w.web.id)
    first = aws.lb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTP",
                            default_actions=[aws.lb.ListenerDefaultActionArgs(
                                type="forward", target_group_arn=tgw.arn)])
    tgd = aws.lb.TargetGroup("alb-db-tg", port=3306, protocol="HTTP", vpc_id=w.vpc.id)
    aws.lb.TargetGroupAttachment("alb-db-att", target_group_arn=tgd.arn, target_id=w.db.id)
    aws.lb.Listener("alb-listener-2", load_balancer_arn=first.load_balancer_arn, port=8443,
                    protocol="HTTP", default_actions=[aws.lb.ListenerDefaultActionArgs(
                        type="forward", target_group_arn=tgd.arn)])


def _tg_att_via_other_att(w: World) -> None:
    """Internet ALB -> web TG (compliant); a second attachment registers the DB in the same TG,
    the TG ARN taken from the first attachment's output."""
    _open_group(w, "alb", 443)
    lb = _internet_alb(w)
    w.ingress("web-from-alb", "web", 80, referenced_security_group_id=w.sgs["alb"].id)
    w.ingress("db-from-alb", "db", 80, referenced_security_group_id=w.sgs["alb"].id)
    tgw = aws.lb.TargetGroup("alb-web-tg", port=80, protocol="HTTP", vpc_id=w.vpc.id)
    first = aws.lb.TargetGroupAttachment("alb-web-att", target_group_arn=tgw.arn,
                                         target_id=w.web.id)
    aws.lb.TargetGroupAttachment("alb-db-att", target_group_arn=first.target_group_arn,
                                 target_id=w.db.id)
    aws.lb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTP",
                    default_actions=[aws.lb.ListenerDefaultActionArgs(
                        type="forward", target_group_arn=tgw.arn)])


CASES += [
    Case("a17-listener-via-other-listener", {(I, "alb-listener-2")},
         tweak=_listener_via_other_listener),
    Case("a17-tg-attachment-via-other-attachment", {(I, "alb-listener")},
         tweak=_tg_att_via_other_att),
]


def _nat_subnet_via_assoc(w: World) -> None:
    eip = aws.ec2.Eip("nat2-eip", domain="vpc", tags={"Tier": "public"})
    assoc = aws.ec2.RouteTableAssociation("app-assoc2", subnet_id=w.subnets["priv"].id,
                                          route_table_id=w.private_rt.id)
    aws.ec2.NatGateway("nat2", subnet_id=assoc.subnet_id, allocation_id=eip.allocation_id,
                       tags={"Tier": "public"})


def _instance_subnet_via_assoc(w: World) -> None:
    assoc = aws.ec2.RouteTableAssociation("pub-assoc2", subnet_id=w.subnets["pub"].id,
                                          route_table_id=w.public_rt.id)
    aws.ec2.Instance(
        "db3", ami=AMI, instance_type="t3.micro", subnet_id=assoc.subnet_id,
        vpc_security_group_ids=[w.sgs["db"].id],
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
        tags={"Role": "db", "Tier": "private"})


CASES += [
    Case("a17-nat-subnet-via-assoc", {("nat-gateways-in-public-subnets", "nat2")},
         tweak=_nat_subnet_via_assoc),
    Case("a17-instance-subnet-via-assoc", {(I, "db3"), (T, "db3"), (N, "db3")},
         tweak=_instance_subnet_via_assoc),
]

ALL_MODES = (*MODES, "fresh", "refreshed")  # and the two deployed shapes


def _diagnostics(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> list[Any]:
    if mode in ("update", "preview"):
        return list(analyze(pack, case, mode, tmp_path))
    pack.configure(config_file(case.config, tmp_path))
    return list(pack.analyze(case_run(case, "deployed", PROGRAM_CONFIG, shape=mode)))


# The designs the pack got wrong before these tests, and their compliant twins: every mode. The
# rest it handled already, in forms the other policy suites also check deployed: update and
# preview.
FOUND: frozenset[str] = frozenset({
    "a17-nlb-tcp-udp-to-db", "a17-nlb-tcp-udp-to-bastion", "a17-nlb-tcp-to-db",
    "a17-route-to-gwlb-endpoint", "a17-instance-from-lt-private", "a17-instance-from-lt",
    "a17-route-via-assoc-output", "a17-route-nat64-via-assoc-output",
    "a17-db-world-rule-via-other-rule", "a17-eni-sg-attach-via-other",
    "a17-listener-via-other-listener", "a17-tg-attachment-via-other-attachment",
    "a17-gwlb-appliance-geneve", "a17-gwlb-appliance-all-from-vpc",
    "a17-instance-subnet-via-assoc",
})
DESIGN_RUNS = [pytest.param(case, mode, id=f"{case.id}-{mode}") for case in CASES
               for mode in (ALL_MODES if case.id in FOUND else MODES)]


def test_every_finding_is_a_case() -> None:
    assert {c.id for c in CASES} >= FOUND


@pytest.mark.parametrize(("case", "mode"), DESIGN_RUNS)
def test_second_readers_design(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    diags = _diagnostics(pack, case, mode, tmp_path)
    check(diags, case.expected_for("update" if mode != "preview" else "preview"))


@pytest.mark.parametrize("name", ["a17-route-via-assoc-output", "a17-listener-via-other-listener",
                                  "a17-db-world-rule-via-other-rule",
                                  "a17-tg-attachment-via-other-attachment",
                                  "a17-route-nat64-via-assoc-output"])
def test_an_indirect_reference_in_a_pull_request_preview(pack: PolicyPack, name: str,
                                                         tmp_path: Path) -> None:
    """The change reviewed as --baseline reviews a pull request: a preview of it against the
    refreshed state of the compliant world (the intermediate resource new, its output
    unknown)."""
    from tests.test_policies_deployed import _against

    case = next(c for c in CASES if c.id == name)
    pack.configure(config_file(case.config, tmp_path))
    check(list(pack.analyze(_against(None, case.tweak, case.opts))), case.expected)


# ----------------------------------------------------------------- protocols as AWS reads them
def _ssh_rule(form: str, proto: str, group: str, cidr: str) -> Tweak:
    def tweak(w: World) -> None:
        if form == "sgrule":
            aws.ec2.SecurityGroupRule(
                "odd", type="ingress", security_group_id=w.sgs[group].id, protocol=proto,
                from_port=22, to_port=22, cidr_blocks=[cidr], description="odd")
        elif form == "vpcrule":
            aws.vpc.SecurityGroupIngressRule(
                "odd", security_group_id=w.sgs[group].id, ip_protocol=proto, from_port=22,
                to_port=22, cidr_ipv4=cidr, description="odd")
        else:
            aws.ec2.SecurityGroup(
                "odd", vpc_id=w.vpc.id, description="odd", tags={"Role": group, "Tier": "public"},
                ingress=[aws.ec2.SecurityGroupIngressArgs(
                    protocol=proto, from_port=22, to_port=22, cidr_blocks=[cidr],
                    description="odd")])
    return tweak


def _names(diags: list[Any]) -> set[tuple[str, str | None]]:
    from tests.test_policies import ADVISORY, MANDATORY, resource_name

    return {(d.policy, resource_name(d.urn)) for d in diags if d.policy in MANDATORY | ADVISORY}


# (form, written, read as, group, source): ProtocolForValue lower-cases, keeps a name, else reads
# strconv.Atoi; SSH from outside the office on the bastion's group, from the internet on the
# web group's
PROTOCOL_FORMS = [
    ("sgrule", "006", "tcp", "bastion", "0.0.0.0/0"),
    ("sgrule", "-01", "-1", "bastion", "0.0.0.0/0"),
    ("vpcrule", "06", "tcp", "bastion", "0.0.0.0/0"),
    ("inline", "+6", "tcp", "bastion", "0.0.0.0/0"),
    ("sgrule", "006", "tcp", "web", "198.51.100.0/24"),
]


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize(("form", "written", "read", "group", "cidr"), PROTOCOL_FORMS)
def test_a_protocol_number_written_oddly_is_judged_as_aws_reads_it(
    pack: PolicyPack, mode: str, form: str, written: str, read: str, group: str, cidr: str,
    tmp_path: Path,
) -> None:
    """A rule written with an odd protocol is refused exactly as when written plainly (and not
    nothing)."""
    odd = Case(f"proto-{form}-{written}-{group}", set(), tweak=_ssh_rule(form, written, group,
                                                                        cidr))
    plain = Case(f"proto-{form}-{read}-{group}", set(), tweak=_ssh_rule(form, read, group, cidr))
    (tmp_path / "odd").mkdir()
    (tmp_path / "plain").mkdir()
    got = _names(_diagnostics(pack, odd, mode, tmp_path / "odd"))
    want = _names(_diagnostics(pack, plain, mode, tmp_path / "plain"))
    assert want and got == want
