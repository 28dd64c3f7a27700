"""Stage 4, forwarders: what takes connections from the internet and hands them to interfaces.

Today: load balancers (ALB/NLB/GWLB: scheme, subnets, groups, listeners and listener rules,
target groups and their targets by instance, IP, Auto Scaling group or attachment), classic
ELBs, and an ALB registered in an NLB's target group of target type ``alb`` (the chain internet
-> NLB -> ALB -> its targets). Each builder takes the model (places, filters and holders are
built by then) and returns :class:`~.nodes.Forwarder` entries; ``FORWARDER_BUILDERS`` adds more.
:func:`forwarder_sources` answers which internet sources a forwarder's listener admits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..records import (
    ASG,
    ASG_ATTACHMENT,
    ELB,
    ELB_ATTACHMENT,
    ENI,
    INSTANCE,
    LB,
    LB_LISTENER,
    LB_LISTENER_RULE,
    LB_TG_ATTACHMENT,
    SUBNET,
    UNKNOWN,
    Res,
    ids,
    is_unknown,
    number,
    truthy,
)
from .common import (
    LB_REF,
    SG_REF,
    TG_REF,
    as_list,
    bare,
    describe,
    is_internet,
    rule_sources,
    rule_span,
)
from .nodes import Forwarder, Interface, Listener, Subnet, Target

if TYPE_CHECKING:
    from .model import NetworkModel

# Builders of forwarders beyond the load balancers below (issue 9 may add more).
FORWARDER_BUILDERS: list[Callable[[NetworkModel], Iterable[Forwarder]]] = []


def build_forwarders(model: NetworkModel) -> list[Forwarder]:
    """Every forwarder, built in order into ``model.load_balancers`` (the NLB->ALB chains read
    the balancers built before them)."""
    model.load_balancers = []
    for builder in (_load_balancers, _classic_elbs, _balancers_behind_nlbs,
                    *FORWARDER_BUILDERS):
        model.load_balancers.extend(builder(model))
    return model.load_balancers


def forwarder_sources(model: NetworkModel, fwd: Forwarder,
                      listener: Listener) -> tuple[list[str], list[str]]:
    """The internet sources the forwarder admits on the listener's port (its groups' rules; an
    NLB without groups admits everything), and the unknowns that decide them."""
    if fwd.sources is not None:
        return list(fwd.sources), []
    if fwd.admits_all:
        return ["0.0.0.0/0", "::/0"], []
    sources: list[str] = []
    uncertain = list(fwd.groups_unknown)
    local = model.vpc_networks(fwd.subnets[0].vpc if fwd.subnets else None)
    for g in fwd.groups:
        for rule in model.ingress_rules(g):
            proto, ports = rule_span(rule)
            if proto not in (listener.protocol, "all", "unknown"):
                continue
            if ports is not None and listener.port is not None and not (
                    ports[0] <= listener.port <= ports[1]):
                continue
            for source, text, unk in rule_sources(rule):
                if source is not None and not is_internet(source, local):
                    continue
                sources.append(text)
                if unk or ports is None:
                    uncertain.append(f"{bare(text)} of {rule.where}")
    if fwd.groups_unknown and not sources:
        sources.append("the internet (unknown groups)")
    return list(dict.fromkeys(sources)), uncertain


def _listener_protocol(value: Any) -> str:
    text = str(value).upper() if isinstance(value, str) else "TCP"
    return "udp" if text in ("UDP", "TCP_UDP") else "tcp"


def _load_balancers(model: NetworkModel) -> list[Forwarder]:
    ix = model.index
    out: list[Forwarder] = []
    lbs = ix.of_type(*LB)
    if not lbs:
        return out
    groups_targets = _tg_targets(model)
    listeners_of: dict[str, list[Res]] = {}
    for lis in ix.of_type(*LB_LISTENER):
        for lb in ix.ref(lis, "loadBalancerArn", LB_REF).targets:
            listeners_of.setdefault(lb.urn, []).append(lis)
    rules_of: dict[str, list[Res]] = {}
    for lr in ix.of_type(*LB_LISTENER_RULE):
        for lis in ix.ref(lr, "listenerArn", {t: ("arn", "id") for t in LB_LISTENER}).targets:
            rules_of.setdefault(lis.urn, []).append(lr)
    for lb in lbs:
        lb_type = lb.get("loadBalancerType")
        kind = {"network": "nlb", "gateway": "gwlb"}.get(
            lb_type if isinstance(lb_type, str) else "application", "alb")
        internal = truthy(lb.get("internal"))
        if is_unknown(internal) and not lb.declared("internal"):
            internal = False  # the AWS default: internet-facing
        facing: bool | Any = UNKNOWN if is_unknown(internal) else not internal
        groups, gunknown, declared = model.filters.groups(lb, "securityGroups", SG_REF)
        subnets: list[Subnet] = []
        for s in ix.ref(lb, "subnets", ids(SUBNET)).targets:
            if s.urn in model.subnets:
                subnets.append(model.subnets[s.urn])
        mappings = lb.get("subnetMappings")
        for m in as_list(mappings):
            if isinstance(m, dict) and m.get("subnetId") is not None:
                for s in ix.ref(lb, "subnetMappings", ids(SUBNET), m["subnetId"],
                                use_value=True).targets:
                    subnets.append(model.subnets[s.urn])
        if not declared and kind == "alb":
            groups = [subnets[0].vpc] if subnets and subnets[0].vpc is not None else []
        listeners: list[Listener] = []
        for lis in listeners_of.get(lb.urn, []):
            port = number(lis.get("port"))
            actions = list(as_list(lis.get("defaultActions")))  # a copy: records are read-only
            for lr in rules_of.get(lis.urn, []):
                actions += [(lr, a) for a in as_list(lr.get("actions"))]
            targets: list[Target] = []
            uncertain: list[str] = []
            for a in actions:
                holder, action = (a if isinstance(a, tuple) else (lis, a))
                key = "actions" if holder is not lis else "defaultActions"
                for tg, unk in _forwarded_groups(model, holder, key, action):
                    if unk:
                        uncertain.append(unk)
                    for t in groups_targets.get(tg.urn if tg else "", []):
                        targets.append(Target(t.iface, t.port, [holder, *([tg] if tg else []),
                                                                 *t.path]))
            if is_unknown(port):
                uncertain.append(f"port of {describe(lis)}")
            listeners.append(Listener(
                lis, _listener_protocol(lis.get("protocol")),
                int(port) if isinstance(port, float) else (None if is_unknown(port) else 80),
                targets, uncertain))
        out.append(Forwarder(lb, kind, facing, listeners, groups, gunknown,
                             kind in ("nlb", "gwlb") and not declared, subnets))
    return out


def _forwarded_groups(model: NetworkModel, holder: Res, key: str,
                      action: Any) -> list[tuple[Res | None, str]]:
    """Target groups an action forwards to (None with a reason when undeterminable)."""
    if not isinstance(action, dict):
        return [(None, f"an action of {describe(holder)} unknown during preview")]
    arns = [action.get("targetGroupArn")]
    fwd = action.get("forward")
    if isinstance(fwd, dict):
        arns += [tg.get("arn") for tg in as_list(fwd.get("targetGroups")) if isinstance(tg, dict)]
    out: list[tuple[Res | None, str]] = []
    for arn in arns:
        if arn in (None, ""):
            continue
        ref = model.index.ref(holder, key, TG_REF, arn, use_value=True)
        out += [(tg, "") for tg in ref.targets]
        if ref.unknown:
            out.append((None, f"a target group of {describe(holder)}"))
    return out


def _tg_targets(model: NetworkModel) -> dict[str, list[Target]]:
    """target group urn -> its targets (instances, IPs, Auto Scaling groups)."""
    ix = model.index
    out: dict[str, list[Target]] = {}
    for att in ix.of_type(*LB_TG_ATTACHMENT):
        for tg in ix.ref(att, "targetGroupArn", TG_REF).targets:
            port = number(att.get("port"))
            if not isinstance(port, float):
                port = number(tg.get("port"))
            p = int(port) if isinstance(port, float) else None
            target_id = att.get("targetId")
            ifaces: list[Interface] = []
            ref = ix.ref(att, "targetId", {INSTANCE: ("id", "privateIp"), ENI: "privateIp"})
            for t in ref.targets:
                ifaces += model.interface_of(t)[:1]
            if not ref.targets and isinstance(target_id, str):
                try:
                    ip = ipaddress.ip_address(target_id)
                except ValueError:
                    ip = None
                if ip is not None:  # an IP target: every interface of the subnet holding it
                    ifaces += [i for i in model.interfaces if i.subnet is not None and (
                        i.private_ip == target_id or (i.subnet.cidr4 is not None
                        and ip.version == 4 and ip in i.subnet.cidr4))]
            out.setdefault(tg.urn, []).extend(Target(i, p, [att]) for i in ifaces)
    for asg in ix.of_type(ASG):
        tgs = ix.ref(asg, "targetGroupArns", TG_REF).targets
        for tg in tgs:
            port = number(tg.get("port"))
            for i in model.interface_of(asg):
                out.setdefault(tg.urn, []).append(
                    Target(i, int(port) if isinstance(port, float) else None, [asg]))
    for att in ix.of_type(ASG_ATTACHMENT):
        for tg in ix.ref(att, "lbTargetGroupArn", TG_REF).targets:
            port = number(tg.get("port"))
            for asg in ix.ref(att, "autoscalingGroupName", {ASG: ("name", "id")}).targets:
                for i in model.interface_of(asg):
                    out.setdefault(tg.urn, []).append(
                        Target(i, int(port) if isinstance(port, float) else None, [att, asg]))
    return out


def _balancers_behind_nlbs(model: NetworkModel) -> list[Forwarder]:
    """An NLB listener forwarding to a target group of target type ``alb`` hands its traffic to
    the ALB registered in it (``TargetGroupAttachment(targetId=<ALB ARN>)``), internal or not:
    the ALB's listener on the target group's port then forwards to its own targets. Each such
    chain is a forwarder: the NLB's listener and internet sources, the ALB's groups (what its
    targets admit) and the ALB listener's targets. The ALB's groups must admit the port from
    some source (any source: the NLB's nodes are in the VPC; adversarial reading). See
    https://docs.aws.amazon.com/elasticloadbalancing/latest/network/application-load-balancer-target.html
    """
    ix = model.index
    albs = {f.res.urn: f for f in model.load_balancers if f.kind == "alb"}
    if not albs:
        return []
    behind: dict[str, list[tuple[Forwarder, int | None, Res]]] = {}
    for att in ix.of_type(*LB_TG_ATTACHMENT):
        for lb in ix.ref(att, "targetId", LB_REF).targets:
            if lb.urn not in albs:
                continue
            for tg in ix.ref(att, "targetGroupArn", TG_REF).targets:
                port = number(att.get("port"))
                if not isinstance(port, float):
                    port = number(tg.get("port"))
                behind.setdefault(tg.urn, []).append(
                    (albs[lb.urn], int(port) if isinstance(port, float) else None, att))
    out: list[Forwarder] = []
    for nlb in list(model.load_balancers):
        if nlb.kind != "nlb" or nlb.internet_facing is False:
            continue
        for listener in nlb.listeners:
            lis = listener.res
            actions = [(lis, "defaultActions", a) for a in as_list(lis.get("defaultActions"))]
            for lr in ix.of_type(*LB_LISTENER_RULE):
                if lis in ix.ref(lr, "listenerArn",
                                 {t: ("arn", "id") for t in LB_LISTENER}).targets:
                    actions += [(lr, "actions", a) for a in as_list(lr.get("actions"))]
            for holder, key, action in actions:
                for fwd_tg, _unk in _forwarded_groups(model, holder, key, action):
                    for alb, port, att in behind.get(fwd_tg.urn if fwd_tg else "", []):
                        if not _groups_admit(model, alb, port):
                            continue
                        sources, s_unknown = forwarder_sources(model, nlb, listener)
                        via = [holder, *([fwd_tg] if fwd_tg else []), att, alb.res]
                        targets = [
                            Target(t.iface, t.port, [*via, inner.res, *t.path])
                            for inner in alb.listeners
                            if inner.port is None or port is None or inner.port == port
                            for t in inner.targets
                        ]
                        out.append(Forwarder(
                            nlb.res, "nlb", nlb.internet_facing,
                            [Listener(lis, listener.protocol, listener.port, targets,
                                      [*listener.uncertain, *s_unknown])],
                            alb.groups, alb.groups_unknown, False, alb.subnets,
                            sources=sources))
    return out


def _groups_admit(model: NetworkModel, fwd: Forwarder, port: int | None) -> bool:
    """Some ingress rule of the balancer's groups admits tcp ``port`` (from any source)."""
    if fwd.groups_unknown or not fwd.groups:
        return True
    for g in fwd.groups:
        for rule in model.ingress_rules(g):
            proto, ports = rule_span(rule)
            if proto not in ("tcp", "all", "unknown"):
                continue
            if ports is None or port is None or ports[0] <= port <= ports[1]:
                return True
    return False


def _classic_elbs(model: NetworkModel) -> list[Forwarder]:
    ix = model.index
    out: list[Forwarder] = []
    for elb in ix.of_type(ELB):
        internal = truthy(elb.get("internal"))
        if is_unknown(internal) and not elb.declared("internal"):
            internal = False
        facing: bool | Any = UNKNOWN if is_unknown(internal) else not internal
        groups, gunknown, declared = model.filters.groups(elb, "securityGroups", SG_REF)
        subnets = [model.subnets[s.urn] for s in ix.ref(elb, "subnets", ids(SUBNET)).targets]
        if not declared:
            groups = [subnets[0].vpc] if subnets and subnets[0].vpc is not None else []
        members: list[tuple[Interface, list[Res]]] = []
        for inst in ix.ref(elb, "instances", ids(INSTANCE)).targets:
            members += [(i, []) for i in model.interface_of(inst)[:1]]
        for att in ix.of_type(ELB_ATTACHMENT):
            if elb in ix.ref(att, "elb", {ELB: ("id", "name")}).targets:
                for inst in ix.ref(att, "instance", ids(INSTANCE)).targets:
                    members += [(i, [att]) for i in model.interface_of(inst)[:1]]
        for asg in ix.of_type(ASG):
            if elb in ix.ref(asg, "loadBalancers", {ELB: ("id", "name")}).targets:
                members += [(i, [asg]) for i in model.interface_of(asg)]
        listeners: list[Listener] = []
        for entry in as_list(elb.get("listeners")):
            if not isinstance(entry, dict):
                continue
            lb_port, inst_port = number(entry.get("lbPort")), number(entry.get("instancePort"))
            ip = int(inst_port) if isinstance(inst_port, float) else None
            listeners.append(Listener(
                elb, _listener_protocol(entry.get("lbProtocol")),
                int(lb_port) if isinstance(lb_port, float) else None,
                [Target(i, ip, path) for i, path in members]))
        out.append(Forwarder(elb, "elb", facing, listeners, groups, gunknown, False, subnets))
    return out
