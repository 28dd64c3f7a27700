"""Stage 2, the holder table: every resource type that places network interfaces in a subnet
with security groups, one :class:`Holder` entry each (issue 17 point 2).

An entry says, in the engine's camelCase property paths (``a.b`` walks into a block; a list on
the way is walked element by element; ``networkInterfaces[primary]`` is a launch template's
interface at device index 0):

* ``subnets`` -- where its subnets come from, the first declared source winning: a field or a
  list field (``subnetId``, ``vpcZoneIdentifiers``), a nested path
  (``networkConfiguration.subnets``), or a resource it references (:class:`Via`: an RDS or
  ElastiCache subnet group's ``subnetIds``, a cluster's subnet group, a Client VPN endpoint);
  one interface per subnet (a holder in several subnets may be in any of them);
* ``groups`` -- every declared source of security groups; none declared: the VPC's default
  group (AWS attaches it to every interface created without one);
* ``public_v4`` / ``ipv6`` -- its public-address flags (:class:`Flag`): the first declared IPv4
  flag decides (true, ``"true"`` or ``"ENABLED"``: a public IPv4); any IPv6 count above 0,
  non-empty address or prefix list, or dual-stack setting gives an IPv6 address (IPv4
  prefixes, ``ipv4Prefixes`` / ``ipv4PrefixCount``, are private addresses, not a public-address
  flag: an IP target inside one is found through the subnet's block, :mod:`.targets`);
* ``templates`` -- launch templates / launch configurations it references: their settings
  (:data:`TEMPLATES`, read the same way) are the defaults for what the resource leaves unset, as
  EC2 merges them;
* ``each`` -- a list of blocks each placing its own interfaces (a Spot Fleet's
  ``launchSpecifications``): every path is then read inside each block;
* ``launch`` -- an EC2 launch: with no flag set, the subnet's ``mapPublicIpOnLaunch`` decides
  the public IPv4 (it applies to instances launched in the subnet only; Fargate tasks, Lambda
  functions, RDS and the endpoints get one only by their own flag). Every holder takes the
  subnet's ``assignIpv6AddressOnCreation`` (AWS applies it to any interface created there: the
  adversarial reading for managed services).

``kind`` is the :class:`~.nodes.Interface` kind (``instance``, ``launch-template``, ``eni``,
``task``, ``function``, ``service``); an ``instance`` interface is its owner's own. Adding a
holder is one entry here; nothing else changes (``tests/test_netmodel_holders.py`` registers an
invented one). :mod:`.holders` builds every interface from this table.

Names are pulumi-aws 7.x's inputs (``pulumi_aws/<module>/_inputs.py``), which the provider's
Read functions also store (terraform-provider-aws ``internal/service/...``: ``ec2/ec2_instance.go``
``resourceInstanceRead``, ``autoscaling/group.go``, ``ec2/ec2_spot_fleet_request.go``,
``ec2/ec2_fleet.go``, ``ecs/service.go``, ``ecs/task_set.go``, ``lambda/function.go``,
``rds/instance.go``, ``rds/cluster.go``, ``rds/cluster_instance.go``, ``rds/subnet_group.go``,
``elasticache/cluster.go``, ``elasticache/replication_group.go``,
``elasticache/serverless_cache.go``, ``efs/mount_target.go``, ``ec2/vpc_endpoint.go``,
``ec2/ec2_client_vpn_network_association.go``, ``ec2/ec2_instance_connect_endpoint.go``; the
review's tables in ``review/deployed_*.py``). Semantics from the AWS documentation:
``PubliclyAccessible`` gives a DB instance a public IP address whatever its subnets (the
routes decide whether it is reachable), ``assignPublicIp`` defaults to ``DISABLED``, a Lambda
function's interfaces never get a public IPv4.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ..records import (
    ASG,
    CLIENT_VPN_ASSOCIATION,
    CLIENT_VPN_ENDPOINT,
    ECS_SERVICE,
    ECS_TASK_SET,
    ENI,
    INSTANCE,
    INSTANCE_CONNECT_ENDPOINT,
    LAUNCH_TEMPLATE,
    SPOT_FLEET_REQUEST,
    SPOT_INSTANCE_REQUEST,
    VPC_ENDPOINT,
    Index,
    Res,
    ids,
    number,
)
from .common import as_list

LAUNCH_CONFIGURATION: Final = "aws:ec2/launchConfiguration:LaunchConfiguration"
EC2_FLEET: Final = "aws:ec2/fleet:Fleet"
LAMBDA_FUNCTION: Final = "aws:lambda/function:Function"
RDS_INSTANCE: Final = "aws:rds/instance:Instance"
RDS_CLUSTER: Final = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE: Final = "aws:rds/clusterInstance:ClusterInstance"
RDS_SUBNET_GROUP: Final = "aws:rds/subnetGroup:SubnetGroup"
CACHE_CLUSTER: Final = "aws:elasticache/cluster:Cluster"
CACHE_REPLICATION_GROUP: Final = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_SERVERLESS: Final = "aws:elasticache/serverlessCache:ServerlessCache"
CACHE_SUBNET_GROUP: Final = "aws:elasticache/subnetGroup:SubnetGroup"
EFS_MOUNT_TARGET: Final = "aws:efs/mountTarget:MountTarget"


class Reading(enum.Enum):
    """How a flag's value gives an address."""

    TRUE = "true"  # true, "true" or "ENABLED"
    COUNT = "count"  # a number above 0
    LIST = "list"  # a non-empty list
    ONE_OF = "one-of"  # one of ``Flag.values`` (case-insensitive)


@dataclass(frozen=True)
class Flag:
    path: str
    test: Reading = Reading.TRUE
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Via:
    """A value read through a resource the holder references: ``ref`` (a path of the holder)
    names a resource of ``targets`` (type -> the outputs the value may equal), where ``then`` is
    read. A value in ``none`` names nothing of any stack (RDS's ``default`` subnet group is the
    default VPC's) and counts as undeclared."""

    ref: str
    targets: Mapping[str, str | tuple[str, ...]]
    then: Source
    none: tuple[str, ...] = ()


Source = str | Via

_V6_ADDRESSES: Final = (Flag("ipv6AddressCount", Reading.COUNT),
                        Flag("ipv6Addresses", Reading.LIST))
_V6_COUNTS: Final = (*_V6_ADDRESSES, Flag("ipv6PrefixCount", Reading.COUNT),
                     Flag("ipv6Prefixes", Reading.LIST))
_DUAL: Final = ("dualstack", "dual_stack", "dual", "ipv6")


@dataclass(frozen=True)
class Holder:
    """One type that places interfaces (see the module docstring)."""

    type: str
    kind: str
    subnets: tuple[Source, ...] = ()
    groups: tuple[Source, ...] = ()
    public_v4: tuple[Flag, ...] = ()
    ipv6: tuple[Flag, ...] = ()
    templates: tuple[str, ...] = ()
    each: str = ""
    launch: bool = False
    private_ip: str = ""  # the path of the interface's private IPv4 (IP targets name it)
    skip: Callable[[Index, Res], bool] | None = None  # a resource the entry does not place


_RDS_GROUP: Final = Via("dbSubnetGroupName", {RDS_SUBNET_GROUP: ("name", "id")}, "subnetIds",
                        none=("default",))
_CACHE_GROUP: Final = Via("subnetGroupName", {CACHE_SUBNET_GROUP: ("name", "id")}, "subnetIds",
                          none=("default",))
_CLUSTER: Final = {RDS_CLUSTER: ("clusterIdentifier", "id")}
_REPLICATION_GROUP: Final = {CACHE_REPLICATION_GROUP: ("replicationGroupId", "id")}


def _primary_is_stack_eni(index: Index, inst: Res) -> bool:
    """The instance is launched with an ENI of the stack as its primary interface: then that
    ENI is the interface (the ENI entry places it; :mod:`.holders` links it to the instance).

    Anything else is the instance's own interface, built from the instance's own subnet,
    groups and address flags: no ENI named, or the ENI AWS created for it -- the stored
    ``primaryNetworkInterface`` of every deployed instance (hashicorp/aws >= 6,
    ec2_instance.go ``resourceInstanceRead``) is ``{deleteOnTermination: true,
    networkInterfaceId: <its primaryNetworkInterfaceId>}`` -- or an ENI outside the stack
    (whose subnet and groups the instance's stored outputs mirror; unknown ones fail closed)."""
    for key in ("primaryNetworkInterface", "networkInterfaces"):
        for entry in as_list(inst.get(key)):
            if not isinstance(entry, dict) or entry.get("networkInterfaceId") in (None, ""):
                continue
            if key == "networkInterfaces" and number(entry.get("deviceIndex")) not in (0.0,
                                                                                      None):
                continue
            if index.ref(inst, key, ids(ENI), entry["networkInterfaceId"],
                         use_value=True).targets:
                return True
    return False


def _instance(typ: str) -> Holder:
    """An instance or a spot instance request: its primary interface."""
    return Holder(typ, "instance", subnets=("subnetId",),
                  groups=("vpcSecurityGroupIds", "securityGroups"),
                  public_v4=(Flag("associatePublicIpAddress"),),
                  ipv6=_V6_ADDRESSES, templates=("launchTemplate",), launch=True,
                  private_ip="privateIp", skip=_primary_is_stack_eni)


HOLDERS: Final[tuple[Holder, ...]] = (
    # EC2: instances, spot requests, Auto Scaling groups, Spot Fleets, EC2 Fleets, ENIs.
    _instance(INSTANCE),
    _instance(SPOT_INSTANCE_REQUEST),
    Holder(ASG, "launch-template", subnets=("vpcZoneIdentifiers",), launch=True, templates=(
        "launchTemplate", "launchConfiguration",
        "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification",
        "mixedInstancesPolicy.launchTemplate.overrides.launchTemplateSpecification")),
    Holder(SPOT_FLEET_REQUEST, "launch-template", each="launchSpecifications",
           subnets=("subnetId",), groups=("vpcSecurityGroupIds",),
           public_v4=(Flag("associatePublicIpAddress"),),
           ipv6=_V6_ADDRESSES, launch=True),
    Holder(SPOT_FLEET_REQUEST, "launch-template", each="launchTemplateConfigs",
           subnets=("overrides.subnetId",), templates=("launchTemplateSpecification",),
           launch=True),
    Holder(EC2_FLEET, "launch-template", each="launchTemplateConfigs",
           subnets=("overrides.subnetId",), templates=("launchTemplateSpecification",),
           launch=True),
    Holder(ENI, "eni", subnets=("subnetId",), groups=("securityGroups",),
           ipv6=(*_V6_COUNTS, Flag("ipv6AddressLists", Reading.LIST)), private_ip="privateIp"),
    # Containers and functions.
    Holder(ECS_SERVICE, "task", subnets=("networkConfiguration.subnets",),
           groups=("networkConfiguration.securityGroups",),
           public_v4=(Flag("networkConfiguration.assignPublicIp"),)),
    Holder(ECS_TASK_SET, "task", subnets=("networkConfiguration.subnets",),
           groups=("networkConfiguration.securityGroups",),
           public_v4=(Flag("networkConfiguration.assignPublicIp"),)),
    Holder(LAMBDA_FUNCTION, "function", subnets=("vpcConfig.subnetIds",),
           groups=("vpcConfig.securityGroupIds",),
           ipv6=(Flag("vpcConfig.ipv6AllowedForDualStack"),)),
    # Databases and caches, through their subnet groups.
    Holder(RDS_INSTANCE, "service", subnets=(_RDS_GROUP,), groups=("vpcSecurityGroupIds",),
           public_v4=(Flag("publiclyAccessible"),),
           ipv6=(Flag("networkType", Reading.ONE_OF, _DUAL),)),
    Holder(RDS_CLUSTER, "service", subnets=(_RDS_GROUP,), groups=("vpcSecurityGroupIds",),
           public_v4=(Flag("publiclyAccessible"),),
           ipv6=(Flag("networkType", Reading.ONE_OF, _DUAL),)),
    Holder(RDS_CLUSTER_INSTANCE, "service",
           subnets=(_RDS_GROUP, Via("clusterIdentifier", _CLUSTER, _RDS_GROUP)),
           groups=(Via("clusterIdentifier", _CLUSTER, "vpcSecurityGroupIds"),),
           public_v4=(Flag("publiclyAccessible"),)),
    Holder(CACHE_CLUSTER, "service",
           subnets=(_CACHE_GROUP, Via("replicationGroupId", _REPLICATION_GROUP, _CACHE_GROUP)),
           groups=("securityGroupIds",
                   Via("replicationGroupId", _REPLICATION_GROUP, "securityGroupIds")),
           ipv6=(Flag("networkType", Reading.ONE_OF, _DUAL),)),
    Holder(CACHE_REPLICATION_GROUP, "service", subnets=(_CACHE_GROUP,),
           groups=("securityGroupIds",), ipv6=(Flag("networkType", Reading.ONE_OF, _DUAL),)),
    Holder(CACHE_SERVERLESS, "service", subnets=("subnetIds",), groups=("securityGroupIds",),
           ipv6=(Flag("networkType", Reading.ONE_OF, _DUAL),)),
    # Endpoints: EFS mount targets, interface VPC endpoints, Client VPN, Instance Connect.
    Holder(EFS_MOUNT_TARGET, "service", subnets=("subnetId",), groups=("securityGroups",),
           ipv6=(Flag("ipAddressType", Reading.ONE_OF, ("dual_stack", "ipv6_only")),),
           private_ip="ipAddress"),
    Holder(VPC_ENDPOINT, "service", subnets=("subnetIds", "subnetConfigurations.subnetId"),
           groups=("securityGroupIds",), ipv6=(Flag("ipAddressType", Reading.ONE_OF, _DUAL),)),
    Holder(CLIENT_VPN_ASSOCIATION, "service", subnets=("subnetId",),
           groups=(Via("clientVpnEndpointId", {CLIENT_VPN_ENDPOINT: "id"},
                       "securityGroupIds"),)),
    Holder(INSTANCE_CONNECT_ENDPOINT, "service", subnets=("subnetId",),
           groups=("securityGroupIds",), ipv6=(Flag("ipAddressType", Reading.ONE_OF, _DUAL),)),
)

# What a holder's ``templates`` may name, read like a holder (their own ``templates`` unused).
TEMPLATES: Final[dict[str, Holder]] = {
    LAUNCH_TEMPLATE: Holder(
        LAUNCH_TEMPLATE, "template", subnets=("networkInterfaces[primary].subnetId",),
        groups=("vpcSecurityGroupIds", "securityGroupNames",
                "networkInterfaces[primary].securityGroups"),
        public_v4=(Flag("networkInterfaces[primary].associatePublicIpAddress"),),
        ipv6=tuple(Flag(f"networkInterfaces[primary].{f.path}", f.test) for f in _V6_COUNTS)),
    LAUNCH_CONFIGURATION: Holder(
        LAUNCH_CONFIGURATION, "template", groups=("securityGroups",),
        public_v4=(Flag("associatePublicIpAddress"),)),
}
TEMPLATE_REF: Final[dict[str, str | tuple[str, ...]]] = {
    LAUNCH_TEMPLATE: ("id", "name"), LAUNCH_CONFIGURATION: ("id", "name", "arn")}

# The types this table models as holders (issue 17 point 1's classification reads it).
HOLDER_TYPES: Final[frozenset[str]] = frozenset(h.type for h in HOLDERS)
