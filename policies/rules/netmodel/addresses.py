"""Stage 2, addresses: why an interface has (or may have) a public IPv4 or an IPv6 address.

Each reader returns :class:`~.nodes.Reason` entries (the resource and the property that give
the address; ``certain=False`` when a declared unknown decides it); :mod:`.holders` attaches
them to the interfaces it builds: a holder's flags (:data:`.holder_table.HOLDERS`), else its
template's, else its subnet's defaults; Elastic IPs by any path; and, for a resource the table
does not know, any public-IPv4 flag anywhere in it (:func:`public_flag_reasons`).
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
from .common import IFACE_REF, at_path, describe, leaves, top_of
from .holder_table import Flag, Reading
from .nodes import Reason, Subnet

_PUBLIC_FLAGS: Final = frozenset({"associatePublicIpAddress", "assignPublicIp",
                                  "mapPublicIpOnLaunch"})
# The interfaces an EIP may name: an ENI, an instance's primary ENI, or a NAT gateway's own
# (a deployed NAT gateway's EIP names it: ec2_eip.go resourceEIPRead), which holds no server.
_EIP_IFACE_REF: Final = {**IFACE_REF, NAT_GATEWAY: "networkInterfaceId"}


def flag_reasons(holder: Res, unit: Any, top: str, flags: tuple[Flag, ...], prefix: str,
                 first_decides: bool) -> tuple[list[Reason], bool]:
    """The addresses ``flags`` give, read in ``unit`` (the holder's properties, or one block of
    its ``each`` list, whose property dependencies are ``top``'s; "" for the flag's own top):
    (reasons, decided). A declared unknown is an uncertain reason; an undeclared one (a
    computed output) is absent. ``first_decides``: the first flag that is set decides (an
    explicit false means no address, whatever comes after: the template, the subnet)."""
    reasons: list[Reason] = []
    for flag in flags:
        values = at_path(unit, flag.path)
        if not values:
            continue
        where = f"{prefix}{flag.path.replace('[primary]', '[0]')} of {describe(holder)}"
        decided = False
        for value in values:
            if is_unknown(value):
                if holder.declared(top or top_of(flag.path)):
                    reasons.append(Reason(holder, f"{where} is unknown during preview",
                                          certain=False))
                    decided = True
            elif _gives(flag, value):
                reasons.append(Reason(holder, where))
                decided = True
            else:
                decided = True
        if reasons or (decided and first_decides):
            return reasons, True
    return reasons, False


def _gives(flag: Flag, value: Any) -> bool:
    if flag.test is Reading.COUNT:
        n = number(value)
        return isinstance(n, float) and n > 0
    if flag.test is Reading.LIST:
        return True  # an element of the list is there
    text = str(value).strip().lower() if isinstance(value, str) else None
    if flag.test is Reading.ONE_OF:
        return text in flag.values
    return value is True or text in ("true", "enabled")


def subnet_public_v4(subnet: Subnet | None, key: str) -> list[Reason]:
    """An EC2 launch with no public-IPv4 flag set: the subnet's ``mapPublicIpOnLaunch``."""
    if subnet is None:
        return []
    if subnet.map_public_ip is True:
        return [Reason(subnet.res, f"its subnet {subnet.res.label} maps public IPs on launch "
                       f"(mapPublicIpOnLaunch) and {key} is not set")]
    if is_unknown(subnet.map_public_ip):
        return [Reason(subnet.res, f"its subnet {subnet.res.label} has a mapPublicIpOnLaunch "
                       f"unknown during preview and {key} is not set", certain=False)]
    return []


def subnet_ipv6(subnet: Subnet | None) -> list[Reason]:
    """No IPv6 flag gives an address: the subnet's ``assignIpv6AddressOnCreation``."""
    if subnet is None:
        return []
    if subnet.assign_ipv6 is True:
        return [Reason(subnet.res, f"its subnet {subnet.res.label} assigns IPv6 addresses on "
                       f"creation")]
    if is_unknown(subnet.assign_ipv6):
        return [Reason(subnet.res, f"its subnet {subnet.res.label} has an "
                       f"assignIpv6AddressOnCreation unknown during preview", certain=False)]
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
