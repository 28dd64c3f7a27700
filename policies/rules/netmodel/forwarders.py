"""Stage 4, forwarders: what takes connections from the internet and hands them to interfaces.

Load balancers (ALB/NLB/GWLB: scheme, subnets, groups, listeners and listener rules, the
target groups they forward to) and classic ELBs, with what stands behind each balancer read
from one table (:mod:`.targets`). A balancer behind a balancer (an ALB registered in an NLB's
target group of type ``alb``) and every front door (:mod:`.doors`: API Gateway, CloudFront,
Global Accelerator, Client VPN) hand their traffic on the same way, :func:`chain`: to the
balancer's listeners on the ports they send to, when its groups admit that port. A balancer
reference the model cannot resolve is a forwarder too (``_outside``), so its members fail
closed. Each builder takes the model (places, filters and holders are built by then);
``FORWARDER_BUILDERS`` adds more (:mod:`.doors` registers itself there).
:func:`forwarder_sources` answers which internet sources a forwarder's listener admits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from ..records import (
    ELB,
    LB,
    LB_LISTENER,
    LB_LISTENER_RULE,
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
from .nodes import Forwarder, Listener, Subnet, Target
from .targets import Members, members

if TYPE_CHECKING:
    from .model import NetworkModel

# Builders of forwarders beyond the load balancers below (:mod:`.doors` registers itself).
FORWARDER_BUILDERS: list[Callable[[NetworkModel], Iterable[Forwarder]]] = []

LISTENER_REF: Final = {t: ("arn", "id") for t in LB_LISTENER}
INTERNET: Final = ("0.0.0.0/0", "::/0")
KIND_WORDS: Final = {"alb": "application load balancer", "nlb": "network load balancer",
                     "gwlb": "gateway load balancer", "elb": "classic load balancer"}

Span = tuple[int, int]


def build_forwarders(model: NetworkModel) -> list[Forwarder]:
    """Every forwarder, built in order into ``model.load_balancers`` (chains and front doors
    read the balancers built before them)."""
    model.load_balancers = []
    mem = members(model)
    forwards: dict[str, list[tuple[Res, Res]]] = {}  # listener urn -> (action holder, TG)
    model.load_balancers += _load_balancers(model, mem, forwards)
    model.load_balancers += _classic_elbs(model, mem)
    model.load_balancers += _balancers_behind_balancers(model, mem, forwards)
    model.load_balancers += _outside(mem)
    for builder in FORWARDER_BUILDERS:
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


def _listener_protocols(value: Any) -> tuple[str, ...]:
    """The IP protocols a listener takes: TCP_UDP both (an NLB listener "for both TCP and UDP
    on the same port", elbv2 CreateListener); UDP udp; an unknown value both (a preview may
    resolve it to either); anything else (HTTP, HTTPS, TLS, TCP, ...) tcp."""
    if is_unknown(value):
        return ("tcp", "udp")
    text = str(value).upper() if isinstance(value, str) else "TCP"
    return {"UDP": ("udp",), "TCP_UDP": ("tcp", "udp")}.get(text, ("tcp",))


def _load_balancers(model: NetworkModel, mem: Members,
                    forwards: dict[str, list[tuple[Res, Res]]]) -> list[Forwarder]:
    ix = model.index
    out: list[Forwarder] = []
    lbs = ix.of_type(*LB)
    if not lbs:
        return out
    listeners_of: dict[str, list[Res]] = {}
    for lis in ix.of_type(*LB_LISTENER):
        for lb in ix.ref(lis, "loadBalancerArn", LB_REF).targets:
            listeners_of.setdefault(lb.urn, []).append(lis)
    rules_of: dict[str, list[Res]] = {}
    for lr in ix.of_type(*LB_LISTENER_RULE):
        for lis in ix.ref(lr, "listenerArn", LISTENER_REF).targets:
            rules_of.setdefault(lis.urn, []).append(lr)
    for lb in lbs:
        lb_type = lb.get("loadBalancerType")
        kind = {"network": "nlb", "gateway": "gwlb"}.get(
            lb_type if isinstance(lb_type, str) else "application", "alb")
        internal = truthy(lb.get("internal"))
        if is_unknown(internal) and not lb.declared("internal"):
            internal = False  # the AWS default: internet-facing
        facing: bool | Any = UNKNOWN if is_unknown(internal) else not internal
        if kind == "gwlb":
            # A Gateway Load Balancer has no scheme: it takes traffic only from its VPC
            # endpoints, which routes send to it (a route to one is judged as a route, netmodel
            # routes), and hands it to its appliances GENEVE-wrapped from its own private
            # addresses (UDP 6081), so its appliances see no internet source through it.
            facing = False
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
                    if tg is None:
                        continue
                    forwards.setdefault(lis.urn, []).append((holder, tg))
                    for t in mem.by_balancer.get(tg.urn, []):
                        targets.append(Target(t.iface, t.port, [holder, tg, *t.path],
                                              t.port_hi, t.uncertain))
            if is_unknown(port):
                uncertain.append(f"port of {describe(lis)}")
            listeners += [
                Listener(lis, proto,
                         int(port) if isinstance(port, float) else
                         (None if is_unknown(port) else 80), targets, uncertain)
                for proto in _listener_protocols(lis.get("protocol"))
            ]
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


def chain(model: NetworkModel, front: Res, entry: Res, *, kind: str, facing: bool | Any,
          sources: list[str], uncertain: list[str], lb: Forwarder, ports: list[Span] | None,
          protocol: str, via: list[Res], port: int | None = None, port_hi: int | None = None,
          words: str = "") -> Forwarder | None:
    """``front`` (an NLB listener's balancer, a front door; findings go on ``entry``) hands its
    traffic from ``sources`` to balancer ``lb`` on ``ports`` (None: any): each listener of
    ``lb`` on those ports whose port ``lb``'s groups admit from some source (any source: the
    front's nodes may be in the VPC, or client addresses preserved; the adversarial reading)
    forwards to its targets, which see ``lb``'s groups. None when nothing gets through."""
    targets: list[Target] = []
    for inner in lb.listeners:
        if ports is not None and inner.port is not None and not any(
                lo <= inner.port <= hi for lo, hi in ports):
            continue
        if not _groups_admit(model, lb, inner.port):
            continue
        targets += [Target(t.iface, t.port, [*via, lb.res, inner.res, *t.path], t.port_hi,
                           [*inner.uncertain, *t.uncertain]) for t in inner.targets]
    if not targets:
        return None
    return Forwarder(front, kind, facing, [Listener(entry, protocol, port, targets,
                                                    list(uncertain), port_hi)],
                     lb.groups, lb.groups_unknown, lb.admits_all, lb.subnets,
                     sources=list(sources), words=words, behind=lb.res)


def _balancers_behind_balancers(model: NetworkModel, mem: Members,
                                forwards: dict[str, list[tuple[Res, Res]]]) -> list[Forwarder]:
    """An NLB listener forwarding to a target group of target type ``alb`` hands its traffic to
    the ALB registered in it (``TargetGroupAttachment(targetId=<ALB ARN>)``), internal or not:
    the ALB's listener on the target group's port then forwards to its own targets. Each such
    chain is a forwarder (:func:`chain`): the NLB's listener and internet sources, the ALB's
    groups (what its targets admit) and the ALB listener's targets. See
    https://docs.aws.amazon.com/elasticloadbalancing/latest/network/application-load-balancer-target.html
    """
    if not mem.balancers:
        return []
    by_res = {f.res.urn: f for f in model.load_balancers}
    out: list[Forwarder] = []
    for nlb in list(model.load_balancers):
        if nlb.kind != "nlb" or nlb.internet_facing is False:
            continue
        for listener in nlb.listeners:
            for holder, tg in forwards.get(listener.res.urn, []):
                for lb, port, att in mem.balancers.get(tg.urn, []):
                    inner = by_res.get(lb.urn)
                    if inner is None or inner.kind != "alb":
                        continue
                    sources, s_unknown = forwarder_sources(model, nlb, listener)
                    fwd = chain(model, nlb.res, listener.res, kind="nlb",
                                facing=nlb.internet_facing, sources=sources,
                                uncertain=[*listener.uncertain, *s_unknown], lb=inner,
                                ports=[(port, port)] if port is not None else None,
                                protocol=listener.protocol, via=[holder, tg, att],
                                port=listener.port)
                    if fwd is not None:
                        out.append(fwd)
    return out


def _outside(mem: Members) -> list[Forwarder]:
    """Members of a balancer the model cannot resolve (outside the stack, or unknown): the
    balancer may be internet-facing, with groups outside the stack, on any protocol."""
    return [
        Forwarder(res, "outside", True,
                  [Listener(res, "all", None, [Target(t.iface, t.port, t.path, t.port_hi,
                                                      [*t.uncertain, why]) for t in targets])],
                  [], [], False, [],
                  sources=["the internet (through a balancer this stack does not declare)"],
                  words="the balancer named by", foreign_groups=True)
        for res, why, targets in mem.outside
    ]


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


def _classic_elbs(model: NetworkModel, mem: Members) -> list[Forwarder]:
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
        members_ = mem.by_balancer.get(elb.urn, [])
        listeners: list[Listener] = []
        for entry in as_list(elb.get("listeners")):
            if not isinstance(entry, dict):
                continue
            lb_port, inst_port = number(entry.get("lbPort")), number(entry.get("instancePort"))
            ip = int(inst_port) if isinstance(inst_port, float) else None
            listeners += [
                Listener(elb, proto, int(lb_port) if isinstance(lb_port, float) else None,
                         [Target(t.iface, ip, [p for p in t.path if p is not elb], None,
                                 t.uncertain) for t in members_])
                for proto in _listener_protocols(entry.get("lbProtocol"))
            ]
        out.append(Forwarder(elb, "elb", facing, listeners, groups, gunknown, False, subnets))
    return out
