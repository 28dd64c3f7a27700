"""Issue 17 point 1, soundness by construction: ``network-types-known``, through the real pack.

Every resource type is modelled, inert or unknown (``policies/rules/classes.py``). A resource
of a type invented for the test (``acme:net/tunnel:Tunnel``, registered as a custom resource:
no model, no table and no config knows it) that references anything of the private tier or the
bastion -- the private subnet, the DB's group, the DB's private address (as an output, inside a
JSON document, or as a literal), the VPC, the bastion, an internal balancer's listener or a
target group with the DB behind it, what governs the private tier (its route table, its NACL,
a prefix list the DB's group admits), or an inert resource that references one of them (a Cloud
Map namespace of the VPC, a task definition carrying the DB's address, a component holding a
private-tier group) -- is refused, in every
review mode (``MODES``; the deployed ones in tests/test_policies_deployed.py, which runs
``CASES``). Its compliant twins stay clean: referencing nothing of the network, only the
public tier, an address range wider than the VPC, a prefix list no group admits, or with its
type declared inert in the pack config; a component resource whose outputs name the private
subnet is not a network resource. A config that declares a modelled type inert is refused
(stack level, naming the key) and has no effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from review import PolicyPack
from tests.test_policies import KT, MODES, Case, World, analyze, check, pack

__all__ = ["pack"]  # the session-wide pack fixture

TUNNEL = "acme:net/tunnel:Tunnel"
SUBNET = "aws:ec2/subnet:Subnet"
OFFICE = {"bastion-ssh-only-from-office": {"officeCidrs": ["203.0.113.0/24"]}}
Tweak = Callable[[World], None]


class Tunnel(pulumi.CustomResource):
    """A resource type invented for the test: a custom resource of package ``acme`` (its
    provider is the engine's default ``pulumi:providers:acme``)."""

    def __init__(self, name: str, props: dict[str, Any]) -> None:
        super().__init__(TUNNEL, name, props)


class Wrapper(pulumi.ComponentResource):
    """A component of another package whose registered outputs name the private subnet."""

    def __init__(self, name: str, subnet: pulumi.Output[str]) -> None:
        super().__init__("acme:index:Wrapper", name, None)
        self.register_outputs({"subnetId": subnet})


class Holder(pulumi.ComponentResource):
    """A component of another package that holds a private-tier group (its child)."""

    def __init__(self, name: str, vpc: pulumi.Output[str]) -> None:
        super().__init__("acme:index:Holder", name, None)
        aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=vpc, description="held",
                              tags={"Tier": "private"}, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def _via_component(w: World) -> None:
    holder = Holder("holder", w.vpc.id)
    Tunnel("tunnel", {"network": holder.urn})


def _tunnel(**props: Callable[[World], Any]) -> Tweak:
    def tweak(w: World) -> None:
        Tunnel("tunnel", {k: f(w) for k, f in props.items()})
    return tweak


def _internal_alb(w: World) -> tuple[aws.lb.Listener, aws.lb.TargetGroup]:
    """An internal ALB in the private subnet forwarding to the DB (clean on its own)."""
    w.sgs["ialb"] = w.sg("ialb-sg", {"Role": "lb"})
    w.ingress("ialb-in", "ialb", 80, cidr_ipv4="10.0.0.0/24")
    w.ingress("db-from-ialb", "db", 3306, referenced_security_group_id=w.sgs["ialb"].id)
    alb = aws.lb.LoadBalancer("ialb", internal=True, load_balancer_type="application",
                              subnets=[w.subnets["priv"].id], security_groups=[w.sgs["ialb"].id])
    tg = aws.lb.TargetGroup("ialb-tg", port=3306, protocol="HTTP", vpc_id=w.vpc.id,
                            target_type="instance")
    aws.lb.TargetGroupAttachment("ialb-att", target_group_arn=tg.arn, target_id=w.db.id)
    listener = aws.lb.Listener(
        "ialb-listener", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
        default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                          target_group_arn=tg.arn)])
    return listener, tg


def _to_listener(w: World) -> None:
    listener, _tg = _internal_alb(w)
    Tunnel("tunnel", {"listenerArn": listener.arn})


def _to_target_group(w: World) -> None:
    _listener, tg = _internal_alb(w)
    Tunnel("tunnel", {"targets": [{"targetGroupArn": tg.arn, "weight": 1}]})


def _via_cloud_map(w: World) -> None:
    ns = aws.servicediscovery.PrivateDnsNamespace("ns", name="internal.example", vpc=w.vpc.id)
    Tunnel("tunnel", {"namespaceId": ns.id})


def _via_task_definition(w: World) -> None:
    containers = w.db.private_ip.apply(lambda ip: json.dumps([{
        "name": "app", "image": "public.ecr.aws/nginx/nginx:1.27", "essential": True,
        "environment": [{"name": "DB_HOST", "value": ip}]}]))
    td = aws.ecs.TaskDefinition("td", family="app", container_definitions=containers)
    Tunnel("tunnel", {"taskDefinition": td.arn})


def _prefix_list(used_by_db: bool) -> Tweak:
    """A prefix list of the stack: admitted by the DB's group, or by no group at all."""
    def tweak(w: World) -> None:
        pl = aws.ec2.ManagedPrefixList(
            "vpc-pl", address_family="IPv4", max_entries=1,
            entries=[aws.ec2.ManagedPrefixListEntryArgs(cidr="10.0.0.0/26", description="pub")])
        if used_by_db:
            w.ingress("db-from-pl", "db", 3306, prefix_list_id=pl.id)
        Tunnel("tunnel", {"prefixListId": pl.id})
    return tweak


def _private_nacl(w: World) -> None:
    acl = aws.ec2.NetworkAcl("priv-acl", vpc_id=w.vpc.id, subnet_ids=[w.subnets["priv"].id])
    Tunnel("tunnel", {"networkAclId": acl.id})


def _component(w: World) -> None:
    Wrapper("wrapper", w.subnets["priv"].id)


def _msk(subnet: str, group: str) -> Tweak:
    """A real type that places interfaces but has no holder-table entry (an MSK cluster's
    brokers): refused through network-types-known when it touches the private tier or the
    bastion, like the invented one."""
    def tweak(w: World) -> None:
        aws.msk.Cluster("msk", cluster_name="events", kafka_version="3.6.0",
                        number_of_broker_nodes=1,
                        broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                            instance_type="kafka.t3.small", client_subnets=[w.subnets[subnet].id],
                            security_groups=[w.sgs[group].id]))
    return tweak


def _inert(*types: str) -> dict[str, Any]:
    return {**OFFICE, KT: {"inertTypes": list(types)}}


REFUSED = {(KT, "tunnel")}
CASES: list[Case] = [
    # references the private tier or the bastion: refused
    Case("unknown-type-in-private-subnet", REFUSED,
         tweak=_tunnel(subnetId=lambda w: w.subnets["priv"].id)),
    Case("unknown-type-with-db-group", REFUSED,
         tweak=_tunnel(securityGroupIds=lambda w: [w.sgs["db"].id])),
    Case("unknown-type-to-db-private-ip", REFUSED,
         tweak=_tunnel(target=lambda w: w.db.private_ip)),
    Case("unknown-type-db-arn-inside-json", REFUSED,
         tweak=_tunnel(policy=lambda w: pulumi.Output.json_dumps({"targets": [w.db.arn]}))),
    Case("unknown-type-literal-ip-in-private-subnet", REFUSED,
         tweak=_tunnel(target=lambda w: "10.0.0.140:3306")),
    Case("unknown-type-in-vpc", REFUSED, tweak=_tunnel(vpcId=lambda w: w.vpc.id)),
    Case("unknown-type-to-bastion", REFUSED, tweak=_tunnel(instanceId=lambda w: w.bastion.id)),
    Case("unknown-type-to-internal-alb-listener", REFUSED, tweak=_to_listener),
    Case("unknown-type-to-internal-alb-target-group", REFUSED, tweak=_to_target_group),
    Case("unknown-type-via-inert-cloud-map-namespace", REFUSED, tweak=_via_cloud_map),
    Case("unknown-type-via-inert-task-definition", REFUSED, tweak=_via_task_definition),
    Case("unknown-type-via-component-holding-a-private-group", REFUSED, tweak=_via_component),
    # what governs the private tier: its route table, its NACL, a prefix list its groups admit
    Case("unknown-type-in-private-route-table", REFUSED,
         tweak=_tunnel(routeTableId=lambda w: w.private_rt.id)),
    Case("unknown-type-to-private-nacl", REFUSED, tweak=_private_nacl),
    Case("unknown-type-to-prefix-list-the-db-admits", REFUSED, tweak=_prefix_list(True)),
    Case("unknown-type-to-prefix-list-no-group-admits", set(), tweak=_prefix_list(False)),
    # a real type with no holder-table entry: the same
    Case("msk-cluster-in-private-subnet", {(KT, "msk")}, tweak=_msk("priv", "db")),
    Case("msk-cluster-with-bastion-group", {(KT, "msk")}, tweak=_msk("pub", "bastion")),
    Case("compliant-msk-cluster-public-tier-only", set(), tweak=_msk("pub", "web")),
    # references nothing private: clean
    Case("unknown-type-unrelated", set(),
         tweak=_tunnel(endpoint=lambda w: "tunnel.example.com", port=lambda w: 443)),
    Case("unknown-type-public-tier-only", set(),
         tweak=_tunnel(subnetId=lambda w: w.subnets["pub"].id,
                       securityGroupIds=lambda w: [w.sgs["web"].id],
                       target=lambda w: w.web.private_ip)),
    Case("unknown-type-range-wider-than-vpc", set(),
         tweak=_tunnel(allow=lambda w: ["0.0.0.0/0", "10.0.0.0/8"])),
    Case("unknown-type-declared-inert", set(), config=_inert(TUNNEL),
         tweak=_tunnel(subnetId=lambda w: w.subnets["priv"].id)),
    Case("component-outputs-name-private-subnet", set(), tweak=_component),
    Case("unknown-type-to-internal-alb-declared-inert", set(), config=_inert(TUNNEL),
         tweak=_to_listener),
    # a modelled type declared inert: refused at stack level, and still modelled
    Case("modelled-type-declared-inert", {(KT, None)}, config=_inert(SUBNET)),
    Case("modelled-type-declared-inert-with-tunnel", {(KT, None)},
         config=_inert(SUBNET, TUNNEL), tweak=_tunnel(subnetId=lambda w: w.subnets["priv"].id)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_type_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))


def test_the_message_names_the_type_what_it_references_and_the_fix(
        pack: PolicyPack, tmp_path: Path) -> None:
    for mode in MODES:
        case = CASES[0]
        (diag,) = [d for d in analyze(pack, case, mode, tmp_path) if d.policy == KT]
        assert TUNNEL in diag.message and "'tunnel'" in diag.message
        assert "'priv'" in diag.message and "Tier=private" in diag.message, diag.message
        assert f'network-types-known.inertTypes: ["{TUNNEL}"]' in diag.message
        assert "policies/rules/classes.py" in diag.message


def test_a_modelled_type_declared_inert_names_the_key_and_value(
        pack: PolicyPack, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "modelled-type-declared-inert")
    (diag,) = [d for d in analyze(pack, case, "update", tmp_path) if d.policy == KT]
    assert "network-types-known.inertTypes" in diag.message and SUBNET in diag.message
    assert "Remove" in diag.message and str(diag.level).lower().endswith("mandatory")
