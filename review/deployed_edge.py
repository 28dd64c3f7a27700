"""Read tables: network ACLs, managed prefix lists, transit gateways, flow logs and EC2 Instance
Connect endpoints.

Sources as in ``review.deployed_vpc``. Mirrors: a network ACL's Read
(``vpc_network_acl.go``, ``resourceNetworkACLRead``) lists every entry AWS holds but the
default deny rule 32767 -- the entries of separate ``aws_network_acl_rule`` resources too --
and every subnet associated with it; a managed prefix list's Read
(``vpc_managed_prefix_list.go``) lists every entry, those of ``aws_ec2_managed_prefix_list_entry``
resources too, and its ``version`` counts the modifications.
"""

from __future__ import annotations

from typing import Any

from . import deployed_ids as ids
from .deployed_spec import SUBNET, VPC, Ctx, read

NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
NACL_ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
PREFIX_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"

# protocolIntegers (vpc_network_acl_rule.go): AWS stores the protocol number
_NACL_PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}


def nacl_protocol(value: Any) -> str:
    p = str(value).lower()
    return _NACL_PROTOCOLS.get(p, p)


def _entry(e: dict[str, Any]) -> dict[str, Any]:
    return {
        **e,
        "protocol": nacl_protocol(e.get("protocol", "-1")),
        "action": str(e.get("action", "allow")).lower(),
    }


def nacl_entries(c: Ctx, egress: bool, acl_id: str) -> list[dict[str, Any]]:
    entries = [_entry(e) for e in c.get("egress" if egress else "ingress", []) or []]
    for r in c.visible(NACL_RULE):
        if r.inputs.get("networkAclId") == acl_id and bool(r.inputs.get("egress", False)) == egress:
            entries.append(
                _entry(
                    {
                        "action": r.inputs.get("ruleAction"),
                        "cidrBlock": r.inputs.get("cidrBlock", ""),
                        "fromPort": r.inputs.get("fromPort", 0),
                        "toPort": r.inputs.get("toPort", 0),
                        "icmpCode": r.inputs.get("icmpCode", 0),
                        "icmpType": r.inputs.get("icmpType", 0),
                        "ipv6CidrBlock": r.inputs.get("ipv6CidrBlock", ""),
                        "protocol": r.inputs.get("protocol"),
                        "ruleNo": r.inputs.get("ruleNumber"),
                    }
                )
            )
    return sorted(entries, key=lambda e: int(e.get("ruleNo", 0) or 0))


def nacl_subnets(c: Ctx, acl_id: str) -> list[str]:
    subnets = list(c.get("subnetIds", []) or [])
    for a in c.visible(NACL_ASSOCIATION):
        if a.inputs.get("networkAclId") == acl_id and a.inputs.get("subnetId") not in subnets:
            subnets.append(a.inputs.get("subnetId"))
    return sorted(subnets)


_NACL_FRESH = {"ingress", "egress", "subnetIds"}


@read(
    "aws:ec2/networkAcl:NetworkAcl",
    source="internal/service/ec2/vpc_network_acl.go resourceNetworkACLRead",
    id="acl",
    fresh_differs=_NACL_FRESH,
)
def _nacl(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("ec2", f"network-acl/{c.id}"),
        "ownerId": c.account,
        "ingress": nacl_entries(c, False, c.id),
        "egress": nacl_entries(c, True, c.id),
        "subnetIds": nacl_subnets(c, c.id),
        "vpcId": c.get("vpcId", ""),
    }


@read(
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
    source="internal/service/ec2/vpc_default_network_acl.go resourceDefaultNetworkACLRead",
    id=lambda c: c.get("defaultNetworkAclId", ""),
    fresh_differs=_NACL_FRESH,
)
def _default_nacl(c: Ctx) -> dict[str, Any]:
    vpc = next((v for v in c.world.of_type(VPC) if v.get("defaultNetworkAclId") == c.id), None)
    return {
        "arn": c.arn("ec2", f"network-acl/{c.id}"),
        "ownerId": c.account,
        "ingress": nacl_entries(c, False, c.id),
        "egress": nacl_entries(c, True, c.id),
        "subnetIds": nacl_subnets(c, c.id),
        "vpcId": vpc.id if vpc else "",
    }


def _nacl_rule_id(c: Ctx) -> str:
    """``networkACLRuleCreateResourceID``: ``nacl-<StringHashcode>`` of the ACL id, rule
    number, direction and protocol."""
    egress = "true" if c.get("egress") else "false"
    protocol = nacl_protocol(c.get("protocol"))
    text = f"{c.get('networkAclId')}-{int(c.get('ruleNumber', 0))}-{egress}-{protocol}-"
    return f"nacl-{ids.hashcode(text)}"


@read(
    NACL_RULE,
    source="internal/service/ec2/vpc_network_acl_rule.go resourceNetworkACLRuleRead",
    id=_nacl_rule_id,
    zero={"cidrBlock", "egress", "fromPort", "icmpCode", "icmpType", "ipv6CidrBlock", "toPort"},
)
def _nacl_rule(c: Ctx) -> dict[str, Any]:
    return {
        "protocol": nacl_protocol(c.get("protocol")),
        "ruleAction": str(c.get("ruleAction", "")).lower(),
    }


@read(
    NACL_ASSOCIATION,
    source="internal/service/ec2/vpc_network_acl_association.go resourceNetworkACLAssociationRead",
    id="aclassoc",
)
def _nacl_association(c: Ctx) -> dict[str, Any]:
    return {}


@read(
    "aws:ec2/managedPrefixList:ManagedPrefixList",
    source="internal/service/ec2/vpc_managed_prefix_list.go resourceManagedPrefixListRead",
    id=lambda c: ids.short_id("pl", c.urn),
    fresh_differs={"entries", "version"},
)
def _prefix_list(c: Ctx) -> dict[str, Any]:
    entries = [dict(e) for e in c.get("entries", []) or []]
    extra = [e for e in c.visible(PREFIX_ENTRY) if e.inputs.get("prefixListId") == c.id]
    entries += [
        {"cidr": e.inputs.get("cidr"), "description": e.inputs.get("description", "")}
        for e in extra
    ]
    return {
        # pulumi-aws autonames ``name`` (``<logical name>-<7 hex>``) when the program gives none
        "name": c.get("name") or f"{c.name}-{ids.hex17(c.urn, 'autoname')[1:8]}",
        "arn": c.arn("ec2", f"prefix-list/{c.id}"),
        "ownerId": c.account,
        "entries": sorted(entries, key=lambda e: str(e.get("cidr"))),
        "version": 1 + len(extra),
    }


@read(
    PREFIX_ENTRY,
    source=(
        "internal/service/ec2/vpc_managed_prefix_list_entry.go resourceManagedPrefixListEntryRead"
    ),
    id=lambda c: f"{c.get('prefixListId')},{c.get('cidr')}",
    zero={"description"},
)
def _prefix_entry(c: Ctx) -> dict[str, Any]:
    return {}


@read(
    "aws:ec2transitgateway/transitGateway:TransitGateway",
    source="internal/service/ec2/transitgateway_.go resourceTransitGatewayRead",
    id="tgw",
    zero={"description", "transitGatewayCidrBlocks"},
    defaults={
        "amazonSideAsn": 64512,
        "autoAcceptSharedAttachments": "disable",
        "defaultRouteTableAssociation": "enable",
        "defaultRouteTablePropagation": "enable",
        "dnsSupport": "enable",
        "multicastSupport": "disable",
        "securityGroupReferencingSupport": "disable",
        "vpnEcmpSupport": "enable",
    },
    timeouts={"create": 10, "update": 10, "delete": 10},
)
def _tgw(c: Ctx) -> dict[str, Any]:
    rtb = c.sub("tgw-rtb", "default")
    return {
        "arn": c.arn("ec2", f"transit-gateway/{c.id}"),
        "ownerId": c.account,
        "associationDefaultRouteTableId": rtb
        if c.get("defaultRouteTableAssociation") == "enable"
        else "",
        "propagationDefaultRouteTableId": rtb
        if c.get("defaultRouteTablePropagation") == "enable"
        else "",
        "encryptionSupport": c.get("encryptionSupport", "disable"),
    }


@read(
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
    source=(
        "internal/service/ec2/transitgateway_vpc_attachment.go "
        "resourceTransitGatewayVPCAttachmentRead"
    ),
    id="tgw-attach",
    defaults={
        "applianceModeSupport": "disable",
        "dnsSupport": "enable",
        "ipv6Support": "disable",
        "transitGatewayDefaultRouteTableAssociation": True,
        "transitGatewayDefaultRouteTablePropagation": True,
    },
)
def _tgw_attachment(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("ec2", f"transit-gateway-attachment/{c.id}"),
        "securityGroupReferencingSupport": c.get("securityGroupReferencingSupport", "enable"),
        "subnetIds": sorted(c.get("subnetIds", [])),
        "vpcOwnerId": c.account,
    }


_DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)


@read(
    "aws:ec2/flowLog:FlowLog",
    source="internal/service/ec2/vpc_flow_log.go resourceLogFlowRead",
    id="fl",
    zero={
        "deliverCrossAccountRole",
        "eniId",
        "iamRoleArn",
        "logDestinationType",
        "subnetId",
        "trafficType",
        "transitGatewayAttachmentId",
        "transitGatewayId",
        "vpcId",
        "regionalNatGatewayId",
    },
    defaults={"logDestinationType": "cloud-watch-logs", "maxAggregationInterval": 600},
)
def _flow_log(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("ec2", f"vpc-flow-log/{c.id}"),
        "logDestination": c.get("logDestination", ""),
        "logFormat": c.get("logFormat", _DEFAULT_LOG_FORMAT),
        "maxAggregationInterval": int(c.get("maxAggregationInterval", 600)),
    }


@read(
    "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint",
    source=(
        "internal/service/ec2/ec2_instance_connect_endpoint.go instanceConnectEndpointResource.Read"
    ),
    id="eice",
    framework=True,
    null_ok=set(),
)
def _eic(c: Ctx) -> dict[str, Any]:
    subnet = c.find(SUBNET, c.get("subnetId"))
    vpc_id = subnet.get("vpcId") if subnet else ""
    vpc = c.find(VPC, vpc_id)
    groups = c.get("securityGroupIds") or ([vpc.get("defaultSecurityGroupId")] if vpc else [])
    host = f"{c.id}.{ids.hex17(c.urn)[1:9]}.ec2-instance-connect-endpoint.{c.region}.amazonaws.com"
    return {
        "arn": c.arn("ec2", f"instance-connect-endpoint/{c.id}"),
        "availabilityZone": subnet.get("availabilityZone") if subnet else "",
        "dnsName": host,
        "fipsDnsName": host.replace(
            ".ec2-instance-connect-endpoint.", ".fips.ec2-instance-connect-endpoint."
        ),
        "ipAddressType": c.get("ipAddressType", "ipv4"),
        "networkInterfaceIds": [c.sub("eni", "endpoint")],
        "ownerId": c.account,
        "preserveClientIp": c.get("preserveClientIp", True),
        "securityGroupIds": sorted(groups),
        "subnetId": c.get("subnetId", ""),
        "vpcId": vpc_id,
    }
