"""Stage 2, holders of interfaces: what places network interfaces in a subnet, with which
security groups and which public addresses.

Holders today: instances and spot requests (their primary interface, with a launch template's
first interface as defaults), Auto Scaling groups (``launchTemplate`` or a
``mixedInstancesPolicy`` template, one interface per subnet), ENIs (and the instance they are
attached to), and any other resource that names a subnet and asks for a public IPv4
(:meth:`Holders._launcher`, a Tiros-style over-approximation). Addresses: a public IPv4 on
launch (the resource's flag, else its template's, else its subnet's ``mapPublicIpOnLaunch``),
an EIP by any path, and IPv6 addresses (:mod:`.addresses`).
"""

from __future__ import annotations

from typing import Any, Final

from ..mirrors import Undeclared
from ..records import (
    ASG,
    EIP,
    EIP_ASSOCIATION,
    ENI,
    ENI_ATTACHMENT,
    ENI_SG_ATTACHMENT,
    INSTANCE,
    LAUNCH_TEMPLATE,
    SPOT_INSTANCE_REQUEST,
    SUBNET,
    VPC,
    Index,
    Res,
    ids,
    number,
)
from .addresses import eip_reasons, ipv6_reasons, launch_public_v4, public_flag_reasons
from .common import IFACE_REF, LT_REF, SG_REF, SG_REF_BY_NAME, as_list, describe, leaves
from .filters import Filters
from .nodes import Interface, Reason, Subnet
from .places import Places

LAUNCH_CONFIGURATION: Final = "aws:ec2/launchConfiguration:LaunchConfiguration"
_TEMPLATE_REF: Final[dict[str, str | tuple[str, ...]]] = {
    LAUNCH_TEMPLATE: ("id", "name", "arn"), LAUNCH_CONFIGURATION: ("id", "name", "arn")}
# Resources with their own precise builder, or that launch nothing themselves.
_NOT_LAUNCHERS: Final = frozenset({INSTANCE, SPOT_INSTANCE_REQUEST, ENI, SUBNET, VPC,
                                   LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION})


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
        for inst in ix.of_type(INSTANCE, SPOT_INSTANCE_REQUEST):
            if _primary_is_stack_eni(ix, inst):
                continue  # its primary interface is an ENI of the stack (linked below)
            lt = self._template(inst, "launchTemplate")
            self._add_launch(inst, lt, [inst.get("subnetId")], "subnetId", "instance")
        for asg in ix.of_type(ASG):
            lt = self._template(asg, "launchTemplate")
            if lt is None:
                mip = asg.get("mixedInstancesPolicy")
                spec = mip.get("launchTemplate") if isinstance(mip, dict) else None
                spec = spec.get("launchTemplateSpecification") if isinstance(spec, dict) else None
                if isinstance(spec, dict):
                    lt = self._template(asg, "mixedInstancesPolicy", spec)
            zones = asg.get("vpcZoneIdentifiers")
            self._add_launch(asg, lt, as_list(zones) or [None], "vpcZoneIdentifiers",
                             "launch-template")
        for eni in ix.of_type(ENI):
            self._add_eni(eni)
        self._link_instance_enis()
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
        for res in ix:
            if res.type not in _NOT_LAUNCHERS and not res.type.startswith("pulumi:"):
                self._launcher(res)
        self.undeclared: list[Undeclared] = []  # stored addresses and groups nobody declares
        for holder in ix.of_type(INSTANCE, SPOT_INSTANCE_REQUEST, ENI):
            if holder.inputs_seen:
                self._note_undeclared(holder)

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

    # ----------------------------------------------------------------- ENIs
    def _add_eni(self, eni: Res) -> None:
        ix = self.index
        subnet, unknown = self.places.subnet_of(eni)
        groups, gunknown, declared = self.filters.groups(eni, "securityGroups", SG_REF)
        if not declared:
            groups = self.filters.default_group(subnet)
        iface = Interface(eni.urn, eni, "eni", subnet, unknown, groups, gunknown,
                          private_ip=eni.get("privateIp"))
        iface.ipv6 += ipv6_reasons(iface.subnet, eni, None)
        for att in ix.of_type(ENI_ATTACHMENT):
            if eni in ix.ref(att, "networkInterfaceId", ids(ENI)).targets:
                insts = ix.ref(att, "instanceId", ids(INSTANCE)).targets
                iface.instance = insts[0] if insts else None
        for entry in as_list(eni.get("attachments")):
            if isinstance(entry, dict) and entry.get("instance") not in (None, ""):
                insts = ix.ref(eni, "attachments", ids(INSTANCE), entry["instance"],
                               use_value=True).targets
                iface.instance = insts[0] if insts else iface.instance
        self._register(iface)

    def _link_instance_enis(self) -> None:
        """ENIs an instance names as its own interfaces."""
        ix = self.index
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

    # ----------------------------------------------------------------- launched interfaces
    def _template(self, res: Res, key: str, spec: Any = None) -> Res | None:
        spec = spec if spec is not None else res.get(key)
        if not isinstance(spec, dict):
            return None
        for f in ("id", "name", "launchTemplateId", "launchTemplateName"):
            if spec.get(f) not in (None, ""):
                ref = self.index.ref(res, key, LT_REF, spec[f], use_value=True)
                if ref.targets:
                    return ref.targets[0]
        return None

    def _add_launch(self, owner: Res, lt: Res | None, subnet_values: list[Any],
                    subnet_key: str, kind: str) -> None:
        """The primary interface of an instance / spot request / ASG, with its template's
        settings as defaults (the resource's own arguments win, as EC2 merges them)."""
        nic: dict[str, Any] = {}
        if lt is not None:
            nics = lt.get("networkInterfaces")
            for n in as_list(nics):
                if isinstance(n, dict) and number(n.get("deviceIndex")) in (None, 0.0):
                    nic = n
                    break
        for value in subnet_values:
            if value not in (None, ""):
                subnet, s_unknown = self.places.subnet_of(owner, subnet_key, value,
                                                          use_value=True)
            elif nic.get("subnetId") not in (None, "") and lt is not None:
                subnet, s_unknown = self.places.subnet_of(lt, "networkInterfaces",
                                                          nic["subnetId"], use_value=True)
            else:
                subnet, s_unknown = None, owner.type != ASG
            groups, gunknown = self._launch_groups(owner, lt, nic, subnet)
            iface = Interface(
                owner.urn if len(subnet_values) == 1 else f"{owner.urn}#{value}",
                owner, kind, subnet, s_unknown, groups, gunknown,
                instance=owner if owner.type in (INSTANCE, SPOT_INSTANCE_REQUEST) else None,
                template=lt, private_ip=owner.get("privateIp"),
            )
            iface.public_v4 += launch_public_v4(owner, lt, nic, subnet)
            iface.ipv6 += ipv6_reasons(iface.subnet, owner, lt, nic)
            self._register(iface)

    def _launch_groups(self, owner: Res, lt: Res | None, nic: dict[str, Any],
                       subnet: Subnet | None) -> tuple[list[Res], list[str]]:
        """The launched interface's groups: the resource's own, else its template's (top level
        and first interface), else the VPC's default group."""
        groups: list[Res] = []
        gunknown: list[str] = []
        declared = False
        for key in ("vpcSecurityGroupIds", "securityGroups"):
            g, u, d = self.filters.groups(owner, key, SG_REF_BY_NAME)
            groups += g
            gunknown += u
            declared |= d
        if not declared and lt is not None:
            for key in ("vpcSecurityGroupIds", "securityGroupNames"):
                g, u, d = self.filters.groups(lt, key, SG_REF_BY_NAME)
                groups += g
                gunknown += u
                declared |= d
            if nic.get("securityGroups") not in (None, []):
                g, u, d = self.filters.groups(lt, "networkInterfaces", SG_REF_BY_NAME,
                                              nic.get("securityGroups"), use_value=True)
                groups += g
                gunknown += u
                declared |= d
        if not declared:
            groups = self.filters.default_group(subnet)
        return groups, gunknown

    def _launcher(self, res: Res) -> None:
        """Tiros-style over-approximation for anything else that launches interfaces (Spot
        Fleet requests, EC2 Fleets, ECS services, an ASG's launch configuration...): a resource
        that names a subnet anywhere in its properties (by value or property dependency, or
        through a launch template / launch configuration it references) and asks for a public
        IPv4 anywhere in them or in that template (``associatePublicIpAddress``,
        ``assignPublicIp``, ``mapPublicIpOnLaunch``: true / "true" / "ENABLED") is a public
        interface in each of those subnets with every security group it names. Only when a
        public address is asked for: the specific builders above stay the precise answer."""
        ix = self.index
        templates: list[Res] = []
        for top, _leaf, value in leaves(res.props):
            for t in ix.ref(res, top, _TEMPLATE_REF, value, use_value=True).targets:
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
        existing = self._by_owner.get(res.urn, [])
        if existing:  # an ASG or the like: add the reason to the interfaces already modelled
            for iface in existing:
                if not any(r.certain for r in iface.public_v4) and (
                        iface.subnet in subnets or iface.subnet is None):
                    iface.public_v4 += reasons
            return
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


def _primary_is_stack_eni(index: Index, inst: Res) -> bool:
    """The instance is launched with an ENI of the stack as its primary interface (then that
    ENI is the interface, and the instance its holder).

    Anything else is the instance's own interface, built from the instance's own subnet,
    groups and address flags: no ENI named, or the ENI AWS created for it -- the stored
    ``primaryNetworkInterface`` of every deployed instance (hashicorp/aws >= 6,
    ec2_instance.go ``resourceInstanceRead``) is ``{deleteOnTermination: true,
    networkInterfaceId: <its primaryNetworkInterfaceId>}`` -- or an ENI outside the stack
    (whose subnet and groups the instance's stored outputs mirror; unknown ones fail closed)."""
    for key in ("primaryNetworkInterface", "networkInterfaces"):
        for entry in as_list(inst.get(key)):
            if not isinstance(entry, dict) or entry.get("networkInterfaceId") in (None, ""):
                continue
            if key == "networkInterfaces" and number(entry.get("deviceIndex")) not in (0.0,
                                                                                      None):
                continue
            if index.ref(inst, key, ids(ENI), entry["networkInterfaceId"],
                         use_value=True).targets:
                return True
    return False
