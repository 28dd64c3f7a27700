"""The resource monitor the program talks to: the SDK's ``MockMonitor`` with engine URNs and a
record of every registration; and, for a preview against old state, the engine's steps.

``RecordingMonitor`` records each ``RegisterResourceRequest`` and the outputs that go back, and
makes URNs as the engine does (``make_urn``). ``BaselineMonitor`` answers each registration as
``pulumi preview`` does against the state of a ``pulumi stack export`` (``review.baseline``):
the step ``review.steps`` decides, and in the response the old id and old outputs (same), the
planned state of an update with the old id, or, for a create or a replace, the mocks' preview
(``AwsMocks`` in preview mode: unknown id and computed values).
"""

from __future__ import annotations

import copy
import threading
from typing import Any, ClassVar

from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import engine_pb2, resource_pb2

from . import steps
from .baseline import Baseline, OldResource
from .mocks import AwsMocks
from .plan import STACK_TYPE, LogEntry, Op, RecordedResource, Step, engine_urn

PROVIDER_PREFIX = "pulumi:providers:"


class _Pending:
    """Mutable registration record, frozen into a RecordedResource at the end of the run."""

    def __init__(self, urn: str, request: Any) -> None:
        self.urn = urn
        self.request = request
        self.outputs: dict = {}
        self.inputs: dict | None = None  # checked inputs when the monitor computed them


class RecordingMonitor(MockMonitor):
    """A MockMonitor that records every RegisterResourceRequest and registered outputs."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.aws = mocks
        self._lock = threading.Lock()
        self._order: list[_Pending] = []
        self._by_urn: dict[str, _Pending] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN as the engine makes it (pulumi/pulumi ``pkg/resource/deploy/deployment.go``
        ``generateURN`` -> ``sdk/go/common/resource/urn/urn.go`` ``New``): the parent's whole
        qualified type, ``$``-joined before the child's type, except that the root stack's type
        (``pulumi:pulumi:Stack``) is left out. The SDK's ``MockMonitor.make_urn`` keeps the root
        stack's type and only the last segment of the parent's type, so its URNs would match no
        real ``pulumi stack export``."""
        stack = pulumi_settings.get_stack()
        project = pulumi_settings.get_project()
        return engine_urn(stack, project, parent, type_, name)

    def _record(self, urn: str, request: Any, outputs: dict, inputs: dict | None = None) -> None:
        pending = _Pending(urn, request)
        if request.type != STACK_TYPE:
            pending.outputs = outputs
        pending.inputs = inputs
        with self._lock:
            self._order.append(pending)
            self._by_urn[urn] = pending

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self._record(response.urn, request, json_format.MessageToDict(response.object))
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = json_format.MessageToDict(request.outputs)
        with self._lock:
            pending = self._by_urn.get(request.urn)
            if pending is not None and not pending.request.custom:
                pending.outputs = outputs
        return super().RegisterResourceOutputs(request)

    def registered(self) -> list[str]:
        with self._lock:
            return [p.urn for p in self._order]

    def recorded(self) -> list[RecordedResource]:
        with self._lock:
            order = list(self._order)
        result = []
        for p in order:
            req = p.request
            # the checked inputs, as the engine sends them to Analyze
            # (pkg/resource/deploy/step_generator.go: Check, then Analyze)
            inputs = p.inputs
            if inputs is None:
                inputs = {
                    **json_format.MessageToDict(req.object),
                    **(self.aws.checked.get((req.type, req.name), {}) if req.custom else {}),
                }
            result.append(
                RecordedResource(
                    urn=p.urn,
                    type=req.type,
                    name=req.name,
                    custom=bool(req.custom),
                    parent=req.parent,
                    provider=req.provider,
                    inputs=inputs,
                    outputs=p.outputs,
                    dependencies=list(req.dependencies),
                    property_dependencies={
                        k: list(v.urns) for k, v in req.propertyDependencies.items()
                    },
                    protect=bool(req.protect),
                    ignore_changes=list(req.ignoreChanges),
                    additional_secret_outputs=list(req.additionalSecretOutputs),
                    delete_before_replace=(
                        bool(req.deleteBeforeReplace) if req.deleteBeforeReplaceDefined else None
                    ),
                    aliases=[json_format.MessageToDict(a) for a in req.aliases],
                )
            )
        return result


class BaselineMonitor(RecordingMonitor):
    """Registrations answered as a preview against ``baseline`` (see the module docstring).
    ``mocks`` must be in preview mode: creates and replacements are planned, not made."""

    def __init__(self, mocks: AwsMocks, baseline: Baseline) -> None:
        if not mocks.preview:
            raise ValueError("a preview against old state needs AwsMocks in preview mode")
        super().__init__(mocks)
        self.baseline = baseline
        self.steps: dict[str, Step] = {}
        self.ignore_warnings: list[str] = []
        self.aliased: dict[str, str] = {}  # new URN -> the old URN it matched by alias
        self.apply_errors: list[str] = []  # what `pulumi up` would fail on (steps.shrink_errors)

    def _old(self, urn: str, request: Any) -> OldResource | None:
        """``getOldResource``: the old state by URN, else by the first alias that names one
        (``generateAliases``: the registration's own aliases and those its parent's alias
        implies for it)."""
        old = self.baseline.get(urn)
        if old is not None:
            return old
        aliases = [json_format.MessageToDict(a) for a in request.aliases]
        stack, project = pulumi_settings.get_stack(), pulumi_settings.get_project()
        for alias in steps.alias_urns(stack, project, request.name, request.type,
                                      request.parent, aliases, self.aliased):
            found = self.baseline.get(alias)
            if found is not None and alias not in self.aliased.values():
                self.aliased[urn] = alias
                return found
        return None

    def _respond(self, request: Any, urn: str, rid: str, outputs: dict, inputs: dict) -> Any:
        obj = struct_pb2.Struct()
        obj.update(outputs)
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, rid, outputs)
        self._record(urn, request, json_format.MessageToDict(obj), inputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=rid, object=obj)

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        old = self._old(urn, request)
        typ, name = request.type, request.name
        news = json_format.MessageToDict(request.object)
        if typ == STACK_TYPE or not request.custom:
            # a component (or the stack): inputs compared for equality; its outputs are what it
            # registers, whatever the old state held
            self.steps[urn] = steps.classify_component(urn, typ, name, news, old)
            return super().RegisterResource(request)
        if typ.startswith(PROVIDER_PREFIX):
            step = steps.classify_provider(urn, typ, name, news, old)
            self.steps[urn] = step
            if old is None:
                return super().RegisterResource(request)
            return self._respond(request, urn, old.id, dict(news), dict(news))
        if old is None:
            self.steps[urn] = Step(urn, typ, name, Op.CREATE)
            return super().RegisterResource(request)

        ignored, invalid = steps.apply_ignore_changes(news, old.inputs, request.ignoreChanges)
        if invalid:  # the engine logs it and goes on (processIgnoreChanges)
            self.ignore_warnings.append(
                f"{urn}: cannot ignore changes in added or removed elements of the path: "
                f"{', '.join(invalid)}"
            )
        added = steps.check_with_olds(
            self.aws.check_additions(typ, name, ignored), old.inputs, ignored
        )
        checked = {**ignored, **added}
        dbr = bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None
        step = steps.classify(
            typ,
            urn,
            name,
            checked,
            old,
            ignore_changes=request.ignoreChanges,
            replace_on_changes=request.replaceOnChanges,
            delete_before_replace=dbr,
        )
        self.steps[urn] = step
        self.apply_errors.extend(steps.shrink_errors(step, checked, old))
        if step.op is Op.REPLACE:
            # continueStepsFromDiff: Check again with the program's own inputs and no olds
            # (a new autoname), then a create-replacement: planned by the preview mocks
            self.aws.autoname_salt[(typ, name)] = f"replacement of {old.id}"
            return super().RegisterResource(request)
        if step.op is Op.SAME:  # SameStep.Apply: the old id and the old outputs
            outputs = copy.deepcopy(old.outputs)
        else:  # UpdateStep: the old id and the provider's planned state
            outputs = steps.planned_update(
                typ, checked, old, step.diffs, self.aws.tags_all(checked.get("tags"))
            )
        return self._respond(request, urn, old.id, outputs, checked)


class RecordingEngine:
    """Stands in for the engine's Log RPC: keeps the program's log messages."""

    _LEVELS: ClassVar[dict[int, str]] = {
        engine_pb2.DEBUG: "debug",
        engine_pb2.INFO: "info",
        engine_pb2.WARNING: "warning",
        engine_pb2.ERROR: "error",
    }

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []

    def Log(self, request: Any) -> None:
        self.entries.append(
            LogEntry(self._LEVELS.get(request.severity, "info"), request.message, request.urn)
        )
