"""Stage 3, routes: the tables that govern each subnet and the routes in them, in every form.

Routes: a table's inline ``routes``, ``aws.ec2.Route`` resources (by ``routeTableId``; an
undeterminable table keeps them under ``"?"``), gateway endpoints' prefix-list routes
(``VpcEndpointRouteTableAssociation`` and ``routeTableIds``), a VPN gateway's propagated routes
(``VpnGatewayRoutePropagation`` and ``propagatingVgws``: any destination its connections
advertise), and a ``DefaultRouteTable``'s routes, which are also its VPC's main table's. A
destination prefix list of the stack is judged by its entries. Tables of a subnet: its explicit
``RouteTableAssociation``, else its VPC's main table (``MainRouteTableAssociation`` and,
adversarially, the VPC's own main table too). Each route's target is a gateway
(:func:`.gateways.classify`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from .._net import MANAGED_PREFIX_LIST, managed_prefix_list_networks
from ..mirrors import ROUTE_RESOURCE_DESTINATIONS, Undeclared, route_key
from ..records import (
    DEFAULT_ROUTE_TABLE,
    MAIN_RT_ASSOCIATION,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOCIATION,
    SUBNET,
    UNKNOWN,
    VGW_ROUTE_PROPAGATION,
    VPC,
    VPC_ENDPOINT,
    VPC_ENDPOINT_RT,
    VPN_GATEWAY,
    Index,
    Network,
    Res,
    ids,
    is_unknown,
    parse_cidr,
)
from .common import RT_TARGETS, describe, is_internet, overlaps
from .gateways import GATEWAY_CLASSIFIERS, classify
from .nodes import Gateway, PrefixList, Route, Subnet, Table, TableChoice
from .places import Places

if TYPE_CHECKING:
    from .model import NetworkModel

_TARGET_WORDS: Final = ("gatewayId", "natGatewayId", "egressOnlyGatewayId", "vpcEndpointId",
                        "vpcPeeringConnectionId", "transitGatewayId", "networkInterfaceId",
                        "carrierGatewayId", "localGatewayId", "coreNetworkArn")


class Routing:
    """Routes by table (a VPC's URN stands for its main table) and tables by subnet."""

    def __init__(self, index: Index, places: Places) -> None:
        self.index = index
        self.places = places
        self._tables_cache: dict[str, TableChoice] = {}
        self._routes: dict[str, list[Route]] = {}
        self._index_routes()

    # ----------------------------------------------------------------- routes
    def _index_routes(self) -> None:
        ix = self.index
        # Destinations the Route resources hold, by table: a table's stored copy of one of
        # them is that route (AWS keys a table's routes by destination, see ..mirrors).
        held: dict[str, set[str]] = {}
        for r in ix.of_type(ROUTE):
            dest = route_key(r.props, ROUTE_RESOURCE_DESTINATIONS)
            for t in ix.ref(r, "routeTableId", RT_TARGETS).targets:
                if dest is not None:
                    held.setdefault(t.urn, set()).add(dest)
        self.undeclared: list[Undeclared] = []  # stored routes nobody declares (inputs seen)
        for table in ix.of_type(ROUTE_TABLE, DEFAULT_ROUTE_TABLE):
            self._routes.setdefault(table.urn, []).extend(
                self._inline_routes(table, held.get(table.urn, set())))
        for r in ix.of_type(ROUTE):
            ref = ix.ref(r, "routeTableId", RT_TARGETS)
            gw = classify(ix, r, r.props, nested=False)
            dests = self._destinations(r, r.props, "destinationPrefixListId", (
                "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"))
            for t in ref.targets:
                route = Route(r, f"route {r.label}", dests or [UNKNOWN], gw)
                self._routes.setdefault(t.urn, []).append(route)
            if ref.unknown:
                self._routes.setdefault("?", []).append(
                    Route(r, f"route {r.label}", dests or [UNKNOWN], gw)
                )
        # Gateway endpoints add prefix-list routes to the tables they name.
        for assoc in ix.of_type(VPC_ENDPOINT_RT):
            eps = ix.ref(assoc, "vpcEndpointId", ids(VPC_ENDPOINT)).targets
            for t in ix.ref(assoc, "routeTableId", RT_TARGETS).targets:
                self._routes.setdefault(t.urn, []).append(
                    Route(assoc, f"endpoint route {assoc.label}", ["(service prefix list)"],
                          Gateway("vpce", eps[0] if eps else None, "a VPC gateway endpoint"))
                )
        for ep in ix.of_type(VPC_ENDPOINT):
            for t in ix.ref(ep, "routeTableIds", RT_TARGETS).targets:
                self._routes.setdefault(t.urn, []).append(
                    Route(ep, f"endpoint {ep.label}", ["(service prefix list)"],
                          Gateway("vpce", ep, f"VPC endpoint {ep.label}"))
                )
        # A VPN gateway propagates into a table whatever routes its connections learn (BGP):
        # any destination, to the VPN gateway (VpnGatewayRoutePropagation, propagatingVgws).
        for prop in ix.of_type(VGW_ROUTE_PROPAGATION):
            for t in ix.ref(prop, "routeTableId", RT_TARGETS).targets:
                self._routes.setdefault(t.urn, []).extend(
                    self._propagated(prop, "vpnGatewayId", None))
        for table in ix.of_type(ROUTE_TABLE, DEFAULT_ROUTE_TABLE):
            vgws = table.get("propagatingVgws")
            if vgws not in (None, []) and table.declared("propagatingVgws"):
                for value in vgws if isinstance(vgws, list) else [vgws]:
                    self._routes.setdefault(table.urn, []).extend(
                        self._propagated(table, "propagatingVgws", value))
        # A DefaultRouteTable adopts its VPC's default (= main at creation) table.
        for table in ix.of_type(DEFAULT_ROUTE_TABLE):
            for vpc in ix.ref(table, "defaultRouteTableId", {VPC: "defaultRouteTableId"}).targets:
                self._routes.setdefault(vpc.urn, []).extend(self._routes.get(table.urn, []))

    def reclassify(self, model: NetworkModel) -> None:
        """Run ``GATEWAY_CLASSIFIERS`` over every route once all are indexed: a classifier may ask
        about other tables' routes (a NAT instance's subnet must route to the IGW), which
        must not depend on the order the resources arrive in (the CLI shuffles it)."""
        if not GATEWAY_CLASSIFIERS:
            return
        seen: set[int] = set()
        for routes in list(self._routes.values()):
            for route in routes:
                if id(route) in seen:
                    continue
                seen.add(id(route))
                for c in GATEWAY_CLASSIFIERS:
                    route.gateway = c(model, route.gateway) or route.gateway

    def _inline_routes(self, table: Res, held: set[str]) -> list[Route]:
        """The table's inline routes: as the program declares them (its inputs were seen; a
        stored route neither declared nor held by a Route resource is ``undeclared``), else
        the stored routes but those a Route resource of the stack holds."""
        out: list[Route] = []
        inline = table.get("routes")
        if table.inputs_seen:
            self._note_undeclared(table, inline, held)
        if is_unknown(inline):
            if table.declared("routes"):
                out.append(Route(table, f"route table {table.label} (inline routes)", [UNKNOWN],
                                 Gateway("unknown", None, "targets unknown during preview")))
            return out  # undeclared: computed from the Route resources we see
        for i, entry in enumerate(inline if isinstance(inline, list) else [], start=1):
            where = f"route table {table.label} (inline route #{i})"
            if not isinstance(entry, dict):
                out.append(Route(table, where, [UNKNOWN],
                                 Gateway("unknown", None, "a target unknown during preview")))
                continue
            if not table.inputs_seen and route_key(entry) in held:
                continue  # the stored copy of a Route resource, judged as that resource
            dests = self._destinations(table, entry, "routes", (
                "cidrBlock", "ipv6CidrBlock", "destinationPrefixListId"))
            out.append(Route(table, where, dests or [UNKNOWN],
                             classify(self.index, table, entry, nested=True)))
        return out

    def _propagated(self, holder: Res, key: str, value: Any) -> list[Route]:
        ref = self.index.ref(holder, key, ids(VPN_GATEWAY), value, use_value=value is not None)
        gws = [Gateway("vgw", t, f"VPN gateway {t.label}") for t in ref.targets]
        gws += [Gateway("vgw", None, f"VPN gateway {e} (outside this stack)")
                for e in ref.external]
        if ref.unknown:
            gws.append(Gateway("vgw", None, "a VPN gateway unknown during preview"))
        learned = PrefixList("any route its VPN connections advertise", None)
        return [Route(holder, f"routes propagated by {describe(holder)}", [learned], gw)
                for gw in gws]

    def _destinations(self, holder: Res, entry: Mapping[str, Any], pl_key: str,
                      fields: tuple[str, ...]) -> list[Any]:
        """A route's destinations as written; a prefix list of this stack whose entries are all
        known becomes a :class:`~.nodes.PrefixList` of them (``pl_key``: the property holding
        its id, for the property dependencies in a preview)."""
        out: list[Any] = []
        for f in fields:
            value = entry.get(f)
            if value in (None, ""):
                continue
            if f == "destinationPrefixListId":
                nets = managed_prefix_list_networks(self.index, holder, pl_key, value)
                if nets is not None:
                    mpl = self.index.ref(holder, pl_key, ids(MANAGED_PREFIX_LIST), value,
                                         use_value=True).targets[0]
                    value = PrefixList(f"prefix list {mpl.label}", tuple(nets))
                elif isinstance(value, str):
                    value = PrefixList(f"prefix list {value}", None)
            out.append(value)
        return out

    def _note_undeclared(self, table: Res, declared: Any, held: set[str]) -> None:
        stored = table.stored.get("routes")
        if not isinstance(stored, list) or not isinstance(declared, list | type(None)):
            return
        known = set(held)
        for entry in declared or []:
            key = route_key(entry) if isinstance(entry, dict) else None
            if key is None:
                return  # a declared destination unknown during preview: nothing to compare
            known.add(key)
        for entry in stored:
            key = route_key(entry) if isinstance(entry, dict) else None
            if key is not None and key not in known:
                known.add(key)
                target = next((f"{f} {entry[f]}" for f in _TARGET_WORDS
                               if isinstance(entry.get(f), str) and entry[f]), "a target")
                self.undeclared.append(Undeclared(table, "routes", f"{key} to {target}"))

    def routes_of(self, table: Table | Res) -> list[Route]:
        res = table.res if isinstance(table, Table) else table
        return self._routes.get(res.urn, [])

    # ----------------------------------------------------------------- tables
    def route_tables_of(self, subnet: Subnet | Res) -> TableChoice:
        """The table(s) governing a subnet: its explicit association, else its VPC's main."""
        s = subnet.res if isinstance(subnet, Subnet) else subnet
        cached = self._tables_cache.get(s.urn)
        if cached is not None:
            return cached
        if not self._tables_cache:
            self._index_associations()
            cached = self._tables_cache.get(s.urn)
            if cached is not None:
                return cached
        sn = self.places.subnets.get(s.urn)
        vpc = sn.vpc if sn else None
        choice = TableChoice(self._main_tables(vpc), [], [])
        self._tables_cache[s.urn] = choice
        return choice

    def _index_associations(self) -> None:
        self._tables_cache["?"] = TableChoice([], [], [])
        for assoc in self.index.of_type(RT_ASSOCIATION):
            subnets = self.index.ref(assoc, "subnetId", ids(SUBNET)).targets
            ref = self.index.ref(assoc, "routeTableId", RT_TARGETS)
            for s in subnets:
                choice = self._tables_cache.setdefault(s.urn, TableChoice([], [], []))
                choice.explicit.append(assoc)
                for t in ref.targets:
                    choice.tables.append(_table(t))
                if not ref.targets:
                    choice.unknown.append(assoc)

    def _main_tables(self, vpc: Res | None) -> list[Table]:
        if vpc is None:
            return []
        tables = [
            _table(t)
            for a in self.index.of_type(MAIN_RT_ASSOCIATION)
            if vpc in self.index.ref(a, "vpcId", ids(VPC)).targets
            for t in self.index.ref(a, "routeTableId", RT_TARGETS).targets
        ]
        # Adversarial: the VPC's own main table (routes added through mainRouteTableId) counts
        # too, as it does until the association is made.
        return [*tables, _table(vpc)]


def _table(res: Res) -> Table:
    if res.type == VPC:
        return Table(res, f"the main route table of VPC {res.label}", main_of=res)
    return Table(res, f"route table {res.label}")


# ---------------------------------------------------------------------------------------------
# Where a route leads


def _networks(d: Any) -> list[Network] | None:
    """The networks a destination names: a CIDR, or a resolved prefix list's entries; None for
    a prefix list that may hold any address, or for a text that names none."""
    if isinstance(d, PrefixList):
        return list(d.networks) if d.networks is not None else None
    net = parse_cidr(d)
    return [net] if net is not None else None


def leads_out(route: Route, version: int, local: Sequence[Network]) -> bool:
    """The route may carry traffic of IP ``version`` outside private space and the VPC: a
    destination outside them, an unknown one, or a prefix list other than an endpoint's whose
    entries are not all known (a prefix list of this stack is judged by its entries). Whether
    that is the internet is the gateway's to say (``gateways.INTERNET_KINDS``...)."""
    for d in route.destinations:
        if is_unknown(d) or (isinstance(d, PrefixList) and d.networks is None):
            return route.kind != "vpce"
        nets = _networks(d)
        if nets is None:  # an endpoint's "(service prefix list)"
            continue
        if any(n.version == version and is_internet(n, local) for n in nets):
            return True
    return False


def route_covers(route: Route, source: Network | None, v6: bool) -> bool:
    """The route's destinations may include ``source`` (any address of it) for its version."""
    for d in route.destinations:
        if is_unknown(d) or (isinstance(d, PrefixList) and d.networks is None):
            return True
        for net in _networks(d) or []:
            if (net.version == 6) != v6:
                continue
            if source is None or overlaps(net, source):
                return True
    return False
