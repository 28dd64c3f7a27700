"""The bastion's audit trail must leave the box.

- ``bastion-audit-off-box`` (advisory; mandatory in prod's pack config): every bastion (an
  instance tagged ``Role=bastion``) can ship its logs to a CloudWatch Logs group of this stack
  that keeps them (``retentionInDays`` set) and encrypts them (``kmsKeyId`` set): its instance
  profile's role is allowed ``logs:PutLogEvents`` on that group, by an inline ``RolePolicy`` or
  an attached managed ``Policy`` of the stack.

Asked of the plan, not of the OS: the pack cannot see that the CloudWatch agent runs (the user
data configures it; the program's tests check that). Links follow ``records.Index.ref`` (ids in an
update, property dependencies in a preview); a policy document that is unknown during a preview
fails closed, with the document named.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._wire import Stack, fail_closed
from .records import (
    BASTION_ROLE,
    INSTANCE,
    ROLE_TAG,
    Res,
    is_unknown,
    names,
    number,
)

AUDIT_OFF_BOX: Final = "bastion-audit-off-box"

INSTANCE_PROFILE: Final = "aws:iam/instanceProfile:InstanceProfile"
IAM_ROLE: Final = "aws:iam/role:Role"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT: Final = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY: Final = "aws:iam/policy:Policy"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"

_PROFILE_FIELDS: Final = {INSTANCE_PROFILE: ("id", "name", "arn")}
_ROLE_FIELDS: Final = {IAM_ROLE: ("id", "name", "arn")}
_POLICY_FIELDS: Final = {IAM_POLICY: ("arn", "id")}
_WRITE: Final = "logs:PutLogEvents"
_FIX: Final = (
    "Set the stack's auditLog to cloudwatch (the AuditLog component), or give the bastion an "
    "instance profile whose role may call logs:PutLogEvents on a log group of this stack with "
    "retentionInDays and kmsKeyId set."
)


def _statements(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return []
    if not isinstance(doc, dict):
        return []
    st = doc.get("Statement")
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _group_patterns(doc: Any) -> list[str]:
    """Log group name patterns the document allows logs:PutLogEvents on."""
    out: list[str] = []
    for st in _statements(doc):
        if st.get("Effect") != "Allow" or "NotAction" in st or "NotResource" in st:
            continue
        actions = [a for a in _as_list(st.get("Action")) if isinstance(a, str)]
        if not any(fnmatch.fnmatchcase(_WRITE.lower(), a.lower()) for a in actions):
            continue
        for resource in _as_list(st.get("Resource")):
            if not isinstance(resource, str):
                continue
            if resource == "*":
                out.append("*")
                continue
            parts = resource.split(":", 6)
            if len(parts) == 7 and parts[2] in ("logs", "*") and parts[5] == "log-group":
                out.append(parts[6].split(":log-stream:")[0].removesuffix(":*"))
    return out


def _documents(stack: Stack, role: Res) -> list[tuple[Res, Any]]:
    docs: list[tuple[Res, Any]] = [
        (rp, rp.get("policy")) for rp in stack.referrers(role, [ROLE_POLICY], "role", _ROLE_FIELDS)
    ]
    for att in stack.referrers(role, [ROLE_POLICY_ATTACHMENT], "role", _ROLE_FIELDS):
        for pol in stack.ref(att, "policyArn", _POLICY_FIELDS).targets:
            docs.append((pol, pol.get("policy")))
    return docs


def _keeps_and_encrypts(group: Res) -> list[str]:
    missing = []
    days = number(group.get("retentionInDays"))
    if not is_unknown(days) and not (isinstance(days, float) and days > 0):
        missing.append("retentionInDays (it keeps the logs forever or not at all)")
    key = group.get("kmsKeyId")
    if not is_unknown(key) and not (isinstance(key, str) and key):
        missing.append("kmsKeyId (encryption with a key the stack controls)")
    return missing


def _matching(groups: list[Res], by_name: dict[str, list[int]], patterns: list[str]) -> list[Res]:
    """The groups (in stack order) whose name matches a pattern: a pattern without wildcards
    is looked up by name (every bastion naming its own group stays linear in the stack), one
    with wildcards is matched against every named group."""
    hits: set[int] = set()
    wild = [p for p in patterns if any(c in p for c in "*?[")]
    for p in patterns:
        if p not in wild:
            hits.update(by_name.get(p, ()))
    if wild:
        hits.update(
            i for ix in by_name.values() for i in ix
            if any(fnmatch.fnmatchcase(groups[i].get("name"), p) for p in wild)
        )
    return [groups[i] for i in sorted(hits)]


@fail_closed(AUDIT_OFF_BOX)
def _validate_audit_off_box(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    groups = [g for g in stack.of_type(LOG_GROUP)]
    by_name: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        if isinstance(name := g.get("name"), str):
            by_name.setdefault(name, []).append(i)
    for inst in stack.of_type(INSTANCE):
        if inst.tag(ROLE_TAG) != BASTION_ROLE:
            continue
        where = f"Bastion {inst.label}"
        ref = stack.ref(inst, "iamInstanceProfile", _PROFILE_FIELDS)
        if ref.empty:
            report(
                f"{where} ships its audit log nowhere: it has no instance profile. {_FIX}", inst.urn
            )
            continue
        if not ref.resolved:
            report(
                f"{where}: its instance profile {ref.external or '(unknown)'} is not one of this "
                f"stack's, so where its audit log goes cannot be shown. {_FIX}",
                inst.urn,
            )
            continue
        patterns: list[str] = []
        unknown_docs: list[Res] = []
        for profile in ref.targets:
            for role in stack.ref(profile, "role", _ROLE_FIELDS).targets:
                for owner, doc in _documents(stack, role):
                    if is_unknown(doc):
                        unknown_docs.append(owner)
                    else:
                        patterns += _group_patterns(doc)
        targets = _matching(groups, by_name, patterns)
        if not targets:
            if unknown_docs:
                report(
                    f"{where}: the policy document of {names(unknown_docs)} is unknown during "
                    f"preview, so it cannot be shown to let the bastion write its audit log "
                    f"anywhere. Build the document from known values (the log group's literal "
                    f"name, the account id and partition from invokes). {_FIX}",
                    inst.urn,
                )
            else:
                report(
                    f"{where} ships its audit log nowhere: its instance profile "
                    f"{names(ref.targets)} may not call logs:PutLogEvents on any log group of "
                    f"this stack. {_FIX}",
                    inst.urn,
                )
            continue
        complete = [g for g in targets if not _keeps_and_encrypts(g)]
        if not complete:
            g = targets[0]
            report(
                f"{where} ships its audit log to log group {g.label}, which lacks "
                f"{' and '.join(_keeps_and_encrypts(g))}. Set them on the log group.",
                inst.urn,
            )


bastion_audit_off_box: Final = StackValidationPolicy(
    name=AUDIT_OFF_BOX,
    description=(
        "Every bastion ships its audit log off the box: its instance profile may write to a "
        "CloudWatch Logs group of the stack with retention and a KMS key."
    ),
    validate=_validate_audit_off_box,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES: Final = [bastion_audit_off_box]
