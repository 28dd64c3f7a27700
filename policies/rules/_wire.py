"""Reading the engine's wire form safely, and linking resources without their ids.

What a policy sees is not the Python program: property names are the engine's camelCase
names (``fromPort``, ``cidrBlocks``), numbers arrive as floats, and during a preview of a new
stack every id, arn and IP of a resource being created -- and every input built from one -- is
an *unknown* sentinel string. ``pulumi_policy`` wraps the properties in a proxy that raises
``UnknownValueError`` on any access to such a value, and the SDK turns that exception into an
advisory "can't run policy ... during preview" diagnostic: a mandatory policy that touches an
unknown is silently skipped.

This module therefore never reads a property through the proxy. :func:`plain` copies the
proxied properties into ordinary dicts and lists (through the proxies' raw ``__target``
containers, which do not check for unknowns) and replaces every sentinel with the
:data:`UNKNOWN` marker, so rules can decide what an unknown means -- usually: fail closed.

Resources are linked the way the engine links them: a reference such as a rule's
``securityGroupId`` is resolved by id when both ids are known (an update), and otherwise through
the property dependencies the SDK records for the input (always known, even in a preview).
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation, Secret, StackValidationArgs
from pulumi_policy.deserialize import deserialize_properties

# The proxies are private to pulumi_policy, but they are the only way to see a value without
# triggering UnknownValueError: both hand out their raw container for the key "__target"
# (pulumi_policy's own serializer relies on this).
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)
from pulumi_policy.secret import _DictSecretsProxy, _ListSecretsProxy

# The plain, Pulumi-free part (records, UNKNOWN, type tokens, references, readers) lives in
# .records, so the network model and the offline review share it.
from .records import DECLARED_FIELDS, UNKNOWN, Index, Res

_SENTINELS: Final = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


_PROXIES: Final = (_DictProxy, _ListProxy, _DictSecretsProxy, _ListSecretsProxy)
_SCALARS: Final = (bool, int, float, type(None))


def plain(value: Any) -> Any:
    """A deep copy of a (possibly proxied) wire value with sentinels replaced by UNKNOWN."""
    # Fast paths by exact type (what the SDK's deserializer builds), then the general ones.
    kind = type(value)
    if kind in _PROXIES:
        value = value["__target"]
        kind = type(value)
    if kind is str:
        return UNKNOWN if value in _SENTINELS else value
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if kind is list:
        return [plain(v) for v in value]
    if kind in _SCALARS:
        return value
    if isinstance(value, _DictProxy | _ListProxy | _DictSecretsProxy | _ListSecretsProxy):
        value = value["__target"]
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def struct_dict(message: Any) -> dict[str, Any]:
    """``json_format.MessageToDict`` of a ``google.protobuf.Struct`` (protobuf 5.29's
    ``_StructMessageToJsonObject``, ``_ValueMessageToJsonObject``), without its per-value
    descriptor lookups: the same dict, key order included, and the same ``ValueError`` for an
    infinite or NaN number (``tests/test_pack_server.py`` compares the two on every resource of
    the policy cases and on generated structs). Only Struct and its Value kinds are handled:
    that is all the engine sends as properties (proto/pulumi/analyzer.proto)."""
    fields = message.fields
    return {key: _value(fields[key]) for key in fields}


def _value(v: Any) -> Any:
    which = v.WhichOneof("kind")
    if which == "string_value":
        return v.string_value
    if which == "struct_value":
        fields = v.struct_value.fields
        return {key: _value(fields[key]) for key in fields}
    if which == "bool_value":
        return v.bool_value
    if which == "number_value":
        n = v.number_value
        if math.isinf(n):
            raise ValueError("Fail to serialize Infinity for Value.number_value, "
                             "which would parse as string_value")
        if math.isnan(n):
            raise ValueError("Fail to serialize NaN for Value.number_value, "
                             "which would parse as string_value")
        return n
    if which == "list_value":
        return [_value(x) for x in v.list_value.values]
    return None  # null_value, or no kind set


# ---------------------------------------------------------------------------------------------
# What the program declared: the checked inputs of each resource, as Analyze saw them


class _Declared:
    """The checked inputs the engine sent to ``Analyze``, by URN, until the ``AnalyzeStack``
    that ends the deployment (``_server`` records and clears them).

    The engine calls ``Analyze`` for every resource the program registers, with its checked
    inputs, before the step generator decides whether it changes (pulumi/pulumi
    pkg/resource/deploy/step_generator.go: ``generateResourceSteps`` -> ``continueStepsFromRefresh``
    -> ``continueStepsFromImport``: ``prov.Check``, ``Remediate``, then ``analyzeAll`` on the
    checked ``inputs``, for creates, updates, replaces and sames alike; only ``pulumi refresh``
    and ``pulumi destroy`` return before it), in the same analyzer process that later gets
    ``AnalyzeStack`` (``AnalyzeResources``, over every resource in ``news`` -- including ones
    never registered in this run, such as read resources (``GenerateReadSteps`` calls no
    analyzer) or those a ``--target`` run leaves undeleted: for those no inputs are seen, and
    the rules read their stored state adversarially). Only the types of
    ``records.DECLARED_FIELDS`` are kept: the other types read their outputs only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_urn: dict[str, tuple[str, Any]] = {}

    def record(self, urn: str, type_: str, properties: Any) -> None:
        """Keep the request's properties (a protobuf Struct), converted when first read."""
        if type_ in DECLARED_FIELDS:
            with self._lock:
                self._by_urn[urn] = (type_, properties)

    def of(self, urn: str, type_: str) -> dict[str, Any] | None:
        with self._lock:
            seen = self._by_urn.get(urn)
        if seen is None or seen[0] != type_:
            return None
        value = seen[1]
        if not isinstance(value, dict):
            value = plain(deserialize_properties(struct_dict(value)))
            with self._lock:
                self._by_urn[urn] = (type_, value)
        return dict(value) if isinstance(value, dict) else None

    def clear(self) -> None:
        with self._lock:
            self._by_urn.clear()


DECLARED = _Declared()


class _Operation:
    """What the engine told this pack process about the operation it analyses: whether it is a
    preview (``ConfigureStack``'s ``dry_run``; pulumi/pulumi proto/pulumi/analyzer.proto
    ``AnalyzerStackConfigureRequest``, always sent when the engine analyses a stack; before
    it, the CLI's ``PULUMI_DRY_RUN``) and every policy's configured level and properties
    (``Configure``, the whole pack's config at once). The resource policies of ``gates`` read
    both: a gate reads another policy's config (the office list) and stands aside where that
    policy reports (see ``gates``). ``_server`` records them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dry_run: bool | None = None
        self._levels: dict[str, str] = {}
        self._config: dict[str, dict[str, Any]] = {}
        self._derived: dict[str, Any] = {}

    def configure_stack(self, dry_run: bool) -> None:
        with self._lock:
            self._dry_run = dry_run

    def configure(self, levels: Mapping[str, str], config: Mapping[str, dict[str, Any]]) -> None:
        with self._lock:
            self._levels, self._config = dict(levels), {k: dict(v) for k, v in config.items()}
            self._derived.clear()

    def derived(self, key: str, factory: Callable[[], Any]) -> Any:
        """A value computed from the configuration (the parsed office list), kept until the
        next ``Configure``."""
        with self._lock:
            if key in self._derived:
                return self._derived[key]
        value = factory()
        with self._lock:
            self._derived[key] = value
        return value

    @property
    def dry_run(self) -> bool:
        with self._lock:
            if self._dry_run is not None:
                return self._dry_run
        return os.environ.get("PULUMI_DRY_RUN", "") == "true"

    def level(self, policy: str, default: str) -> str:
        """"advisory" | "mandatory" | "remediate" | "disabled" as configured, else default."""
        with self._lock:
            return self._levels.get(policy, default)

    def config(self, policy: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._config.get(policy, {}))


OPERATION = _Operation()


# ---------------------------------------------------------------------------------------------
# The stack handed to a stack policy, as plain records


# The order in which the SDK runs the stack policies (rules.__init__ sets it from POLICIES).
POLICY_ORDER: list[str] = []


class _Shared(threading.local):
    """The plain stack of the AnalyzeStack call in progress (per server thread).

    pulumi_policy hands every stack policy its own freshly deserialized copy of the same
    resources (pulumi_policy/policy.py, ``AnalyzeStack``: one loop over the policies, in the
    pack's order). Converting and modelling them once per call keeps the analysis linear in
    the stack rather than in stack x policies. A policy reuses the stack built by an earlier
    policy only while the policies run in increasing pack order over the same URNs: the first
    policy of the next call (a lower position) always rebuilds. The pack's own server
    (``_server``) hands every policy of a call the very same list of resources: while that
    list (held here, so its identity can't be reused) is the one a policy gets, the stack is
    reused whatever the order; ``release`` drops it when the call ends."""

    def __init__(self) -> None:
        self.policy = ""  # the policy being validated (set by fail_closed)
        self.position = -1
        self.urns: list[str] = []
        self.resources: list[PolicyResource] | None = None
        self.stack: Stack | None = None

    def release(self) -> None:
        self.position, self.urns, self.resources, self.stack = -1, [], None, None


_SHARED = _Shared()


def release_stack() -> None:
    """Forget the stack of the AnalyzeStack call that just ended (this thread's)."""
    _SHARED.release()


class Stack(Index):
    """The resources handed to a stack policy, as plain records (see :mod:`.records`)."""

    @classmethod
    def of(cls, args: StackValidationArgs) -> Stack:
        """The stack of this AnalyzeStack call, shared by the policies (see ``_Shared``)."""
        shared = _SHARED
        name = shared.policy
        position = POLICY_ORDER.index(name) if name in POLICY_ORDER else -1
        if shared.stack is not None and args.resources is shared.resources:
            shared.position = position
            return shared.stack  # the list the server hands every policy of this call
        urns = [r.urn for r in args.resources]
        if (
            shared.stack is not None
            and position > shared.position >= 0
            and shared.urns == urns
        ):
            shared.position = position
            return shared.stack
        stack = cls(args.resources)
        shared.position, shared.urns, shared.stack = position, urns, stack
        shared.resources = args.resources
        return stack

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        super().__init__(
            Res(
                type=r.resource_type,
                urn=r.urn,
                name=r.name,
                props=plain(r.props),
                dependencies=[d.urn for d in r.dependencies],
                property_dependencies={
                    k: [d.urn for d in v] for k, v in r.property_dependencies.items()
                },
                parent=r.parent.urn if r.parent is not None else "",
                inputs=DECLARED.of(r.urn, r.resource_type),
            )
            for r in resources
        )


# ---------------------------------------------------------------------------------------------
# Fail closed, never skip


StackValidate = Callable[[StackValidationArgs, ReportViolation], None]


def fail_closed(name: str) -> Callable[[StackValidate], StackValidate]:
    """Wrap a stack validation so that it can't be skipped or crash the analysis.

    The SDK turns an ``UnknownValueError`` escaping a policy into an advisory "can't run policy
    ... during preview" -- a silent hole for a mandatory policy -- and any other exception into
    a failed gRPC call. The rules never touch the proxy, but should one slip through, report a
    violation (at the policy's own level) that says so instead.
    """

    def wrap(validate: StackValidate) -> StackValidate:
        @functools.wraps(validate)
        def guarded(args: StackValidationArgs, report: ReportViolation) -> None:
            _SHARED.policy = name
            try:
                validate(args, report)
            except UnknownValueError as exc:
                report(
                    f"Policy '{name}' needed a value that is unknown during preview "
                    f"({exc.message}), so the stack cannot be shown to comply. Make the value "
                    f"known at preview time (a literal or a value derived from config).",
                    None,
                )
            except Exception as exc:
                report(
                    f"Policy '{name}' failed while checking the stack ({type(exc).__name__}: "
                    f"{exc}), so the stack cannot be shown to comply. Report this to the policy "
                    f"pack's owners.",
                    None,
                )

        return guarded

    return wrap
