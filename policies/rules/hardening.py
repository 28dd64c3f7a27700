"""Host and VPC hardening.

- ``imdsv2-required`` (mandatory): instances and launch templates require IMDSv2 tokens.
- ``root-volume-encrypted`` (mandatory): instances encrypt their root volume; launch templates
  encrypt every EBS block device mapping.
- ``default-sg-no-rules`` (mandatory): the default security group has no rules, inline or
  separate.
- ``vpc-flow-logs`` (advisory): every VPC has a flow log.
- ``sg-rules-described`` (advisory): every security group rule has a description.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._net import group_label, security_group_rules
from ._wire import Stack, fail_closed
from .records import (
    DEFAULT_SECURITY_GROUP,
    FLOW_LOG,
    INSTANCE,
    LAUNCH_TEMPLATE,
    VPC,
    Res,
    ids,
    is_unknown,
    truthy,
)

IMDSV2: Final = "imdsv2-required"
ROOT_ENCRYPTED: Final = "root-volume-encrypted"
DEFAULT_SG: Final = "default-sg-no-rules"
FLOW_LOGS: Final = "vpc-flow-logs"
DESCRIBED: Final = "sg-rules-described"


def _kind(res: Res) -> str:
    return "Instance" if res.type == INSTANCE else "Launch template"


@fail_closed(IMDSV2)
def _validate_imdsv2(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    for res in stack.of_type(INSTANCE, LAUNCH_TEMPLATE):
        options = res.get("metadataOptions")
        tokens: Any = options.get("httpTokens") if isinstance(options, dict) else options
        if isinstance(tokens, str) and tokens == "required":
            continue
        if isinstance(options, dict) and options.get("httpEndpoint") == "disabled":
            continue  # no metadata service at all
        if is_unknown(tokens):
            found = "is unknown during preview"
        elif tokens is None:
            found = "is not set (IMDSv1 stays enabled)"
        else:
            found = f"is {tokens!r}"
        report(
            f"{_kind(res)} {res.label}: metadataOptions.httpTokens {found}. Set "
            f"metadataOptions.httpTokens to \"required\" so the instance metadata service "
            f"accepts only IMDSv2 session tokens.",
            res.urn,
        )


@fail_closed(ROOT_ENCRYPTED)
def _validate_root_volume(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    for inst in stack.of_type(INSTANCE):
        root = inst.get("rootBlockDevice")
        encrypted = truthy(root.get("encrypted")) if isinstance(root, dict) else truthy(root)
        if encrypted is True and isinstance(root, dict):
            continue
        if is_unknown(encrypted):
            found = "is unknown during preview"
        elif root is None:
            found = "is not declared (no rootBlockDevice)"
        else:
            found = "is not true"
        report(
            f"Instance {inst.label}: rootBlockDevice.encrypted {found}. Set "
            f"rootBlockDevice.encrypted to true.",
            inst.urn,
        )
    for lt in stack.of_type(LAUNCH_TEMPLATE):
        mappings = lt.get("blockDeviceMappings")
        if is_unknown(mappings):
            report(
                f"Launch template {lt.label}: blockDeviceMappings are unknown during preview. "
                f"Declare them with ebs.encrypted set to true.",
                lt.urn,
            )
            continue
        for i, m in enumerate(mappings if isinstance(mappings, list) else [], start=1):
            ebs = m.get("ebs") if isinstance(m, dict) else None
            if ebs is None and isinstance(m, dict) and (
                m.get("virtualName") or m.get("noDevice")
            ):
                continue  # instance store or suppressed device
            enc = truthy(ebs.get("encrypted")) if isinstance(ebs, dict) else truthy(ebs)
            if enc is True:
                continue
            report(
                f"Launch template {lt.label}: block device mapping #{i} has ebs.encrypted "
                f"{'unknown during preview' if is_unknown(enc) else 'not true'}. Set "
                f"ebs.encrypted to true.",
                lt.urn,
            )


@fail_closed(DEFAULT_SG)
def _validate_default_sg(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    for rule in security_group_rules(stack):
        defaults = [g for g in rule.groups.targets if g.type in (DEFAULT_SECURITY_GROUP, VPC)]
        if not defaults:
            continue
        if rule.owner.type == DEFAULT_SECURITY_GROUP:
            report(
                f"{rule.where} declares a rule; the default security group must have no "
                f"ingress or egress rules so that nothing placed in it by default is reachable. "
                f"Remove the inline {rule.form.split()[-1]} rules (set {rule.form.split()[-1]} "
                f"to an empty list).",
                rule.owner.urn,
            )
        else:
            report(
                f"{rule.where} adds a rule to {', '.join(group_label(g) for g in defaults)}; "
                f"the default security group must have no rules. Attach the rule to a "
                f"purpose-built security group instead.",
                rule.owner.urn,
            )


@fail_closed(FLOW_LOGS)
def _validate_flow_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    logged: list[Res] = []
    for fl in stack.of_type(FLOW_LOG):
        logged += stack.ref(fl, "vpcId", ids(VPC)).targets
    for vpc in stack.of_type(VPC):
        if vpc not in logged:
            report(
                f"VPC {vpc.label} has no flow log. Add an aws.ec2.FlowLog with vpcId set to "
                f"the VPC's id (the program's flowLogs config turns it on).",
                vpc.urn,
            )


@fail_closed(DESCRIBED)
def _validate_described(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    for rule in security_group_rules(stack):
        desc = rule.description
        if is_unknown(desc) or (isinstance(desc, str) and desc.strip()):
            continue  # an unknown description is computed, not missing
        report(
            f"{rule.where} has no description. Describe why the rule exists (who needs "
            f"{rule.ports_text()} from where).",
            rule.owner.urn,
        )


imdsv2_required: Final = StackValidationPolicy(
    name=IMDSV2,
    description="Instances and launch templates require IMDSv2 (metadataOptions.httpTokens).",
    validate=_validate_imdsv2,
    enforcement_level=EnforcementLevel.MANDATORY,
)

root_volume_encrypted: Final = StackValidationPolicy(
    name=ROOT_ENCRYPTED,
    description="Instances encrypt their root volume; launch templates their EBS volumes.",
    validate=_validate_root_volume,
    enforcement_level=EnforcementLevel.MANDATORY,
)

default_sg_no_rules: Final = StackValidationPolicy(
    name=DEFAULT_SG,
    description="The VPC's default security group has no ingress or egress rules.",
    validate=_validate_default_sg,
    enforcement_level=EnforcementLevel.MANDATORY,
)

vpc_flow_logs: Final = StackValidationPolicy(
    name=FLOW_LOGS,
    description="Every VPC has a flow log.",
    validate=_validate_flow_logs,
    enforcement_level=EnforcementLevel.ADVISORY,
)

sg_rules_described: Final = StackValidationPolicy(
    name=DESCRIBED,
    description="Every security group rule has a description.",
    validate=_validate_described,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES: Final = [
    imdsv2_required,
    root_volume_encrypted,
    default_sg_no_rules,
    vpc_flow_logs,
    sg_rules_described,
]
