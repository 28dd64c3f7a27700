"""Stage 5, queries: the questions the policies ask of the model.

* :func:`internet_ingress` -- who on the internet reaches an interface, on what, and how:
  directly (a public address + a route to an internet gateway covering the source + security
  group admission + NACL permission) or through a forwarder (an internet-facing listener whose
  targets admit the target port from it);
* :func:`egress` -- an interface's way out to ``0.0.0.0/0`` and ``::/0``;
* :func:`servers` -- instance interfaces by the server's logical name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from .._net import Rule
from ..records import STACK_TYPE, Index, Network, Res, is_unknown, parse_cidr
from .common import bare, describe, is_internet, overlaps, rule_sources, rule_span
from .forwarders import KIND_WORDS, forwarder_sources
from .gateways import EGRESS_LABEL, SEVERITY
from .nodes import Admission, Egress, Exposure, Forwarder, Interface, Listener, Route, Target, Way
from .routes import leads_out, route_covers

if TYPE_CHECKING:
    from .model import NetworkModel


def _igw_routes(model: NetworkModel, iface: Interface, source: Network | None,
                v6: bool) -> tuple[list[Route], list[str]]:
    """Routes from the interface's subnet to an internet gateway that cover ``source``."""
    if iface.subnet is None:
        return [], ([f"the subnet of {iface.label}"] if iface.subnet_unknown else [])
    choice = model.route_tables_of(iface.subnet)
    found: list[Route] = []
    uncertain = [f"the route table of {describe(a)}" for a in choice.unknown]
    for table in choice.tables:
        for route in model.routes_of(table):
            if route.kind not in ("igw", "unknown"):
                continue
            if not route_covers(route, source, v6):
                continue
            found.append(route)
            if route.kind == "unknown":
                uncertain.append(f"the target of {route.where}")
    return found, uncertain


def internet_ingress(model: NetworkModel, iface: Interface) -> list[Exposure]:
    """Who on the internet reaches ``iface``, on what, and through what."""
    cached = getattr(iface, "_exposures", None)
    if cached is not None:
        return list(cached)
    out = _direct(model, iface)
    for fwd, listener, target in _behind(model).get(iface.key, []):
        out += _through(model, fwd, listener, target)
    iface._exposures = out  # type: ignore[attr-defined]
    return list(out)


def _behind(model: NetworkModel) -> dict[str, list[tuple[Forwarder, Listener, Target]]]:
    """interface key -> every (forwarder, listener, target) that hands traffic to it, built once
    per model so that asking every interface stays linear in the stack."""
    index = getattr(model, "_behind", None)
    if index is None:
        index = {}
        for fwd in model.load_balancers:
            if fwd.internet_facing is False:
                continue
            for listener in fwd.listeners:
                for target in listener.targets:
                    index.setdefault(target.iface.key, []).append((fwd, listener, target))
        model._behind = index  # type: ignore[attr-defined]
    return index


def _admitting(model: NetworkModel, iface: Interface) -> Iterator[tuple[Rule, Res]]:
    for g in iface.groups:
        for rule in model.ingress_rules(g):
            yield rule, g


def _direct(model: NetworkModel, iface: Interface) -> list[Exposure]:
    out: list[Exposure] = []
    local = model.local_networks(iface)
    addr = {4: iface.has_public_v4, 6: iface.has_ipv6}
    if addr[4] is False and addr[6] is False:
        return out
    for rule, group in _admitting(model, iface):
        proto, ports = rule_span(rule)
        for source, text, src_unknown in rule_sources(rule):
            versions = (4, 6) if source is None else (source.version,)
            for v in versions:
                if addr[v] is False:
                    continue
                if source is not None and not is_internet(source, local):
                    continue
                routes, r_unknown = _igw_routes(model, iface, source, v == 6)
                if not routes and not r_unknown:
                    continue
                if not model.nacl_admits(iface.subnet, source, proto, ports):
                    continue
                reasons = iface.public_v4 if v == 4 else iface.ipv6
                uncertain = list(r_unknown)
                if addr[v] is not True:
                    uncertain += [r.text for r in reasons if not r.certain]
                if src_unknown:
                    uncertain.append(f"{bare(text)} of {rule.where}")
                if ports is None or proto == "unknown":
                    uncertain.append(f"the protocol/ports of {rule.where}")
                via = ("public IPv4" if v == 4 else "IPv6 address") + " (" + "; ".join(
                    r.text for r in reasons) + ") + " + ", ".join(
                    sorted({r.gateway.text for r in routes})
                    or ["a route unknown during preview"])
                out.append(Exposure(
                    iface, proto, ports, [text], via, rule.owner,
                    [rule.owner, group, *[r.holder for r in routes],
                     *[r.res for r in reasons]],
                    uncertain))
    if iface.groups_unknown:
        # Groups that cannot be determined may admit anything: a path wherever an address and
        # a route to an internet gateway (or a route unknown) may carry it.
        for v in (4, 6):
            if addr[v] is False:
                continue
            routes, r_unknown = _igw_routes(model, iface, None, v == 6)
            if routes or r_unknown:
                out.append(Exposure(iface, "unknown", None, ["the internet (unknown groups)"],
                                    "its public address", iface.owner, [iface.owner],
                                    [*iface.groups_unknown, *r_unknown]))
                break
    return out


def _through(model: NetworkModel, fwd: Forwarder, listener: Listener,
             target: Target) -> list[Exposure]:
    sources, s_unknown = forwarder_sources(model, fwd, listener)
    if not sources:
        return []
    out: list[Exposure] = []
    for proto, span, passed, a_unknown in _admissions(model, fwd, target.iface,
                                                      listener.protocol, target.span, sources):
        uncertain = [*s_unknown, *a_unknown, *listener.uncertain, *target.uncertain]
        if is_unknown(fwd.internet_facing):
            uncertain.append(f"internal of {describe(fwd.res)}")
        out.append(Exposure(
            target.iface, proto, span, passed, _via(fwd, listener), listener.res,
            [listener.res, fwd.res, *target.path], list(dict.fromkeys(uncertain)),
            kind=fwd.exposure))
    return out


def _via(fwd: Forwarder, listener: Listener) -> str:
    words = fwd.words or KIND_WORDS.get(fwd.kind, "load balancer")
    lis = f" {describe(listener.res)}" if listener.res is not fwd.res else ""
    if listener.port is None:
        ports = ("all ports" if listener.protocol == "all" else
                 "port unknown" if fwd.kind in KIND_WORDS else "any port")
    elif listener.port_hi not in (None, listener.port):
        ports = f"ports {listener.port}-{listener.port_hi}"
    else:
        ports = f"port {listener.port}"
    behind = f" to {describe(fwd.behind)}" if fwd.behind is not None else ""
    return f"{words} {fwd.res.label}{lis} ({ports}){behind}"


def _admissions(model: NetworkModel, fwd: Forwarder, iface: Interface, proto: str,
                span: tuple[int, int] | None, sources: list[str]
                ) -> list[tuple[str, tuple[int, int] | None, list[str], list[str]]]:
    """Which of the forwarder's internet ``sources`` get through the target's groups, on which
    protocol and ports: ``[(protocol, ports, sources, unknowns)]``, one entry per protocol and
    port range the target's rules open within ``proto``/``span`` (``all``: any protocol; a
    None span: ports unknown). A rule naming one of the forwarder's groups (or, when those live
    outside the stack, any group outside it), a VPC-internal CIDR (the forwarder's nodes), a
    prefix list or an unknown source passes them all; an internet CIDR passes the part of them
    it covers when the forwarder may preserve client addresses, and nothing when it cannot."""
    found: dict[tuple[str, tuple[int, int] | None], tuple[list[str], list[str]]] = {}

    def add(p: str, sp: tuple[int, int] | None, passed: list[str], unk: list[str]) -> None:
        got = found.setdefault((p, sp), ([], []))
        got[0].extend(passed)
        got[1].extend(unk)

    if iface.groups_unknown:
        add(proto if proto != "all" else "unknown", span, list(sources),
            list(iface.groups_unknown))
    local = model.local_networks(iface)
    nets = {s: parse_cidr(s) for s in sources}
    for rule, _g in _admitting(model, iface):
        r_proto, ports = rule_span(rule)
        if proto == "all":
            e_proto = r_proto
        elif r_proto in (proto, "all", "unknown"):
            e_proto = proto
        else:
            continue
        unknown: list[str] = []
        if ports is None or span is None or r_proto == "unknown":
            unknown.append(f"the ports of {rule.where}")
            e_span = ports if span is None else span
        else:
            lo, hi = max(ports[0], span[0]), min(ports[1], span[1])
            if lo > hi:
                continue
            e_span = (lo, hi)
        src = rule.sources
        from_fwd = (any(g in fwd.groups for g in src.targets)
                    or (fwd.admits_all and bool(src.targets))
                    or (fwd.foreign_groups and bool(src.external))
                    or (bool(fwd.groups_unknown) and bool(src.targets or src.external)))
        if from_fwd or src.unknown:
            add(e_proto, e_span, list(sources), unknown)
            continue
        passed: list[str] = []
        for source, text, unk in rule_sources(rule):
            if source is None or not is_internet(source, local):
                passed += sources  # a prefix list, an unknown, or the forwarder's nodes
                if unk:
                    unknown.append(f"{bare(text)} of {rule.where}")
                continue
            if not fwd.client_addresses:
                continue  # the target sees the forwarder's addresses, never this CIDR
            for s, net in nets.items():
                if net is None:
                    passed.append(text)
                elif overlaps(net, source):
                    passed.append(str(source) if net.prefixlen <= source.prefixlen else s)
        if passed:
            add(e_proto, e_span, passed, unknown)
    return [(p, sp, list(dict.fromkeys(passed)), list(dict.fromkeys(unk)))
            for (p, sp), (passed, unk) in found.items() if passed]


def admissions(model: NetworkModel, iface: Interface, port: int,
               protocol: str = "tcp") -> list[Admission]:
    """Every CIDR-like source (CIDR, prefix list, unknown) the interface's groups admit on
    ``protocol``/``port``, whatever the addresses and routes: what the rules say. A route can
    come later; the rules are what a guard can hold to."""
    out: list[Admission] = []
    for rule, group in _admitting(model, iface):
        proto, ports = rule_span(rule)
        if proto not in (protocol, "all", "unknown"):
            continue
        if ports is not None and not ports[0] <= port <= ports[1]:
            continue
        for source, text, unknown in rule_sources(rule):
            out.append(Admission(rule, group, source, text,
                                 unknown or ports is None or proto == "unknown"))
    return out


def egress(model: NetworkModel, iface: Interface) -> Egress:
    """The interface's way out to 0.0.0.0/0 and to ::/0."""
    return Egress(_way(model, iface, 4), _way(model, iface, 6))


def _way(model: NetworkModel, iface: Interface, version: int) -> Way:
    if iface.subnet is None:
        return Way("unknown" if iface.subnet_unknown else "none", [],
                   [f"the subnet of {iface.label}"] if iface.subnet_unknown else [])
    choice = model.route_tables_of(iface.subnet)
    if choice.unknown:
        return Way("unknown", [], [f"the route table of {describe(a)}"
                                   for a in choice.unknown])
    best = Way("none", [])
    local = model.vpc_networks(iface.subnet.vpc)
    for table in choice.tables:
        for route in model.routes_of(table):
            if not leads_out(route, version, local):
                continue
            label = EGRESS_LABEL.get(route.kind, route.kind)
            if version == 4 and route.kind == "eigw":
                label = "none"
            if label == "igw":
                has = iface.has_public_v4 if version == 4 else iface.has_ipv6
                if has is False:
                    label = "none"  # AWS drops it: no public address to translate to
            if SEVERITY.get(label, 3) > SEVERITY.get(best.label, 3) or best.label == "none":
                if label != "none" or not best.routes:
                    best = Way(label, [route])
            elif label == best.label:
                best.routes.append(route)
    return best


# Interfaces that are not a server's: an unattached ENI, a managed service's (RDS, caches,
# endpoints: the holder table's kind "service").
_NOT_SERVERS: Final = frozenset({"eni", "service"})


def servers(model: NetworkModel) -> dict[str, list[Interface]]:
    """Server interfaces (instances, launched groups and fleets, tasks, functions) by the
    server's logical name: the instance's parent component's name when it has one (``web``,
    ``db``, ``bastion``), else the instance's own name."""
    out: dict[str, list[Interface]] = {}
    for iface in model.interfaces:
        inst = iface.instance or (iface.owner if iface.kind not in _NOT_SERVERS else None)
        if inst is None:
            continue
        out.setdefault(server_name(inst, model.index), []).append(iface)
    return out


def server_name(inst: Res, index: Index) -> str:
    """A server's logical name: its parent component's name, else the instance's own."""
    parent = index.by_urn.get(inst.parent) if inst.parent else None
    if parent is not None and parent.type != STACK_TYPE and not parent.type.startswith("aws:"):
        return parent.name
    return inst.name
