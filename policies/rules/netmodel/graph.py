"""The model as a graph, for the diagram (issue 10): nodes (the internet, gateways, subnets,
interfaces, forwarders) and edges (routes, placement, public addresses, listeners, forwards)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..records import NAT_GATEWAY
from .common import describe
from .gateways import KIND_OF_TYPE
from .nodes import Edge, Node

if TYPE_CHECKING:
    from .model import NetworkModel


def nodes(model: NetworkModel) -> list[Node]:
    out = [Node("internet", "internet", "the internet")]
    for g in model.gateways:
        kind = KIND_OF_TYPE.get(g.type, "other")
        out.append(Node(g.urn, kind, describe(g), g))
    for s in model.subnets.values():
        out.append(Node(s.res.urn, "subnet", describe(s.res), s.res))
    for i in model.interfaces:
        out.append(Node(i.key, "interface", i.label, i.owner))
    seen: set[str] = set()
    for f in model.load_balancers:
        if f.res.urn not in seen:
            seen.add(f.res.urn)
            out.append(Node(f.res.urn, f.kind, describe(f.res), f.res))
    return out


def edges(model: NetworkModel) -> list[Edge]:
    out: list[Edge] = []
    for s in model.subnets.values():
        for table in model.route_tables_of(s).tables:
            for route in model.routes_of(table):
                dst = route.gateway.res.urn if route.gateway.res is not None else (
                    f"{route.gateway.kind}:external")
                out.append(Edge(s.res.urn, dst, "route",
                                ", ".join(str(d) for d in route.destinations)))
    for i in model.interfaces:
        if i.subnet is not None:
            out.append(Edge(i.key, i.subnet.res.urn, "in-subnet", ""))
        for e in model.internet_ingress(i):
            src = "internet" if e.kind == "direct" else e.path[1].urn
            out.append(Edge(src, i.key, "public-address" if e.kind == "direct" else
                            "forward", f"{e.ports_text} from {', '.join(e.sources)}"))
    for g in model.gateways:
        kind = KIND_OF_TYPE.get(g.type, "other")
        if g.type == NAT_GATEWAY:
            subnet, _ = model.subnet_of(g)
            if subnet is not None:
                out.append(Edge(g.urn, subnet.res.urn, "in-subnet", ""))
            conn = g.get("connectivityType")
            if isinstance(conn, str) and conn == "private":
                continue
        if kind in ("igw", "eigw", "nat"):
            out.append(Edge(g.urn, "internet", "egress",
                            "outbound only" if kind != "igw" else "both ways"))
    for f in model.load_balancers:
        for s in f.subnets:
            out.append(Edge(f.res.urn, s.res.urn, "in-subnet", ""))
        if f.internet_facing is not False:
            for listener in f.listeners:
                out.append(Edge("internet", f.res.urn, "listener",
                                f"{listener.protocol} {listener.port}"))
    return out
