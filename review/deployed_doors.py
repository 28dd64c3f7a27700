"""Read tables: front doors into the VPC -- Client VPN, API Gateway VPC links and integrations,
CloudFront VPC origins, Global Accelerator, Auto Scaling traffic sources, carrier gateways (the
policy pack's forwarders, issue 17).

Sources: terraform-provider-aws ``internal/service/<service>/<file>.go`` Read functions as cited
per table (v5.14.0 where the resource existed; ``cloudfront/vpc_origin.go`` and the
traffic-source attachment are newer Plugin Framework / SDKv2 resources read from the v6 schema
pulumi-aws 7.51 declares). ``zero_rest`` as in ``review.deployed_apps``: the values the model
reads (the subnets, groups and targets a door leads to) follow the inputs; the rest is what an
empty AWS answer reads back as. Not compared with real state (none was found).
"""

from __future__ import annotations

from typing import Any

from . import deployed_ids as ids
from .deployed_spec import SUBNET, VPC, Ctx, read

CVPN_ENDPOINT = "aws:ec2clientvpn/endpoint:Endpoint"
CVPN_ASSOCIATION = "aws:ec2clientvpn/networkAssociation:NetworkAssociation"


@read(
    CVPN_ENDPOINT,
    source="internal/service/ec2/vpnclient_endpoint.go resourceClientVPNEndpointRead",
    id="cvpn-endpoint",
    zero_rest=True,
    null_ok={"transitGatewayConfiguration"},  # an empty block: no transit gateway
    fresh_differs={"securityGroupIds", "vpcId"},
)
def _cvpn_endpoint(c: Ctx) -> dict[str, Any]:
    vpc_id = c.get("vpcId") or ""
    if not vpc_id:  # associated later: the first association's subnet decides the VPC
        for a in c.visible(CVPN_ASSOCIATION):
            if a.inputs.get("clientVpnEndpointId") == c.id:
                subnet = c.find(SUBNET, a.inputs.get("subnetId"))
                vpc_id = subnet.get("vpcId") if subnet else vpc_id
                break
    groups = list(c.get("securityGroupIds") or [])
    if not groups and vpc_id:  # AWS applies the VPC's default group once it has a VPC
        vpc = c.find(VPC, vpc_id)
        groups = [vpc.get("defaultSecurityGroupId")] if vpc else []
    return {
        "arn": c.arn("ec2", f"client-vpn-endpoint/{c.id}"),
        "authenticationOptions": c.get("authenticationOptions", []),
        "clientConnectOptions": c.get("clientConnectOptions")
        or {"enabled": False, "lambdaFunctionArn": ""},
        "clientLoginBannerOptions": c.get("clientLoginBannerOptions")
        or {"bannerText": "", "enabled": False},
        "clientRouteEnforcementOptions": c.get("clientRouteEnforcementOptions")
        or {"enforced": False},
        "connectionLogOptions": c.get("connectionLogOptions")
        or {"cloudwatchLogGroup": "", "cloudwatchLogStream": "", "enabled": False},
        "disconnectOnSessionTimeout": bool(c.get("disconnectOnSessionTimeout", False)),
        "dnsName": f"*.{c.id}.prod.clientvpn.{c.region}.amazonaws.com",
        "endpointIpAddressType": c.get("endpointIpAddressType", "ipv4"),
        "securityGroupIds": sorted(groups),
        "selfServicePortalUrl": "",
        "serverCertificateArn": c.get("serverCertificateArn", ""),
        "trafficIpAddressType": c.get("trafficIpAddressType", "ipv4"),
        "transitGatewayConfiguration": None,
        "vpcId": vpc_id,
    }


@read(
    CVPN_ASSOCIATION,
    source=(
        "internal/service/ec2/vpnclient_network_association.go "
        "resourceClientVPNNetworkAssociationRead"
    ),
    id="cvpn-assoc",
    zero_rest=True,
)
def _cvpn_association(c: Ctx) -> dict[str, Any]:
    subnet = c.find(SUBNET, c.get("subnetId"))
    return {"associationId": c.id, "vpcId": subnet.get("vpcId") if subnet else ""}


@read(
    "aws:apigateway/vpcLink:VpcLink",
    source="internal/service/apigateway/vpc_link.go resourceVPCLinkRead",
    id=lambda c: ids.hex17(c.urn)[1:7],
    zero_rest=True,
)
def _apigw_vpc_link(c: Ctx) -> dict[str, Any]:
    return {
        "arn": ids.arn("apigateway", f"/vpclinks/{c.id}", region=c.region, account=""),
        "name": c.get("name") or c.name,
        # TF's target_arns (MaxItems 1) is pulumi-aws 7.x's targetArn, a single ARN.
        "targetArn": c.get("targetArn") or (c.get("targetArns") or [""])[0],
    }


@read(
    "aws:apigateway/integration:Integration",
    source="internal/service/apigateway/integration.go resourceIntegrationRead",
    id=lambda c: f"agi-{c.get('restApi')}-{c.get('resourceId')}-{c.get('httpMethod')}",
    zero_rest=True,
)
def _apigw_integration(c: Ctx) -> dict[str, Any]:
    return {
        "cacheNamespace": c.get("cacheNamespace") or c.get("resourceId", ""),
        "passthroughBehavior": c.get("passthroughBehavior", "WHEN_NO_MATCH"),
        "responseTransferMode": c.get("responseTransferMode", "BUFFERED"),
        "timeoutMilliseconds": int(c.get("timeoutMilliseconds", 29000)),
    }


@read(
    "aws:apigatewayv2/vpcLink:VpcLink",
    source="internal/service/apigatewayv2/vpc_link.go resourceVPCLinkRead",
    id=lambda c: ids.hex17(c.urn)[1:7],
    zero_rest=True,
)
def _apigwv2_vpc_link(c: Ctx) -> dict[str, Any]:
    return {
        "arn": ids.arn("apigateway", f"/vpclinks/{c.id}", region=c.region, account=""),
        "name": c.get("name") or c.name,
        "securityGroupIds": sorted(c.get("securityGroupIds", []) or []),
        "subnetIds": sorted(c.get("subnetIds", []) or []),
    }


@read(
    "aws:apigatewayv2/integration:Integration",
    source="internal/service/apigatewayv2/integration.go resourceIntegrationRead",
    id=lambda c: ids.hex17(c.urn)[1:8],
    zero_rest=True,
)
def _apigwv2_integration(c: Ctx) -> dict[str, Any]:
    return {"timeoutMilliseconds": int(c.get("timeoutMilliseconds", 30000))}


@read(
    "aws:cloudfront/vpcOrigin:VpcOrigin",
    source="internal/service/cloudfront/vpc_origin.go vpcOriginResource.Read",
    id=lambda c: "vo_" + ids.hex17(c.urn)[1:17].upper(),
    framework=True,
    zero_rest=True,
)
def _vpc_origin(c: Ctx) -> dict[str, Any]:
    return {
        "arn": ids.arn("cloudfront", f"vpcorigin/{c.id}"),
        "etag": "E" + ids.hex17(c.urn, "etag")[1:14].upper(),
        "vpcOriginEndpointConfig": c.get("vpcOriginEndpointConfig"),
    }


@read(
    "aws:globalaccelerator/listener:Listener",
    source="internal/service/globalaccelerator/listener.go resourceListenerRead",
    id=lambda c: f"{c.get('acceleratorArn')}/listener/{ids.hex17(c.urn)[1:9]}",
    zero_rest=True,
)
def _ga_listener(c: Ctx) -> dict[str, Any]:
    return {"arn": c.id, "clientAffinity": c.get("clientAffinity", "NONE")}


@read(
    "aws:globalaccelerator/endpointGroup:EndpointGroup",
    source="internal/service/globalaccelerator/endpoint_group.go resourceEndpointGroupRead",
    id=lambda c: f"{c.get('listenerArn')}/endpoint-group/{ids.hex17(c.urn)[1:13]}",
    zero_rest=True,
)
def _ga_endpoint_group(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.id,
        "endpointGroupRegion": c.get("endpointGroupRegion", c.region),
        "healthCheckPath": c.get("healthCheckPath", "/"),
        "healthCheckPort": int(c.get("healthCheckPort", 80)),
        "healthCheckProtocol": c.get("healthCheckProtocol", "TCP"),
    }


@read(
    "aws:autoscaling/trafficSourceAttachment:TrafficSourceAttachment",
    source=(
        "internal/service/autoscaling/traffic_source_attachment.go "
        "resourceTrafficSourceAttachmentRead"
    ),
    id=lambda c: (
        f"{c.get('autoscalingGroupName')},{(c.get('trafficSource') or {}).get('type')},"
        f"{(c.get('trafficSource') or {}).get('identifier')}"
    ),
    zero_rest=True,
)
def _traffic_source_attachment(c: Ctx) -> dict[str, Any]:
    return {}


@read(
    "aws:ec2/carrierGateway:CarrierGateway",
    source="internal/service/ec2/vpc_carrier_gateway.go resourceCarrierGatewayRead",
    id="cagw",
    zero_rest=True,
)
def _carrier_gateway(c: Ctx) -> dict[str, Any]:
    return {"arn": c.arn("ec2", f"carrier-gateway/{c.id}"), "ownerId": c.account}


# The resources around the doors that the network does not read (issue 17 point 3's tests
# build them): the API an integration belongs to, the accelerator a listener belongs to, a
# Lambda permission, a Cloud Map namespace and service, a Client VPN authorization rule, and a
# VPN gateway's route propagation (read by the model's routes: any destination to the VGW).


@read(
    "aws:apigatewayv2/api:Api",
    source="internal/service/apigatewayv2/api.go resourceAPIRead",
    id=lambda c: ids.hex17(c.urn)[1:11],
    zero_rest=True,
)
def _apigwv2_api(c: Ctx) -> dict[str, Any]:
    return {
        "apiEndpoint": f"https://{c.id}.execute-api.{c.region}.amazonaws.com",
        "arn": ids.arn("apigateway", f"/apis/{c.id}", region=c.region, account=""),
        "executionArn": c.arn("execute-api", c.id),
        "ipAddressType": c.get("ipAddressType", "ipv4"),
        "name": c.get("name") or c.name,
        "protocolType": c.get("protocolType", ""),
    }


@read(
    "aws:globalaccelerator/accelerator:Accelerator",
    source="internal/service/globalaccelerator/accelerator.go resourceAcceleratorRead",
    id=lambda c: ids.arn("globalaccelerator", f"accelerator/{ids.uuid_for(c.urn)}"),
    zero_rest=True,
)
def _ga_accelerator(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.id,
        "dnsName": f"a{ids.hex17(c.urn)[1:17]}.awsglobalaccelerator.com",
        "hostedZoneId": "Z2BJ6XQ5FK7U4H",  # Global Accelerator's fixed Route 53 zone
        "ipAddressType": c.get("ipAddressType", "IPV4"),
        "name": c.get("name") or c.name,
    }


@read(
    "aws:lambda/permission:Permission",
    source="internal/service/lambda/permission.go resourcePermissionRead",
    id=lambda c: c.get("statementId") or f"terraform-{ids.unique_suffix(c.urn)}",
    zero_rest=True,
)
def _lambda_permission(c: Ctx) -> dict[str, Any]:
    return {"statementId": c.id}


@read(
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
    source="internal/service/servicediscovery/private_dns_namespace.go "
    "resourcePrivateDNSNamespaceRead",
    id=lambda c: ids.short_id("ns", c.urn, width=16),
    zero_rest=True,
)
def _sd_namespace(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("servicediscovery", f"namespace/{c.id}"),
        "hostedZone": ids.upper_id("Z", c.urn, "zone")[:22],
        "name": c.get("name", ""),
        "vpc": c.get("vpc", ""),
    }


@read(
    "aws:servicediscovery/service:Service",
    source="internal/service/servicediscovery/service.go resourceServiceRead",
    id=lambda c: ids.short_id("srv", c.urn, width=16),
    zero_rest=True,
)
def _sd_service(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("servicediscovery", f"service/{c.id}"),
        "name": c.get("name") or c.name,
        "namespaceId": c.get("namespaceId", ""),
        "type": c.get("type", ""),
    }


@read(
    "aws:ec2clientvpn/authorizationRule:AuthorizationRule",
    source="internal/service/ec2/vpnclient_authorization_rule.go "
    "resourceClientVPNAuthorizationRuleRead (id: endpoint,cidr[,group])",
    id=lambda c: ",".join(x for x in (c.get("clientVpnEndpointId", ""),
                                      c.get("targetNetworkCidr", ""),
                                      c.get("accessGroupId", "")) if x),
    zero_rest=True,
)
def _cvpn_authorization(c: Ctx) -> dict[str, Any]:
    return {"authorizeAllGroups": bool(c.get("authorizeAllGroups", False))}


@read(
    "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation",
    source="internal/service/ec2/vpnsite_gateway_route_propagation.go "
    "resourceVPNGatewayRoutePropagationRead (id: vpnGatewayRoutePropagationCreateID, "
    "<gateway>_<route table>)",
    id=lambda c: f"{c.get('vpnGatewayId', '')}_{c.get('routeTableId', '')}",
    zero_rest=True,
)
def _vgw_route_propagation(c: Ctx) -> dict[str, Any]:
    return {}
