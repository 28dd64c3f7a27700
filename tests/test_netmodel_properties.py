"""Properties of the network model on the recorded dev plan (pure Python, no pack process).

* Total: whatever values a preview leaves unknown, the model answers every query (a crash in a
  policy would be reported as a failure to check, never a pass, but it must not happen).
* Monotone: opening a port to the internet on a group never removes a path, and the path it
  adds is exactly the one expected where the interface is public.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.rules.netmodel import NetworkModel
from policies.rules.records import UNKNOWN, Index, Record
from review import reachability, run_program
from review.stack_config import load_project, load_stack_config

ROOT = Path(__file__).resolve().parent.parent
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@pytest.fixture(scope="module")
def dev_records() -> dict[str, list[Record]]:
    project = load_project(ROOT)
    config = load_stack_config(ROOT, "dev")
    return {
        mode: reachability.records(
            run_program(project.main, config=config, mode=mode, stack="dev",
                        project=project.name)
        )
        for mode in ("update", "preview")
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _replace(value: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return UNKNOWN
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest) if k == head else v) for k, v in value.items()}
    return [(_replace(v, rest) if i == head else v) for i, v in enumerate(value)]


def _query_all(model: NetworkModel) -> None:
    for iface in model.interfaces:
        for e in model.internet_ingress(iface):
            assert e.sources and e.reporter is not None
            _ = e.ports_text
        way = model.egress(iface)
        assert way.ipv4.label and way.ipv6.label
    model.nodes()
    model.edges()
    model.servers()


FIXTURE_OK = [HealthCheck.function_scoped_fixture,  # the fixture is module-scoped, read-only
              HealthCheck.too_slow]  # a noisy box (tests/conftest.py)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.data())
def test_model_answers_whatever_is_unknown(dev_records: dict[str, list[Record]],
                                           data: st.DataObject) -> None:
    records = list(dev_records[data.draw(st.sampled_from(["update", "preview"]))])
    for _ in range(data.draw(st.integers(1, 12))):
        i = data.draw(st.integers(0, len(records) - 1))
        paths = _paths(dict(records[i].props))
        if not paths:
            continue
        path = data.draw(st.sampled_from(paths))
        keep_deps = data.draw(st.booleans())
        r = records[i]
        records[i] = dataclasses.replace(
            r,
            props=_replace(dict(r.props), path),
            property_dependencies=r.property_dependencies if keep_deps else {},
        )
    _query_all(NetworkModel(records))


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(port=st.integers(1, 65535), server=st.sampled_from(["web", "db", "bastion"]),
       mode=st.sampled_from(["update", "preview"]))
def test_opening_a_port_only_adds_paths(dev_records: dict[str, list[Record]], port: int,
                                         server: str, mode: str) -> None:
    records = dev_records[mode]
    before = NetworkModel(records)
    group = next(r for r in records if r.name == f"{server}-sg")
    rule = Record(
        type=SG_INGRESS,
        urn=group.urn.rsplit("::", 1)[0].rsplit("$", 1)[0] + f"${SG_INGRESS}::probe",
        name="probe",
        props={"securityGroupId": group.props.get("id"), "ipProtocol": "tcp",
               "fromPort": float(port), "toPort": float(port), "cidrIpv4": "0.0.0.0/0"},
        property_dependencies={"securityGroupId": [group.urn]},
    )
    after = NetworkModel([*records, rule])

    def exposures(model: NetworkModel) -> dict[str, set[tuple[str, str]]]:
        return {
            name: {(e.ports_text, s) for i in ifaces for e in model.internet_ingress(i)
                   for s in e.sources}
            for name, ifaces in model.servers().items()
        }

    old, new = exposures(before), exposures(after)
    for name in old:
        assert old[name] <= new[name]
    added = {name: new[name] - old[name] for name in new}
    public = server in ("web", "bastion")  # db has no public address
    expected = {(f"tcp port {port}", "0.0.0.0/0")} - old[server]
    assert added[server] == (expected if public else set())
    assert all(not v for k, v in added.items() if k != server)


@pytest.mark.parametrize("mode", ["update", "preview"])
def test_building_the_model_leaves_its_records_unchanged(mode: str) -> None:
    """The model reads its records and never writes them: a listener rule's actions are not
    appended to the listener's own ``defaultActions`` (the policies share one stack), so a
    second model built from the same records answers exactly as the first."""
    import copy

    from tests.test_policies import CASES, PROGRAM_CONFIG

    case = next(c for c in CASES if c.id == "door-alb-listener-rule-to-db")
    records = reachability.records(run_program(case.program(), config=PROGRAM_CONFIG,
                                               mode=mode))
    before = copy.deepcopy([r.props for r in records])
    index = Index(records)
    first = NetworkModel(index)
    assert [r.props for r in records] == before  # the records, unchanged
    # (the index's props are the records' with the declared fields the checked inputs give,
    # records.Res: the same again for a second index)
    assert [r.props for r in index] == [r.props for r in Index(records)]

    def exposures(model: NetworkModel) -> list[tuple[str, str, str]]:
        return [(i.key, e.ports_text, e.via) for i in model.interfaces
                for e in model.internet_ingress(i)]

    assert exposures(NetworkModel(index)) == exposures(first)
    assert len([e for e in exposures(first) if e[0].endswith("::db")]) == 1


def test_may_target_never_hides_a_target(dev_records: dict[str, list[Record]]) -> None:
    """``Index.may_target`` (the holders' cheap test before resolving every leaf of an unknown
    type's properties) is false only where ``ref`` finds no target: on every leaf of every dev
    resource, for the template, subnet and group tables the holders resolve leaves against."""
    from policies.rules.netmodel.common import SG_REF_BY_NAME, leaves
    from policies.rules.netmodel.holder_table import TEMPLATE_REF
    from policies.rules.records import SUBNET, ids

    checked = found = 0
    for mode, records in dev_records.items():
        ix = Index(records)
        for res in ix:
            for top, _leaf, value in leaves(res.props):
                for targets in (TEMPLATE_REF, ids(SUBNET), SG_REF_BY_NAME):
                    hits = ix.ref(res, top, targets, value, use_value=True).targets
                    if not ix.may_target(res, top, targets, value):
                        assert not hits, (mode, res.urn, top, value)
                    checked += 1
                    found += bool(hits)
    assert checked > 1000 and found > 50  # leaves that do name a subnet or a group
