"""Stage 4, target links: which interfaces stand behind each target group and classic ELB.

Every way a resource puts interfaces behind a balancer is one row of ``TARGET_LINKS``: the
property naming the balancer (a target group ARN or a classic ELB name), the field inside each
element when that property is a list of blocks, the property naming the members when they are
not the resource's own interfaces (its holders' interfaces, :mod:`.holders`), and the field
giving the target port (else the target group's port; a classic ELB's listener says its
instance port). Adding a way is one row. Read from pulumi-aws 7.x's SDK (the arguments of each
type) and the AWS semantics:

* ``lb.TargetGroupAttachment``: ``targetId`` is an instance id, a spot request's
  ``spotInstanceId``, an IPv4 or IPv6 address (target type ``ip``: every interface holding it,
  or of the subnet holding it), or an ALB's ARN (target type ``alb``: a balancer behind a
  balancer, chained by :mod:`.forwarders`);
* Auto Scaling groups: ``targetGroupArns``, ``loadBalancers`` (classic), ``trafficSources``
  (``identifier``: a target group ARN, or a classic ELB's name with type ``elb``), and the
  separate ``autoscaling.Attachment`` (``lbTargetGroupArn`` / ``elb``) and
  ``autoscaling.TrafficSourceAttachment`` (``trafficSource.identifier``);
* ECS services and task sets: ``loadBalancers[].targetGroupArn`` / ``elbName`` /
  ``loadBalancerName``, to the container port (ECS registers each task's interface with
  ``containerPort``); Spot Fleet requests: ``targetGroupArns``, ``loadBalancers``;
* classic ELBs: ``instances``, and ``elb.Attachment``.

A balancer reference that cannot be determined, or that names a balancer outside the stack, is
kept (``Members.outside``): the members may be behind an internet-facing balancer nobody here
declares, and the model fails closed on it. A member reference that cannot be determined makes
every interface a possible member, with the value named (``Target.uncertain``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ..records import (
    ASG,
    ASG_ATTACHMENT,
    ASG_TRAFFIC_SOURCE_ATTACHMENT,
    ECS_SERVICE,
    ECS_TASK_SET,
    ELB,
    ELB_ATTACHMENT,
    ENI,
    INSTANCE,
    LB,
    LB_TG_ATTACHMENT,
    SPOT_FLEET_REQUEST,
    SPOT_INSTANCE_REQUEST,
    VPC,
    Res,
    ids,
    is_unknown,
    number,
)
from .common import LB_REF, TG_REF, as_list, describe
from .nodes import Interface, Subnet, Target

if TYPE_CHECKING:
    from .model import NetworkModel


@dataclass(frozen=True)
class Link:
    """One way a resource puts interfaces behind a balancer (see the module docstring)."""

    type: str
    balancer: str | None  # the property naming the balancer; None: the resource is one
    field: str | None = None  # inside each element of ``balancer``; None: the element itself
    member: str | None = None  # the property naming the members; None: the resource's own
    port: str | None = None  # the port field (the element's, else the resource's)


TARGET_LINKS: Final[tuple[Link, ...]] = (
    *(Link(t, "targetGroupArn", member="targetId", port="port") for t in LB_TG_ATTACHMENT),
    Link(ASG, "targetGroupArns"),
    Link(ASG, "loadBalancers"),
    Link(ASG, "trafficSources", "identifier"),
    Link(ASG_ATTACHMENT, "lbTargetGroupArn", member="autoscalingGroupName"),
    Link(ASG_ATTACHMENT, "elb", member="autoscalingGroupName"),
    Link(ASG_TRAFFIC_SOURCE_ATTACHMENT, "trafficSource", "identifier",
         member="autoscalingGroupName"),
    Link(ECS_SERVICE, "loadBalancers", "targetGroupArn", port="containerPort"),
    Link(ECS_SERVICE, "loadBalancers", "elbName", port="containerPort"),
    Link(ECS_TASK_SET, "loadBalancers", "targetGroupArn", port="containerPort"),
    Link(ECS_TASK_SET, "loadBalancers", "loadBalancerName", port="containerPort"),
    Link(SPOT_FLEET_REQUEST, "targetGroupArns"),
    Link(SPOT_FLEET_REQUEST, "loadBalancers"),
    Link(ELB, None, member="instances"),
    Link(ELB_ATTACHMENT, "elb", member="instance"),
)

ELB_REF: Final[dict[str, str | tuple[str, ...]]] = {ELB: ("id", "name")}
BALANCER_REF: Final[dict[str, str | tuple[str, ...]]] = {**TG_REF, **ELB_REF}
MEMBER_REF: Final[dict[str, str | tuple[str, ...]]] = {
    INSTANCE: ("id", "privateIp"),
    SPOT_INSTANCE_REQUEST: ("spotInstanceId", "privateIp"),
    ENI: "privateIp",
    ASG: ("name", "id"),
    **LB_REF,
}


@dataclass
class Members:
    """What stands behind each balancer of the stack."""

    by_balancer: dict[str, list[Target]] = field(default_factory=dict)  # TG / ELB urn
    # TG urn -> (load balancer registered in it, port, the attachment): balancers behind one
    balancers: dict[str, list[tuple[Res, int | None, Res]]] = field(default_factory=dict)
    # (linking resource, why, its members): a balancer outside the stack or undeterminable
    outside: list[tuple[Res, str, list[Target]]] = field(default_factory=list)


def members(model: NetworkModel) -> Members:
    out = Members()
    ips = _IpIndex(model)
    ix = model.index
    for link in TARGET_LINKS:
        for res in ix.of_type(link.type):
            for bal_key, value, element in _balancer_values(res, link):
                port = _port(res, link, element)
                if bal_key is None:  # the resource is the (classic) balancer
                    targets, _lbs = _members(model, ips, res, link, port, None)
                    out.by_balancer.setdefault(res.urn, []).extend(targets)
                    continue
                ref = ix.ref(res, bal_key, BALANCER_REF, value, use_value=True)
                vpcs = {v.urn for b in ref.targets if b.type != ELB
                        for v in ix.ref(b, "vpcId", ids(VPC)).targets} or None
                targets, lbs = _members(model, ips, res, link, port, vpcs)
                for bal in ref.targets:
                    tg_port = port if port is not None or bal.type == ELB else _tg_port(bal)
                    out.by_balancer.setdefault(bal.urn, []).extend(
                        Target(t.iface, t.port if t.port is not None else tg_port,
                               [*([res] if res not in t.path else []), *t.path],
                               uncertain=t.uncertain)
                        for t in targets)
                    for lb in lbs:
                        out.balancers.setdefault(bal.urn, []).append((lb, tg_port, res))
                why = ""
                if ref.unknown:
                    why = f"{bal_key} of {describe(res)} cannot be determined during preview"
                elif ref.external:
                    why = (f"{bal_key} of {describe(res)} names {', '.join(ref.external)}, "
                           f"which is not part of this stack")
                if why and targets:
                    out.outside.append((res, why, targets))
    return out


def _balancer_values(res: Res, link: Link) -> Iterator[tuple[str | None, Any, Any]]:
    """(property, value naming a balancer, the element it sits in) for each reference."""
    if link.balancer is None:
        yield None, None, None
        return
    raw = res.get(link.balancer)
    if raw is None or (is_unknown(raw) and not res.declared(link.balancer)):
        return
    for element in as_list(raw):
        if link.field is None:
            value = element
        elif isinstance(element, dict):
            value = element.get(link.field)
        else:
            value = element  # an unknown block: unknown balancer
        if value in (None, ""):
            continue
        yield link.balancer, value, element


def _port(res: Res, link: Link, element: Any) -> int | None:
    """The row's target port, None when absent. A 0 is absent too: no port is 0, and the bridge
    stores an unset Optional int as 0 (a ``TargetGroupAttachment`` without ``port`` is stored
    with ``port: 0``; its Read, elbv2/target_group_attachment.go ``resourceAttachmentRead``,
    reads nothing back) while AWS registers the target on the group's port."""
    if link.port is None:
        return None
    raw = element.get(link.port) if isinstance(element, dict) else None
    if raw is None:
        raw = res.get(link.port)
    value = number(raw)
    return int(value) if isinstance(value, float) and value > 0 else None


def _tg_port(tg: Res) -> int | None:
    value = number(tg.get("port"))
    return int(value) if isinstance(value, float) and value > 0 else None


def _members(model: NetworkModel, ips: _IpIndex, res: Res, link: Link, port: int | None,
             vpcs: set[str] | None) -> tuple[list[Target], list[Res]]:
    """The interfaces a row puts behind its balancer (with ``port``, None: the balancer's), and
    the load balancers it registers (an ALB in a target group of type ``alb``). An address
    (an IP target, an unknown target id) is looked for in the target group's VPCs ``vpcs``
    (None: anywhere in the stack)."""
    if link.member is None:
        return [Target(i, port, [res]) for i in model.interface_of(res)], []
    raw = res.get(link.member)
    if raw is None or (is_unknown(raw) and not res.declared(link.member)):
        return [], []
    ix = model.index
    if link.member == "targetId":
        groups = ix.ref(res, "targetGroupArn", TG_REF).targets
        if groups and all(tg.get("targetType") == "lambda" for tg in groups):
            return [], []  # a Lambda function is invoked, not connected to
    targets: list[Target] = []
    lbs: list[Res] = []
    for value in as_list(raw):
        ref = ix.ref(res, link.member, MEMBER_REF, value, use_value=True)
        for t in ref.targets:
            if t.type in LB:
                lbs.append(t)
            else:
                ifaces = model.interface_of(t)
                targets += [Target(i, port, [res]) for i in (
                    ifaces if t.type == ASG else ifaces[:1])]
        if ref.targets:
            continue
        if isinstance(value, str) and link.member == "targetId":
            targets += [Target(i, port, [res], uncertain=u)
                        for i, u in ips.holding(value, vpcs)]
        elif ref.unknown:
            why = f"{link.member} of {describe(res)} cannot be determined during preview"
            targets += [Target(i, port, [res], uncertain=[why]) for i in ips.in_vpcs(vpcs)]
    return targets, lbs


class _IpIndex:
    """Interfaces by VPC, by address (private IPv4, IPv6 addresses) and by subnet, and subnets
    by block, built on first use so that each lookup is a few dictionary reads: an IP target
    is every interface holding the address, else every interface of the subnet whose block
    holds it (the adversarial reading: any of them may hold it), within the target group's
    VPCs."""

    def __init__(self, model: NetworkModel) -> None:
        self.model = model
        self._built = False
        self._by_vpc: dict[str, list[Interface]] = {}
        self._by_ip: dict[str, list[Interface]] = {}
        self._by_subnet: dict[str, list[Interface]] = {}
        self._by_block: dict[Any, list[Subnet]] = {}  # the subnet's network -> subnets
        self._lengths: dict[int, set[int]] = {4: set(), 6: set()}
        self._v6_unknown: dict[str, list[Subnet]] = {}  # VPC urn -> subnets

    def _build(self) -> None:
        self._built = True
        for i in self.model.interfaces:
            vpc = i.subnet.vpc if i.subnet is not None else None
            self._by_vpc.setdefault(vpc.urn if vpc is not None else "", []).append(i)
            # The addresses it holds: declared, or assigned (the stored value, which the
            # records keep aside where the program's inputs were seen).
            v6 = [*as_list(i.owner.get("ipv6Addresses")),
                  *as_list(i.owner.stored.get("ipv6Addresses"))]
            for a in [i.private_ip, *v6]:
                if isinstance(a, str):
                    self._by_ip.setdefault(_norm(a), []).append(i)
            if i.subnet is not None:
                self._by_subnet.setdefault(i.subnet.res.urn, []).append(i)
        for s in self.model.subnets.values():
            for block in (s.cidr4, s.cidr6):
                if isinstance(block, ipaddress.IPv4Network | ipaddress.IPv6Network):
                    self._by_block.setdefault(block, []).append(s)
                    self._lengths[block.version].add(block.prefixlen)
            if is_unknown(s.cidr6):
                self._v6_unknown.setdefault(s.vpc.urn if s.vpc else "", []).append(s)

    def in_vpcs(self, vpcs: set[str] | None) -> list[Interface]:
        if not self._built:
            self._build()
        if vpcs is None:
            return list(self.model.interfaces)
        return [i for v in vpcs for i in self._by_vpc.get(v, [])]

    def holding(self, text: str, vpcs: set[str] | None) -> list[tuple[Interface, list[str]]]:
        try:
            ip = ipaddress.ip_address(text.strip())
        except ValueError:
            return []  # an instance id outside the stack, or garbage: not ours
        if not self._built:
            self._build()

        def inside(s: Subnet) -> bool:
            return vpcs is None or (s.vpc is not None and s.vpc.urn in vpcs)

        exact = [i for i in self._by_ip.get(str(ip), [])
                 if vpcs is None or (i.subnet is not None and inside(i.subnet))]
        out: list[tuple[Interface, list[str]]] = [(i, []) for i in exact]
        found: list[tuple[Subnet, list[str]]] = []
        for length in sorted(self._lengths[ip.version]):
            net = ipaddress.ip_network((ip, length), strict=False)
            found += [(s, []) for s in self._by_block.get(net, []) if inside(s)]
        if ip.version == 6:
            unknown = [s for v in (vpcs if vpcs is not None else self._v6_unknown)
                       for s in self._v6_unknown.get(v, [])]
            found += [(s, [f"the IPv6 block of subnet {s.res.label} (unknown during preview), "
                           f"which may hold target {ip}"]) for s in unknown]
        for s, why in found:
            out += [(i, why) for i in self._by_subnet.get(s.res.urn, []) if i not in exact]
        return out


def _norm(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text

