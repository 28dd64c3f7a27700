"""Stage 1, filters: what admits traffic to an interface (security groups, stateful) and into a
subnet (network ACLs, stateless, inbound entries)."""

from __future__ import annotations

from typing import Any

from .._net import Rule, security_group_rules
from ..mirrors import Undeclared, nacl_key
from ..records import (
    DEFAULT_NETWORK_ACL,
    DEFAULT_SECURITY_GROUP,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
    SUBNET,
    VPC,
    Index,
    Network,
    Res,
    ids,
    ip_protocol,
    is_unknown,
    number,
    parse_cidr,
    truthy,
)
from .common import describe, overlaps
from .nodes import Subnet


class Filters:
    """Every security group rule by the group it belongs to, and every subnet's NACLs."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.rules: list[Rule] = security_group_rules(index)
        self._ingress: dict[str, list[Rule]] = {}
        self.unplaced_rules: list[Rule] = []  # rules whose group can't be determined
        for rule in self.rules:
            if not rule.ingress:
                continue
            for g in rule.groups.targets:
                self._ingress.setdefault(g.urn, []).append(rule)
            if rule.groups.unknown:
                self.unplaced_rules.append(rule)
        self._default_alias: dict[str, list[str]] = {}
        for d in index.of_type(DEFAULT_SECURITY_GROUP):
            for vpc in index.ref(d, "vpcId", ids(VPC)).targets:
                self._default_alias.setdefault(d.urn, []).append(vpc.urn)
                self._default_alias.setdefault(vpc.urn, []).append(d.urn)
        self.undeclared: list[Undeclared] = []  # stored NACL entries nobody declares
        self._nacls = self._index_nacls()

    # ----------------------------------------------------------------- security groups
    def ingress_rules(self, group: Res) -> list[Rule]:
        """The ingress rules of a group. A VPC's default group is one group whether it is named
        by the VPC's ``defaultSecurityGroupId`` or by a managed ``DefaultSecurityGroup``; an
        unmanaged default group admits only itself (nothing from the internet)."""
        rules = list(self._ingress.get(group.urn, []))
        for alias in self._default_alias.get(group.urn, []):
            rules += [r for r in self._ingress.get(alias, []) if r not in rules]
        return rules

    def groups(self, res: Res, key: str, targets: dict[str, Any], value: Any = None,
               use_value: bool = False) -> tuple[list[Res], list[str], bool]:
        """(groups, unknown references, declared) for a group-list property."""
        raw = value if use_value else res.get(key)
        if raw in (None, []):
            return [], [], False
        ref = self.index.ref(res, key, targets, value, use_value=use_value)
        if ref.computed and not ref.targets and not ref.external:
            return [], [], False
        unknown = [f"{key} of {describe(res)}"] if ref.unknown else []
        unknown += [f"security group {e} (outside this stack)" for e in ref.external]
        return list(ref.targets), unknown, True

    @staticmethod
    def default_group(subnet: Subnet | None) -> list[Res]:
        """The group AWS attaches when none is declared: the VPC's default (the VPC stands
        for it)."""
        return [subnet.vpc] if subnet is not None and subnet.vpc is not None else []

    # ----------------------------------------------------------------- NACLs
    def _index_nacls(self) -> dict[str, list[tuple[Res, list[dict[str, Any]]]]]:
        """subnet urn -> [(acl, ingress entries)] for subnets with a declared NACL."""
        ix = self.index
        out: dict[str, list[tuple[Res, list[dict[str, Any]]]]] = {}
        acls = ix.of_type(NETWORK_ACL, DEFAULT_NETWORK_ACL)
        if not acls:
            return out
        entries: dict[str, list[dict[str, Any]]] = {}
        rules = [r for r in ix.of_type(NETWORK_ACL_RULE) if truthy(r.get("egress")) is not True]
        held: dict[str, set[Any]] = {}  # acl urn -> the inbound rule numbers its rules hold
        for rule in rules:
            for acl in ix.ref(rule, "networkAclId", ids(NETWORK_ACL, DEFAULT_NETWORK_ACL)).targets:
                held.setdefault(acl.urn, set()).add(nacl_key(rule.props, False, "ruleNumber"))
        for acl in acls:
            entries[acl.urn] = self._nacl_entries(acl, held.get(acl.urn, set()))
        for rule in rules:
            for acl in ix.ref(rule, "networkAclId", ids(NETWORK_ACL, DEFAULT_NETWORK_ACL)).targets:
                entries[acl.urn].append({
                    "ruleNo": rule.get("ruleNumber"), "action": rule.get("ruleAction"),
                    "protocol": rule.get("protocol"), "fromPort": rule.get("fromPort"),
                    "toPort": rule.get("toPort"), "cidrBlock": rule.get("cidrBlock"),
                    "ipv6CidrBlock": rule.get("ipv6CidrBlock"),
                })
        for acl in acls:
            # Without its inputs, a NACL's stored subnets may be stale associations: only the
            # NetworkAclAssociation resources link it (a NACL can only close paths).
            subnets = ix.ref(acl, "subnetIds", ids(SUBNET)).targets if acl.inputs_seen else []
            for s in subnets:
                out.setdefault(s.urn, []).append((acl, entries[acl.urn]))
        for assoc in ix.of_type(NETWORK_ACL_ASSOCIATION):
            for acl in ix.ref(assoc, "networkAclId", ids(NETWORK_ACL)).targets:
                for s in ix.ref(assoc, "subnetId", ids(SUBNET)).targets:
                    out.setdefault(s.urn, []).append((acl, entries[acl.urn]))
        return out

    def _nacl_entries(self, acl: Res, held: set[Any]) -> list[dict[str, Any]]:
        """The NACL's inline inbound entries: as the program declares them (its inputs were
        seen; stored entries neither declared nor held by a NetworkAclRule are
        ``undeclared``), else the stored ones but those a NetworkAclRule holds -- and if any
        other remains, an unknown entry (it admits): a stored deny the pack can't attribute
        (a stale copy of a rule this change deletes?) must not close a path."""
        ingress = acl.get("ingress")
        if acl.inputs_seen:
            self._note_undeclared(acl, ingress, held)
        if not isinstance(ingress, list):
            return [{"unknown": True}] if acl.declared("ingress") else []
        entries = [e for e in ingress if isinstance(e, dict)]
        if acl.inputs_seen:
            return entries
        own = [e for e in entries if nacl_key(e, False) not in held]
        return [{"unknown": True}] if own else []

    def _note_undeclared(self, acl: Res, declared: Any, held: set[Any]) -> None:
        stored = acl.stored.get("ingress")
        if not isinstance(stored, list) or not isinstance(declared, list | type(None)):
            return
        known = set(held)
        for entry in declared or []:
            key = nacl_key(entry, False) if isinstance(entry, dict) else None
            if key is None:
                return
            known.add(key)
        for entry in stored:
            key = nacl_key(entry, False) if isinstance(entry, dict) else None
            if key is not None and key not in known:
                known.add(key)
                self.undeclared.append(Undeclared(
                    acl, "ingress", f"rule #{int(key[1])} ({entry.get('action')} "
                    f"{entry.get('cidrBlock') or entry.get('ipv6CidrBlock')})"))

    def nacl_admits(self, subnet: Subnet | None, source: Network | None, proto: str,
                    ports: tuple[int, int] | None) -> bool:
        """Whether a declared NACL on the subnet may admit the traffic (no NACL: yes).

        Entries are evaluated in rule-number order; the first that matches decides. Anything
        unknown counts as admitting (the model errs towards reachability)."""
        if subnet is None or source is None or ports is None:
            return True
        acls = self._nacls.get(subnet.res.urn)
        if not acls:
            return True
        for _acl, entries in acls:
            if not any(e.get("unknown") for e in entries) and not _nacl_permits(
                    entries, source, proto, ports):
                return False
        return True


def _nacl_permits(entries: list[dict[str, Any]], source: Network, proto: str,
                  ports: tuple[int, int]) -> bool:
    def key(e: dict[str, Any]) -> float:
        n = number(e.get("ruleNo"))
        return n if isinstance(n, float) else 0.0

    for e in sorted(entries, key=key):
        cidr = parse_cidr(e.get("ipv6CidrBlock") if source.version == 6 else e.get("cidrBlock"))
        if cidr is None or not overlaps(cidr, source):
            if is_unknown(e.get("cidrBlock")) or is_unknown(e.get("ipv6CidrBlock")):
                return True
            continue
        raw = e.get("protocol")
        read = ip_protocol(raw)
        # unknown during preview: all traffic (as before); text AWS would not read: its own
        # protocol, matching no other (a deny of it settles nothing)
        e_proto = read if isinstance(read, str) else "all" if is_unknown(raw) else f"?{raw}"
        if e_proto not in ("all", proto) and proto != "all":
            continue
        lo, hi = number(e.get("fromPort")), number(e.get("toPort"))
        if isinstance(lo, float) and isinstance(hi, float) and e_proto != "all" and (
                (lo, hi) != (0.0, 0.0)) and (hi < ports[0] or lo > ports[1]):
            continue
        action = e.get("action")
        if is_unknown(action):
            return True
        # A deny only settles it when it covers the whole source and port range.
        if str(action).lower() == "allow":
            return True
        if source.subnet_of(cidr) and (e_proto == "all" or (  # type: ignore[arg-type]
                isinstance(lo, float) and isinstance(hi, float)
                and lo <= ports[0] and hi >= ports[1])):
            return False
    return False  # the implicit final deny
