"""The pack's server converts each request once per call (policies/rules/_server.py), for
AnalyzeStack and Analyze: it must answer exactly what pulumi_policy's own servicer answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi_policy.policy as sdk
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2

from policies.rules import POLICIES, _server
from review import run_program
from review.analyzer import _analyze_request, _analyzer_resource, _struct
from review.plan import with_default_providers
from tests.test_policies import CASES, PROGRAM_CONFIG

CHOSEN = ["compliant-dev", "door-alb-to-db", "bastion-computed-cidr", "door-open-group-on-db-eni",
          "door-main-table-via-vpc-output", "fake-bastion-tag"]


def _servicer(cls: Any) -> Any:
    srv = cls("t", "0.0.1", POLICIES, sdk.EnforcementLevel.MANDATORY, None, "", None, None, None,
              None, None)
    req = analyzer_pb2.ConfigureAnalyzerRequest()
    for p in POLICIES:
        req.policyConfig[p.name].enforcementLevel = analyzer_pb2.MANDATORY
    req.policyConfig["bastion-ssh-only-from-office"].properties.update(
        {"officeCidrs": ["203.0.113.0/24"]}
    )
    srv.Configure(req, None)
    return srv


@pytest.fixture(scope="module")
def servicers() -> tuple[Any, Any]:
    original = sdk._PolicyAnalyzerServicer
    try:
        assert _server.install()
        sharing = sdk._PolicyAnalyzerServicer
        assert sharing is not original and sharing._shares_deserialization
    finally:
        sdk._PolicyAnalyzerServicer = original
    return _servicer(original), _servicer(sharing)


@pytest.mark.parametrize("mode", ["update", "preview"])
@pytest.mark.parametrize("case_id", CHOSEN)
def test_sharing_servicer_answers_as_the_sdk(
    servicers: tuple[Any, Any], case_id: str, mode: str, tmp_path: Path
) -> None:
    case = next(c for c in CASES if c.id == case_id)
    run = run_program(case.program(), config=PROGRAM_CONFIG, mode=mode)
    resources = list(with_default_providers(run))
    by_urn = {r.urn: r for r in resources}
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[_analyzer_resource(r, by_urn) for r in resources]
    )
    answers = []
    for srv in servicers:
        response = srv.AnalyzeStack(request, None)
        answers.append(sorted((d.policyName, d.urn, d.message) for d in response.diagnostics))
    assert answers[0] == answers[1]
    if case.expected_for(mode):
        assert answers[1], "the case must produce findings for the comparison to mean something"


GATED = ["bastion-from-internet-v4", "web-sg-rule-all-traffic", "db-associate-public-ip",
         "private-subnet-maps-public-ip", "imdsv1-optional", "launch-template-unhardened"]


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize("case_id", ["compliant-dev", *GATED])
def test_sharing_servicer_analyzes_as_the_sdk(
    servicers: tuple[Any, Any], case_id: str, dry_run: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Analyze (the gates, policies/rules/gates.py): the request converted once and the gates
    that would return at once not called -- the same answers as the SDK's own loop."""
    from policies.rules._wire import OPERATION

    case = next(c for c in CASES if c.id == case_id)
    run = run_program(case.program(), config=PROGRAM_CONFIG, mode="update")
    resources = list(with_default_providers(run))
    by_urn = {r.urn: r for r in resources}
    monkeypatch.setattr(OPERATION, "_dry_run", None)  # restored afterwards: other tests
    OPERATION.configure_stack(dry_run)
    fired = 0
    for r in resources:
        request = _analyze_request(r, _struct(r.inputs), by_urn)
        answers = [srv.Analyze(request, None) for srv in servicers]
        sdk_answer, ours = (sorted((d.policyName, d.message) for d in a.diagnostics)
                            for a in answers)  # fmt: skip
        assert sdk_answer == ours, r.urn
        assert list(answers[0].not_applicable) == list(answers[1].not_applicable)
        fired += len(ours)
    assert bool(fired) == (case_id in GATED and not dry_run)


# ---------------------------------------------------------------------------------------------
# _wire.struct_dict: the properties converted as json_format.MessageToDict converts them


def _same_dict(ours: Any, theirs: Any) -> bool:
    """Equal, with the same types (1.0 is not True) and the same key order at every level."""
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, dict):
        return list(ours) == list(theirs) and all(_same_dict(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(map(_same_dict, ours, theirs))
    return bool(ours == theirs)


@pytest.mark.parametrize("mode", ["update", "preview", "fresh", "refreshed"])
def test_struct_dict_is_message_to_dict_on_every_case(mode: str) -> None:
    """Every resource's inputs and outputs, as the engine sends them: of every policy case in
    update and preview, of the first 40 in each deployed shape (their stored state)."""
    from google.protobuf import json_format

    from policies.rules._wire import struct_dict
    from tests.runs import case_run

    seen = 0
    for case in CASES if mode in ("update", "preview") else CASES[:40]:
        run = (case_run(case, mode, PROGRAM_CONFIG) if mode in ("update", "preview")
               else case_run(case, "deployed", PROGRAM_CONFIG, shape=mode))  # fmt: skip
        for r in run.resources:
            for props in (r.inputs, r.outputs):
                message = _struct(props)
                assert _same_dict(struct_dict(message), json_format.MessageToDict(message)), r.urn
                seen += 1
    assert seen > 1000


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(2**60), 2**60) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=25,
)


@given(st.dictionaries(st.text(max_size=6), _JSON, max_size=6))
def test_struct_dict_is_message_to_dict_on_generated_structs(value: dict[str, Any]) -> None:
    from google.protobuf import json_format

    from policies.rules._wire import struct_dict

    message = _struct(value)
    assert _same_dict(struct_dict(message), json_format.MessageToDict(message))


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_struct_dict_refuses_what_message_to_dict_refuses(number: float) -> None:
    from google.protobuf import json_format

    from policies.rules._wire import struct_dict

    message = _struct({"a": [{"b": number}]})
    with pytest.raises(ValueError) as theirs:
        json_format.MessageToDict(message)
    with pytest.raises(ValueError) as ours:
        struct_dict(message)
    assert str(ours.value) == str(theirs.value)
