"""Read tables: security groups and their rules, and how a group mirrors its separate rules.

``aws_security_group``'s Read (hashicorp/aws v6, ``internal/service/ec2/vpc_security_group.go``
at ``01606926a``, ``resourceSecurityGroupRead``) gathers every permission AWS holds for the
group (``securityGroupIPPermGather``: one rule per protocol, ports and description, its CIDRs,
IPv6 CIDRs, prefix lists and groups collected; the group itself becomes ``self``), matches the
rules already in state against them (``matchRules``) and writes the matched ones in their state
form followed by every unmatched remote rule. So after ``pulumi refresh`` a group's
``ingress``/``egress`` hold the rules of its separate rule resources too. Its Create revokes
AWS's default allow-all egress (IPv4 ``0.0.0.0/0`` and IPv6 ``::/0``) before applying the
inline rules and reading back, so a group created with no inline rules reads back with empty
``ingress`` and ``egress``. ``aws_default_security_group``'s Create
(``vpc_default_security_group.go``, ``resourceDefaultSecurityGroupCreate``) adopts the VPC's
default group and revokes all its rules (``forceRevokeSecurityGroupRules``) the same way.

The rule resources: ``aws_vpc_security_group_ingress_rule``/``egress_rule`` are Plugin
Framework resources (``vpc_security_group_ingress_rule.go``, ``securityGroupRule.Read``:
unset values read back null; ``from_port``/``to_port`` stay null for protocol ``-1``);
``aws_security_group_rule`` is SDKv2 (``vpc_security_group_rule.go``,
``resourceSecurityGroupRuleRead``, id from ``SecurityGroupRuleCreateID``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import deployed_ids as ids
from .deployed_spec import VPC, Ctx, Ref, read

SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"

# protocolForValue (vpc_security_group.go): names for the numbers AWS security groups know
_PROTOCOLS = {"-1": "-1", "all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def protocol_for_value(value: Any) -> str:
    p = str(value).lower()
    return _PROTOCOLS.get(p, p)


@dataclass(frozen=True)
class Perm:
    """One entry of an AWS IpPermission: protocol, ports, description and one source."""

    protocol: str
    from_port: int
    to_port: int
    description: str
    kind: str  # cidr | ipv6 | prefix | group
    value: str


def _ports(protocol: str, from_port: Any, to_port: Any) -> tuple[int, int]:
    # AWS stores no ports for protocol -1; initSecurityGroupRule reads them back as 0
    if protocol == "-1":
        return 0, 0
    return int(from_port if from_port is not None else 0), int(
        to_port if to_port is not None else 0
    )


def _inline_perms(rule: dict[str, Any], group_id: str) -> list[Perm]:
    proto = protocol_for_value(rule.get("protocol", "-1"))
    lo, hi = _ports(proto, rule.get("fromPort"), rule.get("toPort"))
    desc = rule.get("description") or ""
    out = [Perm(proto, lo, hi, desc, "cidr", v) for v in rule.get("cidrBlocks") or []]
    out += [Perm(proto, lo, hi, desc, "ipv6", v) for v in rule.get("ipv6CidrBlocks") or []]
    out += [Perm(proto, lo, hi, desc, "prefix", v) for v in rule.get("prefixListIds") or []]
    out += [Perm(proto, lo, hi, desc, "group", v) for v in rule.get("securityGroups") or []]
    if rule.get("self"):
        out.append(Perm(proto, lo, hi, desc, "group", group_id))
    return out


def _vpc_rule_perms(r: Ref) -> list[Perm]:
    proto = protocol_for_value(r.inputs.get("ipProtocol", "-1"))
    lo, hi = _ports(proto, r.inputs.get("fromPort"), r.inputs.get("toPort"))
    desc = r.inputs.get("description") or ""
    for key, kind in (
        ("cidrIpv4", "cidr"),
        ("cidrIpv6", "ipv6"),
        ("prefixListId", "prefix"),
        ("referencedSecurityGroupId", "group"),
    ):
        if r.inputs.get(key):
            return [Perm(proto, lo, hi, desc, kind, r.inputs[key])]
    return []


def _sg_rule_perms(r: Ref) -> list[Perm]:
    rule = dict(r.inputs)
    if rule.get("sourceSecurityGroupId"):
        rule["securityGroups"] = [rule["sourceSecurityGroupId"]]
    return _inline_perms(rule, r.inputs.get("securityGroupId", ""))


def remote_perms(c: Ctx, direction: str, inline: list[dict[str, Any]]) -> list[Perm]:
    """What AWS holds for this group in ``direction``: its inline rules, and the rules of
    every separate rule resource its Read sees (``Ctx.visible``)."""
    perms: list[Perm] = []
    for rule in inline:
        perms += _inline_perms(rule, c.id)
    for r in c.visible(INGRESS if direction == "ingress" else EGRESS):
        if r.inputs.get("securityGroupId") == c.id:
            perms += _vpc_rule_perms(r)
    for r in c.visible(SG_RULE):
        if r.inputs.get("securityGroupId") == c.id and r.inputs.get("type") == direction:
            perms += _sg_rule_perms(r)
    seen: set[Perm] = set()
    unique = []
    for p in perms:  # AWS holds each permission once
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def gather(perms: list[Perm], group_id: str) -> list[dict[str, Any]]:
    """``securityGroupIPPermGather``: one rule per (protocol, from, to, description)."""
    rules: dict[tuple[str, int, int, str], dict[str, Any]] = {}
    for p in perms:
        rule = rules.setdefault(
            (p.protocol, p.from_port, p.to_port, p.description),
            {
                "protocol": p.protocol,
                "fromPort": p.from_port,
                "toPort": p.to_port,
                "description": p.description,
            },
        )
        if p.kind == "group" and p.value == group_id:
            rule["self"] = True
        else:
            key = {
                "cidr": "cidrBlocks",
                "ipv6": "ipv6CidrBlocks",
                "prefix": "prefixListIds",
                "group": "securityGroups",
            }[p.kind]
            rule.setdefault(key, []).append(p.value)
    return list(rules.values())


def _sources(rule: dict[str, Any]) -> dict[str, set[str]]:
    return {
        k: set(rule.get(k) or [])
        for k in ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroups")
    }


def match_rules(local: list[dict[str, Any]], remote: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``matchRules``: each local rule whose every source AWS holds under the same protocol,
    ports and self flag is kept in its local form (those sources taken from the remote rule);
    every remote rule with sources left is appended as AWS shows it."""
    remote = [dict(r, **{k: list(v) for k, v in _sources(r).items()}) for r in remote]
    saves: list[dict[str, Any]] = []
    for loc in local:
        lp = protocol_for_value(loc.get("protocol", "-1"))
        llo, lhi = _ports(lp, loc.get("fromPort"), loc.get("toPort"))
        lsrc = _sources(loc)
        for r in remote:
            if (r["protocol"], r["fromPort"], r["toPort"], bool(r.get("self"))) != (
                lp,
                llo,
                lhi,
                bool(loc.get("self")),
            ):
                continue
            rsrc = _sources(r)
            if any(not lsrc[k] <= rsrc[k] for k in lsrc):
                continue
            for k in lsrc:
                r[k] = [v for v in r[k] if v not in lsrc[k]]
            r.pop("self", None)
            kept = dict(loc, protocol=lp)
            if r.get("description"):
                kept["description"] = r["description"]
            saves.append(kept)
            break
    for r in remote:
        if any(
            r.get(k) for k in ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroups")
        ) or r.get("self"):
            saves.append({k: v for k, v in r.items() if v != []})
    return sorted(saves, key=lambda r: str(ids.hashcode(_rule_hash_text(r))))


def _rule_hash_text(r: dict[str, Any]) -> str:
    """The string ``securityGroupRuleHash`` hashes (the set's element order)."""
    protocol = protocol_for_value(r.get("protocol", "-1"))
    text = f"{r.get('fromPort', 0)}-{r.get('toPort', 0)}-{protocol}-"
    text += f"{str(bool(r.get('self'))).lower()}-"
    for k in ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroups"):
        text += "".join(f"{v}-" for v in sorted(r.get(k) or []))
    if r.get("description"):
        text += f"{r['description']}-"
    return text


def group_rules(c: Ctx, direction: str) -> list[dict[str, Any]]:
    inline = list(c.get(direction, []) or [])
    remote = gather(remote_perms(c, direction, inline), c.id)
    return match_rules(inline, remote)


_SG_FRESH_DIFFERS = {"ingress", "egress"}


@read(
    SG,
    source=(
        "internal/service/ec2/vpc_security_group.go resourceSecurityGroupCreate / "
        "resourceSecurityGroupRead"
    ),
    id="sg",
    zero={"revokeRulesOnDelete"},
    defaults={"revokeRulesOnDelete": False, "description": "Managed by Pulumi"},
    schema_version=1,
    timeouts={"create": 10, "delete": 15},
    fresh_differs=_SG_FRESH_DIFFERS,
)
def _security_group(c: Ctx) -> dict[str, Any]:
    name = c.get("name") or ""
    prefix = c.get("namePrefix") or ""
    return {
        "arn": c.arn("ec2", f"security-group/{c.id}"),
        "ownerId": c.account,
        "name": name,
        "namePrefix": prefix if prefix and name.startswith(prefix) else "",
        "vpcId": c.get("vpcId") or "",
        "ingress": group_rules(c, "ingress"),
        "egress": group_rules(c, "egress"),
    }


@read(
    DEFAULT_SG,
    source=(
        "internal/service/ec2/vpc_default_security_group.go "
        "resourceDefaultSecurityGroupCreate / Read"
    ),
    id=lambda c: _default_sg_id(c),
    zero={"revokeRulesOnDelete"},
    schema_version=1,
    fresh_differs=_SG_FRESH_DIFFERS,
)
def _default_security_group(c: Ctx) -> dict[str, Any]:
    return {
        "arn": c.arn("ec2", f"security-group/{c.id}"),
        "ownerId": c.account,
        "name": "default",
        "namePrefix": "",
        "description": "default VPC security group",
        "vpcId": c.get("vpcId") or "",
        "ingress": group_rules(c, "ingress"),
        "egress": group_rules(c, "egress"),
    }


def _default_sg_id(c: Ctx) -> str:
    vpc = c.find(VPC, c.get("vpcId"))
    if vpc is not None and vpc.outputs.get("defaultSecurityGroupId"):
        return str(vpc.outputs["defaultSecurityGroupId"])
    return ids.aws_id("sg", f"vpc:{c.get('vpcId')}", "default-sg")


def _vpc_rule(c: Ctx) -> dict[str, Any]:
    proto = protocol_for_value(c.get("ipProtocol", "-1"))
    lo, hi = c.get("fromPort"), c.get("toPort")
    if proto == "-1":  # Read: AWS returns -1; a null plan value stays null
        lo = -1 if lo is not None else None
        hi = -1 if hi is not None else None
    return {
        "arn": c.arn("ec2", f"security-group-rule/{c.id}"),
        "securityGroupRuleId": c.id,
        "ipProtocol": proto,
        "fromPort": lo,
        "toPort": hi,
        "tags": c.get("tags"),
    }


read(
    INGRESS,
    source="internal/service/ec2/vpc_security_group_ingress_rule.go securityGroupRule.Read",
    id="sgr",
    framework=True,
)(_vpc_rule)
read(
    EGRESS,
    source="internal/service/ec2/vpc_security_group_egress_rule.go securityGroupRule.Read",
    id="sgr",
    framework=True,
)(_vpc_rule)


def sg_rule_id(c: Ctx) -> str:
    """``SecurityGroupRuleCreateID``: ``sgrule-<StringHashcode>`` of the group id, ports (when
    positive), protocol, type and the sorted sources."""
    proto = protocol_for_value(c.get("protocol", "-1"))
    text = f"{c.get('securityGroupId')}-"
    lo, hi = int(c.get("fromPort", 0) or 0), int(c.get("toPort", 0) or 0)
    text += f"{lo}-" if lo > 0 else ""
    text += f"{hi}-" if hi > 0 else ""
    text += f"{proto}-{c.get('type')}-"
    for key in ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds"):
        text += "".join(f"{v}-" for v in sorted(c.get(key, [])))
    if c.get("sourceSecurityGroupId"):
        text += f"{c.get('sourceSecurityGroupId')}-"
    elif c.get("self"):
        text += f"{c.get('securityGroupId')}-"
    return f"sgrule-{ids.hashcode(text)}"


@read(
    SG_RULE,
    source="internal/service/ec2/vpc_security_group_rule.go resourceSecurityGroupRuleRead",
    id=sg_rule_id,
    zero={"self", "description"},
    schema_version=2,
    timeouts={"create": 5},
)
def _sg_rule(c: Ctx) -> dict[str, Any]:
    proto = protocol_for_value(c.get("protocol", "-1"))
    source = c.get("sourceSecurityGroupId") or ""
    if c.get("self"):
        source = c.get("securityGroupId") or ""
    return {
        "protocol": proto,
        "fromPort": int(c.get("fromPort", 0)),
        "toPort": int(c.get("toPort", 0)),
        "sourceSecurityGroupId": source,
        "securityGroupRuleId": ids.aws_id("sgr", c.urn),
        "cidrBlocks": c.get("cidrBlocks"),
        "ipv6CidrBlocks": c.get("ipv6CidrBlocks"),
        "prefixListIds": c.get("prefixListIds"),
    }
