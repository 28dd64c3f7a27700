"""``network-types-known`` (mandatory): what the network model doesn't understand, it refuses.

Every resource type falls in one class of :mod:`.classes`: modelled, inert or unknown. A
resource of unknown type that references anything of the private tier or the bastion -- a
subnet, security group, interface, instance, address, target group, load balancer or the VPC,
by value anywhere in its properties or by property dependency, directly or through inert
resources (:mod:`.unmodelled`) -- may be a door the model cannot see, and is refused. An
unknown type that references only the public tier, or nothing of the network, passes: whatever
it places in the public tier is, for the private tier's groups and routes, one more public-tier
source, which the model judges from the private side (the same as a public web server), and
the public tier's own exposure is not what the pack guards.

How to proceed is in the message: declare the type inert in the pack config
(``network-types-known.inertTypes``) when it cannot carry traffic, or model it (a rule in
``netmodel/`` and its line in ``classes.py``). A type the table knows as modelled stays
modelled: declaring it inert is refused (a stack-level violation naming the key and value) and
has no effect.

The pack cannot see a resource's ``custom`` flag; a resource without a provider is a component
(:mod:`.classes`). ``PolicyResource.provider`` is what the engine sent (pulumi-policy
``policy.py``, ``_PolicyAnalyzerServicer.AnalyzeStack`` builds it from ``AnalyzerResource``
``provider``).
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._wire import Stack, fail_closed
from .classes import MODELLED_TYPES, TYPES
from .netmodel import describe, model_of
from .unmodelled import Finding, classify, findings, why_protected

KNOWN: Final = "network-types-known"
INERT_KEY: Final = "inertTypes"
TOKEN_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9_-]*:[A-Za-z0-9/._-]*:[A-Za-z][A-Za-z0-9_]*$"
INERT_SCHEMA: Final = PolicyConfigSchema(
    properties={
        INERT_KEY: {
            "type": "array",
            "items": {"type": "string", "pattern": TOKEN_PATTERN},
            "uniqueItems": True,
            "default": [],
            "description": (
                "Resource type tokens (e.g. aws:backup/plan:Plan) that cannot carry traffic. "
                "A resource of a type the network model does not know that references the "
                "private tier or the bastion is refused unless its type is listed here. A type "
                "the model knows stays modelled: listing it is refused."
            ),
        },
    },
)


def inert_types(config: Any) -> tuple[frozenset[str], list[str]]:
    """The types the config declares inert, and one message per problem with the config: a
    value the schema should have refused, or a type the model knows as modelled."""
    raw = config.get(INERT_KEY) if hasattr(config, "get") else None
    key = f"{KNOWN}.{INERT_KEY}"
    if raw is None:
        return frozenset(), []
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        return frozenset(), [
            f"The policy config key '{key}' must be a list of resource type tokens "
            f"(pkg:module:Type), not {raw!r}; no type counts as inert until it is fixed."]
    problems = [
        f"The policy config key '{key}' declares {t} inert, but the network model knows it "
        f"({TYPES[t].why}): a modelled type stays modelled. Remove {t} from '{key}'."
        for t in raw if t in MODELLED_TYPES]
    return frozenset(t for t in raw if t not in MODELLED_TYPES), problems


def message(f: Finding, why: dict[str, str]) -> str:
    """Name the resource, its type, what it references (grouped by target: why the target is
    protected, the properties naming it, by value or dependency) and how to proceed."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for r in f.direct:
        text = f"{describe(r.target)} ({why.get(r.target.urn, 'protected')}"
        grouped.setdefault(r.target.urn, (text, []))[1].append(f"{r.key} by {r.how}")
    for r, end in f.via:
        text = (f"{describe(r.target)} (inert, {r.target.type}, which references "
                f"{describe(end)}: {why.get(end.urn, 'protected')}")
        grouped.setdefault(r.target.urn, (text, []))[1].append(f"{r.key} by {r.how}")
    parts = [f"{text}; in {', '.join(dict.fromkeys(keys))})" for text, keys in grouped.values()]
    typ = f.res.type
    return (
        f"{describe(f.res)} is of type {typ}, which the network model does not know (neither "
        f"modelled nor inert), and it references the private tier or the bastion: "
        f"{'; '.join(parts)}. The pack cannot tell whether it opens a way in, so it refuses "
        f"it. If {typ} cannot carry traffic, declare it inert in the policy pack config "
        f"({KNOWN}.{INERT_KEY}: [\"{typ}\"]); if it can, model it: a rule in "
        f"policies/rules/netmodel/ and its line in policies/rules/classes.py."
    )


@fail_closed(KNOWN)
def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = Stack.of(args)
    declared, problems = inert_types(args.get_config())
    for problem in problems:
        report(problem, None)
    components = frozenset(r.urn for r in args.resources if r.provider is None)
    classes = classify(stack, components, declared)
    model = model_of(stack)
    found = findings(model, classes)
    if not found:
        return
    why = why_protected(model)
    for f in found:
        report(message(f, why), f.res.urn)


network_types_known: Final = StackValidationPolicy(
    name=KNOWN,
    description=(
        "Resources of a type the network model does not know reference nothing in the "
        "private tier or the bastion (or their type is declared inert in the pack config)."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=INERT_SCHEMA,
)

POLICIES: Final = [network_types_known]
