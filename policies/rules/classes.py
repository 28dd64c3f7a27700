"""Every resource type of the stack in exactly one class (issue 17 point 1). Pure Python.

* **modelled**: the network model (``netmodel/``, with the security group rules of ``_net``) or a
  network rule reads it and knows its doors; the entry names the stage and table that do;
* **inert**: it cannot carry traffic (identities, keys, logs, storage, DNS, tags, documents);
  the entry says why;
* **unknown**: everything else. ``network-types-known`` refuses an unknown resource that
  references the private tier or the bastion (:mod:`.known_types`).

Modelled is exactly what the model reads. The model's own tables (``TARGET_LINKS``, ``DOORS``,
``GATEWAY_TYPES``, ``HOLDER_TYPES``) class their types here without a line
(``_TABLES``); ``tests/test_classes.py`` derives every type the model's modules name (their
type constants and literals) and checks both directions, so a type the model learns to read
elsewhere must get its line here, and a line here must name a type it reads.

Not network resources, and classed **inert** without a line per type:

* ``pulumi:pulumi:Stack`` (its properties are the stack's outputs) and providers
  (``pulumi:providers:*``, their properties are configuration): the engine's own resources;
* component resources: the engine creates nothing for a component; its properties are the
  outputs it registers, and its children are custom resources classed on their own. The pack
  cannot see the ``custom`` flag (the ``AnalyzerResource`` message has none), but the engine
  gives every custom resource a provider reference (pulumi/pulumi pkg/resource/deploy/step.go,
  ``NewCreateStep``: "custom resources must have a provider"; step_generator.go
  ``AnalyzeResources`` sends it whenever the state has one), so a resource that reaches
  ``AnalyzeStack`` without a provider is a component. A component served by a provider plugin
  (a multi-language component, e.g. this project's own ``plugin/``) does have a provider: the
  program's own component tokens are therefore listed below; anyone else's are unknown (the
  adversarial reading: a provider-backed type the pack has never seen) until declared inert.

An inert resource or component that references the private tier passes that reference on: an
unknown resource that references it (a DNS record of the DB's address, a component's output)
references the private tier (:mod:`.known_types`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from . import netmodel
from ._net import MANAGED_PREFIX_LIST, MANAGED_PREFIX_LIST_ENTRY
from .netmodel import DOORS, TARGET_LINKS
from .netmodel.gateways import GATEWAY_TYPES
from .netmodel.holder_table import CACHE_SUBNET_GROUP, RDS_SUBNET_GROUP
from .records import (
    APIGW_INTEGRATION,
    APIGW_VPC_LINK,
    APIGWV2_INTEGRATION,
    APIGWV2_VPC_LINK,
    ASG,
    ASG_ATTACHMENT,
    ASG_TRAFFIC_SOURCE_ATTACHMENT,
    CARRIER_GATEWAY,
    CLIENT_VPN_ASSOCIATION,
    CLIENT_VPN_ENDPOINT,
    CLOUDFRONT_VPC_ORIGIN,
    DEFAULT_NETWORK_ACL,
    DEFAULT_ROUTE_TABLE,
    DEFAULT_SECURITY_GROUP,
    ECS_SERVICE,
    ECS_TASK_SET,
    EGRESS_ONLY_IGW,
    EIP,
    EIP_ASSOCIATION,
    ELB,
    ELB_ATTACHMENT,
    ENI,
    ENI_ATTACHMENT,
    ENI_SG_ATTACHMENT,
    GA_ENDPOINT_GROUP,
    GA_LISTENER,
    IGW,
    INSTANCE,
    INSTANCE_CONNECT_ENDPOINT,
    LAUNCH_TEMPLATE,
    LB,
    LB_LISTENER,
    LB_LISTENER_RULE,
    LB_TARGET_GROUP,
    LB_TG_ATTACHMENT,
    MAIN_RT_ASSOCIATION,
    NAT_GATEWAY,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
    PEERING,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOCIATION,
    SECURITY_GROUP,
    SG_EGRESS_RULE,
    SG_INGRESS_RULE,
    SG_RULE,
    SPOT_FLEET_REQUEST,
    SPOT_INSTANCE_REQUEST,
    STACK_TYPE,
    SUBNET,
    TGW,
    TGW_ATTACHMENT,
    VGW_ROUTE_PROPAGATION,
    VPC,
    VPC_ENDPOINT,
    VPC_ENDPOINT_RT,
    VPC_IPV4_CIDR,
    VPC_IPV6_CIDR,
    VPN_GATEWAY,
)

LAUNCH_CONFIGURATION: Final = "aws:ec2/launchConfiguration:LaunchConfiguration"
PROVIDER_PREFIX: Final = "pulumi:providers:"


class Class(Enum):
    MODELLED = "modelled"
    INERT = "inert"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Entry:
    cls: Class
    why: str  # modelled: the stage and table that model it; inert: why it carries no traffic


def _m(where: str) -> Entry:
    return Entry(Class.MODELLED, where)


def _i(why: str) -> Entry:
    return Entry(Class.INERT, why)


_SG: Final = "places and filters: security group rules (_net.security_group_rules, filters)"
_NACL: Final = "places and filters: NACLs by subnet (filters)"
_ROUTES: Final = "routes and gateways: route tables and routes (routes.Routing)"
_GW: Final = "routes and gateways: route targets (gateways._TARGET_FIELDS, KIND_OF_TYPE)"
_HOLD: Final = "holders: interfaces (holders.Holders)"
_LINK: Final = "forwarders: target links (targets.TARGET_LINKS)"
_LBS: Final = "forwarders: load balancers (forwarders._load_balancers)"
_DOOR: Final = "forwarders: front doors (doors.DOORS)"
_IAM: Final = "IAM: identities and permissions"
_KMS: Final = "KMS: keys"
_LOGS: Final = "CloudWatch: logs, metrics and alarms"
_S3: Final = "S3: object storage outside the VPC"
_DNS: Final = "DNS: names, not a path (a door that resolves them is modelled on its own)"
_STORE: Final = "EBS: block storage"
_MSG: Final = "messaging outside the VPC"
_OWN: Final = "a component of this program (components/): its children are classed on their own"

TYPES: Final[dict[str, Entry]] = {
    # ---------------------------------------------------------------- modelled
    VPC: _m("places: VPCs and their networks (places.Places)"),
    VPC_IPV4_CIDR: _m("places: a VPC's networks (places.Places.vpc_networks)"),
    VPC_IPV6_CIDR: _m("places: a VPC's networks (places.Places.vpc_networks)"),
    SUBNET: _m("places: subnets (places.Places)"),
    SECURITY_GROUP: _m(_SG),
    DEFAULT_SECURITY_GROUP: _m(_SG),
    SG_RULE: _m(_SG),
    SG_INGRESS_RULE: _m(_SG),
    SG_EGRESS_RULE: _m(_SG),
    MANAGED_PREFIX_LIST: _m("places and filters: prefix lists by their entries (_net)"),
    MANAGED_PREFIX_LIST_ENTRY: _m("places and filters: prefix lists by their entries (_net)"),
    NETWORK_ACL: _m(_NACL),
    DEFAULT_NETWORK_ACL: _m(_NACL),
    NETWORK_ACL_RULE: _m(_NACL),
    NETWORK_ACL_ASSOCIATION: _m(_NACL),
    INSTANCE: _m(_HOLD),
    SPOT_INSTANCE_REQUEST: _m(_HOLD),
    ASG: _m(_HOLD + "; " + _LINK),
    ENI: _m(_HOLD),
    ENI_ATTACHMENT: _m(_HOLD),
    ENI_SG_ATTACHMENT: _m(_HOLD),
    LAUNCH_TEMPLATE: _m("holders: launched interfaces' templates (holders._template)"),
    LAUNCH_CONFIGURATION: _m("holders: launchers' templates (holders._TEMPLATE_REF)"),
    RDS_SUBNET_GROUP: _m("holders: an RDS holder's subnets (holder_table._RDS_GROUP)"),
    CACHE_SUBNET_GROUP: _m("holders: an ElastiCache holder's subnets (holder_table._CACHE_GROUP)"),
    EIP: _m("holders: public addresses (addresses.eip_reasons)"),
    EIP_ASSOCIATION: _m("holders: public addresses (addresses.eip_reasons)"),
    INSTANCE_CONNECT_ENDPOINT: _m("rules/ssh.py: the endpoint's group as an SSH source"),
    ROUTE_TABLE: _m(_ROUTES),
    DEFAULT_ROUTE_TABLE: _m(_ROUTES),
    ROUTE: _m(_ROUTES),
    RT_ASSOCIATION: _m(_ROUTES),
    MAIN_RT_ASSOCIATION: _m(_ROUTES),
    VPC_ENDPOINT_RT: _m(_ROUTES),
    VGW_ROUTE_PROPAGATION: _m(_ROUTES),
    IGW: _m(_GW),
    EGRESS_ONLY_IGW: _m(_GW),
    CARRIER_GATEWAY: _m(_GW),
    NAT_GATEWAY: _m(_GW),
    VPC_ENDPOINT: _m(_GW),
    PEERING: _m(_GW),
    TGW: _m(_GW),
    TGW_ATTACHMENT: _m(_GW),
    VPN_GATEWAY: _m(_GW),
    **dict.fromkeys(LB, _m(_LBS)),
    **dict.fromkeys(LB_LISTENER, _m(_LBS)),
    **dict.fromkeys(LB_LISTENER_RULE, _m(_LBS)),
    **dict.fromkeys(LB_TARGET_GROUP, _m(_LBS)),
    **dict.fromkeys(LB_TG_ATTACHMENT, _m(_LINK)),
    ELB: _m("forwarders: classic load balancers (forwarders._classic_elbs); " + _LINK),
    ELB_ATTACHMENT: _m(_LINK),
    ASG_ATTACHMENT: _m(_LINK),
    ASG_TRAFFIC_SOURCE_ATTACHMENT: _m(_LINK),
    ECS_SERVICE: _m(_LINK),
    ECS_TASK_SET: _m(_LINK),
    SPOT_FLEET_REQUEST: _m(_LINK),
    APIGW_VPC_LINK: _m(_DOOR),
    APIGW_INTEGRATION: _m(_DOOR),
    APIGWV2_VPC_LINK: _m(_DOOR),
    APIGWV2_INTEGRATION: _m(_DOOR),
    CLOUDFRONT_VPC_ORIGIN: _m(_DOOR),
    GA_LISTENER: _m(_DOOR),
    GA_ENDPOINT_GROUP: _m(_DOOR),
    CLIENT_VPN_ENDPOINT: _m(_DOOR),
    CLIENT_VPN_ASSOCIATION: _m(_DOOR),
    # ---------------------------------------------------------------- inert
    "aws:iam/role:Role": _i(_IAM),
    "aws:iam/rolePolicy:RolePolicy": _i(_IAM),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _i(_IAM),
    "aws:iam/policy:Policy": _i(_IAM),
    "aws:iam/policyAttachment:PolicyAttachment": _i(_IAM),
    "aws:iam/instanceProfile:InstanceProfile": _i(_IAM),
    "aws:iam/user:User": _i(_IAM),
    "aws:iam/group:Group": _i(_IAM),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _i(_IAM),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _i(_IAM),
    "aws:lambda/permission:Permission": _i(_IAM + " (a function's resource policy)"),
    "aws:ec2clientvpn/authorizationRule:AuthorizationRule": _i(
        "an identity check: the model lets every Client VPN user reach the endpoint's VPC"),
    "aws:kms/key:Key": _i(_KMS),
    "aws:kms/alias:Alias": _i(_KMS),
    "aws:kms/keyPolicy:KeyPolicy": _i(_KMS),
    "aws:kms/grant:Grant": _i(_KMS),
    "aws:cloudwatch/logGroup:LogGroup": _i(_LOGS),
    "aws:cloudwatch/logStream:LogStream": _i(_LOGS),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _i(_LOGS),
    "aws:cloudwatch/dashboard:Dashboard": _i(_LOGS),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _i(_LOGS),
    "aws:ec2/flowLog:FlowLog": _i("VPC flow logs record traffic, they carry none"),
    "aws:ec2/keyPair:KeyPair": _i("an SSH public key"),
    "aws:ec2/tag:Tag": _i("a tag"),
    "aws:ebs/volume:Volume": _i(_STORE),
    "aws:ebs/snapshot:Snapshot": _i(_STORE),
    "aws:ec2/volumeAttachment:VolumeAttachment": _i(_STORE + " attached to an instance"),
    "aws:ssm/document:Document": _i("SSM: a document"),
    "aws:ssm/parameter:Parameter": _i("SSM: a parameter"),
    "aws:secretsmanager/secret:Secret": _i("Secrets Manager"),
    "aws:secretsmanager/secretVersion:SecretVersion": _i("Secrets Manager"),
    "aws:secretsmanager/secretPolicy:SecretPolicy": _i("Secrets Manager"),
    "aws:s3/bucket:Bucket": _i(_S3),
    "aws:s3/bucketPolicy:BucketPolicy": _i(_S3),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _i(_S3),
    "aws:s3/bucketVersioning:BucketVersioning": _i(_S3),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _i(_S3),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        _i(_S3),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _i(_S3),
    "aws:s3/bucketObject:BucketObject": _i(_S3),
    "aws:sns/topic:Topic": _i(_MSG),
    "aws:sns/topicPolicy:TopicPolicy": _i(_MSG),
    "aws:sqs/queue:Queue": _i(_MSG),
    "aws:sqs/queuePolicy:QueuePolicy": _i(_MSG),
    "aws:acm/certificate:Certificate": _i("ACM: a certificate"),
    "aws:acm/certificateValidation:CertificateValidation": _i("ACM: a certificate"),
    "aws:route53/zone:Zone": _i(_DNS),
    "aws:route53/record:Record": _i(_DNS),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": _i(_DNS),
    "aws:servicediscovery/service:Service": _i(_DNS),
    "aws:ecs/cluster:Cluster": _i("ECS: a cluster is a name; its services are modelled"),
    "aws:ecs/taskDefinition:TaskDefinition": _i(
        "ECS: a task's specification; the service or task set that places it is modelled"),
    "tierednet:index:TieredNetwork": _i(_OWN),
    "tierednet:index:Bastion": _i(_OWN),
    "tierednet:compute:Server": _i(_OWN),
    "tierednet:audit:AuditLog": _i(_OWN),
    "tierednet:network:NatInstance": _i(_OWN),
    "tierednet:access:InstanceConnect": _i(_OWN),
    "tierednet:access:SessionManager": _i(_OWN),
}

# The model's own tables: a type added to one of them is modelled without a line here (the
# explicit lines above win; tests/test_classes.py still checks every type the model names).
_TABLES: Final = (
    ("forwarders: target links (targets.TARGET_LINKS)", [link.type for link in TARGET_LINKS]),
    ("forwarders: front doors (doors.DOORS)", list(DOORS)),
    ("routes and gateways: gateways (gateways.GATEWAY_TYPES)", list(GATEWAY_TYPES)),
    ("holders: the holder table (HOLDER_TYPES)", list(netmodel.HOLDER_TYPES)),
)
for _why, _types in _TABLES:
    for _t in _types:
        TYPES.setdefault(_t, _m(_why))

ENGINE: Final = _i("the engine's own resource (the stack or a provider)")
COMPONENT: Final = _i("a component resource (no provider): the engine creates nothing for it")
DECLARED: Final = _i("declared inert in the pack config (network-types-known.inertTypes)")
UNKNOWN: Final = Entry(Class.UNKNOWN, "not known to the network model")

MODELLED_TYPES: Final = frozenset(t for t, e in TYPES.items() if e.cls is Class.MODELLED)


def class_of(type_: str, *, custom: bool = True,
             declared_inert: frozenset[str] = frozenset()) -> Entry:
    """The class of a resource type. ``custom``: the resource has a provider (a component has
    none, see the module docstring). ``declared_inert``: the types the pack config declares
    inert; the table wins over it (a modelled type stays modelled)."""
    if type_ == STACK_TYPE or type_.startswith(PROVIDER_PREFIX):
        return ENGINE
    entry = TYPES.get(type_)
    if entry is not None:
        return entry
    if not custom:
        return COMPONENT
    if type_ in declared_inert:
        return DECLARED
    return UNKNOWN
