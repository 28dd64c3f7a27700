"""The model: the stages built in the order of the flow, and the questions asked of it.

``NetworkModel(records)`` builds, once per analysis:

1. places (:class:`.places.Places`: subnets, VPC networks) and filters
   (:class:`.filters.Filters`: security group rules by group, NACLs by subnet);
2. routes and gateways (:class:`.routes.Routing`, then ``GATEWAY_CLASSIFIERS`` over every
   route);
3. holders of interfaces (:class:`.holders.Holders`: interfaces and their addresses);
4. forwarders (:func:`.forwarders.build_forwarders`: load balancers and what stands behind
   them, :mod:`.targets`; then the front doors, :mod:`.doors`);

and answers the queries (:mod:`.queries`, :mod:`.graph`) from those maps. Each stage reads only
the stages before it; the methods below are the stable API the policies, the review and the
diagram use (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._net import Rule
from ..mirrors import Undeclared
from ..records import Index, Network, Record, Res
from . import doors as _doors  # noqa: F401  (registers the front doors in FORWARDER_BUILDERS)
from . import graph, queries
from .filters import Filters
from .forwarders import build_forwarders
from .gateways import GATEWAY_TYPES
from .holders import Holders
from .nodes import (
    Admission,
    Edge,
    Egress,
    Exposure,
    Forwarder,
    Interface,
    Node,
    Reason,
    Route,
    Subnet,
    Table,
    TableChoice,
)
from .places import Places
from .routes import Routing


class NetworkModel:
    """See the package docstring."""

    def __init__(self, records: Iterable[Record] | Index) -> None:
        self.index = records if isinstance(records, Index) else Index(records)
        ix = self.index
        # 1. places and filters
        self.filters = Filters(ix)
        self.places = Places(ix)
        # 2. routes and gateways (classifiers may ask the model about places and routes)
        self.routing = Routing(ix, self.places)
        self.routing.reclassify(self)
        self.gateways: list[Res] = ix.of_type(*GATEWAY_TYPES)
        # 3. holders of interfaces
        self.holders = Holders(ix, self.places, self.filters)
        # 4. forwarders
        self.load_balancers: list[Forwarder] = []
        build_forwarders(self)

    # ----------------------------------------------------------------- places and filters
    @property
    def subnets(self) -> dict[str, Subnet]:
        return self.places.subnets

    def vpc_networks(self, vpc: Res | None) -> list[Network]:
        return self.places.vpc_networks(vpc)

    def subnet_of(self, res: Res, key: str = "subnetId", value: Any = None,
                  use_value: bool = False) -> tuple[Subnet | None, bool]:
        return self.places.subnet_of(res, key, value, use_value)

    def local_networks(self, iface: Interface) -> list[Network]:
        return self.vpc_networks(iface.subnet.vpc if iface.subnet else None)

    @property
    def rules(self) -> list[Rule]:
        return self.filters.rules

    @property
    def unplaced_rules(self) -> list[Rule]:
        return self.filters.unplaced_rules

    def ingress_rules(self, group: Res) -> list[Rule]:
        return self.filters.ingress_rules(group)

    def nacl_admits(self, subnet: Subnet | None, source: Network | None, proto: str,
                    ports: tuple[int, int] | None) -> bool:
        return self.filters.nacl_admits(subnet, source, proto, ports)

    # ----------------------------------------------------------------- routes and gateways
    def route_tables_of(self, subnet: Subnet | Res) -> TableChoice:
        return self.routing.route_tables_of(subnet)

    def routes_of(self, table: Table | Res) -> list[Route]:
        return self.routing.routes_of(table)

    # ----------------------------------------------------------------- holders
    @property
    def interfaces(self) -> list[Interface]:
        return self.holders.interfaces

    @property
    def public_ip_problems(self) -> list[Reason]:
        return self.holders.public_ip_problems

    def interface_of(self, res: Res) -> list[Interface]:
        return self.holders.interface_of(res)

    # ----------------------------------------------------------------- queries
    def internet_ingress(self, iface: Interface) -> list[Exposure]:
        return queries.internet_ingress(self, iface)

    def admissions(self, iface: Interface, port: int, protocol: str = "tcp") -> list[Admission]:
        return queries.admissions(self, iface, port, protocol)

    def egress(self, iface: Interface) -> Egress:
        return queries.egress(self, iface)

    @property
    def undeclared(self) -> list[Undeclared]:
        """Stored routes, NACL entries, addresses and groups the program does not declare."""
        return [*self.routing.undeclared, *self.filters.undeclared, *self.holders.undeclared]

    def servers(self) -> dict[str, list[Interface]]:
        return queries.servers(self)

    def nodes(self) -> list[Node]:
        return graph.nodes(self)

    def edges(self) -> list[Edge]:
        return graph.edges(self)
