"""Read tables: IAM, KMS, CloudWatch Logs, SSM, load balancers, Auto Scaling and ECS.

Sources as in ``review.deployed_vpc`` (``internal/service/<service>/<file>.go``). Mirrors: a
role's Read (``iam/role.go``, ``resourceRoleRead``) writes every inline policy AWS holds for it
(``inline_policy``, the ``aws_iam_role_policy`` ones too) and every attached managed policy
(``managed_policy_arns``, the ``aws_iam_role_policy_attachment`` ones); an Auto Scaling group's
(``autoscaling/group.go``) its load balancers and target groups, attached by
``aws_autoscaling_attachment`` too; a Classic ELB's (``elb/load_balancer.go``) its instances,
attached by ``aws_elb_attachment`` too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import deployed_ids as ids
from .deployed_spec import Ctx, read

CREATED = "2025-01-01T00:00:00Z"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ASG_ATTACHMENT = "aws:autoscaling/attachment:Attachment"
ELB_ATTACHMENT = "aws:elb/attachment:Attachment"
LB_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
TG_TYPES = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")


def _named(c: Ctx, default_prefix: str = "terraform-") -> str:
    return c.get("name") or f"{c.get('namePrefix', default_prefix)}{ids.unique_suffix(c.urn)}"


def _prefix(c: Ctx, name: str) -> str:
    p = c.get("namePrefix") or ""
    return p if p and name.startswith(p) else ""


# ------------------------------------------------------------------------------ IAM
@read(
    "aws:iam/role:Role",
    source="internal/service/iam/role.go resourceRoleRead",
    id=_named,
    zero={"description", "permissionsBoundary"},
    defaults={"forceDetachPolicies": False, "maxSessionDuration": 3600, "path": "/"},
    fresh_differs={"inlinePolicies", "managedPolicyArns"},
)
def _role(c: Ctx) -> dict[str, Any]:
    inline = [dict(p) for p in c.get("inlinePolicies", []) or []]
    for p in c.visible(ROLE_POLICY):
        if p.inputs.get("role") == c.id:
            inline.append(
                {
                    "name": p.outputs.get("name") or p.inputs.get("name"),
                    "policy": p.inputs.get("policy"),
                }
            )
    managed = list(c.get("managedPolicyArns", []) or [])
    for a in c.visible(ROLE_ATTACHMENT):
        if a.inputs.get("role") == c.id and a.inputs.get("policyArn") not in managed:
            managed.append(a.inputs.get("policyArn"))
    path = c.get("path", "/")
    return {
        "arn": ids.arn("iam", f"role{path}{c.id}"),
        "createDate": CREATED,
        "name": c.id,
        "namePrefix": _prefix(c, c.id),
        "uniqueId": ids.upper_id("AROA", c.urn),
        "inlinePolicies": sorted(inline, key=lambda p: str(p.get("name"))),
        "managedPolicyArns": sorted(managed),
    }


@read(
    "aws:iam/rolePolicy:RolePolicy",
    source="internal/service/iam/role_policy.go resourceRolePolicyRead",
    id=lambda c: f"{c.get('role')}:{_named(c)}",
)
def _role_policy(c: Ctx) -> dict[str, Any]:
    name = _named(c)
    return {"name": name, "namePrefix": _prefix(c, name)}


@read(
    ROLE_ATTACHMENT,
    source="internal/service/iam/role_policy_attachment.go resourceRolePolicyAttachmentRead",
    id=lambda c: f"{c.get('role')}-{ids.unique_suffix(c.urn)}",
)
def _role_attachment(c: Ctx) -> dict[str, Any]:
    return {}


@read(
    "aws:iam/policy:Policy",
    source="internal/service/iam/policy.go resourcePolicyRead",
    id=lambda c: ids.arn("iam", f"policy{c.get('path', '/')}{_named(c)}"),
    zero={"description"},
    defaults={"path": "/"},
)
def _policy(c: Ctx) -> dict[str, Any]:
    name = _named(c)
    attached = sum(1 for a in c.visible(ROLE_ATTACHMENT) if a.inputs.get("policyArn") == c.id)
    return {
        "arn": c.id,
        "name": name,
        "namePrefix": _prefix(c, name),
        "policyId": ids.upper_id("ANPA", c.urn),
        "attachmentCount": attached,
    }


@read(
    "aws:iam/instanceProfile:InstanceProfile",
    source="internal/service/iam/instance_profile.go resourceInstanceProfileRead",
    id=_named,
    zero={"role"},
    defaults={"path": "/"},
)
def _instance_profile(c: Ctx) -> dict[str, Any]:
    return {
        "arn": ids.arn("iam", f"instance-profile{c.get('path', '/')}{c.id}"),
        "createDate": CREATED,
        "name": c.id,
        "namePrefix": _prefix(c, c.id),
        "uniqueId": ids.upper_id("AIPA", c.urn),
    }


# ------------------------------------------------------------------------------ KMS
def _default_key_policy(c: Ctx) -> str:
    return json.dumps(
        {
            "Id": "key-default-1",
            "Statement": [
                {
                    "Action": "kms:*",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{c.account}:root"},
                    "Resource": "*",
                    "Sid": "Enable IAM User Permissions",
                }
            ],
            "Version": "2012-10-17",
        },
        separators=(",", ":"),
    )


@read(
    "aws:kms/key:Key",
    source="internal/service/kms/key.go resourceKeyRead",
    id=lambda c: ids.uuid_for(c.urn, "key"),
    zero={"customKeyStoreId", "xksKeyId"},
    defaults={
        "bypassPolicyLockoutSafetyCheck": False,
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "enableKeyRotation": False,
        "isEnabled": True,
        "keyUsage": "ENCRYPT_DECRYPT",
        "deletionWindowInDays": 30,
    },
)
def _kms_key(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("kms", f"key/{c.id}"),
        "keyId": c.id,
        "description": c.get("description", ""),
        "multiRegion": bool(c.get("multiRegion", False)),
        "policy": c.get("policy") or _default_key_policy(c),
        "rotationPeriodInDays": int(
            c.get("rotationPeriodInDays", 365 if c.get("enableKeyRotation") else 0)
        ),
    }


@read(
    "aws:kms/alias:Alias",
    source="internal/service/kms/alias.go resourceAliasRead",
    id=lambda c: c.get("name") or f"{c.get('namePrefix', 'alias/')}{ids.unique_suffix(c.urn)}",
)
def _kms_alias(c: Ctx) -> dict[str, Any]:
    target = c.get("targetKeyId", "")
    key_id = target.rsplit("/", 1)[-1]
    return {
        "arn": c.arn("kms", c.id),
        "name": c.id,
        "namePrefix": _prefix(c, c.id),
        "targetKeyArn": target if target.startswith("arn:") else c.arn("kms", f"key/{key_id}"),
    }


# --------------------------------------------------------------------------- logs, ssm
@read(
    "aws:cloudwatch/logGroup:LogGroup",
    source="internal/service/logs/group.go resourceGroupRead",
    id=_named,
    zero={"kmsKeyId", "retentionInDays"},
    defaults={"skipDestroy": False, "retentionInDays": 0, "logGroupClass": "STANDARD"},
)
def _log_group(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("logs", f"log-group:{c.id}"),
        "deletionProtectionEnabled": bool(c.get("deletionProtectionEnabled", False)),
        "logGroupClass": c.get("logGroupClass", "STANDARD"),
        "name": c.id,
        "namePrefix": _prefix(c, c.id),
    }


@read(
    "aws:ssm/document:Document",
    source="internal/service/ssm/document.go resourceDocumentRead",
    id=_named,
    zero={"documentFormat", "targetType", "versionName"},
    defaults={"documentFormat": "JSON"},
)
def _ssm_document(c: Ctx) -> dict[str, Any]:
    content = c.get("content", "")
    try:
        doc = json.loads(content) if c.get("documentFormat", "JSON") == "JSON" else {}
    except ValueError:
        doc = {}
    params = [
        {
            "name": k,
            "type": v.get("type", "String"),
            "description": v.get("description", ""),
            "defaultValue": str(v.get("default", "")),
        }
        for k, v in (doc.get("parameters") or {}).items()
        if isinstance(v, dict)
    ]
    return {
        "arn": c.arn("ssm", f"document/{c.id}"),
        "createdDate": CREATED,
        "defaultVersion": "1",
        "description": doc.get("description", ""),
        "documentVersion": "1",
        "hash": hashlib.sha256(content.encode()).hexdigest(),
        "hashType": "Sha256",
        "latestVersion": "1",
        "name": c.id,
        "owner": c.account,
        "parameters": params,
        "platformTypes": ["Windows", "Linux", "MacOS"],
        "schemaVersion": str(doc.get("schemaVersion", "1.0")),
        "status": "Active",
    }


# ---------------------------------------------------------------------- load balancers
def _lb_dns(c: Ctx, name: str, internal: bool) -> str:
    scheme = "internal-" if internal else ""
    return f"{scheme}{name}-{ids.hashcode(c.urn) % 10**10}.{c.region}.elb.amazonaws.com"


@read(
    *LB_TYPES,
    source="internal/service/elbv2/load_balancer.go resourceLoadBalancerRead",
    id=lambda c: c.arn(
        "elasticloadbalancing",
        f"loadbalancer/{_lb_kind(c)}/{_named(c, 'tf-lb-')}/{ids.hex17(c.urn)[1:17]}",
    ),
    zero={
        "customerOwnedIpv4Pool",
        "desyncMitigationMode",
        "dnsRecordClientRoutingPolicy",
        "dropInvalidHeaderFields",
        "enableCrossZoneLoadBalancing",
        "enableDeletionProtection",
        "enableHttp2",
        "enableTlsVersionAndCipherSuiteHeaders",
        "enableWafFailOpen",
        "enableXffClientPort",
        "enableZonalShift",
        "idleTimeout",
        "preserveHostHeader",
        "xffHeaderProcessingMode",
        "clientKeepAlive",
    },
    defaults={"loadBalancerType": "application"},
    timeouts={"create": 10, "update": 10, "delete": 10},
)
def _lb(c: Ctx) -> dict[str, Any]:
    name = _named(c, "tf-lb-")
    internal = bool(c.get("internal", False))
    subnets = list(
        c.get("subnets", []) or [m.get("subnetId") for m in c.get("subnetMappings", []) or []]
    )
    subnet = c.find("aws:ec2/subnet:Subnet", subnets[0] if subnets else None)
    alb = _lb_kind(c) == "app"
    return {
        "arn": c.id,
        "arnSuffix": c.id.split(":loadbalancer/", 1)[-1],
        "dnsName": _lb_dns(c, name, internal),
        "enablePrefixForIpv6SourceNat": c.get("enablePrefixForIpv6SourceNat", "off"),
        "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic": c.get(
            "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic", "" if alb else "on"
        ),
        "internal": internal,
        "ipAddressType": c.get("ipAddressType", "ipv4"),
        "name": name,
        "namePrefix": _prefix(c, name),
        "secondaryIpsAutoAssignedPerSubnet": int(c.get("secondaryIpsAutoAssignedPerSubnet", 0)),
        "securityGroups": sorted(c.get("securityGroups", []) or []),
        "subnetMappings": c.get("subnetMappings")
        or [
            {
                "allocationId": "",
                "ipv6Address": "",
                "outpostId": "",
                "privateIpv4Address": "",
                "subnetId": s,
            }
            for s in sorted(subnets)
        ],
        "subnets": sorted(subnets),
        "vpcId": subnet.get("vpcId") if subnet else "",
        "zoneId": "ZWKZPGTI48KDX" if alb else "ZIBE1TIR4HY56",
        "idleTimeout": c.get("idleTimeout", 60 if alb else 0),
        "enableHttp2": c.get("enableHttp2", alb),
    }


def _lb_kind(c: Ctx) -> str:
    return {"network": "net", "gateway": "gwy"}.get(c.get("loadBalancerType", "application"), "app")


_EMPTY_HEADERS = (
    "routingHttpRequestXAmznMtlsClientcertHeaderName",
    "routingHttpRequestXAmznMtlsClientcertIssuerHeaderName",
    "routingHttpRequestXAmznMtlsClientcertLeafHeaderName",
    "routingHttpRequestXAmznMtlsClientcertSerialNumberHeaderName",
    "routingHttpRequestXAmznMtlsClientcertSubjectHeaderName",
    "routingHttpRequestXAmznMtlsClientcertValidityHeaderName",
    "routingHttpRequestXAmznTlsCipherSuiteHeaderName",
    "routingHttpRequestXAmznTlsVersionHeaderName",
    "routingHttpResponseAccessControlAllowCredentialsHeaderValue",
    "routingHttpResponseAccessControlAllowHeadersHeaderValue",
    "routingHttpResponseAccessControlAllowMethodsHeaderValue",
    "routingHttpResponseAccessControlAllowOriginHeaderValue",
    "routingHttpResponseAccessControlExposeHeadersHeaderValue",
    "routingHttpResponseAccessControlMaxAgeHeaderValue",
    "routingHttpResponseContentSecurityPolicyHeaderValue",
    "routingHttpResponseStrictTransportSecurityHeaderValue",
    "routingHttpResponseXContentTypeOptionsHeaderValue",
    "routingHttpResponseXFrameOptionsHeaderValue",
)


@read(
    *LISTENER_TYPES,
    source="internal/service/elbv2/listener.go resourceListenerRead",
    id=lambda c: (
        c.get("loadBalancerArn", "").replace(":loadbalancer/", ":listener/")
        + f"/{ids.hex17(c.urn)[1:17]}"
    ),
    zero={"alpnPolicy", "certificateArn", "port"},
    null_ok={"mutualAuthentication"},
)
def _listener(c: Ctx) -> dict[str, Any]:
    protocol = c.get("protocol") or "HTTP"
    actions = [
        {**a, "order": a.get("order", i + 1)}
        for i, a in enumerate(c.get("defaultActions", []) or [])
    ]
    out = {k: c.get(k, "") for k in _EMPTY_HEADERS}
    out.update(
        arn=c.id,
        defaultActions=actions,
        protocol=protocol,
        routingHttpResponseServerEnabled=bool(c.get("routingHttpResponseServerEnabled", True)),
        sslPolicy=c.get(
            "sslPolicy", "ELBSecurityPolicy-2016-08" if protocol in ("HTTPS", "TLS") else ""
        ),
        tcpIdleTimeoutSeconds=int(
            c.get(
                "tcpIdleTimeoutSeconds", 350 if protocol in ("TCP", "UDP", "TLS", "TCP_UDP") else 0
            )
        ),
        mutualAuthentication=c.get("mutualAuthentication")
        or (
            {
                "mode": "off",
                "ignoreClientCertificateExpiry": False,
                "trustStoreArn": "",
                "advertiseTrustStoreCaNames": "",
            }
            if protocol == "HTTPS"
            else None
        ),
    )
    return out


@read(
    "aws:lb/listenerRule:ListenerRule",
    "aws:alb/listenerRule:ListenerRule",
    source="internal/service/elbv2/listener_rule.go resourceListenerRuleRead",
    id=lambda c: (
        c.get("listenerArn", "").replace(":listener/", ":listener-rule/")
        + f"/{ids.hex17(c.urn)[1:17]}"
    ),
)
def _listener_rule(c: Ctx) -> dict[str, Any]:
    actions = [
        {**a, "order": a.get("order", i + 1)} for i, a in enumerate(c.get("actions", []) or [])
    ]
    return {"arn": c.id, "actions": actions, "priority": int(c.get("priority", 1))}


@read(
    *TG_TYPES,
    source="internal/service/elbv2/target_group.go resourceTargetGroupRead",
    id=lambda c: c.arn(
        "elasticloadbalancing", f"targetgroup/{_named(c, 'tf-')}/{ids.hex17(c.urn)[1:17]}"
    ),
    zero={
        "deregistrationDelay",
        "lambdaMultiValueHeadersEnabled",
        "port",
        "protocol",
        "proxyProtocolV2",
        "slowStart",
        "vpcId",
    },
    defaults={"targetType": "instance"},
    null_ok={"targetControlPort"},
    fresh_differs={"loadBalancerArns"},
)
def _target_group(c: Ctx) -> dict[str, Any]:
    name = _named(c, "tf-")
    lbs = []
    for lst in c.visible(*LISTENER_TYPES):
        for action in lst.inputs.get("defaultActions", []) or []:
            if (
                action.get("targetGroupArn") == c.id
                and lst.inputs.get("loadBalancerArn") not in lbs
            ):
                lbs.append(lst.inputs.get("loadBalancerArn"))
    protocol = c.get("protocol", "HTTP")
    hc = dict(c.get("healthCheck") or {})
    return {
        "arn": c.id,
        "arnSuffix": c.id.split(":", 5)[-1],
        "connectionTermination": bool(c.get("connectionTermination", False)),
        "deregistrationDelay": int(c.get("deregistrationDelay", 300)),
        "healthCheck": {
            "enabled": True,
            "healthyThreshold": 5,
            "interval": 30,
            "matcher": "200",
            "path": "/",
            "port": "traffic-port",
            "protocol": protocol if protocol in ("HTTP", "HTTPS") else "TCP",
            "timeout": 5,
            "unhealthyThreshold": 2,
            **hc,
        },
        "ipAddressType": c.get("ipAddressType", "ipv4"),
        "loadBalancerArns": sorted(lbs),
        "loadBalancingAlgorithmType": c.get("loadBalancingAlgorithmType", "round_robin"),
        "loadBalancingAnomalyMitigation": c.get("loadBalancingAnomalyMitigation", "off"),
        "loadBalancingCrossZoneEnabled": c.get(
            "loadBalancingCrossZoneEnabled", "use_load_balancer_configuration"
        ),
        "name": name,
        "namePrefix": _prefix(c, name),
        "preserveClientIp": c.get("preserveClientIp", ""),
        "protocolVersion": c.get(
            "protocolVersion", "HTTP1" if protocol in ("HTTP", "HTTPS") else ""
        ),
        "stickiness": c.get("stickiness")
        or {"cookieDuration": 86400, "cookieName": "", "enabled": False, "type": "lb_cookie"},
        "targetFailovers": c.get("targetFailovers") or [],
        "targetGroupHealth": c.get("targetGroupHealth")
        or {
            "dnsFailover": {
                "minimumHealthyTargetsCount": "1",
                "minimumHealthyTargetsPercentage": "off",
            },
            "unhealthyStateRouting": {
                "minimumHealthyTargetsCount": 1,
                "minimumHealthyTargetsPercentage": "off",
            },
        },
        "targetHealthStates": c.get("targetHealthStates") or [],
    }


@read(
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws:alb/targetGroupAttachment:TargetGroupAttachment",
    source="internal/service/elbv2/target_group_attachment.go resourceAttachmentRead",
    id=lambda c: f"{c.get('targetGroupArn')}-{ids.unique_suffix(c.urn)}",
    zero={"availabilityZone", "port", "quicServerId"},
)
def _tg_attachment(c: Ctx) -> dict[str, Any]:
    return {}


@read(
    "aws:elb/loadBalancer:LoadBalancer",
    source="internal/service/elb/load_balancer.go resourceLoadBalancerRead",
    id=lambda c: _named(c, "tf-lb-"),
    zero={"connectionDraining", "crossZoneLoadBalancing", "desyncMitigationMode"},
    defaults={
        "connectionDrainingTimeout": 300,
        "crossZoneLoadBalancing": True,
        "idleTimeout": 60,
        "desyncMitigationMode": "defensive",
    },
    timeouts={"create": 5, "update": 5},
    fresh_differs={"instances"},
)
def _elb(c: Ctx) -> dict[str, Any]:
    internal = bool(c.get("internal", False))
    instances = list(c.get("instances", []) or [])
    for a in c.visible(ELB_ATTACHMENT):
        if a.inputs.get("elb") == c.id and a.inputs.get("instance") not in instances:
            instances.append(a.inputs.get("instance"))
    subnets = sorted(c.get("subnets", []) or [])
    groups = sorted(c.get("securityGroups", []) or [])
    return {
        "arn": c.arn("elasticloadbalancing", f"loadbalancer/{c.id}"),
        "availabilityZones": c.get("availabilityZones") or [f"{c.region}a"],
        "dnsName": _lb_dns(c, c.id, internal),
        "healthCheck": c.get("healthCheck")
        or {
            "healthyThreshold": 10,
            "interval": 30,
            "target": "TCP:80",
            "timeout": 5,
            "unhealthyThreshold": 2,
        },
        "instances": sorted(instances),
        "internal": internal,
        "listeners": c.get("listeners", []),
        "name": c.id,
        "namePrefix": _prefix(c, c.id),
        "securityGroups": groups,
        "sourceSecurityGroup": f"{c.account}/default_elb_{ids.hex17(c.urn)[1:9]}",
        "sourceSecurityGroupId": groups[0] if groups else ids.aws_id("sg", c.urn, "elb-source"),
        "subnets": subnets,
        "zoneId": "ZWKZPGTI48KDX",
    }


@read(
    ELB_ATTACHMENT,
    source="internal/service/elb/attachment.go resourceAttachmentRead",
    id=lambda c: f"{c.get('elb')}-{ids.unique_suffix(c.urn)}",
)
def _elb_attachment(c: Ctx) -> dict[str, Any]:
    return {}


# ----------------------------------------------------------------------- auto scaling
@read(
    "aws:autoscaling/group:Group",
    source="internal/service/autoscaling/group.go resourceGroupRead",
    id=_named,
    zero={
        "capacityRebalance",
        "context",
        "defaultInstanceWarmup",
        "desiredCapacityType",
        "enabledMetrics",
        "healthCheckGracePeriod",
        "launchConfiguration",
        "maxInstanceLifetime",
        "metricsGranularity",
        "placementGroup",
        "protectFromScaleIn",
        "suspendedProcesses",
        "terminationPolicies",
    },
    null_ok={"mixedInstancesPolicy", "launchTemplate", "instanceLifecyclePolicy"},
    defaults={
        "forceDelete": False,
        "forceDeleteWarmPool": False,
        "healthCheckGracePeriod": 300,
        "metricsGranularity": "1Minute",
        "waitForCapacityTimeout": "10m",
        "ignoreFailedScalingActivities": False,
    },
    schema_version=1,
    timeouts={"update": 10, "delete": 10},
    fresh_differs={"loadBalancers", "targetGroupArns", "trafficSources"},
)
def _asg(c: Ctx) -> dict[str, Any]:
    subnets = sorted(c.get("vpcZoneIdentifiers", []) or [])
    azs = []
    for s in subnets:
        subnet = c.find("aws:ec2/subnet:Subnet", s)
        azs.append(subnet.get("availabilityZone") if subnet else f"{c.region}a")
    azs = sorted(set(azs)) or list(c.get("availabilityZones", []))
    lbs = list(c.get("loadBalancers", []) or [])
    tgs = list(c.get("targetGroupArns", []) or [])
    for a in c.visible(ASG_ATTACHMENT):
        if a.inputs.get("autoscalingGroupName") == c.id:
            if a.inputs.get("elb") and a.inputs["elb"] not in lbs:
                lbs.append(a.inputs["elb"])
            if a.inputs.get("lbTargetGroupArn") and a.inputs["lbTargetGroupArn"] not in tgs:
                tgs.append(a.inputs["lbTargetGroupArn"])
    sources = [{"identifier": t, "type": "elbv2"} for t in sorted(tgs)] + [
        {"identifier": lb, "type": "elb"} for lb in sorted(lbs)
    ]
    lt = c.get("launchTemplate")
    if lt:
        lt = {
            "id": lt.get("id", ""),
            "name": lt.get("name", ""),
            "version": lt.get("version", "$Default"),
        }
    return {
        "arn": c.arn(
            "autoscaling", f"autoScalingGroup:{ids.uuid_for(c.urn)}:autoScalingGroupName/{c.id}"
        ),
        "availabilityZoneDistribution": c.get("availabilityZoneDistribution")
        or {"capacityDistributionStrategy": "balanced-best-effort"},
        "availabilityZones": azs,
        "capacityReservationSpecification": c.get("capacityReservationSpecification")
        or {"capacityReservationPreference": "default", "capacityReservationTarget": None},
        "defaultCooldown": int(c.get("defaultCooldown", 300)),
        "desiredCapacity": int(c.get("desiredCapacity", c.get("minSize", 0))),
        "healthCheckType": c.get("healthCheckType", "EC2"),
        "launchTemplate": lt,
        "loadBalancers": sorted(lbs),
        "name": c.id,
        "namePrefix": _prefix(c, c.id),
        "predictedCapacity": 0,
        "serviceLinkedRoleArn": ids.arn(
            "iam", "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        ),
        "targetGroupArns": sorted(tgs),
        "trafficSources": sources,
        "vpcZoneIdentifiers": subnets,
        "warmPoolSize": 0,
    }


@read(
    ASG_ATTACHMENT,
    source="internal/service/autoscaling/attachment.go resourceAttachmentRead",
    id=lambda c: f"{c.get('autoscalingGroupName')}-{ids.unique_suffix(c.urn)}",
    zero={"elb", "lbTargetGroupArn"},
)
def _asg_attachment(c: Ctx) -> dict[str, Any]:
    return {}


# ------------------------------------------------------------------------------- ECS
@read(
    "aws:ecs/cluster:Cluster",
    source="internal/service/ecs/cluster.go resourceClusterRead",
    id=lambda c: c.arn("ecs", f"cluster/{c.get('name', c.name)}"),
)
def _ecs_cluster(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.id,
        "name": c.get("name", c.name),
        "settings": c.get("settings") or [{"name": "containerInsights", "value": "disabled"}],
    }


@read(
    "aws:ecs/service:Service",
    source="internal/service/ecs/service.go resourceServiceRead",
    id=lambda c: c.arn(
        "ecs",
        f"service/{str(c.get('cluster', 'default')).rsplit('/', 1)[-1]}/{c.get('name', c.name)}",
    ),
    zero={
        "enableEcsManagedTags",
        "enableExecuteCommand",
        "healthCheckGracePeriodSeconds",
        "propagateTags",
        "schedulingStrategy",
    },
    null_ok={"iamRole"},
    timeouts={"create": 20, "update": 20, "delete": 20},
)
def _ecs_service(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.id,
        "availabilityZoneRebalancing": c.get("availabilityZoneRebalancing", "DISABLED"),
        "cluster": c.get("cluster", ""),
        "deploymentConfiguration": c.get("deploymentConfiguration")
        or {"strategy": "ROLLING", "bakeTimeInMinutes": "0"},
        "iamRole": c.get("iamRole"),
        "launchType": c.get("launchType", "EC2"),
        "name": c.get("name", c.name),
        "platformVersion": c.get(
            "platformVersion", "LATEST" if c.get("launchType") == "FARGATE" else ""
        ),
        "schedulingStrategy": c.get("schedulingStrategy", "REPLICA"),
        "triggers": c.get("triggers", {}),
        "desiredCount": int(c.get("desiredCount", 0)),
    }


@read(
    "aws:ecs/taskDefinition:TaskDefinition",
    source="internal/service/ecs/task_definition.go resourceTaskDefinitionRead",
    id=lambda c: c.get("family", ""),
    zero={"cpu", "executionRoleArn", "ipcMode", "memory", "pidMode", "taskRoleArn"},
    schema_version=1,
)
def _ecs_task_definition(c: Ctx) -> dict[str, Any]:
    arn = c.arn("ecs", f"task-definition/{c.id}:1")
    return {
        "arn": arn,
        "arnWithoutRevision": arn.rsplit(":", 1)[0],
        "enableFaultInjection": bool(c.get("enableFaultInjection", False)),
        "networkMode": c.get("networkMode", "bridge"),
        "revision": 1,
    }
