"""The gates of ``pulumi up``: resource policies that stop a resource before it exists.

Where each kind of policy runs (pulumi/pulumi, read at 1b59498):

- ``Analyze`` (resource policies) runs for every resource the program registers, with its
  checked inputs, *before* the step that creates or changes it
  (``pkg/resource/deploy/step_generator.go``: ``continueStepsFromImport`` -> ``analyzeAll``). In
  an update (not a dry run) a mandatory diagnostic makes the resource invalid: the step
  generator bails before the step (``analyze_snapshot.go`` ``analyzeResource``: ``invalid`` only
  when ``!dryRun``), so the resource is never created.
- ``AnalyzeStack`` (stack policies) runs once, *after* the steps executed, and only when they
  all succeeded (``pkg/resource/deploy/deployment_executor.go``: ``AnalyzeResources`` after
  ``stepExec``). In ``pulumi preview`` that is before anything exists; in ``pulumi up
  --skip-preview`` the violating resources already exist when it reports.

What one ``Analyze`` call can know: ``AnalyzeRequest`` carries the resource's type, URN, name,
checked inputs, options and provider -- no id, no outputs, no dependencies and no property
dependencies (``proto/pulumi/analyzer.proto``, ``AnalyzeRequest``;
``pkg/resource/plugin/analyzer_plugin.go`` ``Analyze``). So a gate can't place an instance in a
subnet (the instance names the subnet by id; the subnet's own Analyze never shows its id), nor
an EIP to the instance it names (by id, likewise), nor tell whether a group is the bastion's
(its attachments are other resources). The gates therefore
judge only what a resource says of itself, and only where every stack policy would refuse it
too (they never cry wolf; the stack policies stay the sound judge of everything):

- ``ssh-rule-from-office-only``: an ingress rule in any form (inline ``SecurityGroup`` or
  ``DefaultSecurityGroup`` ``ingress``,
  ``SecurityGroupRule`` of type ingress, ``vpc.SecurityGroupIngressRule``) that admits TCP 22
  (a port range, ``-1`` or all traffic included) from a known CIDR outside the office list
  (``bastion-ssh-only-from-office.officeCidrs``) that is on the internet and wider than any
  VPC's own block (IPv4 shorter than /16, IPv6 shorter than /44: a VPC block is /16 to /28,
  IPv6 /44 to /60): no group may admit that, the bastion's included. A narrower public source
  might be a VPC's own block (a VPC can use public space; its CIDRs come from other resources,
  some computed, some registered later), which one request can't rule out: the stack policies
  judge those (at preview, or after the steps).
- ``private-tier-no-public-ip-flag``: a ``Tier=private`` subnet with ``mapPublicIpOnLaunch``
  true, and a ``Tier=private`` instance with ``associatePublicIpAddress`` true. The instance's
  own tag is enough: ``tier-declared`` refuses an instance whose Tier is not its subnet's, and
  ``private-servers-no-public-ip`` one in a private subnet with a public address.
- ``host-hardening-declared``: an instance or launch template that declares
  ``metadataOptions.httpTokens`` other than ``"required"`` (with the endpoint not disabled), an
  instance that declares ``rootBlockDevice.encrypted`` false, a launch template that declares an
  EBS mapping's ``encrypted`` false. Only what is declared: an undeclared value is filled by AWS
  (an AMI's ``ImdsSupport``, the account's EBS encryption by default), which the stack
  policies judge from the outputs.

Unknown values (a preview) never make a gate fire, and never make it pass anything for good:
the stack policies judge them.

Reported once: a gate reports only in an update (not a dry run), and only when it stops the
resource (its level is mandatory, or remediate: the SDK reports that as mandatory) or when
every stack policy that judges the same fact is disabled. In a dry run (``pulumi preview``, and
the preview that ``pulumi up`` runs first) the stack policies judge the whole plan before
anything exists, and report each violation; in an update a mandatory gate stops the step and
``AnalyzeStack`` never runs; an advisory gate beside an enabled stack policy would only repeat
what that policy reports after the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from ._net import SSH_PORT, security_group_rules
from ._wire import OPERATION, plain
from .hardening import IMDSV2, ROOT_ENCRYPTED
from .netmodel import is_internet
from .private_tier import PRIVATE_SERVERS, PRIVATE_SUBNETS
from .records import (
    DEFAULT_SECURITY_GROUP,
    INSTANCE,
    LAUNCH_TEMPLATE,
    SECURITY_GROUP,
    SG_INGRESS_RULE,
    SG_RULE,
    SUBNET,
    TIER_TAG,
    Index,
    Network,
    Res,
    inside,
    is_unknown,
    truthy,
)
from .ssh import BASTION_SSH, SERVERS_SSH, office_networks

SSH_GATE: Final = "ssh-rule-from-office-only"
PUBLIC_IP_GATE: Final = "private-tier-no-public-ip-flag"
HARDENING_GATE: Final = "host-hardening-declared"

# Each gate and the stack policies that judge the same facts (it stands aside for them).
STANDS_FOR: Final = {
    SSH_GATE: (BASTION_SSH, SERVERS_SSH),
    PUBLIC_IP_GATE: (PRIVATE_SERVERS, PRIVATE_SUBNETS),
    HARDENING_GATE: (IMDSV2, ROOT_ENCRYPTED),
}

# No VPC block is wider: IPv4 /16 to /28, IPv6 /44 to /60 (Amazon-provided /56).
_WIDER_THAN_A_VPC: Final = {4: 16, 6: 44}

Validate = Callable[[ResourceValidationArgs, ReportViolation], None]

# The types each gate judges (its validation returns at once for any other type).
TYPES: Final = {
    SSH_GATE: frozenset({SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SG_RULE, SG_INGRESS_RULE}),
    PUBLIC_IP_GATE: frozenset({SUBNET, INSTANCE}),
    HARDENING_GATE: frozenset({INSTANCE, LAUNCH_TEMPLATE}),
}


class GatePolicy(ResourceValidationPolicy):
    """A resource policy that says up front whether it would judge a request (``applies``):
    the pack's server skips converting and calling it when not."""

    def applies(self, resource_type: str) -> bool:
        return resource_type in TYPES[self.name] and active(self.name)


def active(name: str) -> bool:
    """Whether the gate is the one to report in this operation (see the module docstring)."""
    if OPERATION.dry_run:
        return False
    stops = OPERATION.level(name, "mandatory") in ("mandatory", "remediate")
    return stops or all(OPERATION.level(p, "mandatory") == "disabled" for p in STANDS_FOR[name])


def gate(name: str) -> Callable[[Validate], Validate]:
    """Run the gate only where it is the one to report."""

    def wrap(validate: Validate) -> Validate:
        def guarded(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if args.resource_type in TYPES[name] and active(name):
                validate(args, report)

        guarded.__doc__ = validate.__doc__
        return guarded

    return wrap


def _record(args: ResourceValidationArgs) -> Res:
    """The request as a plain record whose inputs are its properties (an Analyze request's)."""
    props = plain(args.props)
    return Res(type=args.resource_type, urn=args.urn, name=args.name, props=props,
               dependencies=[], property_dependencies={}, inputs=dict(props))  # fmt: skip


def beyond_any_vpc(net: Network) -> bool:
    """On the internet, and wider than any VPC block: it can't be a VPC's own addresses."""
    return is_internet(net) and net.prefixlen < _WIDER_THAN_A_VPC[net.version]


@gate(SSH_GATE)
def _ssh(args: ResourceValidationArgs, report: ReportViolation) -> None:
    offices: list[Network] = OPERATION.derived(
        "offices", lambda: office_networks(OPERATION.config(BASTION_SSH))[0]
    )
    office_text = ", ".join(str(n) for n in offices) or "none"
    res = _record(args)
    for rule in security_group_rules(Index([res])):
        if rule.direction != "ingress" or rule.admits(SSH_PORT) is not True:
            continue
        bad = [
            c.text for c in rule.cidrs
            if (net := c.network) is not None and beyond_any_vpc(net) and not inside(net, offices)
        ]  # fmt: skip
        if bad:
            report(
                f"{rule.where} admits SSH ({rule.ports_text()}) from {', '.join(bad)}, which is "
                f"the internet outside the office CIDRs ({office_text}): no security group may "
                f"admit that, the bastion's included. Stopped before it is created. Narrow the "
                f"source to the office CIDRs ({BASTION_SSH}.officeCidrs) or remove the rule.",
                args.urn,
            )
            return


@gate(PUBLIC_IP_GATE)
def _public_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    res = _record(args)
    if res.tag(TIER_TAG) != "private":
        return
    if res.type == SUBNET and truthy(res.get("mapPublicIpOnLaunch")) is True:
        report(
            f"Private subnet {res.label} sets mapPublicIpOnLaunch to true, so instances "
            f"launched in it get public IPs. Stopped before it is created. Set "
            f"mapPublicIpOnLaunch to false.",
            args.urn,
        )
    elif res.type == INSTANCE and truthy(res.get("associatePublicIpAddress")) is True:
        report(
            f"Instance {res.label} is tagged {TIER_TAG}=private and sets "
            f"associatePublicIpAddress to true: a private-tier server gets no public address "
            f"(and an instance's Tier is its subnet's). Stopped before it is created. Set "
            f"associatePublicIpAddress to false; reach it through the bastion and NAT.",
            args.urn,
        )


def _declared_false(value: Any) -> bool:
    return not is_unknown(value) and value is not None and truthy(value) is False


@gate(HARDENING_GATE)
def _hardening(args: ResourceValidationArgs, report: ReportViolation) -> None:
    res = _record(args)
    kind = "Instance" if res.type == INSTANCE else "Launch template"
    found: list[str] = []
    options = res.get("metadataOptions")
    if isinstance(options, dict):
        tokens = options.get("httpTokens")
        if (isinstance(tokens, str) and tokens and tokens != "required"
                and options.get("httpEndpoint") != "disabled"):  # fmt: skip
            found.append(f"metadataOptions.httpTokens is {tokens!r}: set it to \"required\" "
                         f"(IMDSv2 session tokens only)")  # fmt: skip
    if res.type == INSTANCE:
        root = res.get("rootBlockDevice")
        if isinstance(root, dict) and _declared_false(root.get("encrypted")):
            found.append("rootBlockDevice.encrypted is false: set it to true")
    else:
        mappings = res.get("blockDeviceMappings")
        for i, m in enumerate(mappings if isinstance(mappings, list) else [], start=1):
            ebs = m.get("ebs") if isinstance(m, dict) else None
            if isinstance(ebs, dict) and _declared_false(ebs.get("encrypted")):
                found.append(f"block device mapping #{i} has ebs.encrypted false: set it to true")
    if found:
        report(f"{kind} {res.label}: {'; '.join(found)}. Stopped before it is created.", args.urn)


ssh_rule_from_office_only: Final = GatePolicy(
    name=SSH_GATE,
    description=(
        "Before a rule exists: no ingress rule admits SSH from the internet outside the office "
        "CIDRs (the gate of `pulumi up` for bastion-ssh-only-from-office and "
        "servers-ssh-only-from-bastion)."
    ),
    validate=_ssh,
    enforcement_level=EnforcementLevel.MANDATORY,
)

private_tier_no_public_ip_flag: Final = GatePolicy(
    name=PUBLIC_IP_GATE,
    description=(
        "Before it exists: no private-tier subnet maps public IPs and no private-tier instance "
        "asks for one (the gate of `pulumi up` for private-servers-no-public-ip and "
        "private-subnets-egress-via-nat)."
    ),
    validate=_public_ip,
    enforcement_level=EnforcementLevel.MANDATORY,
)

host_hardening_declared: Final = GatePolicy(
    name=HARDENING_GATE,
    description=(
        "Before it exists: no instance or launch template declares IMDSv1 or an unencrypted "
        "volume (the gate of `pulumi up` for imdsv2-required and root-volume-encrypted)."
    ),
    validate=_hardening,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES: Final = [ssh_rule_from_office_only, private_tier_no_public_ip_flag,
                   host_hardening_declared]  # fmt: skip

