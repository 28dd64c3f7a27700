"""Stored copies: a group's rules, a table's routes and a NACL's entries as the state holds them.

After ``pulumi refresh`` (and for a group or table read after its separate resources exist),
the provider's Read writes into a group's ``ingress``/``egress`` every rule AWS holds for it,
including those declared as separate rule resources (terraform-provider-aws
vpc_security_group.go ``resourceSecurityGroupRead``: ``securityGroupIPPermGather`` groups AWS's
permissions by protocol, ports and description, one entry per group with all its sources), into
a table's ``routes`` every route but the local, propagated and gateway-endpoint ones
(vpc_route_table.go ``flattenRoutes``), and into a NACL's ``ingress``/``egress`` every entry
but the default deny (vpc_network_acl.go). Those copies are *mirrors* of resources of the
stack, *stale* copies of resources this change deletes (the group itself is unchanged, so
AnalyzeStack gets its old outputs), or *drift* made outside Pulumi.

AWS keys each of them uniquely -- a permission by (direction, protocol, ports, one source), a
route by its destination, a NACL entry by (direction, rule number) -- so a stored element is
*explained* when a separate resource of the stack has the same key: that resource is judged
itself, and the copy is not counted twice. This module computes those keys (``sg_atoms``,
``route_key``, ``nacl_key``); ``_net``, ``netmodel.routes`` and ``netmodel.filters`` use them:

* inputs seen (``Res.inputs``): the fields are the program's declaration
  (``records.DECLARED_FIELDS``); stored elements neither declared nor explained are reported by
  the advisory ``no-undeclared-rules`` (:class:`Undeclared`), never counted;
* no inputs seen: the stored value is read adversarially -- every unexplained rule and route
  counts; a NACL whose stored entries are not all explained admits everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from .records import Res, ip_protocol, is_unknown, number, parse_cidr

Atom = tuple[Any, ...]

@dataclass
class Undeclared:
    """A stored element the program does not declare and no resource of the stack explains."""

    res: Res  # the group, table or NACL
    field: str  # ingress | egress | routes
    what: str  # "tcp port 22 from 0.0.0.0/0"


def _protocol(value: Any) -> str | None:
    """As AWS receives it (records.ip_protocol); text it cannot read is kept as written (two
    such rules are one only when written alike)."""
    if is_unknown(value):
        return None
    proto = ip_protocol(value)
    return proto if isinstance(proto, str) else f"?{str(value).strip().lower()}"


def _span(protocol: Any, lo: Any, hi: Any) -> tuple[str, Any, Any] | None:
    proto = _protocol(protocol)
    if proto is None:
        return None
    if proto == "all":
        return proto, None, None
    lo_n, hi_n = number(lo), number(hi)
    if is_unknown(lo_n) or is_unknown(hi_n):
        return None
    return proto, lo_n, hi_n


def _cidr(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    net = parse_cidr(value)
    return str(net) if net is not None else value.strip()


def _group(value: Any) -> str | None:
    """A referenced group id as AWS keys it (a cross-account ``owner/sg-...`` keeps its id)."""
    if not isinstance(value, str) or not value:
        return None
    return value.rsplit("/", 1)[-1]


def _elements(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def sg_atoms(direction: str, entry: dict[str, Any], own_id: Any, *,
             fields: dict[str, str]) -> list[tuple[Atom | None, str, Any]]:
    """(key or None when a part is unknown, field, element) for each source of a rule.

    ``fields`` names the entry's wire fields: ``protocol``, ``from``, ``to``, ``cidr4``,
    ``cidr6``, ``prefix``, ``group`` and ``self`` (an empty name: the form has none)."""
    span = _span(entry.get(fields["protocol"]), entry.get(fields["from"]),
                 entry.get(fields["to"]))
    out: list[tuple[Atom | None, str, Any]] = []

    def add(kind: str, field: str, element: Any, key: str | None) -> None:
        atom = None if span is None or key is None else (direction, *span, kind, key)
        out.append((atom, field, element))

    for kind, name in (("cidr", fields["cidr4"]), ("cidr", fields["cidr6"])):
        for element in _elements(entry.get(name)) if name else []:
            add(kind, name, element, _cidr(element))
    for element in _elements(entry.get(fields["prefix"])) if fields["prefix"] else []:
        add("pl", fields["prefix"], element, element if isinstance(element, str) else None)
    for element in _elements(entry.get(fields["group"])) if fields["group"] else []:
        add("sg", fields["group"], element, _group(element))
    if fields["self"] and entry.get(fields["self"]) is True:
        add("sg", fields["self"], True, _group(own_id))
    return out


INLINE: Final = {"protocol": "protocol", "from": "fromPort", "to": "toPort",
                 "cidr4": "cidrBlocks", "cidr6": "ipv6CidrBlocks", "prefix": "prefixListIds",
                 "group": "securityGroups", "self": "self"}
SG_RULE_FIELDS: Final = {"protocol": "protocol", "from": "fromPort", "to": "toPort",
                         "cidr4": "cidrBlocks", "cidr6": "ipv6CidrBlocks",
                         "prefix": "prefixListIds", "group": "sourceSecurityGroupId",
                         "self": "self"}
VPC_RULE_FIELDS: Final = {"protocol": "ipProtocol", "from": "fromPort", "to": "toPort",
                          "cidr4": "cidrIpv4", "cidr6": "cidrIpv6", "prefix": "prefixListId",
                          "group": "referencedSecurityGroupId", "self": ""}


def reduce_entry(entry: dict[str, Any], direction: str, own_id: Any,
                 explained: set[Atom]) -> dict[str, Any] | None:
    """The stored inline entry without the sources that resources of the stack explain; None
    when every source is explained (the entry is only their copy)."""
    atoms = sg_atoms(direction, entry, own_id, fields=INLINE)
    if not atoms or not any(a is not None and a in explained for a, _f, _e in atoms):
        return entry
    kept = dict(entry)
    for _atom, field, _element in atoms:
        kept[field] = [] if field != "self" else False
    remaining = 0
    for atom, field, element in atoms:
        if atom is not None and atom in explained:
            continue
        remaining += 1
        if field == "self":
            kept["self"] = True
        else:
            kept[field] = [*kept[field], element]
    return kept if remaining else None


def describe_atom(atom: Atom) -> str:
    _direction, proto, lo, hi, kind, key = atom
    if proto == "all":
        ports = "all traffic"
    elif lo is None or hi is None or lo == hi:
        ports = f"{proto} port {int(lo) if isinstance(lo, float) else lo}"
    else:
        ports = f"{proto} ports {int(lo)}-{int(hi)}"
    source = {"cidr": "", "pl": "prefix list ", "sg": "security group "}[kind] + str(key)
    return f"{ports} {'from' if _direction == 'ingress' else 'to'} {source}"


# ---------------------------------------------------------------------------------------------
# Routes and NACL entries

ROUTE_DESTINATIONS: Final = ("cidrBlock", "ipv6CidrBlock", "destinationPrefixListId")
ROUTE_RESOURCE_DESTINATIONS: Final = ("destinationCidrBlock", "destinationIpv6CidrBlock",
                                      "destinationPrefixListId")


def route_key(entry: dict[str, Any], fields: Iterable[str] = ROUTE_DESTINATIONS) -> str | None:
    """A route's destination as AWS keys it (None when unknown or absent)."""
    for f in fields:
        value = entry.get(f)
        if is_unknown(value):
            return None
        if isinstance(value, str) and value:
            return _cidr(value)
    return None


def nacl_key(entry: dict[str, Any], egress: bool, number_field: str = "ruleNo") -> Atom | None:
    n = number(entry.get(number_field))
    return (egress, n) if isinstance(n, float) else None
