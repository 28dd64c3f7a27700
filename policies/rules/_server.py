"""The pack's Analyzer server: pulumi_policy's, deserializing each resource once per call.

pulumi_policy 1.21.0 (``pulumi_policy/policy.py``, ``_PolicyAnalyzerServicer.AnalyzeStack``)
rebuilds the whole stack for every stack policy: for each policy and each resource it runs
``deserialize_properties(json_format.MessageToDict(r.properties))`` and wraps the result in
``unknown_checking_proxy`` (and does the same for the resource's provider). With a dozen stack
policies that is 12 identical conversions of the same request, and it dominates the analysis of
a large stack (about 85 % of ``AnalyzeStack`` on 64 copies of the dev network).

``install()`` swaps in a subclass whose ``AnalyzeStack`` runs the SDK's own code unchanged,
with those three functions memoized by the identity of their argument for the duration of the
call: every policy gets exactly the values the SDK would have built (the same objects, shared,
read-only behind the proxy). Memo entries keep their key objects alive, so an id can't be
reused within a call; the memo is dropped when the call returns. Only for the pinned SDK version
(``policies/requirements.txt``); any other version keeps the SDK's ``AnalyzeStack`` untouched.

The same subclass records every ``Analyze`` request's checked inputs (``_wire.DECLARED``) so the
stack policies can tell what the program declares from what the stored state holds (see
``records.DECLARED_FIELDS``), and forgets them when ``AnalyzeStack`` returns: one deployment, one
``AnalyzeStack``, at its end (pulumi/pulumi pkg/resource/deploy/step_generator.go
``AnalyzeResources``). ``Analyze`` itself runs the SDK's code unchanged.
"""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]
from pulumi_policy.version import VERSION

from ._wire import DECLARED

sdk: Any = importlib.import_module("pulumi_policy.policy")

PINNED_SDK = "1.21.0"
_LOCK = threading.Lock()


class _JsonFormat:
    """``google.protobuf.json_format`` with ``MessageToDict`` memoized (others delegate)."""

    def __init__(self, memo: dict[tuple[Any, ...], tuple[Any, Any]]) -> None:
        self._memo = memo

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        return _cached(self._memo, json_format.MessageToDict, message, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


def _cached(memo: dict[tuple[Any, ...], tuple[Any, Any]], fn: Callable[..., Any], arg: Any,
            args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    key = (fn, id(arg), args, tuple(sorted(kwargs.items())))
    hit = memo.get(key)
    if hit is not None and hit[0] is arg:
        return hit[1]
    value = fn(arg, *args, **kwargs)
    memo[key] = (arg, value)  # keeps `arg` alive: its id is not reused during the call
    return value


@contextmanager
def _memoized() -> Iterator[None]:
    memo: dict[tuple[Any, ...], tuple[Any, Any]] = {}
    originals = (sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy)
    deserialize, proxy = originals[1], originals[2]
    sdk.json_format = _JsonFormat(memo)
    sdk.deserialize_properties = lambda value, *a, **k: _cached(memo, deserialize, value, a, k)
    sdk.unknown_checking_proxy = lambda value, *a, **k: _cached(memo, proxy, value, a, k)
    try:
        yield
    finally:
        sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy = originals
        memo.clear()


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

        def Analyze(self, request: Any, context: Any) -> Any:
            DECLARED.record(request.urn, request.type, request.properties)
            return super().Analyze(request, context)

        def AnalyzeStack(self, request: Any, context: Any) -> Any:
            # The deployment's last call: the inputs seen belong to it alone.
            try:
                if not pinned:
                    return super().AnalyzeStack(request, context)
                # No cyclic GC during the call: it allocates ~10^6 short-lived objects on a
                # large stack, and full collections over a growing heap made the call
                # superlinear. Reference counting still frees everything; cycles are collected
                # afterwards.
                with _LOCK, _memoized():
                    enabled = gc.isenabled()
                    gc.disable()
                    try:
                        return super().AnalyzeStack(request, context)
                    finally:
                        if enabled:
                            gc.enable()
            finally:
                DECLARED.clear()

    sdk._PolicyAnalyzerServicer = PackServicer
    return pinned
