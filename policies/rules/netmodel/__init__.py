"""The network model of the planned stack: who on the internet reaches what, and how out.

Pure Python, no Pulumi imports: the policy pack feeds it through ``_wire.Stack`` and the offline
review through ``review.reachability``; both hand it the same plain records
(:class:`~..records.Record`: type token, URN, name, plain props with :data:`~..records.UNKNOWN`,
property dependencies, parent). Built once per analysis; every query is a lookup in maps built
at construction, so the model grows linearly with the stack.

What "reachable" means follows AWS Reachability Analyzer and Tiros (Bayless et al., CAV 2019):
a path from the internet to a network interface on a port needs

* a public address -- a public IPv4 (subnet auto-assign, ``associatePublicIpAddress``, an EIP
  by any path: ``instance``, ``networkInterface`` including an instance's
  ``primaryNetworkInterfaceId``, ``EipAssociation``), or an IPv6 address -- **and** a route from
  the interface's subnet to an internet gateway covering the source (the subnet's explicit
  table, else its VPC's main table, including routes added through ``vpc.mainRouteTableId`` /
  ``defaultRouteTableId`` and a ``DefaultRouteTable``), **and** security-group admission
  (stateful, so replies need no rule), **and** NACL permission when NACLs are declared;
* or a forwarder: an internet-facing load balancer (a listener admitted by the balancer's
  security groups; an NLB without groups admits everything) forwarding to a target group whose
  targets (every target link of ``targets.TARGET_LINKS``) admit the target port from the
  balancer; or a front door (``doors.DOORS``: API Gateway, CloudFront VPC origins, Global
  Accelerator, Client VPN) handing the internet to a balancer (chained through its listeners)
  or to an interface.

Unknowns (a preview) follow the preview principle: an unknown with no property dependency is a
computed value nobody declared, and counts as absent (or as its AWS default); a declared value
that is unknown and decides a path makes the path *uncertain*: it is reported with the value
named (``Exposure.uncertain``), and the policies fail closed on it.

Layout: one module per stage, in the order of the flow; each imports only the stages before it.

======================  ========================================================================
``common``              address space, reference tables, ``describe``, ``rule_span``
``nodes``               the vocabulary: Subnet, Interface, Reason, Route, Gateway, Table,
                        Forwarder, Listener, Target, and the answers Exposure, Egress/Way
``places``              stage 1: subnets and VPC networks
``filters``             stage 1: security group rules by group, NACLs by subnet
``holder_table``        stage 2: ``HOLDERS``, one entry per type that places interfaces
``addresses``           stage 2: why an interface has a public IPv4 / IPv6 address
``holders``             stage 2: interfaces from the table, ENI links, EIPs, launchers
``gateways``            stage 3: what a route target is (tables) and ``GATEWAY_CLASSIFIERS``
``routes``              stage 3: route tables, routes (prefix lists by their entries), ``leads_out``
``nat_instances``       stage 3 extension (issue 9): a NAT instance's interface as a gateway
``targets``             stage 4: what stands behind each balancer, ``TARGET_LINKS``
``forwarders``          stage 4: load balancers, ``chain``, ``FORWARDER_BUILDERS``
``doors``               stage 4: front doors (API Gateway, CloudFront, Global Accelerator,
                        Client VPN), ``DOORS``
``queries``             stage 5: ``internet_ingress``, ``egress``, ``servers``
``graph``               the graph for the diagram
``model``               ``NetworkModel``: builds the stages in order and answers the queries
======================  ========================================================================

Public API (stable; ``net-model:`` commit)::

    model = NetworkModel(records)             # Iterable[Record] or an Index / _wire.Stack
    model = model_of(index)                   # the same, built once per Index
    model.interfaces                          # list[Interface]
    model.interface_of(res)                   # Interfaces a resource (instance, ENI, ASG) owns
    model.internet_ingress(iface)             # list[Exposure]: who on the internet, how, ports
    model.admissions(iface, port)             # list[Admission]: what its rules admit, live or not
    model.egress(iface)                       # Egress(ipv4=..., ipv6=...), with the route used
    model.subnets / model.gateways / model.load_balancers   # nodes (every forwarder), diagrams
    model.route_tables_of(subnet)             # TableChoice: the table(s) governing a subnet
    model.routes_of(table)                    # list[Route]
    model.nodes(), model.edges()              # the graph, for the diagram (issue 10)
    model.public_ip_problems                  # public addresses whose holder is undeterminable
    model.servers()                           # {logical name: [Interface]}
    model.undeclared                          # stored routes/NACL entries nobody declares

Extension points (NAT instances, EC2 Instance Connect Endpoints, SSM endpoints):
``HOLDERS`` (a type that places interfaces in subnets with groups and public-address flags:
one entry; ``HOLDER_TYPES`` names them), ``GATEWAY_CLASSIFIERS`` (reclassify a route target:
e.g. an instance with ``sourceDestCheck = false`` as ``"nat-instance"``), ``EGRESS_LABEL``
(what a gateway kind means for the way out; ``INTERNET_KINDS`` / ``PRIVATE_NETWORK_KINDS``:
where a route leads), ``TARGET_LINKS`` (a way to put interfaces behind a balancer: one row),
``DOORS`` (a service that hands the internet to a balancer or an interface: one entry),
``FORWARDER_BUILDERS`` (anything else that takes traffic from the internet and hands it to
interfaces).
"""

from __future__ import annotations

from ..records import Index, Record
from .common import ALL_PORTS, describe, is_internet, rule_span
from .doors import DOORS
from .forwarders import FORWARDER_BUILDERS
from .gateways import EGRESS_LABEL, GATEWAY_CLASSIFIERS, INTERNET_KINDS, PRIVATE_NETWORK_KINDS
from .holder_table import HOLDER_TYPES, HOLDERS
from .model import NetworkModel
from .nat_instances import NAT_ROLE, nat_instance_gateway
from .nodes import (
    Admission,
    Edge,
    Egress,
    Exposure,
    Forwarder,
    Gateway,
    Interface,
    Listener,
    Node,
    PrefixList,
    Reason,
    Route,
    Subnet,
    Table,
    TableChoice,
    Target,
    Way,
)
from .queries import server_name
from .routes import leads_out
from .targets import TARGET_LINKS


def model_of(index: Index) -> NetworkModel:
    """The stack's network model, built once per stack (the policies share it)."""
    model: NetworkModel = index.memo("network_model", lambda: NetworkModel(index))
    return model


__all__ = [
    "ALL_PORTS",
    "DOORS",
    "EGRESS_LABEL",
    "FORWARDER_BUILDERS",
    "GATEWAY_CLASSIFIERS",
    "HOLDERS",
    "HOLDER_TYPES",
    "INTERNET_KINDS",
    "NAT_ROLE",
    "PRIVATE_NETWORK_KINDS",
    "TARGET_LINKS",
    "Admission",
    "Edge",
    "Egress",
    "Exposure",
    "Forwarder",
    "Gateway",
    "Interface",
    "Listener",
    "NetworkModel",
    "Node",
    "PrefixList",
    "Reason",
    "Record",
    "Route",
    "Subnet",
    "Table",
    "TableChoice",
    "Target",
    "Way",
    "describe",
    "is_internet",
    "leads_out",
    "model_of",
    "nat_instance_gateway",
    "rule_span",
    "server_name",
]
