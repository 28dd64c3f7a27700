"""Issue 17 points 3 and 4: forwarders as one concept, and routes judged by where they lead.

Each door the model did not see is a violating design with its compliant twin, and each
compliant design users commonly build stays clean, through the real pack in every review mode
(``MODES``, from tests/test_policies.py: adding a mode there adds it here), on
tests/test_policies.py's compliant world. Every case states the exact set of (policy, resource)
violations it must produce.

Forwarders (``policies/rules/netmodel/forwarders.py``, ``targets.py``, ``doors.py``): API Gateway
VPC links and private integrations, CloudFront VPC origins, Global Accelerator endpoint groups in
front of an internal load balancer, Auto Scaling traffic sources and classic-ELB attachments, spot
instances and ECS services as load-balancer targets, IPv6 IP targets behind a dual-stack NLB, and
a Client VPN endpoint (its users connect from any address) as an SSH source for the bastion.

Routes (``policies/rules/netmodel/gateways.py``, ``routes.py``): NAT64 through a NAT gateway is a
way out through NAT; VPN gateways, transit gateways and peerings lead to private networks unless
``private-subnets-egress-via-nat.riskyRouteTargets`` marks them risky; the stack's own prefix
lists resolve to their entries; in a preview, a CIDR built only from a subnet of the group's own
VPC lies inside that VPC.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from review import PolicyPack
from tests.runs import case_run
from tests.test_policies import (
    FL,
    MODES,
    PROGRAM_CONFIG,
    B,
    Case,
    I,
    N,
    Opts,
    P,
    World,
    analyze,
    check,
    pack,
)
from tests.work import counted

__all__ = ["pack"]  # the session-wide pack fixture

Tweak = Callable[[World], None]
OFFICE = {"bastion-ssh-only-from-office": {"officeCidrs": ["203.0.113.0/24"]}}


def _risky(*kinds: str) -> dict[str, Any]:
    return {**OFFICE, N: {"riskyRouteTargets": list(kinds)}}


def _second_64(block: str) -> str:
    """The second /64 of a VPC's IPv6 block (the first is left for the public subnet)."""
    return str(list(ipaddress.ip_network(block).subnets(new_prefix=64))[1])


# ---------------------------------------------------------------------------------------------
# Forwarders as one concept (issue 17 point 3)

AMI = "ami-0123456789abcdef0"
ACCOUNT = "123456789012"
CERT = f"arn:aws:acm:ap-northeast-2:{ACCOUNT}:certificate/0f6b7c1e-1111-2222-3333-444455556666"


def _backend(w: World, to: str) -> tuple[aws.ec2.Instance, int]:
    """The server a door leads to and the port it serves: the private DB (3306) or the public
    web server (80)."""
    return (w.db, 3306) if to == "db" else (w.web, 80)


def _internal_alb(w: World, name: str, to: str, admit: dict[str, Any]
                  ) -> tuple[aws.lb.LoadBalancer, aws.lb.Listener]:
    """An internal ALB in the private subnet, its group admitting port 80 as ``admit`` says,
    forwarding to ``to``, which admits its port from the ALB's group."""
    server, port = _backend(w, to)
    w.sgs[name] = w.sg(f"{name}-sg", {"Role": "lb"})
    w.ingress(f"{name}-in", name, 80, **admit)
    w.ingress(f"{to}-from-{name}", to, port, referenced_security_group_id=w.sgs[name].id)
    alb = aws.lb.LoadBalancer(name, internal=True, load_balancer_type="application",
                              subnets=[w.subnets["priv"].id], security_groups=[w.sgs[name].id])
    tg = aws.lb.TargetGroup(f"{name}-tg", port=port, protocol="HTTP", vpc_id=w.vpc.id,
                            target_type="instance")
    aws.lb.TargetGroupAttachment(f"{name}-att", target_group_arn=tg.arn, target_id=server.id)
    listener = aws.lb.Listener(
        f"{name}-listener", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
        default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                          target_group_arn=tg.arn)])
    return alb, listener


def _internal_nlb(w: World, to: str) -> aws.lb.LoadBalancer:
    """An internal NLB (no groups) forwarding TCP to ``to``, which admits its port from the
    VPC (the NLB's nodes)."""
    server, port = _backend(w, to)
    w.ingress(f"{to}-from-vpc", to, port, cidr_ipv4="10.0.0.0/24")
    nlb = aws.lb.LoadBalancer("inlb", internal=True, load_balancer_type="network",
                              subnets=[w.subnets["priv"].id])
    tg = aws.lb.TargetGroup("inlb-tg", port=port, protocol="TCP", vpc_id=w.vpc.id,
                            target_type="instance")
    aws.lb.TargetGroupAttachment("inlb-att", target_group_arn=tg.arn, target_id=server.id)
    aws.lb.Listener("inlb-listener", load_balancer_arn=nlb.arn, port=port, protocol="TCP",
                    default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                                      target_group_arn=tg.arn)])
    return nlb


def _rest_vpc_link(to: str) -> Tweak:
    """A REST API's VPC link to an internal NLB: any REST API of the account may use it."""
    def tweak(w: World) -> None:
        aws.apigateway.VpcLink("rest-link", name="rest-link", target_arn=_internal_nlb(w, to).arn)
    return tweak


def _http_api_integration(to: str) -> Tweak:
    """An HTTP API's private integration: a VPC link (its own group) to an internal ALB's
    listener."""
    def tweak(w: World) -> None:
        w.sgs["link"] = w.sg("link-sg", {"Role": "apigw"})
        _alb, listener = _internal_alb(w, "ialb", to,
                                       {"referenced_security_group_id": w.sgs["link"].id})
        link = aws.apigatewayv2.VpcLink("http-link", name="http-link",
                                        subnet_ids=[w.subnets["priv"].id],
                                        security_group_ids=[w.sgs["link"].id])
        api = aws.apigatewayv2.Api("http-api", protocol_type="HTTP")
        aws.apigatewayv2.Integration(
            "http-integ", api_id=api.id, integration_type="HTTP_PROXY", integration_method="ANY",
            connection_type="VPC_LINK", connection_id=link.id, integration_uri=listener.arn)
    return tweak


def _http_api_cloud_map(admits: str) -> Tweak:
    """An HTTP API's private integration to a Cloud Map service: it may register any address
    of the VPC link's VPC, so whatever admits the link's group is reachable (the DB, or only
    the web server)."""
    def tweak(w: World) -> None:
        w.sgs["link"] = w.sg("link-sg", {"Role": "apigw"})
        _server, port = _backend(w, admits)
        w.ingress(f"{admits}-from-link", admits, port,
                  referenced_security_group_id=w.sgs["link"].id)
        ns = aws.servicediscovery.PrivateDnsNamespace("ns", name="internal.example",
                                                      vpc=w.vpc.id)
        svc = aws.servicediscovery.Service(
            "svc-map", name="app", namespace_id=ns.id,
            dns_config=aws.servicediscovery.ServiceDnsConfigArgs(
                namespace_id=ns.id, dns_records=[aws.servicediscovery.ServiceDnsConfigDnsRecordArgs(
                    ttl=10, type="A")]))
        link = aws.apigatewayv2.VpcLink("http-link", name="http-link",
                                        subnet_ids=[w.subnets["priv"].id],
                                        security_group_ids=[w.sgs["link"].id])
        api = aws.apigatewayv2.Api("http-api", protocol_type="HTTP")
        aws.apigatewayv2.Integration(
            "http-integ", api_id=api.id, integration_type="HTTP_PROXY", integration_method="ANY",
            connection_type="VPC_LINK", connection_id=link.id, integration_uri=svc.arn)
    return tweak


def _vpc_origin(name: str, arn: pulumi.Input[str], policy: str = "http-only"
                ) -> aws.cloudfront.VpcOrigin:
    return aws.cloudfront.VpcOrigin(name, vpc_origin_endpoint_config=(
        aws.cloudfront.VpcOriginVpcOriginEndpointConfigArgs(
            arn=arn, name=name, http_port=80, https_port=443, origin_protocol_policy=policy,
            origin_ssl_protocols=(
                aws.cloudfront.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs(
                    items=["TLSv1.2"], quantity=1)))))


def _cloudfront_origin_alb(to: str) -> Tweak:
    """A CloudFront VPC origin on an internal ALB in the private subnet."""
    def tweak(w: World) -> None:
        alb, _listener = _internal_alb(w, "ialb", to, {"cidr_ipv4": "10.0.0.0/24"})
        _vpc_origin("origin", alb.arn)
    return tweak


def _cloudfront_origin_instance(to: str) -> Tweak:
    """A CloudFront VPC origin on an instance itself: the DB on port 80 (admitted from the
    VPC, where CloudFront's interfaces are), or the web server over HTTPS."""
    def tweak(w: World) -> None:
        server = w.db if to == "db" else w.web
        if to == "db":
            w.ingress("db-http-vpc", "db", 80, cidr_ipv4="10.0.0.0/24")
        _vpc_origin(f"origin-{to}", server.arn,
                    policy="http-only" if to == "db" else "https-only")
    return tweak


def _global_accelerator(to: str) -> Tweak:
    """A Global Accelerator endpoint group in front of an internal ALB (client addresses
    preserved, so the ALB admits the internet)."""
    def tweak(w: World) -> None:
        alb, _listener = _internal_alb(w, "ialb", to, {"cidr_ipv4": "0.0.0.0/0"})
        acc = aws.globalaccelerator.Accelerator("ga", name="ga", ip_address_type="IPV4",
                                                enabled=True)
        listener = aws.globalaccelerator.Listener(
            "ga-listener", accelerator_arn=acc.arn, protocol="TCP",
            port_ranges=[aws.globalaccelerator.ListenerPortRangeArgs(from_port=80, to_port=80)])
        aws.globalaccelerator.EndpointGroup(
            "ga-eg", listener_arn=listener.arn,
            endpoint_configurations=[aws.globalaccelerator.EndpointGroupEndpointConfigurationArgs(
                endpoint_id=alb.arn, client_ip_preservation_enabled=True, weight=100)])
    return tweak


def _lt(w: World, sg: str, name: str) -> aws.ec2.LaunchTemplate:
    """A hardened launch template with no public address, in ``sg``."""
    return aws.ec2.LaunchTemplate(
        name, image_id=AMI,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required"),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/sda1",
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(encrypted="true"))],
        network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            device_index=0, associate_public_ip_address="false",
            security_groups=[w.sgs[sg].id])])


def _workers(w: World, tier: str, **kw: Any) -> aws.autoscaling.Group:
    """An Auto Scaling group of the private tier (the DB's group and subnet) or of the public
    tier (the web server's)."""
    sg, subnet = ("db", "priv") if tier == "private" else ("web", "pub")
    lt = _lt(w, sg, f"{tier}-lt")
    return aws.autoscaling.Group(
        f"{tier}-workers", min_size=1, max_size=2, vpc_zone_identifiers=[w.subnets[subnet].id],
        launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id=lt.id, version="$Latest"),
        tags=[aws.autoscaling.GroupTagArgs(key="Tier", value=tier, propagate_at_launch=True)],
        **kw)


def _internet_alb(w: World, tier: str, name: str = "alb", port: int = 8080
                  ) -> aws.lb.TargetGroup:
    """An internet-facing ALB (443 from anywhere) forwarding to a target group on ``port``,
    which the tier's group admits from the ALB's."""
    lb = aws.lb.LoadBalancer(name, internal=False, load_balancer_type="application",
                             subnets=[w.subnets["pub"].id],
                             security_groups=[_open_group(w, name, 443).id])
    w.ingress(f"{tier}-from-{name}", "db" if tier == "private" else "web", port,
              referenced_security_group_id=w.sgs[name].id)
    tg = aws.lb.TargetGroup(f"{name}-tg", port=port, protocol="HTTP", vpc_id=w.vpc.id,
                            target_type="instance")
    aws.lb.Listener(f"{name}-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTPS",
                    default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                                      target_group_arn=tg.arn)])
    return tg


def _open_group(w: World, name: str, port: int) -> aws.ec2.SecurityGroup:
    w.sgs[name] = w.sg(f"{name}-sg", {"Role": "lb", "Tier": "public"})
    w.ingress(f"{name}-in-{port}", name, port, cidr_ipv4="0.0.0.0/0")
    return w.sgs[name]


def _asg_traffic_source(tier: str) -> Tweak:
    def tweak(w: World) -> None:
        tg = _internet_alb(w, tier)
        asg = _workers(w, tier)
        aws.autoscaling.TrafficSourceAttachment(
            "workers-ts", autoscaling_group_name=asg.name,
            traffic_source=aws.autoscaling.TrafficSourceAttachmentTrafficSourceArgs(
                identifier=tg.arn, type="elbv2"))
    return tweak


def _asg_inline_traffic_source(w: World) -> None:
    tg = _internet_alb(w, "private")
    _workers(w, "private", traffic_sources=[aws.autoscaling.GroupTrafficSourceArgs(
        identifier=tg.arn, type="elbv2")])


def _classic(w: World, port: int) -> aws.elb.LoadBalancer:
    """An internet-facing classic ELB (its group open on ``port``) forwarding to ``port``."""
    return aws.elb.LoadBalancer(
        "classic", subnets=[w.subnets["pub"].id],
        security_groups=[_open_group(w, "elb", port).id],
        listeners=[aws.elb.LoadBalancerListenerArgs(
            lb_port=port, lb_protocol="tcp", instance_port=port, instance_protocol="tcp")])


def _elb_attachment(to: str) -> Tweak:
    def tweak(w: World) -> None:
        server, port = _backend(w, to)
        w.ingress(f"{to}-from-elb", to, port, cidr_ipv4="10.0.0.0/24")
        aws.elb.Attachment("classic-att", elb=_classic(w, port).name, instance=server.id)
    return tweak


def _asg_classic_attachment(tier: str) -> Tweak:
    def tweak(w: World) -> None:
        w.ingress(f"{tier}-from-elb", "db" if tier == "private" else "web", 8080,
                  cidr_ipv4="10.0.0.0/24")
        asg = _workers(w, tier)
        aws.autoscaling.Attachment("workers-elb", autoscaling_group_name=asg.name,
                                   elb=_classic(w, 8080).name)
    return tweak


def _asg_outside_target_group(tier: str) -> Tweak:
    """A target group of another stack (a shared balancer this stack cannot see), whose group
    (also another stack's) the workers admit."""
    def tweak(w: World) -> None:
        w.ingress(f"{tier}-from-shared-lb", "db" if tier == "private" else "web", 8080,
                  referenced_security_group_id="sg-0123456789abcdef0")
        _workers(w, tier, target_group_arns=[
            f"arn:aws:elasticloadbalancing:ap-northeast-2:{ACCOUNT}:targetgroup/shared/"
            "0123456789abcdef"])
    return tweak


def _spot_target(tier: str) -> Tweak:
    """A spot instance registered in an internet-facing ALB's target group."""
    def tweak(w: World) -> None:
        tg = _internet_alb(w, tier)
        sg, subnet = ("db", "priv") if tier == "private" else ("web", "pub")
        spot = aws.ec2.SpotInstanceRequest(
            f"spot-{sg}", ami=AMI, instance_type="t3.micro", subnet_id=w.subnets[subnet].id,
            vpc_security_group_ids=[w.sgs[sg].id], associate_public_ip_address=False,
            wait_for_fulfillment=True,
            metadata_options=aws.ec2.SpotInstanceRequestMetadataOptionsArgs(
                http_tokens="required"),
            root_block_device=aws.ec2.SpotInstanceRequestRootBlockDeviceArgs(encrypted=True),
            tags={"Role": sg, "Tier": tier})
        aws.lb.TargetGroupAttachment("spot-att", target_group_arn=tg.arn,
                                     target_id=spot.spot_instance_id)
    return tweak


def _ecs_service(tier: str) -> Tweak:
    """An ECS service (awsvpc, no public address) behind an internet-facing ALB."""
    def tweak(w: World) -> None:
        tg = aws.lb.TargetGroup("alb-tg-ip", port=3306, protocol="HTTP", vpc_id=w.vpc.id,
                                target_type="ip")
        lb = aws.lb.LoadBalancer("alb", internal=False, load_balancer_type="application",
                                 subnets=[w.subnets["pub"].id],
                                 security_groups=[_open_group(w, "alb", 443).id])
        aws.lb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTPS",
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg.arn)])
        sg, subnet = ("db", "priv") if tier == "private" else ("web", "pub")
        w.ingress(f"{sg}-from-alb", sg, 3306, referenced_security_group_id=w.sgs["alb"].id)
        cl = aws.ecs.Cluster("cl")
        td = aws.ecs.TaskDefinition(
            "td", family="db", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            cpu="256", memory="512",
            container_definitions=(Path(__file__).parent / "data" / "ecs-db-container.json")
            .read_text())
        aws.ecs.Service(
            "svc", cluster=cl.arn, task_definition=td.arn, desired_count=1, launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=[w.subnets[subnet].id], assign_public_ip=False,
                security_groups=[w.sgs[sg].id]),
            load_balancers=[aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=tg.arn, container_name="db", container_port=3306)])
    return tweak


def _alb_to_lambda(w: World) -> None:
    """An internet-facing ALB invoking a Lambda function (target type lambda: the target id is
    the function's ARN, unknown in a preview; no interface is connected to)."""
    tg = aws.lb.TargetGroup("alb-fn-tg", target_type="lambda")
    role = aws.iam.Role("fn-role", assume_role_policy=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
        '"Principal":{"Service":"lambda.amazonaws.com"}}]}'))
    fn = aws.lambda_.Function("fn", role=role.arn, runtime="python3.12", handler="app.handler",
                              s3_bucket="t-artifacts", s3_key="fn.zip")
    perm = aws.lambda_.Permission("fn-from-alb", action="lambda:InvokeFunction", function=fn.name,
                                  principal="elasticloadbalancing.amazonaws.com",
                                  source_arn=tg.arn)
    aws.lb.TargetGroupAttachment("alb-fn-att", target_group_arn=tg.arn, target_id=fn.arn,
                                 opts=pulumi.ResourceOptions(depends_on=[perm]))
    lb = aws.lb.LoadBalancer("alb", internal=False, load_balancer_type="application",
                             subnets=[w.subnets["pub"].id],
                             security_groups=[_open_group(w, "alb", 443).id])
    aws.lb.Listener("alb-listener", load_balancer_arn=lb.arn, port=443, protocol="HTTPS",
                    default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                                      target_group_arn=tg.arn)])


def _ipv6_ip_target(to: str) -> Tweak:
    """A dual-stack internet-facing NLB (no groups) with an IPv6 IP target: a DB in a private
    IPv6 subnet admitting 5432 from the VPC's IPv6 block (the NLB's nodes), or the web server
    admitting 443 from anywhere."""
    def tweak(w: World) -> None:
        if to == "db":
            subnet = aws.ec2.Subnet(
                "priv6", vpc_id=w.vpc.id, cidr_block="10.0.0.192/28",
                ipv6_cidr_block=w.vpc.ipv6_cidr_block.apply(_second_64),
                availability_zone="ap-northeast-2a", map_public_ip_on_launch=False,
                tags={"Tier": "private"})
            aws.ec2.RouteTableAssociation("priv6-assoc", subnet_id=subnet.id,
                                          route_table_id=w.private_rt.id)
            w.ingress("db6-from-vpc", "db", 5432, cidr_ipv6=w.vpc.ipv6_cidr_block)
            sg, port, tier = "db", 5432, "private"
        else:
            subnet, sg, port, tier = w.subnets["pub"], "web", 443, "public"
        server = aws.ec2.Instance(
            f"{sg}6", ami=AMI, instance_type="t3.micro", subnet_id=subnet.id,
            vpc_security_group_ids=[w.sgs[sg].id], ipv6_address_count=1,
            associate_public_ip_address=False,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
            tags={"Role": sg, "Tier": tier})
        nlb = aws.lb.LoadBalancer("nlb6", internal=False, load_balancer_type="network",
                                  ip_address_type="dualstack", subnets=[w.subnets["pub"].id])
        tg = aws.lb.TargetGroup("nlb6-tg", port=port, protocol="TCP", vpc_id=w.vpc.id,
                                target_type="ip", ip_address_type="ipv6")
        aws.lb.TargetGroupAttachment("nlb6-att", target_group_arn=tg.arn,
                                     target_id=server.ipv6_addresses.apply(lambda a: a[0]))
        aws.lb.Listener("nlb6-listener", load_balancer_arn=nlb.arn, port=port, protocol="TCP",
                        default_actions=[aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=tg.arn)])
    return tweak


def client_vpn(w: World, name: str, subnet: str, group: str) -> aws.ec2clientvpn.Endpoint:
    """A certificate-authenticated Client VPN endpoint ``name`` (clients 10.100.0.0/22) with
    the group ``w.sgs[group]``, associated with the subnet ``w.subnets[subnet]``."""
    vpn = aws.ec2clientvpn.Endpoint(
        name, description="admins", server_certificate_arn=CERT,
        client_cidr_block="10.100.0.0/22", vpc_id=w.vpc.id, split_tunnel=True,
        security_group_ids=[w.sgs[group].id],
        authentication_options=[aws.ec2clientvpn.EndpointAuthenticationOptionArgs(
            type="certificate-authentication", root_certificate_chain_arn=CERT)],
        connection_log_options=aws.ec2clientvpn.EndpointConnectionLogOptionsArgs(
            enabled=False))
    aws.ec2clientvpn.NetworkAssociation(f"{name}-assoc", client_vpn_endpoint_id=vpn.id,
                                        subnet_id=w.subnets[subnet].id)
    return vpn


def client_vpn_in_private_subnet(w: World) -> aws.ec2clientvpn.Endpoint:
    """A certificate-authenticated Client VPN endpoint (clients 10.100.0.0/22) with its own
    group ``w.sgs["vpn"]``, associated with the private subnet."""
    w.sgs["vpn"] = w.sg("vpn-sg", {"Role": "vpn"})
    return client_vpn(w, "vpn", "priv", "vpn")


def _client_vpn(admit: str) -> Tweak:
    """A Client VPN endpoint associated with the private subnet, with its own group: the
    bastion admits SSH from the endpoint's group or its client CIDR, or only the DB admits it
    (3306 from the endpoint's group)."""
    def tweak(w: World) -> None:
        vpn = client_vpn_in_private_subnet(w)
        aws.ec2clientvpn.AuthorizationRule("vpn-auth", client_vpn_endpoint_id=vpn.id,
                                           target_network_cidr="10.0.0.0/24",
                                           authorize_all_groups=True)
        if admit == "bastion-from-group":
            w.ingress("bastion-from-vpn", "bastion", 22,
                      referenced_security_group_id=w.sgs["vpn"].id)
        elif admit == "bastion-from-client-cidr":
            w.ingress("bastion-from-vpn", "bastion", 22, cidr_ipv4="10.100.0.0/22")
        elif admit == "db":
            w.ingress("db-from-vpn", "db", 3306, referenced_security_group_id=w.sgs["vpn"].id)
    return tweak


def _door(name: str) -> set[tuple[str, str | None]]:
    """The private tier is reachable from the internet through ``name``."""
    return {(I, name)}


DOORS: list[Case] = [
    # API Gateway: a REST API's VPC link, an HTTP API's private integration.
    Case("door-rest-vpc-link-to-db", _door("rest-link"), tweak=_rest_vpc_link("db")),
    Case("compliant-rest-vpc-link-to-web", set(), tweak=_rest_vpc_link("web")),
    Case("door-http-api-integration-to-db", _door("http-integ"), tweak=_http_api_integration("db")),
    Case("compliant-http-api-integration-to-web", set(), tweak=_http_api_integration("web")),
    Case("door-http-api-cloud-map-to-db", _door("http-integ"), tweak=_http_api_cloud_map("db")),
    Case("compliant-http-api-cloud-map-to-web", set(), tweak=_http_api_cloud_map("web")),
    # CloudFront VPC origins: an internal ALB, or an instance.
    Case("door-cloudfront-vpc-origin-alb-to-db", _door("origin"),
         tweak=_cloudfront_origin_alb("db")),
    Case("compliant-cloudfront-vpc-origin-alb-to-web", set(),
         tweak=_cloudfront_origin_alb("web")),
    Case("door-cloudfront-vpc-origin-on-db", _door("origin-db"),
         tweak=_cloudfront_origin_instance("db")),
    Case("compliant-cloudfront-vpc-origin-on-web", set(),
         tweak=_cloudfront_origin_instance("web")),
    # Global Accelerator in front of an internal ALB.
    Case("door-global-accelerator-internal-alb-to-db", _door("ga-eg"),
         tweak=_global_accelerator("db")),
    Case("compliant-global-accelerator-internal-alb-to-web", set(),
         tweak=_global_accelerator("web")),
    # Auto Scaling traffic sources and classic-ELB attachments; an ALB in front stays clean.
    Case("door-asg-traffic-source-behind-internet-alb", _door("alb-listener"),
         tweak=_asg_traffic_source("private")),
    Case("compliant-alb-in-front-of-web-asg", set(), tweak=_asg_traffic_source("public")),
    Case("door-asg-inline-traffic-source", _door("alb-listener"),
         tweak=_asg_inline_traffic_source),
    Case("door-classic-elb-attachment-to-db", _door("classic"), tweak=_elb_attachment("db")),
    Case("compliant-classic-elb-attachment-to-web", set(), tweak=_elb_attachment("web")),
    Case("door-asg-classic-elb-attachment", _door("classic"),
         tweak=_asg_classic_attachment("private")),
    Case("compliant-web-asg-classic-elb-attachment", set(),
         tweak=_asg_classic_attachment("public")),
    Case("door-asg-outside-target-group", _door("private-workers"),
         tweak=_asg_outside_target_group("private")),
    Case("compliant-web-asg-outside-target-group", set(),
         tweak=_asg_outside_target_group("public")),
    # Spot instances and ECS services as load-balancer targets.
    Case("door-spot-instance-behind-internet-alb", _door("alb-listener"),
         tweak=_spot_target("private")),
    Case("compliant-spot-web-behind-internet-alb", set(), tweak=_spot_target("public")),
    Case("door-ecs-service-behind-internet-alb", _door("alb-listener"),
         tweak=_ecs_service("private")),
    Case("compliant-ecs-web-service-behind-internet-alb", set(), tweak=_ecs_service("public")),
    Case("compliant-internet-alb-to-lambda", set(), tweak=_alb_to_lambda),
    # IPv6 IP targets behind a dual-stack NLB.
    Case("door-ipv6-ip-target-behind-dual-stack-nlb", _door("nlb6-listener"), Opts(ipv6=True),
         _ipv6_ip_target("db")),
    Case("compliant-ipv6-ip-target-web-behind-dual-stack-nlb", set(), Opts(ipv6=True),
         _ipv6_ip_target("web")),
    # A Client VPN endpoint: its users are not the office.
    Case("door-client-vpn-group-ssh-to-bastion", {(B, "vpn")},
         tweak=_client_vpn("bastion-from-group")),
    Case("door-client-vpn-cidr-ssh-to-bastion", {(B, "vpn")},
         tweak=_client_vpn("bastion-from-client-cidr")),
    Case("compliant-client-vpn-to-db", set(), tweak=_client_vpn("db")),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", DOORS, ids=[c.id for c in DOORS])
def test_door_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))


# ---------------------------------------------------------------------------------------------
# Routes judged by where they lead (issue 17 point 4)


def _nat64(via: str) -> Tweak:
    """The private table sends the NAT64 prefix to the NAT gateway (a way out through NAT), or
    to the internet gateway (a way in and out)."""
    def tweak(w: World) -> None:
        target = ({"nat_gateway_id": w.nat.id} if via == "nat" else {"gateway_id": w.igw.id})
        aws.ec2.Route("priv-nat64", route_table_id=w.private_rt.id,
                      destination_ipv6_cidr_block="64:ff9b::/96", **target)
    return tweak


def _partner_via_vgw(w: World) -> None:
    """A partner's public range, reached over a Site-to-Site VPN: routed to the VPN gateway."""
    vgw = aws.ec2.VpnGateway("vgw", vpc_id=w.vpc.id)
    aws.ec2.Route("priv-partner", route_table_id=w.private_rt.id,
                  destination_cidr_block="198.51.100.0/24", gateway_id=vgw.id)


def _vgw_propagation(inline: bool) -> Tweak:
    """The VPN gateway propagates the routes its connections learn (BGP: any destination) into
    the private table, by a VpnGatewayRoutePropagation or the table's own propagatingVgws."""
    def tweak(w: World) -> None:
        vgw = aws.ec2.VpnGateway("vgw", vpc_id=w.vpc.id)
        if inline:
            table = aws.ec2.RouteTable("corp-rt", vpc_id=w.vpc.id, propagating_vgws=[vgw.id],
                                       tags={"Tier": "private"})
            subnet = aws.ec2.Subnet("corp", vpc_id=w.vpc.id, cidr_block="10.0.0.192/28",
                                    availability_zone="ap-northeast-2a",
                                    map_public_ip_on_launch=False, tags={"Tier": "private"})
            aws.ec2.RouteTableAssociation("corp-assoc", subnet_id=subnet.id,
                                          route_table_id=table.id)
        else:
            aws.ec2.VpnGatewayRoutePropagation("vgw-prop", vpn_gateway_id=vgw.id,
                                               route_table_id=w.private_rt.id)
    return tweak


def _tgw(w: World) -> aws.ec2transitgateway.TransitGateway:
    tgw = aws.ec2transitgateway.TransitGateway("tgw", description="corporate network")
    aws.ec2transitgateway.VpcAttachment("tgw-att", transit_gateway_id=tgw.id, vpc_id=w.vpc.id,
                                        subnet_ids=[w.subnets["priv"].id])
    return tgw


def _own_prefix_list_via_tgw(*cidrs: str) -> Tweak:
    """The stack's own prefix list (one entry inline, the rest as ManagedPrefixListEntry
    resources) routed to a transit gateway."""
    def tweak(w: World) -> None:
        pl = aws.ec2.ManagedPrefixList(
            "corp-pl", address_family="IPv4", max_entries=len(cidrs),
            entries=[aws.ec2.ManagedPrefixListEntryArgs(cidr=cidrs[0], description="corp")])
        for i, cidr in enumerate(cidrs[1:], start=1):
            aws.ec2.ManagedPrefixListEntry(f"corp-pl-{i}", prefix_list_id=pl.id, cidr=cidr,
                                           description="corp")
        aws.ec2.Route("priv-corp", route_table_id=w.private_rt.id,
                      destination_prefix_list_id=pl.id, transit_gateway_id=_tgw(w).id)
    return tweak


def _managed_prefix_list_via_tgw(w: World) -> None:
    """An AWS-managed prefix list (its entries are not the stack's to know) to a transit
    gateway."""
    aws.ec2.Route("priv-managed-pl", route_table_id=w.private_rt.id,
                  destination_prefix_list_id="pl-0123456789abcdef0",
                  transit_gateway_id=_tgw(w).id)


def _carrier_gateway_route(w: World) -> None:
    """A Wavelength carrier gateway: the carrier network and the internet, both ways."""
    cagw = aws.ec2.CarrierGateway("cagw", vpc_id=w.vpc.id)
    aws.ec2.Route("priv-carrier", route_table_id=w.private_rt.id,
                  destination_cidr_block="100.64.0.0/10", carrier_gateway_id=cagw.id)


def _default_via_tgw(w: World) -> None:
    """Centralized egress: the private subnet's default route goes to a transit gateway (an
    egress VPC with NAT behind it)."""
    aws.ec2.Route("priv-default-tgw", route_table_id=w.private_rt.id,
                  destination_cidr_block="0.0.0.0/0", transit_gateway_id=_tgw(w).id)


def _private_ways_out(w: World) -> None:
    """Every way out a private subnet commonly has at once: NAT (IPv4), an egress-only IGW
    (IPv6), NAT64, gateway and interface endpoints, a peering, a VPN gateway, a transit
    gateway."""
    eigw = aws.ec2.EgressOnlyInternetGateway("eigw", vpc_id=w.vpc.id)
    aws.ec2.Route("priv-v6", route_table_id=w.private_rt.id, destination_ipv6_cidr_block="::/0",
                  egress_only_gateway_id=eigw.id)
    _nat64("nat")(w)
    aws.ec2.VpcEndpoint("s3", vpc_id=w.vpc.id, service_name="com.amazonaws.ap-northeast-2.s3",
                        vpc_endpoint_type="Gateway", route_table_ids=[w.private_rt.id])
    aws.ec2.VpcEndpoint("ssm", vpc_id=w.vpc.id, service_name="com.amazonaws.ap-northeast-2.ssm",
                        vpc_endpoint_type="Interface", subnet_ids=[w.subnets["priv"].id],
                        security_group_ids=[w.sgs["db"].id], private_dns_enabled=True)
    peer = aws.ec2.VpcPeeringConnection("peer", vpc_id=w.vpc.id,
                                        peer_vpc_id="vpc-0abc1234def567890")
    aws.ec2.Route("to-peer", route_table_id=w.private_rt.id,
                  destination_cidr_block="10.1.0.0/16", vpc_peering_connection_id=peer.id)
    _partner_via_vgw(w)
    aws.ec2.Route("priv-corp", route_table_id=w.private_rt.id,
                  destination_cidr_block="172.16.0.0/12", transit_gateway_id=_tgw(w).id)


def _db_v6_from_subnet_block(own: bool) -> Tweak:
    """The DB admits 3306 from a subnet's IPv6 block (unknown in a preview, derived from its
    VPC's block): a subnet of its own VPC is inside the VPC; another VPC's subnet is not."""
    def tweak(w: World) -> None:
        eigw = aws.ec2.EgressOnlyInternetGateway("eigw", vpc_id=w.vpc.id)
        aws.ec2.Route("priv-v6-eigw", route_table_id=w.private_rt.id,
                      destination_ipv6_cidr_block="::/0", egress_only_gateway_id=eigw.id)
        vpc = w.vpc if own else aws.ec2.Vpc(
            "other-vpc", cidr_block="10.9.0.0/16", assign_generated_ipv6_cidr_block=True)
        app = aws.ec2.Subnet(
            "app6", vpc_id=vpc.id, cidr_block="10.0.0.192/28" if own else "10.9.0.0/24",
            ipv6_cidr_block=vpc.ipv6_cidr_block.apply(_second_64),
            availability_zone="ap-northeast-2a", map_public_ip_on_launch=False,
            tags={"Tier": "private" if own else "public"})
        if own:
            aws.ec2.RouteTableAssociation("app6-assoc", subnet_id=app.id,
                                          route_table_id=w.private_rt.id)
        w.ingress("db-v6-app", "db", 3306, cidr_ipv6=app.ipv6_cidr_block)
    return tweak


ROUTES: list[Case] = [
    Case("compliant-nat64-via-nat-gateway", set(), Opts(ipv6=True), _nat64("nat")),
    Case("nat64-via-internet-gateway", {(N, "priv")}, Opts(ipv6=True), _nat64("igw")),
    Case("compliant-partner-range-via-vpn-gateway", set(), tweak=_partner_via_vgw),
    Case("partner-range-via-risky-vpn-gateway", {(N, "priv")}, tweak=_partner_via_vgw,
         config=_risky("vpn-gateway")),
    Case("compliant-vgw-route-propagation", set(), tweak=_vgw_propagation(inline=False)),
    Case("vgw-route-propagation-risky", {(N, "priv")}, tweak=_vgw_propagation(inline=False),
         config=_risky("vpn-gateway")),
    Case("compliant-vgw-propagating-table", set(), tweak=_vgw_propagation(inline=True)),
    Case("vgw-propagating-table-risky", {(N, "corp")}, tweak=_vgw_propagation(inline=True),
         config=_risky("vpn-gateway")),
    Case("compliant-own-rfc1918-prefix-list-via-tgw", set(),
         tweak=_own_prefix_list_via_tgw("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
    # Resolved, the list leads nowhere public, so even a risky transit gateway is clean ...
    Case("compliant-own-rfc1918-prefix-list-via-risky-tgw", set(),
         tweak=_own_prefix_list_via_tgw("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
         config=_risky("transit-gateway")),
    # ... and an entry outside private space through a risky one is refused.
    Case("own-public-prefix-list-via-risky-tgw", {(N, "priv")},
         tweak=_own_prefix_list_via_tgw("10.0.0.0/8", "198.51.100.0/24"),
         config=_risky("transit-gateway", "vpn-gateway")),
    Case("compliant-managed-prefix-list-via-tgw", set(), tweak=_managed_prefix_list_via_tgw),
    Case("managed-prefix-list-via-risky-tgw", {(N, "priv")}, tweak=_managed_prefix_list_via_tgw,
         config=_risky("transit-gateway")),
    Case("private-route-to-carrier-gateway", {(N, "priv")}, tweak=_carrier_gateway_route),
    Case("compliant-default-route-via-tgw", set(), Opts(priv_default_route="none"),
         _default_via_tgw),
    Case("default-route-via-risky-tgw", {(N, "priv")}, Opts(priv_default_route="none"),
         _default_via_tgw, config=_risky("transit-gateway")),
    Case("compliant-private-ways-out-together", set(), Opts(ipv6=True), _private_ways_out),
    Case("compliant-db-v6-from-own-subnet-block", set(), Opts(ipv6=True),
         _db_v6_from_subnet_block(own=True)),
]


# Every case here, on the state the provider stores (tests/test_policies_deployed.py).
DEPLOYED_CASES = [*DOORS, *ROUTES]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ROUTES, ids=[c.id for c in ROUTES])
def test_route_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))


def test_db_v6_from_other_vpc_subnet_block_refused_in_preview(pack: PolicyPack,
                                                              tmp_path: Path) -> None:
    """The twin of compliant-db-v6-from-own-subnet-block: a subnet of another VPC, its block
    unknown in a preview, is not inside the group's VPC. Preview only: the mocks give every
    VPC the same IPv6 block, so an update cannot tell the two VPCs' subnets apart."""
    case = Case("db-v6-from-other-vpc-subnet-block", {(P, "db-v6-app"), (FL, "other-vpc")},
                Opts(ipv6=True), _db_v6_from_subnet_block(own=False))
    check(analyze(pack, case, "preview", tmp_path), case.expected)


# ---------------------------------------------------------------------------------------------
# Linear in the stack (issue 17 point 5 is another stream's; these additions must not undo it)


def _every_door(w: World) -> None:
    """Most of the doors and routes above at once (compliant twins: the web tier behind them,
    the Client VPN to the DB), so that every new code path runs."""
    for tweak in (_rest_vpc_link("web"), _http_api_cloud_map("web"),
                  _cloudfront_origin_instance("web"), _global_accelerator("web"),
                  _asg_traffic_source("public"), _elb_attachment("web"), _ipv6_ip_target("web"),
                  _client_vpn("db"), _own_prefix_list_via_tgw("10.0.0.0/8", "192.168.0.0/16"),
                  _partner_via_vgw, _nat64("nat")):
        tweak(w)


@pytest.mark.parametrize("mode", MODES)
def test_the_model_stays_linear_with_every_door(mode: str) -> None:
    """The function calls (Python and builtin: a deterministic unit of work) made to build the
    model of 4 and 16 copies of a stack with every door and ask it every question, and the
    targets its forwarders hold: linear is 4x, a lookup per pair of resources would be 16x.
    A count, not a timing: the box is shared."""
    from policies.rules.netmodel import NetworkModel
    from review.bench_scale import copies
    from review.reachability import records

    case = Case("every-door", set(), Opts(ipv6=True), _every_door)
    run = case_run(case, mode, PROGRAM_CONFIG)
    work: dict[int, int] = {}
    targets: dict[int, int] = {}
    exposures: dict[int, int] = {}
    for n in (4, 16):
        recs = records(copies(run, n))

        def ask(recs: Any = recs) -> tuple[NetworkModel, int]:
            model = NetworkModel(recs)
            found = sum(len(model.internet_ingress(i)) for i in model.interfaces)
            for i in model.interfaces:
                model.egress(i)
            return model, found

        (model, exposures[n]), work[n] = counted(ask)
        targets[n] = sum(len(li.targets) for f in model.load_balancers for li in f.listeners)
    assert exposures[4] > 0 and exposures[16] == 4 * exposures[4], exposures
    assert targets[4] > 0 and targets[16] == 4 * targets[4], targets
    assert work[16] <= 4.5 * work[4], work
