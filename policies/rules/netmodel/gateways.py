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
                        TGW, VPN_GATEWAY)

_TARGET_FIELDS: Final[tuple[tuple[str, Targets], ...]] = (
    ("gatewayId", {IGW: "id", VPN_GATEWAY: "id", VPC_ENDPOINT: "id"}),
    ("natGatewayId", {NAT_GATEWAY: "id"}),
    ("egressOnlyGatewayId", {EGRESS_ONLY_IGW: "id"}),
    ("vpcEndpointId", {VPC_ENDPOINT: "id"}),
    ("vpcPeeringConnectionId", {PEERING: "id"}),
    ("transitGatewayId", {TGW: "id"}),
    ("networkInterfaceId", IFACE_REF),
    ("instanceId", {INSTANCE: "id"}),
    ("carrierGatewayId", {}),
    ("localGatewayId", {}),
    ("coreNetworkArn", {}),
    ("odbNetworkArn", {}),
)
KIND_OF_TYPE: Final = {
    IGW: "igw", VPN_GATEWAY: "vgw", VPC_ENDPOINT: "vpce", EGRESS_ONLY_IGW: "eigw",
    PEERING: "peering", TGW: "tgw", ENI: "eni", INSTANCE: "instance",
    SPOT_INSTANCE_REQUEST: "instance", NAT_GATEWAY: "nat",
}
_KIND_OF_FIELD: Final = {
    "gatewayId": "unknown", "natGatewayId": "nat", "egressOnlyGatewayId": "eigw",
    "vpcEndpointId": "vpce", "vpcPeeringConnectionId": "peering", "transitGatewayId": "tgw",
    "networkInterfaceId": "eni", "instanceId": "instance", "carrierGatewayId": "other",
    "localGatewayId": "other", "coreNetworkArn": "other", "odbNetworkArn": "other",
}
_PREFIX_KIND: Final = {"igw-": "igw", "vgw-": "vgw", "vpce-": "vpce", "nat-": "nat",
                       "eigw-": "eigw", "pcx-": "peering", "tgw-": "tgw", "eni-": "eni",
                       "local": "local"}
GW_WORDS: Final = {
    "igw": "internet gateway", "eigw": "egress-only internet gateway", "nat": "NAT gateway",
    "nat-private": "private NAT gateway", "vpce": "VPC endpoint", "peering": "peering connection",
    "tgw": "transit gateway", "vgw": "VPN gateway", "eni": "network interface",
    "instance": "instance",
}

# Reclassify a route target (issue 9: a NAT instance). Each takes (model, gateway) and returns a
# new Gateway or None.
GATEWAY_CLASSIFIERS: list[Callable[[NetworkModel, Gateway], Gateway | None]] = []

# What a gateway kind means for an interface's way out.
EGRESS_LABEL: dict[str, str] = {
    "igw": "igw",
    "nat": "nat",
    "nat-instance": "nat",
    "eigw": "egress-only",
    "nat-private": "none",
    "local": "none",
    "vpce": "none",
}
# Severity when several routes lead out: the worst wins.
SEVERITY: Final = {"igw": 5, "unknown": 4, "nat": 1, "egress-only": 1, "none": 0}


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
            kind = KIND_OF_TYPE.get(t.type, "other")
            if t.type == NAT_GATEWAY:
                conn = t.get("connectivityType")
                kind = "nat-private" if isinstance(conn, str) and conn == "private" else "nat"
            gw = Gateway(kind, t, f"{GW_WORDS[kind]} {t.label}" if kind in GW_WORDS
                         else describe(t))
        elif ref.external:
            ext = ref.external[0]
            kind = next((k for p, k in _PREFIX_KIND.items() if ext.startswith(p)),
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
