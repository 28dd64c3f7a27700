"""Stage 3, gateways: what a route sends its traffic to, and what that means for the way out.

A route target is classified by tables, not code paths: the target fields a route may carry
(``_TARGET_FIELDS``: field -> types it may name), the kind of each target type
(``KIND_OF_TYPE``), the kind a field implies when its value is outside the stack or unknown
(``_KIND_OF_FIELD``, ``_PREFIX_KIND`` by id prefix), and what each kind means for an
interface's way out (``EGRESS_LABEL``, ``SEVERITY``). ``GATEWAY_CLASSIFIERS`` reclassify a
target once every route is known (:mod:`.nat_instances` registers one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from ..records import (
    CARRIER_GATEWAY,
    EGRESS_ONLY_IGW,
    ENI,
    IGW,
    INSTANCE,
    NAT_GATEWAY,
    PEERING,
    SPOT_INSTANCE_REQUEST,
    TGW,
    TGW_ATTACHMENT,
    VPC_ENDPOINT,
    VPN_GATEWAY,
    Index,
    Res,
    Targets,
    is_unknown,
)
from .common import IFACE_REF, describe
from .nodes import Gateway

if TYPE_CHECKING:
    from .model import NetworkModel

# The types a route table's graph shows as gateways (model.gateways).
GATEWAY_TYPES: Final = (IGW, EGRESS_ONLY_IGW, NAT_GATEWAY, VPC_ENDPOINT, PEERING, TGW_ATTACHMENT,
                        TGW, VPN_GATEWAY, CARRIER_GATEWAY)

_TARGET_FIELDS: Final[tuple[tuple[str, Targets], ...]] = (
    ("gatewayId", {IGW: "id", VPN_GATEWAY: "id", VPC_ENDPOINT: "id"}),
    ("natGatewayId", {NAT_GATEWAY: "id"}),
    ("egressOnlyGatewayId", {EGRESS_ONLY_IGW: "id"}),
    ("vpcEndpointId", {VPC_ENDPOINT: "id"}),
    ("vpcPeeringConnectionId", {PEERING: "id"}),
    ("transitGatewayId", {TGW: "id"}),
    ("networkInterfaceId", IFACE_REF),
    ("instanceId", {INSTANCE: "id"}),
    ("carrierGatewayId", {CARRIER_GATEWAY: "id"}),
    ("localGatewayId", {}),
    ("coreNetworkArn", {}),
    ("odbNetworkArn", {}),
)
KIND_OF_TYPE: Final = {
    IGW: "igw", VPN_GATEWAY: "vgw", VPC_ENDPOINT: "vpce", EGRESS_ONLY_IGW: "eigw",
    PEERING: "peering", TGW: "tgw", ENI: "eni", INSTANCE: "instance",
    SPOT_INSTANCE_REQUEST: "instance", NAT_GATEWAY: "nat", CARRIER_GATEWAY: "cagw",
}
_KIND_OF_FIELD: Final = {
    "gatewayId": "unknown", "natGatewayId": "nat", "egressOnlyGatewayId": "eigw",
    "vpcEndpointId": "gwlbe", "vpcPeeringConnectionId": "peering", "transitGatewayId": "tgw",
    "networkInterfaceId": "eni", "instanceId": "instance", "carrierGatewayId": "cagw",
    "localGatewayId": "lgw", "coreNetworkArn": "cwan", "odbNetworkArn": "odb",
}
_PREFIX_KIND: Final = {"igw-": "igw", "vgw-": "vgw", "vpce-": "vpce", "nat-": "nat",
                       "eigw-": "eigw", "pcx-": "peering", "tgw-": "tgw", "eni-": "eni",
                       "cagw-": "cagw", "lgw-": "lgw", "local": "local"}
GW_WORDS: Final = {
    "igw": "internet gateway", "eigw": "egress-only internet gateway", "nat": "NAT gateway",
    "nat-private": "private NAT gateway", "vpce": "VPC endpoint", "peering": "peering connection",
    "tgw": "transit gateway", "vgw": "VPN gateway", "eni": "network interface",
    "instance": "instance", "cagw": "carrier gateway", "lgw": "local gateway",
    "cwan": "Cloud WAN core network", "odb": "ODB network",
    "gwlbe": "Gateway Load Balancer endpoint",
}
# A route's vpcEndpointId names a Gateway Load Balancer endpoint: EC2 CreateRoute takes a VPC
# endpoint there for those only ("Supported for Gateway Load Balancer endpoints only"). It
# hands the traffic to appliances that may send it anywhere: judged as a route to an appliance
# ENI is, possibly the internet for a destination outside private space ("other" below).
_FIELD_KIND: Final = {"vpcEndpointId": "gwlbe"}

# Where a route to each kind of target leads (issue 17 point 4), the way Reachability Analyzer
# follows a path hop by hop:
# * the internet (``INTERNET_KINDS``), whatever the destination: an internet gateway, a carrier
#   gateway (Wavelength: the carrier network and the internet, both ways), and any target the
#   model cannot resolve ("unknown");
# * possibly the internet, for a destination outside private space: a target that forwards the
#   traffic on to who knows where (an ENI or instance that is not a NAT instance, i.e. an
#   appliance; "other"), or a Gateway Load Balancer endpoint ("gwlbe", in front of appliances);
# * out through NAT: a NAT gateway (IPv4, and IPv6 to 64:ff9b::/96 as NAT64) or a NAT instance;
#   egress-only: an egress-only internet gateway (IPv6, outbound only);
# * a private network: a VPN gateway (on-premises over Site-to-Site VPN / Direct Connect), a
#   transit gateway, a peering connection, an Outposts local gateway (on-premises), a Cloud WAN
#   core network, an ODB network. Whatever lies beyond is another network's business; pack
#   config can mark these kinds as risky (``private-subnets-egress-via-nat.riskyRouteTargets``),
#   and then a route through them that leads outside private space is refused as before;
# * nowhere outside: local, a VPC endpoint, a private NAT gateway.
INTERNET_KINDS: Final = frozenset({"igw", "cagw", "unknown"})
PRIVATE_NETWORK_KINDS: Final = frozenset({"vgw", "tgw", "peering", "lgw", "cwan", "odb"})
# The config names of the private-network kinds (riskyRouteTargets).
RISKY_NAMES: Final = {
    "vpn-gateway": "vgw", "transit-gateway": "tgw", "peering": "peering",
    "local-gateway": "lgw", "core-network": "cwan", "odb-network": "odb",
}

# Reclassify a route target (issue 9: a NAT instance). Each takes (model, gateway) and returns a
# new Gateway or None.
GATEWAY_CLASSIFIERS: list[Callable[[NetworkModel, Gateway], Gateway | None]] = []

# What a gateway kind means for an interface's way out.
EGRESS_LABEL: dict[str, str] = {
    "igw": "igw",
    "cagw": "igw",
    "nat": "nat",
    "nat-instance": "nat",
    "eigw": "egress-only",
    "nat-private": "none",
    "local": "none",
    "vpce": "none",
    **dict.fromkeys(PRIVATE_NETWORK_KINDS, "private"),
}
# Severity when several routes lead out: the worst wins (a way out through NAT is reported
# over a route to a private network, which is not the internet).
SEVERITY: Final = {"igw": 5, "unknown": 4, "nat": 1, "egress-only": 1, "private": 0,
                   "none": 0}


def classify(index: Index, holder: Res, entry: dict[str, Any], *, nested: bool) -> Gateway:
    """What a route (resource or inline entry) sends its traffic to."""
    for f, types in _TARGET_FIELDS:
        value = entry.get(f)
        if value in (None, ""):
            continue
        key = "routes" if nested else f
        ref = index.ref(holder, key, types, value, use_value=True)
        if not nested and is_unknown(value) and not holder.property_dependencies.get(f):
            continue  # an undeclared computed target field
        gw: Gateway
        if ref.targets:
            t = ref.targets[0]
            kind = _FIELD_KIND.get(f) or KIND_OF_TYPE.get(t.type, "other")
            if t.type == NAT_GATEWAY:
                conn = t.get("connectivityType")
                kind = "nat-private" if isinstance(conn, str) and conn == "private" else "nat"
            gw = Gateway(kind, t, f"{GW_WORDS[kind]} {t.label}" if kind in GW_WORDS
                         else describe(t))
        elif ref.external:
            ext = ref.external[0]
            kind = _FIELD_KIND.get(f) or next(
                (k for p, k in _PREFIX_KIND.items() if ext.startswith(p)),
                _KIND_OF_FIELD[f] if f != "gatewayId" else "unknown")
            gw = Gateway(kind, None, f"{GW_WORDS.get(kind, f)} {ext} (outside this stack)")
        else:
            kind = _KIND_OF_FIELD[f]
            if f == "gatewayId":
                kind = "unknown"
            gw = Gateway(kind, None,
                         f"{f} unknown during preview"
                         + (" (possibly an internet gateway)" if kind == "unknown" else ""))
            if f == "natGatewayId":
                gw = Gateway("nat", None, "a NAT gateway unknown during preview")
        return gw  # GATEWAY_CLASSIFIERS run once every route is indexed (Routing.reclassify)
    return Gateway("local" if entry.get("gatewayId") == "local" else "other", None,
                   "no target")
