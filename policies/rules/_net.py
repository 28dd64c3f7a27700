"""The network model the rules share: security group rules in every form, tiers, the bastion.

Everything here works on :class:`~._wire.Stack` (plain, unknown-safe properties) and links
resources through :meth:`~._wire.Stack.ref`, so it gives the same answers in a preview (ids
unknown) as in an update (ids known).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from .mirrors import (
    INLINE,
    SG_RULE_FIELDS,
    VPC_RULE_FIELDS,
    Atom,
    Undeclared,
    describe_atom,
    reduce_entry,
    sg_atoms,
)
from .records import (
    BASTION_ROLE,
    DEFAULT_SECURITY_GROUP,
    ENI,
    ENI_SG_ATTACHMENT,
    ID,
    INSTANCE,
    LAUNCH_TEMPLATE,
    ROLE_TAG,
    SECURITY_GROUP,
    SG_EGRESS_RULE,
    SG_INGRESS_RULE,
    SG_RULE,
    SUBNET,
    TIER_TAG,
    UNKNOWN,
    VPC,
    VPC_IPV4_CIDR,
    VPC_IPV6_CIDR,
    Network,
    Ref,
    Res,
    _Unknown,
    ids,
    ip_protocol,
    is_unknown,
    names,
    number,
    parse_cidr,
    truthy,
)
from .records import (
    Index as Stack,
)

SSH_PORT: Final = 22
MANAGED_PREFIX_LIST: Final = "aws:ec2/managedPrefixList:ManagedPrefixList"
MANAGED_PREFIX_LIST_ENTRY: Final = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"

# What a rule's securityGroupId may point at: a security group, a default security group, or
# a VPC's ``defaultSecurityGroupId`` output (the VPC's default group, managed or not).
SG_TARGETS: Final[dict[str, str | tuple[str, ...]]] = {
    SECURITY_GROUP: ID,
    DEFAULT_SECURITY_GROUP: ID,
    VPC: "defaultSecurityGroupId",
}
# Instances and launch templates may name groups (EC2-Classic style) instead of ids.
SG_TARGETS_BY_NAME: Final[dict[str, str | tuple[str, ...]]] = {
    SECURITY_GROUP: (ID, "name"),
    DEFAULT_SECURITY_GROUP: (ID, "name"),
    VPC: "defaultSecurityGroupId",
}


def group_label(res: Res) -> str:
    """How a security group (or a VPC standing for its default group) is named in messages."""
    if res.type == VPC:
        return f"the default security group of VPC {res.label}"
    return f"security group {res.label}"


def ref_label(ref: Ref) -> str:
    parts = [group_label(t) for t in ref.targets]
    parts += [f"security group {e}" for e in ref.external]
    if ref.unknown:
        parts.append("a security group that cannot be determined during preview")
    return ", ".join(parts) if parts else "no security group"


# ---------------------------------------------------------------------------------------------
# Security group rules


@dataclass
class Cidr:
    field: str  # the wire name that carries it: cidrBlocks, cidrIpv6, ...
    value: Any  # str or UNKNOWN

    @property
    def network(self) -> Network | None:
        return None if is_unknown(self.value) else parse_cidr(self.value)

    @property
    def text(self) -> str:
        return "a CIDR unknown during preview" if is_unknown(self.value) else str(self.value)


@dataclass
class Rule:
    """One ingress or egress permission, normalised from any of its forms."""

    owner: Res  # the resource that holds the rule and is reported
    where: str  # "Security group 'x' (inline ingress rule #1)" / "Security group rule 'x'"
    form: str  # "inline ingress", "inline egress", "SecurityGroupRule", ...
    direction: str | _Unknown  # "ingress" | "egress" | UNKNOWN
    groups: Ref  # the group(s) the rule belongs to
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: list[Cidr] = field(default_factory=list)
    prefix_lists: list[Any] = field(default_factory=list)
    prefix_field: str = "prefixListIds"
    sources: Ref = field(default_factory=Ref)  # other groups as the source
    source_field: str = ""
    self_source: bool | _Unknown | None = None
    description: Any = None
    unknown_shape: bool = False  # the whole rule (or its list) is unknown

    @property
    def ingress(self) -> bool:
        """Counted as ingress: really ingress, or of unknown direction (fail closed)."""
        return is_unknown(self.direction) or self.direction == "ingress"

    def admits(self, port: int) -> bool | _Unknown:
        """Whether the rule admits TCP ``port``: True, False or UNKNOWN."""
        if self.unknown_shape:
            return UNKNOWN
        proto = ip_protocol(self.protocol)
        if is_unknown(proto):
            return UNKNOWN
        if proto == "all":
            return True
        if proto != "tcp":
            return False
        lo, hi = number(self.from_port), number(self.to_port)
        if is_unknown(lo) or is_unknown(hi):
            return UNKNOWN
        if lo is None and hi is None:
            return True  # tcp without ports: every port
        lo_v = lo if isinstance(lo, float) else hi
        hi_v = hi if isinstance(hi, float) else lo
        assert isinstance(lo_v, float) and isinstance(hi_v, float)
        if lo_v == -1 and hi_v == -1:
            return True
        return lo_v <= port <= hi_v

    def ports_text(self) -> str:
        if self.unknown_shape:
            return "unknown ports"
        proto = ip_protocol(self.protocol)
        if is_unknown(proto):
            return "an unknown protocol"
        if proto == "all":
            return "all traffic"
        lo, hi = number(self.from_port), number(self.to_port)
        if is_unknown(lo) or is_unknown(hi):
            return f"{proto} on ports unknown during preview"
        if lo is None and hi is None:
            return f"{proto} on all ports"
        lo_i = int(lo) if isinstance(lo, float) else None
        hi_i = int(hi) if isinstance(hi, float) else lo_i
        lo_i = hi_i if lo_i is None else lo_i
        if lo_i == hi_i:
            return f"{proto} port {lo_i}"
        return f"{proto} ports {lo_i}-{hi_i}"


def _cidrs(entry: dict[str, Any], *fields: str) -> list[Cidr]:
    out: list[Cidr] = []
    for f in fields:
        value = entry.get(f)
        if value is None:
            continue
        if is_unknown(value):
            out.append(Cidr(f, UNKNOWN))
        elif isinstance(value, list):
            out.extend(Cidr(f, v) for v in value if v is not None and v != "")
        elif value != "":
            out.append(Cidr(f, value))
    return out


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if is_unknown(value):
        return [UNKNOWN]
    return value if isinstance(value, list) else [value]


def _inline_rules(stack: Stack, sg: Res, key: str, explained: set[Atom]) -> list[Rule]:
    """The group's inline rules: as the program declares them (its inputs were seen), else the
    stored entries without the sources that separate rule resources explain (see
    :mod:`.mirrors`: each is judged as that resource)."""
    direction = "ingress" if key == "ingress" else "egress"
    entries = sg.get(key)
    rules: list[Rule] = []
    if entries is None:
        return rules
    kind = "security group" if sg.type == SECURITY_GROUP else "default security group"
    if is_unknown(entries):
        if not sg.declared(key):
            # Computed, not declared (a preview): the group's rules are the separate rule
            # resources, which are all in the stack.
            return rules
        entries = [UNKNOWN]
    for i, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
        where = f"The {kind} {sg.label} (inline {direction} rule #{i})"
        groups = Ref(targets=[sg])
        if not isinstance(entry, dict):
            rules.append(
                Rule(sg, where, f"inline {direction}", direction, groups, UNKNOWN, UNKNOWN,
                     UNKNOWN, cidrs=[Cidr("cidrBlocks", UNKNOWN)], unknown_shape=True)
            )
            continue
        if not sg.inputs_seen and explained:
            reduced = reduce_entry(entry, direction, sg.get("id"), explained)
            if reduced is None:
                continue  # only the stored copy of separate rules
            entry = reduced
        srcs = entry.get("securityGroups")
        rules.append(
            Rule(
                owner=sg,
                where=where,
                form=f"inline {direction}",
                direction=direction,
                groups=groups,
                protocol=entry.get("protocol"),
                from_port=entry.get("fromPort"),
                to_port=entry.get("toPort"),
                cidrs=_cidrs(entry, "cidrBlocks", "ipv6CidrBlocks"),
                prefix_lists=_list(entry.get("prefixListIds")),
                prefix_field="prefixListIds",
                sources=(
                    stack.ref(sg, key, SG_TARGETS_BY_NAME, srcs, use_value=True)
                    if srcs not in (None, [])
                    else Ref()
                ),
                source_field="securityGroups",
                self_source=truthy(entry.get("self")),
                description=entry.get("description"),
            )
        )
    return rules


def security_group_rules(stack: Stack) -> list[Rule]:
    """Every ingress and egress permission of the stack, whatever its form (built once)."""
    return list(stack.memo("security_group_rules", lambda: _security_group_rules(stack)))


def _security_group_rules(stack: Stack) -> list[Rule]:
    explained = _explained(stack).atoms
    rules: list[Rule] = []
    for sg in stack.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        rules += _inline_rules(stack, sg, "ingress", explained.get(sg.urn, set()))
        rules += _inline_rules(stack, sg, "egress", explained.get(sg.urn, set()))
    return rules + _separate_rules(stack)


@dataclass
class _Explained:
    atoms: dict[str, set[Atom]]  # group urn -> the permission keys its separate rules hold
    unsure: set[str]  # groups with a separate rule whose key is unknown (or undeterminable)


def _explained(stack: Stack) -> _Explained:
    """What the separate rule resources of each group hold (built once)."""
    def build() -> _Explained:
        out = _Explained({}, set())
        forms = [(r, VPC_RULE_FIELDS, "ingress" if r.type == SG_INGRESS_RULE else "egress")
                 for r in stack.of_type(SG_INGRESS_RULE, SG_EGRESS_RULE)]
        for r in stack.of_type(SG_RULE):
            kind = r.get("type")
            forms.append((r, SG_RULE_FIELDS, kind.lower() if isinstance(kind, str) else ""))
        aliases: dict[str, list[str]] = {}
        for d in stack.of_type(DEFAULT_SECURITY_GROUP):
            for vpc in stack.ref(d, "vpcId", ids(VPC)).targets:
                aliases.setdefault(vpc.urn, []).append(d.urn)
        for r, fields, direction in forms:
            ref = stack.ref(r, "securityGroupId", SG_TARGETS)
            for g in ref.targets:
                own = g.get("defaultSecurityGroupId") if g.type == VPC else g.get("id")
                for urn in (g.urn, *aliases.get(g.urn, [])):
                    for atom, _f, _e in sg_atoms(direction, r.props, own, fields=fields):
                        if atom is None or direction not in ("ingress", "egress"):
                            out.unsure.add(urn)
                        else:
                            out.atoms.setdefault(urn, set()).add(atom)
            if ref.unknown:
                out.unsure |= {g.urn for g in stack.of_type(SECURITY_GROUP,
                                                           DEFAULT_SECURITY_GROUP)}
        return out

    result: _Explained = stack.memo("explained_rules", build)
    return result


def undeclared_rules(stack: Stack) -> list[Undeclared]:
    """Permissions a group's stored ``ingress``/``egress`` holds that the program declares in
    neither the group (its inputs) nor a separate rule of the stack: stale copies of rules
    this change deletes, or drift. Only for groups whose inputs were seen."""
    explained = _explained(stack)
    out: list[Undeclared] = []
    for sg in stack.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        if not sg.inputs_seen or sg.urn in explained.unsure:
            continue
        for key in ("ingress", "egress"):
            stored, declared = sg.stored.get(key), sg.get(key)
            if not isinstance(stored, list) or not isinstance(declared, list | type(None)):
                continue
            known: set[Atom] = set(explained.atoms.get(sg.urn, set()))
            complete = True
            for entry in declared or []:
                if not isinstance(entry, dict):
                    complete = False
                    continue
                for atom, _f, _e in sg_atoms(key, entry, sg.get("id"), fields=INLINE):
                    if atom is None:
                        complete = False
                    else:
                        known.add(atom)
            if not complete:
                continue
            for entry in stored:
                if not isinstance(entry, dict):
                    continue
                for atom, _f, _e in sg_atoms(key, entry, sg.get("id"), fields=INLINE):
                    if atom is not None and atom not in known:
                        known.add(atom)
                        out.append(Undeclared(sg, key, describe_atom(atom)))
    return out


def _separate_rules(stack: Stack) -> list[Rule]:
    rules: list[Rule] = []
    for r in stack.of_type(SG_RULE):
        direction = r.get("type")
        if not is_unknown(direction):
            direction = str(direction or "").lower()
        src = r.get("sourceSecurityGroupId")
        rules.append(
            Rule(
                owner=r,
                where=f"Security group rule {r.label}",
                form="SecurityGroupRule",
                direction=direction,
                groups=stack.ref(r, "securityGroupId", SG_TARGETS),
                protocol=r.get("protocol"),
                from_port=r.get("fromPort"),
                to_port=r.get("toPort"),
                cidrs=_cidrs(r.props, "cidrBlocks", "ipv6CidrBlocks"),
                prefix_lists=_list(r.get("prefixListIds")),
                prefix_field="prefixListIds",
                sources=(
                    stack.ref(r, "sourceSecurityGroupId", SG_TARGETS)
                    if src not in (None, "")
                    else Ref()
                ),
                source_field="sourceSecurityGroupId",
                self_source=truthy(r.get("self")),
                description=r.get("description"),
            )
        )
    for r in stack.of_type(SG_INGRESS_RULE, SG_EGRESS_RULE):
        direction = "ingress" if r.type == SG_INGRESS_RULE else "egress"
        src = r.get("referencedSecurityGroupId")
        sources = Ref()
        if src not in (None, ""):
            sources = stack.ref(r, "referencedSecurityGroupId", SG_TARGETS)
        groups = stack.ref(r, "securityGroupId", SG_TARGETS)
        rules.append(
            Rule(
                owner=r,
                where=f"Security group rule {r.label}",
                form=r.type.rsplit(":", 1)[-1],
                direction=direction,
                groups=groups,
                protocol=r.get("ipProtocol"),
                from_port=r.get("fromPort"),
                to_port=r.get("toPort"),
                cidrs=_cidrs(r.props, "cidrIpv4", "cidrIpv6"),
                prefix_lists=_list(r.get("prefixListId")),
                prefix_field="prefixListId",
                sources=sources,
                source_field="referencedSecurityGroupId",
                self_source=False,
                description=r.get("description"),
            )
        )
    return rules


# ---------------------------------------------------------------------------------------------
# Tiers, instances, attachments


def subnet_of(stack: Stack, res: Res) -> Ref:
    return stack.ref(res, "subnetId", ids(SUBNET))


def is_bastion_instance(inst: Res) -> bool:
    return inst.tag(ROLE_TAG) == BASTION_ROLE


def instance_is_private(stack: Stack, inst: Res) -> bool:
    """Private tier: tagged Tier=private or placed in a Tier=private subnet."""
    if inst.tag(TIER_TAG) == "private":
        return True
    return any(s.tag(TIER_TAG) == "private" for s in subnet_of(stack, inst).targets)


@dataclass
class Attachment:
    holder: Res  # the instance, launch template, ENI or attachment resource
    ref: Ref


def attachments(stack: Stack) -> list[Attachment]:
    """Every place a security group is attached to something that runs (built once)."""
    return list(stack.memo("attachments", lambda: _attachments(stack)))


def _attachments(stack: Stack) -> list[Attachment]:
    out: list[Attachment] = []
    for inst in stack.of_type(INSTANCE):
        for key in ("vpcSecurityGroupIds", "securityGroups"):
            if inst.get(key) not in (None, []):
                out.append(Attachment(inst, stack.ref(inst, key, SG_TARGETS_BY_NAME)))
    for lt in stack.of_type(LAUNCH_TEMPLATE):
        for key in ("vpcSecurityGroupIds", "securityGroupNames"):
            if lt.get(key) not in (None, []):
                out.append(Attachment(lt, stack.ref(lt, key, SG_TARGETS_BY_NAME)))
        nics = lt.get("networkInterfaces")
        for nic in nics if isinstance(nics, list) else [nics] if is_unknown(nics) else []:
            groups = nic.get("securityGroups") if isinstance(nic, dict) else UNKNOWN
            if groups not in (None, []):
                out.append(
                    Attachment(
                        lt,
                        stack.ref(lt, "networkInterfaces", SG_TARGETS_BY_NAME, groups,
                                  use_value=True),
                    )
                )
    for eni in stack.of_type(ENI):
        if eni.get("securityGroups") not in (None, []):
            out.append(Attachment(eni, stack.ref(eni, "securityGroups", SG_TARGETS)))
    for att in stack.of_type(ENI_SG_ATTACHMENT):
        out.append(Attachment(att, stack.ref(att, "securityGroupId", SG_TARGETS)))
    return out


class HeldInterface(Protocol):
    """What :func:`held_attachments` reads of a network model interface
    (``netmodel.nodes.Interface``; the model imports this module, so it is not imported here)."""

    owner: Res
    groups: list[Res]
    groups_unknown: list[str]


def held_attachments(interfaces: Iterable[HeldInterface]) -> list[Attachment]:
    """The groups every interface of the network model carries, by the holder that places it:
    every entry of the holder table (``netmodel/holder_table.py``: instances and spot requests,
    Auto Scaling groups and fleets through their templates, ECS services and task sets, Lambda
    VPC config, RDS, ElastiCache, EFS mount targets, VPC endpoints, Client VPN, Instance
    Connect), an unknown type that places a public interface, and the groups an ENI attachment
    adds. A holder whose groups cannot all be determined is an unknown reference (it may carry
    the bastion's group)."""
    return [Attachment(i.owner, Ref(targets=list(i.groups), unknown=bool(i.groups_unknown)))
            for i in interfaces]


def holders_of(sg: Res, atts: list[Attachment]) -> list[Res]:
    found: list[Res] = []
    for a in atts:
        if sg in a.ref.targets and a.holder not in found:
            found.append(a.holder)
    return found


@dataclass
class BastionVerdict:
    sg: Res
    verified: bool
    reason: str  # why it is not the bastion's group (empty when verified)


def bastion_groups(stack: Stack, atts: list[Attachment] | None = None) -> list[BastionVerdict]:
    """Every security group tagged Role=bastion, with whether it really is the bastion's.

    A group is the bastion's only if it is tagged Role=bastion AND it is attached to at least
    one instance, and only to instances tagged Role=bastion that sit in management-tier subnets.
    A tag alone can be written by anyone. ``atts`` are the attachments to judge: the caller
    passes :func:`attachments` plus :func:`held_attachments` of the network model, so any
    holder of interfaces (a Lambda function, a VPC endpoint, an ECS service, ...) carrying the
    group is judged as an instance not tagged Role=bastion would be.
    """
    from .netmodel.common import describe  # the model imports this module

    atts = attachments(stack) if atts is None else atts
    # Attachments that can't be resolved could hide the bastion's group on another server.
    blind = [
        a.holder
        for a in atts
        if a.ref.unknown and not (a.holder.type == INSTANCE and is_bastion_instance(a.holder))
    ]
    blind = [h for n, h in enumerate(blind) if h not in blind[:n]]
    verdicts: list[BastionVerdict] = []
    for sg in stack.of_type(SECURITY_GROUP):
        if sg.tag(ROLE_TAG) != BASTION_ROLE:
            continue
        holders = holders_of(sg, atts)
        reasons: list[str] = []
        if not holders:
            reasons.append("it is not attached to any instance")
        for h in holders:
            if h.type != INSTANCE:
                reasons.append(f"it is attached to {describe(h)}")
                continue
            if not is_bastion_instance(h):
                reasons.append(f"it is attached to instance {h.label}, which is not tagged "
                               f"Role=bastion")
                continue
            subnet = subnet_of(stack, h)
            if not subnet.resolved:
                reasons.append(f"the subnet of instance {h.label} cannot be determined")
            elif any(s.tag(TIER_TAG) != "management" for s in subnet.targets):
                reasons.append(f"instance {h.label} is not in a management-tier subnet")
        if blind:
            reasons.append(f"the security groups of {names(blind)} cannot be determined")
        verdicts.append(BastionVerdict(sg, not reasons, "; ".join(reasons)))
    return verdicts


def vpc_of_group(stack: Stack, group: Res) -> Ref:
    if group.type == VPC:
        return Ref(targets=[group])
    return stack.ref(group, "vpcId", ids(VPC))


def vpc_cidrs(stack: Stack, vpc: Res) -> tuple[list[Network], set[int]]:
    """The VPC's CIDRs (primary and associated), and the IP versions some of which are unknown."""
    nets: list[Network] = []
    unknown: set[int] = set()
    sources: list[tuple[Res, str, int]] = [(vpc, "cidrBlock", 4), (vpc, "ipv6CidrBlock", 6)]
    for assoc in stack.of_type(VPC_IPV4_CIDR, VPC_IPV6_CIDR):
        if vpc in stack.ref(assoc, "vpcId", ids(VPC)).targets:
            if assoc.type == VPC_IPV4_CIDR:
                sources.append((assoc, "cidrBlock", 4))
            else:
                sources.append((assoc, "ipv6CidrBlock", 6))
    for res, key, version in sources:
        value = res.get(key)
        if is_unknown(value):
            unknown.add(version)
        elif isinstance(value, str) and value:
            net = parse_cidr(value)
            if net is None:
                unknown.add(version)
            else:
                nets.append(net)
    return nets, unknown


def prefix_list_networks(stack: Stack, rule: Rule, pl: Any) -> list[Network] | None:
    """The CIDRs of a rule's prefix list when every one is known (see
    :func:`managed_prefix_list_networks`)."""
    key = rule.prefix_field if rule.owner.get(rule.prefix_field) is not None else "ingress"
    return managed_prefix_list_networks(stack, rule.owner, key, pl)


def managed_prefix_list_networks(stack: Stack, holder: Res, key: str,
                                 value: Any) -> list[Network] | None:
    """The CIDRs of the prefix list ``value`` held in ``holder``'s property ``key`` (a rule's
    source, a route's ``destinationPrefixListId``) when every one is known: a
    ManagedPrefixList of this stack whose ``entries`` (and ManagedPrefixListEntry resources
    naming it) are literal CIDRs. None otherwise -- an AWS-managed list, a list outside the
    stack, an entry unknown during preview, or an entry whose list cannot be determined -- and
    the caller keeps treating the list as possibly the internet."""
    ref = stack.ref(holder, key, ids(MANAGED_PREFIX_LIST), value, use_value=True)
    if not ref.resolved or len(ref.targets) != 1:
        return None
    entries: dict[str, list[Any]] | None = stack.memo(
        "prefix_list_entries", lambda: _prefix_list_entries(stack))
    if entries is None:
        return None  # an entry names a list that cannot be determined: it may be this one
    mpl = ref.targets[0]
    raw = mpl.get("entries")
    if is_unknown(raw) and mpl.declared("entries"):
        return None
    values = [e.get("cidr") if isinstance(e, dict) else UNKNOWN
              for e in (raw if isinstance(raw, list) else [])]
    values += entries.get(mpl.urn, [])
    nets = [parse_cidr(v) for v in values]
    if not nets or any(n is None for n in nets):
        return None
    return [n for n in nets if n is not None]


def _prefix_list_entries(stack: Stack) -> dict[str, list[Any]] | None:
    """list urn -> the ``cidr`` of every ManagedPrefixListEntry naming it; None when some
    entry's list cannot be determined (built once per stack)."""
    out: dict[str, list[Any]] = {}
    for entry in stack.of_type(MANAGED_PREFIX_LIST_ENTRY):
        ref = stack.ref(entry, "prefixListId", ids(MANAGED_PREFIX_LIST))
        if ref.unknown:
            return None
        for mpl in ref.targets:
            out.setdefault(mpl.urn, []).append(entry.get("cidr"))
    return out
