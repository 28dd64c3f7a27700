"""Stage 1, places: the VPCs and subnets every interface, table and forwarder sits in."""

from __future__ import annotations

from typing import Any

from ..records import (
    SUBNET,
    UNKNOWN,
    VPC,
    VPC_IPV4_CIDR,
    VPC_IPV6_CIDR,
    Index,
    Network,
    Res,
    ids,
    is_unknown,
    parse_cidr,
    truthy,
)
from .nodes import Subnet


class Places:
    """Subnets by URN (with their VPC, CIDRs and address-on-launch flags) and VPC networks."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._vpc_nets: dict[str, list[Network]] = {}
        self.subnets: dict[str, Subnet] = {}
        for s in index.of_type(SUBNET):
            self.subnets[s.urn] = self._subnet(s)

    def vpc_networks(self, vpc: Res | None) -> list[Network]:
        """The VPC's CIDRs: its own blocks and every CIDR block association of the stack."""
        if vpc is None:
            return []
        nets = self._vpc_nets.get(vpc.urn)
        if nets is None:
            nets = []
            for key in ("cidrBlock", "ipv6CidrBlock"):
                n = parse_cidr(vpc.get(key))
                if n is not None:
                    nets.append(n)
            for assoc in self.index.of_type(VPC_IPV4_CIDR, VPC_IPV6_CIDR):
                if vpc in self.index.ref(assoc, "vpcId", ids(VPC)).targets:
                    for key in ("cidrBlock", "ipv6CidrBlock"):
                        n = parse_cidr(assoc.get(key))
                        if n is not None:
                            nets.append(n)
            self._vpc_nets[vpc.urn] = nets
        return nets

    def _subnet(self, s: Res) -> Subnet:
        vpcs = self.index.ref(s, "vpcId", ids(VPC)).targets
        cidr6: Any = parse_cidr(s.get("ipv6CidrBlock"))
        if cidr6 is None and s.declared("ipv6CidrBlock") and is_unknown(s.get("ipv6CidrBlock")):
            cidr6 = UNKNOWN
        return Subnet(
            res=s,
            vpc=vpcs[0] if vpcs else None,
            cidr4=parse_cidr(s.get("cidrBlock")),
            cidr6=cidr6,
            map_public_ip=declared_bool(s, "mapPublicIpOnLaunch"),
            assign_ipv6=declared_bool(s, "assignIpv6AddressOnCreation"),
        )

    def subnet_of(self, res: Res, key: str = "subnetId", value: Any = None,
                  use_value: bool = False) -> tuple[Subnet | None, bool]:
        """The subnet ``res`` names in ``key`` (or in ``value`` nested in it), and whether a
        declared reference could not be resolved to a subnet of the stack."""
        ref = self.index.ref(res, key, ids(SUBNET), value, use_value=use_value)
        if ref.targets:
            return self.subnets.get(ref.targets[0].urn), False
        return None, bool(ref.unknown or ref.external)


def declared_bool(res: Res, key: str) -> bool | Any:
    """True/False, or UNKNOWN when declared but unknown; undeclared computed: False."""
    value = truthy(res.get(key))
    if is_unknown(value):
        return UNKNOWN if res.declared(key) else False
    return bool(value)
