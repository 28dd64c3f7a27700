"""What the resources of unknown type reference in the private tier or the bastion. Pure Python.

The question ``network-types-known`` asks (:mod:`.known_types`), in three steps, each linear in
the stack (index lookups, no scan of all resources per resource):

1. **What is protected** (:func:`protected`): every VPC; every subnet not tagged
   ``Tier=public`` (private, management, untagged or unknown: the adversarial reading); every
   interface of the network model that is not a public-tier interface in a public-tier subnet,
   or that belongs to the bastion (``Role=bastion``), with its owner, instance, launch
   template, security groups and Elastic IPs; every security group not tagged ``Tier=public``
   or tagged ``Role=bastion``; every target group with such an interface behind it (and each
   resource on the way: attachments, listeners, rules), every load balancer or front door in a
   protected subnet or forwarding to such an interface; and what governs them: the route tables
   and NACLs of protected subnets (a default NACL always), the rules of protected groups and
   the prefix lists they admit.
2. **What a resource references** (:func:`references`): the URNs of its property dependencies
   (the engine's ``propertyDependencies``: known even in a preview, when every id is unknown),
   and, by value, every token of every string anywhere in its properties (and its stored
   copies, ``Res.stored``) -- a whole string, or a part between ``:`` and ``/`` (an id inside
   an ARN, an address before a port) -- that is an identifying output of a protected or inert
   resource (``id``, ``arn``, addresses, ``name`` as a whole string only), and every address
   or CIDR lying inside a subnet (the subnet) or else inside a VPC (the VPC). A CIDR that is
   wider than the VPC (``0.0.0.0/0``, ``10.0.0.0/8``) names no resource of it.
3. **Inert resources pass references on** (:func:`findings`): an inert resource or component
   that references something protected (a DNS record of the DB's address, a Cloud Map
   namespace of the VPC, a component's outputs, or a component that is the parent of something
   protected) makes an unknown resource that references it reference the private tier too;
   only the inert resources an unknown one reaches are read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ._net import MANAGED_PREFIX_LIST
from .classes import Class, Entry, class_of
from .netmodel import NetworkModel, describe
from .netmodel.nodes import Interface
from .netmodel.targets import members
from .records import (
    BASTION_ROLE,
    DEFAULT_NETWORK_ACL,
    EIP,
    EIP_ASSOCIATION,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    ROLE_TAG,
    SG_TYPES,
    SUBNET,
    TIER_TAG,
    VPC,
    Index,
    Network,
    Res,
    ids,
    is_unknown,
)

# The outputs that identify a resource when another one names it (matched token by token).
ID_FIELDS: Final = ("id", "arn", "privateIp", "publicIp", "privateIps", "privateIpList",
                    "ipv6Addresses", "ipv6AddressList", "primaryNetworkInterfaceId",
                    "allocationId", "dnsName", "spotInstanceId", "defaultSecurityGroupId",
                    "privateDns", "publicDns", "mainRouteTableId", "defaultRouteTableId",
                    "defaultNetworkAclId")
# Names are matched only as a whole string: a short name ("db") may be part of anything.
NAME_FIELDS: Final = ("name",)
_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9:/._\-]*")
_PARTS: Final = re.compile(r"[:/,]")


@dataclass
class Reference:
    """``res`` names ``target`` in property ``key`` (``how``: by value or by dependency)."""

    key: str
    target: Res
    how: str


@dataclass
class Finding:
    """An unknown resource that references protected resources, directly or through inert
    ones (``via``: the inert resource's Reference, and the protected resource it leads to)."""

    res: Res
    direct: list[Reference] = field(default_factory=list)
    via: list[tuple[Reference, Res]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# 1. What is protected


def _tier_words(tier: Any) -> str:
    if is_unknown(tier):
        return "tier unknown during preview"
    return f"Tier={tier}" if tier else "no Tier tag"


def _iface_why(iface: Interface) -> str | None:
    """Why an interface belongs to the private tier or the bastion; None for a public-tier
    interface in a public-tier subnet (an unknown tier is not public)."""
    if iface.tag(ROLE_TAG) == BASTION_ROLE:
        return "the bastion"
    if iface.subnet is None:
        return "its subnet cannot be determined"
    sub = iface.subnet.tier
    if sub != "public":
        return f"its subnet {iface.subnet.res.label}: {_tier_words(sub)}"
    own = iface.tag(TIER_TAG)
    return None if own in (None, "public") else _tier_words(own)


def protected(model: NetworkModel) -> dict[str, str]:
    """URN -> why it belongs to the private tier or the bastion (see the module docstring)."""
    ix = model.index
    out: dict[str, str] = {}

    def add(res: Res | None, why: str) -> None:
        if res is not None and res.urn not in out:
            out[res.urn] = why

    for vpc in ix.of_type(VPC):
        add(vpc, "the VPC")
    for s in ix.of_type(SUBNET):
        if s.tag(TIER_TAG) != "public":
            add(s, _tier_words(s.tag(TIER_TAG)))
    for g in ix.of_type(*SG_TYPES):
        if g.tag(ROLE_TAG) == BASTION_ROLE:
            add(g, "the bastion's")
        elif g.tag(TIER_TAG) != "public":
            add(g, _tier_words(g.tag(TIER_TAG)))
    ifaces: set[int] = set()
    for iface in model.interfaces:
        why = _iface_why(iface)
        if why is None:
            continue
        ifaces.add(id(iface))
        for res in (iface.owner, iface.instance, iface.template):
            add(res, why)
        for g in iface.groups:
            add(g, f"attached to {iface.label}")
        for reason in iface.public_v4:
            if reason.res.type in (EIP, EIP_ASSOCIATION):
                add(reason.res, f"the address of {iface.label}")
    # What governs them: the route tables and NACLs of protected subnets, the rules of
    # protected groups and the prefix lists those rules admit.
    for sub in list(model.subnets.values()):
        if sub.res.urn in out:
            for table in model.route_tables_of(sub).tables:
                add(table.res, f"the route table of subnet {sub.res.label}")
    nacl_types = (NETWORK_ACL, DEFAULT_NETWORK_ACL)
    for acl in ix.of_type(*nacl_types):
        if acl.type == DEFAULT_NETWORK_ACL or any(
                s.urn in out for s in ix.ref(acl, "subnetIds", ids(SUBNET)).targets):
            add(acl, "the network ACL of a protected subnet")
    for assoc in ix.of_type(NETWORK_ACL_ASSOCIATION):
        if any(s.urn in out for s in ix.ref(assoc, "subnetId", ids(SUBNET)).targets):
            for acl in ix.ref(assoc, "networkAclId", ids(*nacl_types)).targets:
                add(acl, "the network ACL of a protected subnet")
    for rule in model.rules:
        groups = [g for g in rule.groups.targets if g.urn in out]
        if not groups:
            continue
        add(rule.owner, f"a rule of {describe(groups[0])}")
        key = rule.prefix_field if rule.owner.get(rule.prefix_field) is not None else "ingress"
        for pl in rule.prefix_lists:
            for lst in ix.ref(rule.owner, key, ids(MANAGED_PREFIX_LIST), pl,
                              use_value=True).targets:
                add(lst, f"admitted by {describe(groups[0])}")
    mem = members(model)
    for tg_urn, targets in mem.by_balancer.items():
        for t in targets:
            if id(t.iface) in ifaces:
                add(ix.by_urn.get(tg_urn), f"{t.iface.label} is behind it")
                for res in t.path:
                    add(res, f"{t.iface.label} is behind it")
    for f in model.load_balancers:
        if any(s.res.urn in out for s in f.subnets):
            add(f.res, "in a protected subnet")
        for li in f.listeners:
            for t in li.targets:
                if id(t.iface) in ifaces:
                    for res in (f.res, li.res, *t.path):
                        add(res, f"it forwards to {t.iface.label}")
    return out


# ---------------------------------------------------------------------------------------------
# 2. What a resource references


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


class Values:
    """Identifying outputs of some resources (by token), and the stack's subnets and VPCs by
    network (by prefix length: an address's subnet is a handful of lookups)."""

    def __init__(self, index: Index, resources: Iterable[Res]) -> None:
        self.tokens: dict[str, list[Res]] = {}
        self.names: dict[str, list[Res]] = {}
        for res in resources:
            for key in ID_FIELDS:
                for s in _strings(res.props.get(key)):
                    if s:
                        self.tokens.setdefault(s, []).append(res)
            for key in NAME_FIELDS:
                for s in _strings(res.props.get(key)):
                    if s:
                        self.names.setdefault(s, []).append(res)
        # (is a VPC, IP version, prefix length) -> network -> the subnet or VPC
        self.nets: dict[tuple[bool, int, int], dict[Network, Res]] = {}
        for typ, keys in ((SUBNET, ("cidrBlock", "ipv6CidrBlock")),
                          (VPC, ("cidrBlock", "ipv6CidrBlock"))):
            for res in index.of_type(typ):
                for key in keys:
                    net = _network(res.props.get(key))
                    if net is not None:
                        self.nets.setdefault((typ == VPC, net.version, net.prefixlen), {}
                                             ).setdefault(net, res)

    def of_string(self, text: str) -> list[Res]:
        found = list(self.names.get(text, ()))
        for token in _TOKEN.findall(text):
            found += self.tokens.get(token, ())
            parts = _PARTS.split(token)
            if len(parts) > 1:
                for part in parts:
                    if part:
                        found += self.tokens.get(part, ())
            found += self._place(token)
            if len(parts) > 1 and "." in token:  # "10.0.0.5:8080", "arn:...:10.0.0.5"
                for part in parts:
                    found += self._place(part)
        return found

    def _place(self, token: str) -> list[Res]:
        """The subnet (else the VPC) an address or CIDR lies in."""
        if not any(c.isdigit() for c in token) or not ("." in token or ":" in token):
            return []
        net = _network(token, strict=False)
        if net is None:
            return []
        for is_vpc in (False, True):
            best: Res | None = None
            for (vpc_key, version, length), nets in self.nets.items():
                if vpc_key != is_vpc or version != net.version or length > net.prefixlen:
                    continue
                hit = nets.get(net.supernet(new_prefix=length))
                if hit is not None:
                    best = hit
                    break
            if best is not None:
                return [best]
        return []


def _network(value: Any, strict: bool = True) -> Network | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=strict)
    except ValueError:
        return None


def references(index: Index, values: Values, res: Res) -> list[Reference]:
    """What ``res`` names: by property dependency, and by value (see the module docstring)."""
    out: list[Reference] = []
    seen: set[tuple[str, str]] = set()

    def add(key: str, target: Res, how: str) -> None:
        if target is not res and (key, target.urn) not in seen:
            seen.add((key, target.urn))
            out.append(Reference(key, target, how))

    for key, urns in res.property_dependencies.items():
        for urn in urns:
            target = index.by_urn.get(urn)
            if target is not None:
                add(key, target, "dependency")
    for props in (res.props, res.stored):
        for key, value in props.items():
            if key.startswith("__"):
                continue
            for text in _strings(value):
                for target in values.of_string(text):
                    add(key, target, "value")
    return out


# ---------------------------------------------------------------------------------------------
# 3. Unknown resources, and what they reach through inert ones


def classify(index: Index, components: frozenset[str],
             declared_inert: frozenset[str]) -> dict[str, Entry]:
    """URN -> class entry (``components``: the URNs without a provider)."""
    return {r.urn: class_of(r.type, custom=r.urn not in components,
                            declared_inert=declared_inert) for r in index}


def findings(model: NetworkModel, classes: Mapping[str, Entry]) -> list[Finding]:
    ix = model.index
    unknown = [r for r in ix if classes[r.urn].cls is Class.UNKNOWN]
    if not unknown:
        return []
    prot = why_protected(model)
    passers = {u for u, e in classes.items() if e.cls is Class.INERT
               and not ix.by_urn[u].type.startswith("pulumi:")}
    values = Values(ix, [r for r in ix if r.urn in prot or r.urn in passers])
    refs: dict[str, list[Reference]] = {}
    # The inert resources the unknown ones reach, through inert resources only.
    queue = list(unknown)
    reached: list[Res] = []
    while queue:
        res = queue.pop()
        if res.urn in refs:
            continue
        refs[res.urn] = references(ix, values, res)
        for ref in refs[res.urn]:
            t = ref.target
            if t.urn in passers and t.urn not in refs:
                reached.append(t)
                queue.append(t)
    # Which of them lead to something protected (backwards from the protected ones).
    leads: dict[str, Res] = {}
    back: dict[str, list[Res]] = {}
    todo: list[Res] = []
    # A component holds what it is the ancestor of (its outputs may be unknown in a preview,
    # without property dependencies: the engine records none for registered outputs).
    holds = _ancestors(ix, prot, {r.urn for r in reached})
    for res in reached:
        if res.urn in holds and res.urn not in leads:
            leads[res.urn] = holds[res.urn]
            todo.append(res)
        for ref in refs[res.urn]:
            if ref.target.urn in prot and res.urn not in leads:
                leads[res.urn] = ref.target
                todo.append(res)
            elif ref.target.urn in passers:
                back.setdefault(ref.target.urn, []).append(res)
    while todo:
        res = todo.pop()
        for prev in back.get(res.urn, ()):
            if prev.urn not in leads:
                leads[prev.urn] = leads[res.urn]
                todo.append(prev)
    out: list[Finding] = []
    for res in unknown:
        f = Finding(res)
        for ref in refs[res.urn]:
            if ref.target.urn in prot:
                f.direct.append(ref)
            elif ref.target.urn in leads:
                f.via.append((ref, leads[ref.target.urn]))
        if f.direct or f.via:
            out.append(f)
    return out


def _ancestors(ix: Index, prot: Mapping[str, str], wanted: set[str]) -> dict[str, Res]:
    """Ancestor URN (among ``wanted``) -> a protected resource it is the parent of, however
    deep. Each parent chain is walked once (a chain already seen stops the walk)."""
    out: dict[str, Res] = {}
    if not wanted:
        return out
    seen: set[str] = set()
    for urn in prot:
        res = ix.by_urn.get(urn)
        if res is None:
            continue
        parent = res.parent
        while parent and parent not in seen:
            seen.add(parent)
            if parent in wanted:
                out[parent] = res
            holder = ix.by_urn.get(parent)
            parent = holder.parent if holder is not None else ""
    return out


def why_protected(model: NetworkModel) -> dict[str, str]:
    """The reasons of :func:`protected`, memoized per stack (messages name them)."""
    result: dict[str, str] = model.index.memo("protected", lambda: protected(model))
    return result


__all__ = ["Finding", "Reference", "Values", "classify", "describe", "findings", "protected",
           "references", "why_protected"]
