"""Stage 2, addresses: why an interface has (or may have) a public IPv4 or an IPv6 address.

Each reader returns :class:`~.nodes.Reason` entries (the resource and the property that give
the address; ``certain=False`` when a declared unknown decides it); :mod:`.holders` attaches
them to the interfaces it builds.
"""

from __future__ import annotations

from typing import Any, Final

from ..records import (
    EIP,
    INSTANCE,
    NAT_GATEWAY,
    SPOT_INSTANCE_REQUEST,
    Index,
    Res,
    is_unknown,
    number,
    truthy,
)
from .common import IFACE_REF, describe, leaves
from .nodes import Reason, Subnet

_PUBLIC_FLAGS: Final = frozenset({"associatePublicIpAddress", "assignPublicIp",
                                  "mapPublicIpOnLaunch"})
# The interfaces an EIP may name: an ENI, an instance's primary ENI, or a NAT gateway's own
# (a deployed NAT gateway's EIP names it: ec2_eip.go resourceEIPRead), which holds no server.
_EIP_IFACE_REF: Final = {**IFACE_REF, NAT_GATEWAY: "networkInterfaceId"}


def launch_public_v4(owner: Res, lt: Res | None, nic: dict[str, Any],
                     subnet: Subnet | None) -> list[Reason]:
    """Public IPv4 on launch: the resource's flag, else the template's, else the subnet's."""
    out: list[Reason] = []
    api = truthy(owner.get("associatePublicIpAddress"))
    api_holder, api_key = owner, "associatePublicIpAddress"
    if is_unknown(api) and not owner.declared("associatePublicIpAddress"):
        api = None  # computed: follows the subnet
    if api is None and lt is not None and nic.get("associatePublicIpAddress") not in (
            None, ""):
        api = truthy(nic.get("associatePublicIpAddress"))
        api_holder, api_key = lt, "networkInterfaces[0].associatePublicIpAddress"
    if api is True:
        out.append(Reason(api_holder, f"{api_key} of {describe(api_holder)}"))
    elif is_unknown(api):
        out.append(Reason(api_holder, f"{api_key} is unknown during preview", certain=False))
    elif api is None and subnet is not None:
        if subnet.map_public_ip is True:
            out.append(Reason(
                subnet.res, f"its subnet {subnet.res.label} maps public IPs on launch "
                f"(mapPublicIpOnLaunch) and {api_key} is not set"))
        elif is_unknown(subnet.map_public_ip):
            out.append(Reason(
                subnet.res, f"its subnet {subnet.res.label} has a mapPublicIpOnLaunch "
                f"unknown during preview and {api_key} is not set", certain=False))
    return out


def ipv6_reasons(subnet: Subnet | None, res: Res, lt: Res | None,
                 nic: dict[str, Any] | None = None) -> list[Reason]:
    """IPv6 addresses: a count or list on the resource (or its template's first interface),
    else the subnet's ``assignIpv6AddressOnCreation``."""
    sources: list[tuple[Res, dict[str, Any], str]] = [(res, res.props, "")]
    if lt is not None and nic:
        sources.append((lt, nic, "networkInterfaces[0]."))
    for holder, props, prefix in sources:
        count = number(props.get("ipv6AddressCount"))
        addrs = props.get("ipv6Addresses")
        if (isinstance(count, float) and count > 0) or (isinstance(addrs, list) and addrs):
            return [Reason(holder, f"{prefix}ipv6AddressCount/ipv6Addresses")]
        if is_unknown(count) and holder.declared("ipv6AddressCount"):
            return [Reason(holder, f"{prefix}ipv6AddressCount is unknown during preview",
                           certain=False)]
    if subnet is not None:
        if subnet.assign_ipv6 is True:
            return [Reason(subnet.res, f"its subnet {subnet.res.label} assigns IPv6 "
                           f"addresses on creation")]
        if is_unknown(subnet.assign_ipv6):
            return [Reason(subnet.res, f"its subnet {subnet.res.label} has an "
                           f"assignIpv6AddressOnCreation unknown during preview",
                           certain=False)]
    return []


def public_flag_reasons(holders: list[Res]) -> list[Reason]:
    """A public-IPv4 flag anywhere in the properties of ``holders`` (a launcher and the
    templates it references): true, "true" or "ENABLED"; a declared unknown is uncertain."""
    reasons: list[Reason] = []
    for holder in holders:
        for top, leaf_key, value in leaves(holder.props):
            if leaf_key not in _PUBLIC_FLAGS:
                continue
            flag = truthy(value) if not isinstance(value, str) else (
                value.strip().lower() in ("true", "enabled"))
            if is_unknown(value):
                if holder.declared(top):
                    reasons.append(Reason(holder, f"{leaf_key} of {describe(holder)} is "
                                          f"unknown during preview", certain=False))
            elif flag is True:
                reasons.append(Reason(holder, f"{leaf_key} of {describe(holder)}"))
    return reasons


def eip_reasons(index: Index, res: Res, inst_key: str,
                eni_key: str) -> tuple[list[tuple[Res, Reason]], list[Reason]]:
    """An EIP or EIP association: ([(instance or ENI it names, reason)], [problems]) where a
    problem is a declared target that cannot be determined or lies outside the stack."""
    kind = "Elastic IP" if res.type == EIP else "Elastic IP association"
    found: list[tuple[Res, Reason]] = []
    problems: list[Reason] = []
    for key, targets in ((inst_key, {INSTANCE: "id", SPOT_INSTANCE_REQUEST: "spotInstanceId"}),
                         (eni_key, _EIP_IFACE_REF)):
        if not res.declared(key):
            continue
        ref = index.ref(res, key, targets)
        for t in ref.targets:
            found.append((t, Reason(res, f"{kind} {res.label} via {key}")))
        if ref.unknown or ref.external:
            problems.append(Reason(
                res, f"{kind} {res.label} attaches to {key} "
                + ("that cannot be determined during preview" if ref.unknown
                   else f"{', '.join(ref.external)}, which is not part of this stack"),
                certain=False))
    return found, problems
