"""The pack's Analyzer server: pulumi_policy's, deserializing each resource once per call.

pulumi_policy 1.21.0 (``pulumi_policy/policy.py``, ``_PolicyAnalyzerServicer.AnalyzeStack``)
rebuilds the whole stack for every stack policy: for each policy and each resource it runs
``deserialize_properties(json_format.MessageToDict(r.properties))``, wraps the result in
``unknown_checking_proxy``, does the same for the resource's provider and links parents and
dependencies. With 15 stack policies that is 15 identical conversions of the same request, and
it dominated the analysis of a large stack (about three quarters of ``AnalyzeStack`` on 64
copies of the dev network).

``install()`` swaps in a subclass whose ``AnalyzeStack`` runs the SDK's own loop over the
policies (copied: ``_analyze_stack``) with the stack built once per call (``_stack_resources``,
the SDK's per-policy body run once): every policy gets the values the SDK would have built for
it, as the same objects, read-only to the rules (they copy what they read, ``_wire.plain``).
Only for the pinned SDK version (``policies/requirements.txt``; ``tests/test_pack_server.py``
compares its answers with the SDK's own servicer); any other version keeps the SDK's
``AnalyzeStack`` untouched.

The same subclass records every ``Analyze`` request's checked inputs (``_wire.DECLARED``) so the
stack policies can tell what the program declares from what the stored state holds (see
``records.DECLARED_FIELDS``), and forgets them when ``AnalyzeStack`` returns: one deployment, one
``AnalyzeStack``, at its end (pulumi/pulumi pkg/resource/deploy/step_generator.go
``AnalyzeResources``). ``Analyze`` runs the SDK's loop the same way (``_analyze``): the
request converted once for all the resource policies (the gates), not once per policy.

Both convert a request's properties as the SDK does, ``deserialize_properties`` of the Struct as a
dict, with ``_wire.struct_dict`` in place of protobuf's generic ``json_format.MessageToDict``
(the same dict, in about two thirds of the time; compared on every resource of the policy cases
and on generated structs by ``tests/test_pack_server.py``).
"""

from __future__ import annotations

import gc
import importlib
import threading
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]
from pulumi_policy.version import VERSION

from ._wire import DECLARED, OPERATION, release_stack, struct_dict

sdk: Any = importlib.import_module("pulumi_policy.policy")

PINNED_SDK = "1.21.0"
# proto/pulumi/analyzer.proto EnforcementLevel
_LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
_LOCK = threading.Lock()


def _stack_resources(servicer: Any, request: Any) -> list[Any]:
    """The ``PolicyResource`` list the pinned SDK builds for each stack policy, built once.

    The body of pulumi_policy 1.21.0's per-policy loop (``policy.py``,
    ``_PolicyAnalyzerServicer.AnalyzeStack``), unchanged but for running once per call: the same
    conversion of each resource's properties and provider, the same parent, dependency and
    property-dependency links, in the request's order (``struct_dict`` for the SDK's
    ``json_format.MessageToDict``: the same dict). One more sharing: resources whose
    provider message is the same (byte for byte) share one ``PolicyProviderResource`` (every
    resource of a stack names one of a handful of providers)."""
    intermediates = []
    providers: dict[bytes, Any] = {}
    for r in request.resources:
        deserialized = sdk.deserialize_properties(struct_dict(r.properties))
        props = sdk.unknown_checking_proxy(deserialized)
        opts = servicer._get_resource_options(r)
        provider = None
        if r.HasField("provider"):
            key = r.provider.SerializeToString(deterministic=True)
            provider = providers.get(key)
            if provider is None:
                provider = providers[key] = servicer._get_provider_resource(r)
        resource = sdk.PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {})
        property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
        intermediates.append((resource, r.parent, list(r.dependencies), property_dependencies))
    urns_to_resources = {i[0].urn: i[0] for i in intermediates}
    for resource, parent, dependencies, property_dependencies in intermediates:
        if parent is not None and parent in urns_to_resources:
            resource.parent = urns_to_resources[parent]
        for d in dependencies:
            if d in urns_to_resources:
                resource.dependencies.append(urns_to_resources[d])
        for k, v in property_dependencies.items():
            resource.property_dependencies[k] = [
                urns_to_resources[d] for d in v if d in urns_to_resources
            ]
    return [i[0] for i in intermediates]


def _resource_policies(servicer: Any) -> list[Any]:
    """The pack's resource policies, in pack order (the SDK skips the others in ``Analyze``)."""
    policies = servicer._PolicyAnalyzerServicer__policies  # module level: no mangling
    cached = getattr(servicer, "_pack_resource_policies", None)
    if cached is None or cached[0] is not policies:
        cached = (policies, [p for p in policies if isinstance(p, sdk.ResourceValidationPolicy)])
        servicer._pack_resource_policies = cached
    return list(cached[1])


def _validate(servicer: Any, policy: Any, args: Any, report: Any, response: Any,
              pack_name: str, pack_version: str) -> None:
    """One policy's call, as the SDK's loops make it (``policy.py``, ``Analyze`` and
    ``AnalyzeStack`` alike): an awaitable result is run to completion, ``UnknownValueError`` is
    the advisory "can't run policy", ``_NotApplicableError`` a not-applicable entry."""
    try:
        result = policy.validate(args, report)
        if sdk.isawaitable(result):
            loop = sdk.asyncio.new_event_loop()
            task = sdk.asyncio.Task(result, loop=loop)
            loop.run_until_complete(task)
            loop.close()
    except sdk.UnknownValueError as e:
        response.diagnostics.append(sdk.proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=pack_name,
            policyPackVersion=pack_version,
            message=(f"can't run policy '{policy.name}' from policy pack "
                     f"'{pack_name}@v{pack_version}' during preview: {e.message}"),
            urn="",
            description=policy.description,
            enforcementLevel=servicer._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
        ))  # fmt: skip
    except sdk._NotApplicableError as e:
        response.not_applicable.append(
            sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
        )


def _analyze(servicer: Any, request: Any) -> Any:
    """pulumi_policy 1.21.0's ``Analyze`` with the request converted once, not once per policy.

    The SDK's loop (``policy.py``, ``_PolicyAnalyzerServicer.Analyze``), copied: levels,
    not-applicable entries, the report callback, config, stack tags and exception handling
    unchanged. Two differences, neither visible in the answer: the properties, options and
    provider are converted once per request (when a policy is first called) and shared by the
    policies, as in ``_analyze_stack``; and a policy that says it would return at once
    (``applies``, the gates: another type, a dry run, or standing aside) is not called."""
    servicer._configure_runtime_settings()
    response = sdk.proto.AnalyzeResponse()
    mangled = "_PolicyAnalyzerServicer__"
    pack_name = getattr(servicer, mangled + "policy_pack_name")
    pack_version = getattr(servicer, mangled + "policy_pack_version")
    stack_tags = getattr(servicer, mangled + "stack_tags")
    converted: tuple[Any, Any, Any] | None = None
    for policy in _resource_policies(servicer):
        level = servicer._get_enforcement_level(policy)
        if level == sdk.EnforcementLevel.DISABLED:
            continue
        if not policy.has_validation():
            response.not_applicable.append(sdk.proto.PolicyNotApplicable(
                policy_name=policy.name, reason="Policy does not implement validate"))
            continue
        if level == sdk.EnforcementLevel.REMEDIATE:
            level = sdk.EnforcementLevel.MANDATORY
        applies = getattr(policy, "applies", None)
        if applies is not None and not applies(request.type):
            continue  # a gate that would return at once (gates.GatePolicy.applies)
        report = servicer._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        if converted is None:
            deserialized = sdk.deserialize_properties(struct_dict(request.properties))
            converted = (sdk.unknown_checking_proxy(deserialized),
                         servicer._get_resource_options(request),
                         servicer._get_provider_resource(request))  # fmt: skip
        props, opts, provider = converted
        args = sdk.ResourceValidationArgs(
            request.type, props, request.urn, request.name, opts, provider,
            servicer._get_policy_config(policy.name), stack_tags,
        )  # fmt: skip
        _validate(servicer, policy, args, report, response, pack_name, pack_version)
    return response


def _analyze_stack(servicer: Any, request: Any) -> Any:
    """pulumi_policy 1.21.0's ``AnalyzeStack`` with the stack built once, not once per policy.

    Every policy runs in the pack's order with the SDK's level handling, report callback,
    config, stack tags and exception handling (``UnknownValueError`` -> the advisory "can't run
    policy", ``_NotApplicableError`` -> not applicable), copied from the SDK; all of them get
    the same list of ``PolicyResource`` objects (read-only to the rules: they copy what they
    read, ``_wire.plain``), where the SDK would build an identical list for each."""
    servicer._configure_runtime_settings()
    response = sdk.proto.AnalyzeResponse()
    mangled = "_PolicyAnalyzerServicer__"
    pack_name = getattr(servicer, mangled + "policy_pack_name")
    pack_version = getattr(servicer, mangled + "policy_pack_version")
    stack_tags = getattr(servicer, mangled + "stack_tags")
    resources: list[Any] | None = None
    for policy in getattr(servicer, mangled + "policies"):
        level = servicer._get_enforcement_level(policy)
        if level == sdk.EnforcementLevel.DISABLED or not isinstance(
            policy, sdk.StackValidationPolicy
        ):
            continue
        if level == sdk.EnforcementLevel.REMEDIATE:
            level = sdk.EnforcementLevel.MANDATORY
        report = servicer._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        if resources is None:
            resources = _stack_resources(servicer, request)
        args = sdk.StackValidationArgs(
            resources, servicer._get_policy_config(policy.name), stack_tags
        )
        _validate(servicer, policy, args, report, response, pack_name, pack_version)
    return response


def install() -> bool:
    """Use the pack's servicer for the PolicyPack built next: it records each ``Analyze``
    request's checked inputs (``_wire.DECLARED``, read by ``_wire.Stack``; any SDK version) and,
    for the pinned SDK only, memoizes ``AnalyzeStack``'s deserialization. False if the SDK
    isn't pinned (the inputs are recorded all the same)."""
    if not hasattr(sdk, "_PolicyAnalyzerServicer"):
        return False
    pinned = VERSION == PINNED_SDK
    base: Any = sdk._PolicyAnalyzerServicer
    if getattr(base, "_records_inputs", False):
        return pinned

    class PackServicer(base):
        _records_inputs = True
        _shares_deserialization = pinned

        def Configure(self, request: Any, context: Any) -> Any:
            # Every policy's level and properties, for the gates (_wire.OPERATION).
            OPERATION.configure(
                {k: _LEVELS.get(v.enforcementLevel, "advisory")
                 for k, v in request.policyConfig.items()},
                {k: json_format.MessageToDict(v.properties)
                 for k, v in request.policyConfig.items()},
            )  # fmt: skip
            return super().Configure(request, context)

        def ConfigureStack(self, request: Any, context: Any) -> Any:
            # The start of an operation (once per pack process in the CLI): nothing seen yet.
            OPERATION.configure_stack(bool(request.dry_run))
            DECLARED.clear()
            return super().ConfigureStack(request, context)

        def Analyze(self, request: Any, context: Any) -> Any:
            DECLARED.record(request.urn, request.type, request.properties)
            if not pinned:
                return super().Analyze(request, context)
            return _analyze(self, request)

        def AnalyzeStack(self, request: Any, context: Any) -> Any:
            # The deployment's last call: the inputs seen belong to it alone.
            try:
                if not pinned:
                    return super().AnalyzeStack(request, context)
                # No cyclic GC during the call: it allocates ~10^5 short-lived objects on a
                # large stack, and full collections over a growing heap made the call
                # superlinear. Reference counting still frees everything; cycles are collected
                # afterwards.
                with _LOCK:
                    enabled = gc.isenabled()
                    gc.disable()
                    try:
                        return _analyze_stack(self, request)
                    finally:
                        if enabled:
                            gc.enable()
            finally:
                release_stack()
                DECLARED.clear()

    sdk._PolicyAnalyzerServicer = PackServicer
    return pinned
