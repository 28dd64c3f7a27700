"""Stage 2, holders of interfaces: what places network interfaces in a subnet, with which
security groups and which public addresses.

One concept, one table: every holder type is an entry of :data:`.holder_table.HOLDERS` (where
its subnets, groups, public-address flags and templates come from), and :meth:`Holders._place`
reads every entry the same way -- one interface per subnet it may sit in (and per template it
may launch from), its groups (the VPC's default group when none is declared), a public IPv4
(its flag, else its template's, else, for an EC2 launch, its subnet's ``mapPublicIpOnLaunch``)
and IPv6 addresses (its counts, lists and prefixes, else its template's, else its subnet's
``assignIpv6AddressOnCreation``), :mod:`.addresses`. Then the links between holders: ENIs
attached to instances, extra groups attached to an interface, Elastic IPs by any path.

What an entry cannot resolve fails closed: a subnet, subnet group or template named by a
value that cannot be determined, or one outside the stack, leaves the interface's subnet
undeterminable (and a public address it asks for a ``public_ip_problems`` entry naming the
value); a template outside the stack may ask for a public address and carry any group (an
uncertain reason and an unknown group, named). A resource the table does not know that names a
subnet and asks for a public IPv4 anywhere in its properties or its templates is a public
interface in each of those subnets (:meth:`Holders._launcher`, a Tiros-style
over-approximation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from ..mirrors import Undeclared
from ..records import (
    EIP,
    EIP_ASSOCIATION,
    ENI,
    ENI_ATTACHMENT,
    ENI_SG_ATTACHMENT,
    INSTANCE,
    SPOT_INSTANCE_REQUEST,
    SUBNET,
    VPC,
    Index,
    Res,
    ids,
    is_unknown,
)
from . import holder_table as table
from .addresses import (
    eip_reasons,
    flag_reasons,
    public_flag_reasons,
    subnet_ipv6,
    subnet_public_v4,
)
from .common import IFACE_REF, SG_REF, SG_REF_BY_NAME, as_list, at_path, describe, leaves, top_of
from .filters import Filters
from .holder_table import TEMPLATE_REF, TEMPLATES, Holder, Source, Via
from .nodes import Interface, Reason, Subnet
from .places import Places

_NOT_LAUNCHERS: Final = frozenset({SUBNET, VPC, *TEMPLATES})


@dataclass
class _Place:
    """Where an interface sits: its subnet, or why it cannot be known."""

    subnet: Subnet | None
    unknown: bool = False
    why: str = ""  # a declared value naming a place this stack may hold but cannot resolve


@dataclass
class _Template:
    """A template an entry launches from (``res``), or why it cannot be read (``why``)."""

    res: Res | None
    why: str = ""


@dataclass
class _Found:
    """A source's answer: resources (subnets or groups) and what stayed unresolved."""

    declared: bool = False
    places: list[_Place] = field(default_factory=list)
    groups: list[Res] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


class Holders:
    """Every interface of the stack, by owner (and by the instance an ENI belongs to)."""

    def __init__(self, index: Index, places: Places, filters: Filters) -> None:
        self.index = index
        self.places = places
        self.filters = filters
        self.interfaces: list[Interface] = []
        self._by_owner: dict[str, list[Interface]] = {}
        self.public_ip_problems: list[Reason] = []  # public addresses of undeterminable holders
        self._build()

    def interface_of(self, res: Res) -> list[Interface]:
        return list(self._by_owner.get(res.urn, []))

    def _register(self, iface: Interface) -> None:
        self.interfaces.append(iface)
        self._by_owner.setdefault(iface.owner.urn, []).append(iface)
        if iface.instance is not None and iface.instance is not iface.owner:
            self._by_owner.setdefault(iface.instance.urn, []).append(iface)

    def _build(self) -> None:
        ix = self.index
        entries: dict[str, list[Holder]] = {}
        for entry in table.HOLDERS:  # read at build time: a test may register one more
            entries.setdefault(entry.type, []).append(entry)
        for typ, of_type in entries.items():
            for res in ix.of_type(typ):
                found = [i for e in of_type if not (e.skip and e.skip(ix, res))
                         for i in self._place(res, e)]
                for n, iface in enumerate(found):
                    if len(found) > 1:
                        where = iface.subnet.res.name if iface.subnet else "unplaced"
                        iface.key = f"{res.urn}#{n}:{where}"
                    self._register(iface)
        self._link_enis()
        # Extra groups attached to an interface.
        for att in ix.of_type(ENI_SG_ATTACHMENT):
            sgs = ix.ref(att, "securityGroupId", SG_REF)
            for target in ix.ref(att, "networkInterfaceId", IFACE_REF).targets:
                for iface in self._by_owner.get(target.urn, [])[:1]:
                    iface.groups += [g for g in sgs.targets if g not in iface.groups]
                    if sgs.unknown:
                        iface.groups_unknown.append(f"securityGroupId of {describe(att)}")
        # Public addresses by EIP or EIP association.
        for eip in ix.of_type(EIP):
            self._eip(eip, "instance", "networkInterface")
        for assoc in ix.of_type(EIP_ASSOCIATION):
            self._eip(assoc, "instanceId", "networkInterfaceId")
        known = _NOT_LAUNCHERS | entries.keys()
        for res in ix:
            if res.type not in known and not res.type.startswith("pulumi:"):
                self._launcher(res)
        self.undeclared: list[Undeclared] = []  # stored addresses and groups nobody declares
        for holder in ix.of_type(INSTANCE, SPOT_INSTANCE_REQUEST, ENI):
            if holder.inputs_seen:
                self._note_undeclared(holder)

    # ----------------------------------------------------------------- one entry
    def _place(self, res: Res, entry: Holder) -> list[Interface]:
        """The interfaces one entry gives ``res``: per block of ``each`` (or the resource),
        per template it may launch from, per subnet it may sit in."""
        out: list[Interface] = []
        units = at_path(res.props, entry.each) if entry.each else [res.props]
        top = top_of(entry.each) if entry.each else ""
        for n, unit in enumerate(units):
            prefix = f"{entry.each}[{n}]." if entry.each else ""
            for tpl in self._templates(res, entry, unit, top):
                out += self._interfaces(res, entry, unit, top, prefix, tpl)
        return out

    def _templates(self, res: Res, entry: Holder, unit: Any, top: str) -> list[_Template]:
        found: list[_Template] = []
        for path in entry.templates:
            key = top or top_of(path)
            for spec in at_path(unit, path):
                value = _template_value(spec)
                if value is None or (is_unknown(value) and not res.declared(key)):
                    continue
                ref = self.index.ref(res, key, TEMPLATE_REF, value, use_value=True)
                found += [_Template(t) for t in ref.targets if t.type in TEMPLATES]
                if ref.unknown:
                    found.append(_Template(None, f"the template in {path} of {describe(res)} "
                                                 f"(unknown during preview)"))
                found += [_Template(None, f"template {e} of {describe(res)} (not part of "
                                          f"this stack)") for e in ref.external]
        return found or [_Template(None)]

    def _interfaces(self, res: Res, entry: Holder, unit: Any, top: str, prefix: str,
                    tpl: _Template) -> list[Interface]:
        lt = tpl.res
        lt_entry = TEMPLATES.get(lt.type) if lt is not None else None
        own = self._first_places(res, unit, top, entry.subnets)
        if not own.declared and lt is not None and lt_entry is not None:
            own = self._first_places(lt, lt.props, "", lt_entry.subnets)
        if not own.declared:
            if not (entry.launch or tpl.why):
                return []  # nothing places it in a subnet (a gateway endpoint, a plain Lambda)
            # A default subnet, outside the stack; or the subnet a template outside the stack
            # names, which may be one of this stack's.
            own.places = [_Place(None, True, tpl.why)]
        groups = self._groups(res, unit, top, entry.groups)
        if not groups.declared and lt is not None and lt_entry is not None:
            groups = self._groups(lt, lt.props, "", lt_entry.groups)
        if tpl.why and not groups.declared:
            groups.declared = True
            groups.unknown.append(f"the security groups of {tpl.why}")
        v4, v4_decided = flag_reasons(res, unit, top, entry.public_v4, prefix, True)
        if not v4_decided and lt is not None and lt_entry is not None:
            v4, v4_decided = flag_reasons(lt, lt.props, "", lt_entry.public_v4, "", True)
        if not v4_decided and tpl.why:
            v4, v4_decided = [Reason(res, f"{tpl.why} may ask for a public IPv4 address",
                                     certain=False)], True
        v6, _ = flag_reasons(res, unit, top, entry.ipv6, prefix, False)
        if not v6 and lt is not None and lt_entry is not None:
            v6, _ = flag_reasons(lt, lt.props, "", lt_entry.ipv6, "", False)
        if not v6 and tpl.why:
            v6 = [Reason(res, f"{tpl.why} may ask for IPv6 addresses", certain=False)]
        flag_key = entry.public_v4[0].path if entry.public_v4 else "associatePublicIpAddress"
        private_ip = next(iter(at_path(unit, entry.private_ip)), None) if entry.private_ip \
            else None
        out: list[Interface] = []
        for place in own.places:
            sub = place.subnet
            iface = Interface(
                res.urn, res, entry.kind, sub, place.unknown,
                list(groups.groups) if groups.declared else self.filters.default_group(sub),
                list(groups.unknown), instance=res if entry.kind == "instance" else None,
                template=lt, private_ip=private_ip)
            iface.launch_tags = _launch_tags(unit if entry.each else None, lt)
            iface.public_v4 += v4 if v4_decided else (
                subnet_public_v4(sub, flag_key) if entry.launch else [])
            iface.ipv6 += v6 or subnet_ipv6(sub)
            if place.why and iface.public_v4:
                self.public_ip_problems.append(Reason(
                    res, f"{describe(res)} asks for a public IPv4 address "
                    f"({'; '.join(r.text for r in iface.public_v4)}) in {place.why}",
                    certain=False))
            out.append(iface)
        return out

    # ----------------------------------------------------------------- sources
    def _first_places(self, res: Res, unit: Any, top: str,
                      sources: tuple[Source, ...]) -> _Found:
        """The subnets of the first declared source."""
        for source in sources:
            found = self._places_of(res, unit, top, source)
            if found.declared:
                return found
        return _Found()

    def _places_of(self, res: Res, unit: Any, top: str, source: Source) -> _Found:
        out = _Found()
        if isinstance(source, Via):
            for target, why in self._via(res, unit, top, source):
                if target is None:
                    out.declared = True
                    out.places.append(_Place(None, True, why))
                    continue
                got = self._places_of(target, target.props, "", source.then)
                if got.declared:
                    out.declared = True
                    out.places += [p for p in got.places if p not in out.places]
                elif isinstance(source.then, str):  # a subnet group whose subnets are unknown
                    out.declared = True
                    out.places.append(_Place(None, True, f"{describe(target)} (its "
                                                         f"{source.then} cannot be determined)"))
            return out
        key = top or top_of(source)
        for value in at_path(unit, source):
            if is_unknown(value) and not res.declared(key):
                continue  # a computed value nobody declared
            out.declared = True
            ref = self.index.ref(res, key, ids(SUBNET), value, use_value=True)
            for s in ref.targets:
                sub = self.places.subnets.get(s.urn)
                if sub is not None and all(p.subnet is not sub for p in out.places):
                    out.places.append(_Place(sub))
            if ref.unknown:
                out.places.append(_Place(None, True, f"{source} of {describe(res)} (unknown "
                                                      f"during preview)"))
            elif ref.external and not ref.targets:
                out.places.append(_Place(None, True))  # a subnet outside the stack
        return out

    def _groups(self, res: Res, unit: Any, top: str, sources: tuple[Source, ...]) -> _Found:
        """Every declared group of ``sources`` (names too: launch configurations and EC2
        instances may name a group)."""
        out = _Found()
        for source in sources:
            if isinstance(source, Via):
                for target, why in self._via(res, unit, top, source):
                    if target is None:
                        out.declared = True
                        out.unknown.append(f"the security groups of {why}")
                        continue
                    got = self._groups(target, target.props, "", (source.then,))
                    out.declared |= got.declared
                    out.groups += [g for g in got.groups if g not in out.groups]
                    out.unknown += got.unknown
                continue
            values = at_path(unit, source)
            if not values:
                continue
            g, u, declared = self.filters.groups(res, top or top_of(source), SG_REF_BY_NAME,
                                                 values, use_value=True)
            out.declared |= declared
            out.groups += [x for x in g if x not in out.groups]
            out.unknown += u
        return out

    def _via(self, res: Res, unit: Any, top: str, via: Via) -> list[tuple[Res | None, str]]:
        """The resources ``via.ref`` names ((None, why) for a value that cannot be resolved:
        unknown, or outside the stack)."""
        key = top or top_of(via.ref)
        out: list[tuple[Res | None, str]] = []
        for value in at_path(unit, via.ref):
            if value in via.none or (is_unknown(value) and not res.declared(key)):
                continue
            ref = self.index.ref(res, key, via.targets, value, use_value=True)
            out += [(t, "") for t in ref.targets]
            if ref.unknown:
                out.append((None, f"{via.ref} of {describe(res)} (unknown during preview)"))
            out += [(None, f"{via.ref} {e!r} of {describe(res)} (not part of this stack, so "
                           f"its subnets and groups cannot be known)") for e in ref.external]
        return out

    # ----------------------------------------------------------------- links
    def _link_enis(self) -> None:
        """An ENI's instance: by an attachment, its own ``attachments``, or an instance naming
        it as one of its interfaces."""
        ix = self.index
        for eni in ix.of_type(ENI):
            mine = [i for i in self._by_owner.get(eni.urn, []) if i.owner is eni]
            if not mine:
                continue
            iface = mine[0]
            inst: Res | None = None
            for att in ix.of_type(ENI_ATTACHMENT):
                if eni in ix.ref(att, "networkInterfaceId", ids(ENI)).targets:
                    insts = ix.ref(att, "instanceId", ids(INSTANCE)).targets
                    inst = insts[0] if insts else None
            for entry in as_list(eni.get("attachments")):
                if isinstance(entry, dict) and entry.get("instance") not in (None, ""):
                    insts = ix.ref(eni, "attachments", ids(INSTANCE), entry["instance"],
                                   use_value=True).targets
                    inst = insts[0] if insts else inst
            if inst is not None:
                iface.instance = inst
                self._by_owner.setdefault(inst.urn, []).append(iface)
        for inst in ix.of_type(INSTANCE, SPOT_INSTANCE_REQUEST):
            for key in ("networkInterfaces", "primaryNetworkInterface"):
                for entry in as_list(inst.get(key)):
                    if not isinstance(entry, dict) or entry.get("networkInterfaceId") in (
                            None, ""):
                        continue
                    for eni in ix.ref(inst, key, ids(ENI), entry["networkInterfaceId"],
                                      use_value=True).targets:
                        for iface in self._by_owner.get(eni.urn, [])[:1]:
                            if iface.instance is None:
                                iface.instance = inst
                                self._by_owner.setdefault(inst.urn, []).append(iface)

    def _note_undeclared(self, holder: Res) -> None:
        """What the stored state gives an interface beyond what the program declares: a
        public IPv4 nothing of the stack explains (an EIP, the flag, the subnet's default),
        groups that no declaration or attachment of the stack names."""
        ifaces = [i for i in self._by_owner.get(holder.urn, []) if i.owner is holder
                  or i.instance is holder][:1]
        if not ifaces:
            return
        iface = ifaces[0]
        if holder.stored.get("associatePublicIpAddress") is True and not iface.public_v4:
            self.undeclared.append(Undeclared(
                holder, "associatePublicIpAddress",
                "a public IPv4 address (associatePublicIpAddress is true)"))
        known = {str(g.get("defaultSecurityGroupId") if g.type == VPC else g.get("id"))
                 for g in iface.groups}
        for key in ("vpcSecurityGroupIds", "securityGroups"):
            for value in as_list(holder.stored.get(key)):
                if isinstance(value, str) and value and value not in known:
                    known.add(value)
                    self.undeclared.append(Undeclared(holder, key, f"security group {value}"))

    def _launcher(self, res: Res) -> None:
        """Tiros-style over-approximation for a type the table does not know: a resource that
        names a subnet anywhere in its properties (by value or property dependency, or through
        a launch template / launch configuration it references) and asks for a public IPv4
        anywhere in them or in that template (``associatePublicIpAddress``, ``assignPublicIp``,
        ``mapPublicIpOnLaunch``: true / "true" / "ENABLED") is a public interface in each of
        those subnets with every security group it names. Only when a public address is asked
        for: a type that places interfaces without one needs a table entry to be seen."""
        ix = self.index
        templates: list[Res] = []
        for top, _leaf, value in leaves(res.props):
            if not ix.may_target(res, top, TEMPLATE_REF, value):
                continue  # what ref would find: no target
            for t in ix.ref(res, top, TEMPLATE_REF, value, use_value=True).targets:
                if t not in templates:
                    templates.append(t)
        reasons = public_flag_reasons([res, *templates])
        if not reasons:
            return
        subnets: list[Subnet] = []
        groups: list[Res] = []
        for holder in (res, *templates):
            found: list[Subnet] = []
            for top, leaf_key, value in leaves(holder.props):
                for s in ix.ref(holder, top, ids(SUBNET), value, use_value=True).targets:
                    sub = self.places.subnets.get(s.urn)
                    if sub is not None and sub not in found:
                        found.append(sub)
                if "ecurityGroup" in leaf_key:
                    for g in ix.ref(holder, top, SG_REF_BY_NAME, value, use_value=True).targets:
                        if g not in groups:
                            groups.append(g)
            if not subnets:
                subnets = found  # the resource's own subnets win over its template's
        for sub in subnets:
            iface = Interface(f"{res.urn}#{sub.res.urn}", res, "launcher", sub, False,
                              groups or self.filters.default_group(sub), [],
                              template=templates[0] if templates else None)
            iface.public_v4 += reasons
            self._register(iface)

    # ----------------------------------------------------------------- Elastic IPs
    def _eip(self, res: Res, inst_key: str, eni_key: str) -> None:
        """One reason per interface an EIP (or association) gives an address: a deployed EIP
        names both the instance and its primary ENI, one association."""
        targets, problems = eip_reasons(self.index, res, inst_key, eni_key)
        given: list[Interface] = []
        for t, reason in targets:
            for iface in self._by_owner.get(t.urn, [])[:1]:
                if iface not in given:
                    given.append(iface)
                    iface.public_v4.append(reason)
        self.public_ip_problems += problems


def _template_value(spec: Any) -> Any:
    """The value naming a template in a specification block (``id``, ``name``,
    ``launchTemplateId``, ``launchTemplateName``), or the value itself (a launch
    configuration's name)."""
    if isinstance(spec, dict):
        for f in ("id", "launchTemplateId", "name", "launchTemplateName"):
            if spec.get(f) not in (None, ""):
                return spec[f]
        return None
    return spec


def _launch_tags(unit: Any, lt: Res | None) -> dict[str, Any]:
    """The tags a launched instance gets beyond its holder's: a launch block's own ``tags``
    (a Spot Fleet launch specification), its template's ``tagSpecifications`` for instances
    and network interfaces (unknowns stay unknown: the tier is then unknown)."""
    out: dict[str, Any] = {}
    if lt is not None:
        for spec in at_path(lt.props, "tagSpecifications"):
            if isinstance(spec, dict) and spec.get("resourceType") in ("instance",
                                                                        "network-interface"):
                tags = spec.get("tags")
                if isinstance(tags, dict):
                    out.update(tags)
    if isinstance(unit, dict) and isinstance(unit.get("tags"), dict):
        out.update(unit["tags"])
    return out
