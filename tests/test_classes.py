"""The class of every resource type (policies/rules/classes.py, issue 17 point 1), offline.

* Modelled is exactly what the network model reads: the type tokens its own modules name
  (their constants and tables, ``HOLDER_TYPES`` included once it exists), both ways, and every
  type the model asks the index for while it models every test design and shipped stack.
* Every inert and modelled token is a resource of the pinned pulumi-aws SDK.
* Every type the six shipped stacks register is classified (none unknown in our own program);
  every type of the policy test designs is modelled, inert, or one of the unknown types listed
  here, each referencing nothing private in the designs unless the case expects the refusal
  (the pure analysis agrees with the case's ``network-types-known`` verdict).
* The classes' rules: engine resources and components, the config can't make a modelled type
  inert, and the analysis stays linear in the stack.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import keyword
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from policies.rules import classes, netmodel, records
from policies.rules.classes import MODELLED_TYPES, TYPES, Class, class_of
from policies.rules.known_types import inert_types
from policies.rules.netmodel import DOORS, TARGET_LINKS, NetworkModel, model_of
from policies.rules.netmodel.gateways import GATEWAY_TYPES, KIND_OF_TYPE
from policies.rules.records import Index
from policies.rules.unmodelled import classify, findings
from review import load_stack_config, run_program
from review.plan import ProgramRun
from review.reachability import records as records_of
from tests import (
    test_policies,
    test_policies_attacks,
    test_policies_doors,
    test_policies_options,
    test_policies_types,
)
from tests.runs import case_run
from tests.work import counted

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "policies" / "rules"
STACKS = ("dev", "prod", "ipv6", "natinstance", "eic", "ssm")
TOKEN = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z0-9/._-]*:[A-Za-z][A-Za-z0-9]*$")
KT = "network-types-known"

# The network model: its stages, the security group rules it reads (_net), the stored copies
# it tells apart (mirrors), and the one network rule that reads a type of its own (ssh.py: the
# EC2 Instance Connect Endpoint's group as an SSH source).
MODEL_SOURCES = (*sorted((RULES / "netmodel").glob("*.py")), RULES / "_net.py",
                 RULES / "mirrors.py", RULES / "ssh.py")

# Types of the policy test designs that may be unknown (each is harmless in the designs unless
# the case expects the refusal: it references nothing of the private tier), and the test type
# invented for the refusal; the ones the model has come to hold since are not.
_MAYBE_UNKNOWN = (
    "aws:ec2/fleet:Fleet",  # an EC2 Fleet in the private subnet: refused (attacks)
    "aws:apigatewayv2/api:Api",  # the API itself: its VPC-link integrations are modelled
    "aws:globalaccelerator/accelerator:Accelerator",  # its listeners and endpoint groups are
    "aws:lambda/function:Function",  # outside any VPC in the designs (ALB -> Lambda)
    "aws:msk/cluster:Cluster",  # places interfaces, no holder entry: refused in the private
    # tier or with the bastion's group, passes in the public tier (types)
    test_policies_types.TUNNEL,
)
UNKNOWN_IN_DESIGNS = {t for t in _MAYBE_UNKNOWN if class_of(t).cls is Class.UNKNOWN}


def _tokens(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value} if TOKEN.match(value) else set()
    if isinstance(value, tuple | list | frozenset | set):
        return set().union(*(_tokens(v) for v in value)) if value else set()
    return set()


def _named_by_the_model() -> dict[str, set[str]]:
    """Token -> the model's modules that name it (a string constant, or a name imported from
    records)."""
    out: dict[str, set[str]] = {}
    for path in MODEL_SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            found: set[str] = set()
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("records"):
                for alias in node.names:
                    found |= _tokens(getattr(records, alias.name, None))
            elif isinstance(node, ast.Constant):
                found |= _tokens(node.value)
            for token in found:
                out.setdefault(token, set()).add(path.name)
    out.pop(records.STACK_TYPE, None)  # queries names the stack to skip it
    return out


def test_modelled_is_exactly_what_the_model_names() -> None:
    named = _named_by_the_model()
    assert len(named) >= 60, "the scan found the model's types"
    unclassed = sorted(t for t in named if t not in MODELLED_TYPES)
    assert not unclassed, (
        f"the network model reads these types: add their line (modelled) to "
        f"policies/rules/classes.py: {unclassed}")
    unread = sorted(t for t in MODELLED_TYPES if t not in named)
    assert not unread, f"classes.py calls these modelled, but the model never names them: {unread}"


def test_the_models_tables_are_modelled() -> None:
    tables = {
        "TARGET_LINKS": {link.type for link in TARGET_LINKS},
        "DOORS": set(DOORS),
        "GATEWAY_TYPES": set(GATEWAY_TYPES),
        "KIND_OF_TYPE": set(KIND_OF_TYPE),
        # The holders stream turns holders into a table (issue 17 point 2); once it exists,
        # every holder type must be modelled here.
        "HOLDER_TYPES": _tokens(list(getattr(netmodel, "HOLDER_TYPES", ()))),
    }
    for name, types in tables.items():
        missing = sorted(types - MODELLED_TYPES)
        assert not missing, f"{name}: {missing}"


def test_every_token_is_a_resource_of_the_pinned_sdk() -> None:
    for token in TYPES:
        if not token.startswith("aws:"):
            continue
        module, cls = re.fullmatch(r"aws:([a-z0-9]+)/[A-Za-z0-9]+:([A-Za-z0-9]+)", token).groups()
        package = f"{module}_" if keyword.iskeyword(module) else module  # aws.lambda_
        resource = getattr(importlib.import_module(f"pulumi_aws.{package}"), cls)
        assert f"'{token}'" in inspect.getsource(resource), token


def test_the_tables_classes() -> None:
    assert class_of("pulumi:pulumi:Stack").cls is Class.INERT
    assert class_of("pulumi:providers:aws").cls is Class.INERT
    assert class_of("acme:index:Wrapper", custom=False) is classes.COMPONENT
    assert class_of("acme:index:Wrapper") is classes.UNKNOWN  # a provider-backed component
    assert class_of("tierednet:index:Bastion").cls is Class.INERT  # ours, served by plugin/
    assert class_of("aws:iam/role:Role").cls is Class.INERT
    assert class_of("aws:ec2/subnet:Subnet").cls is Class.MODELLED
    assert class_of("acme:net/tunnel:Tunnel").cls is Class.UNKNOWN
    declared = frozenset({"acme:net/tunnel:Tunnel", "aws:ec2/subnet:Subnet"})
    assert class_of("acme:net/tunnel:Tunnel", declared_inert=declared) is classes.DECLARED
    # A modelled type stays modelled whatever the config says.
    assert class_of("aws:ec2/subnet:Subnet", declared_inert=declared).cls is Class.MODELLED
    assert {e.cls for e in TYPES.values()} == {Class.MODELLED, Class.INERT}


def test_the_config_cannot_make_a_modelled_type_inert() -> None:
    types, problems = inert_types({"inertTypes": ["acme:net/tunnel:Tunnel",
                                                  "aws:ec2/subnet:Subnet"]})
    assert types == {"acme:net/tunnel:Tunnel"}
    (problem,) = problems
    assert "network-types-known.inertTypes" in problem and "aws:ec2/subnet:Subnet" in problem
    assert inert_types({}) == (frozenset(), [])
    types, (problem,) = inert_types({"inertTypes": "acme:net/tunnel:Tunnel"})
    assert types == frozenset() and "must be a list" in problem


# ---------------------------------------------------------------------------------------------
# The shipped stacks and the test designs


@pytest.fixture(scope="module")
def stacks() -> dict[str, ProgramRun]:
    return {s: run_program(ROOT / "__main__.py", config=load_stack_config(ROOT, s),
                           mode="update", stack=s) for s in STACKS}


def test_every_type_of_the_shipped_stacks_is_classified(stacks: dict[str, ProgramRun]) -> None:
    for stack, run in stacks.items():
        for r in run.resources:
            entry = class_of(r.type, custom=r.custom)
            assert entry.cls is not Class.UNKNOWN, f"{stack}: {r.type} ({r.name})"
            if not r.custom and r.type != records.STACK_TYPE:
                # Our components are listed by token too: served by plugin/, they have one.
                assert r.type in TYPES, r.type


def _designs() -> Iterator[test_policies.Case]:
    seen: set[str] = set()
    for case in [*test_policies.CASES, *test_policies_attacks.CASES,
                 *test_policies_options.CASES, *test_policies_doors.DOORS,
                 *test_policies_doors.ROUTES, *test_policies_types.CASES]:
        if case.id not in seen:
            seen.add(case.id)
            yield case


class _Reads:
    """The types the model asks the index for (``of_type``, value lookups, reference
    targets) while it is built and questioned."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.types: set[str] = set()
        of_type, value_index, ref = Index.of_type, Index._value_index, Index.ref

        def of_type_(ix: Index, *types: str) -> Any:
            self.types |= set(types)
            return of_type(ix, *types)

        def value_index_(ix: Index, typ: str, key: str) -> Any:
            self.types.add(typ)
            return value_index(ix, typ, key)

        def ref_(ix: Index, res: Any, key: str, targets: Any, *a: Any, **k: Any) -> Any:
            self.types |= set(targets)
            return ref(ix, res, key, targets, *a, **k)

        monkeypatch.setattr(Index, "of_type", of_type_)
        monkeypatch.setattr(Index, "_value_index", value_index_)
        monkeypatch.setattr(Index, "ref", ref_)


def _question(model: NetworkModel) -> None:
    for iface in model.interfaces:
        model.internet_ingress(iface)
        model.egress(iface)
    for subnet in model.subnets.values():
        for table in model.route_tables_of(subnet).tables:
            model.routes_of(table)
    model.nodes()
    model.edges()


def test_the_types_of_the_designs(monkeypatch: pytest.MonkeyPatch,
                                  stacks: dict[str, ProgramRun]) -> None:
    reads = _Reads(monkeypatch)
    unknown: set[str] = set()
    runs = [(case, case_run(case, "update", test_policies.PROGRAM_CONFIG))
            for case in _designs()]
    for case, run in [*runs, *((None, r) for r in stacks.values())]:
        ix = Index(records_of(run))
        model = model_of(ix)
        _question(model)
        components = frozenset(r.urn for r in run.resources if not r.custom)
        declared = frozenset()
        if case is not None and isinstance(case.config, dict):
            declared = frozenset(case.config.get(KT, {}).get("inertTypes", ())) - MODELLED_TYPES
        kinds = classify(ix, components, declared)
        unknown |= {ix.by_urn[u].type for u, e in kinds.items() if e.cls is Class.UNKNOWN}
        refused = {f.res.name for f in findings(model, kinds)}
        expected = {n for p, n in (case.expected if case else set()) if p == KT and n}
        assert refused == expected, (case.id if case else "stack", refused, expected)
    assert unknown == UNKNOWN_IN_DESIGNS
    read = {t for t in reads.types if not t.startswith("pulumi:")}
    assert read and not read - MODELLED_TYPES, sorted(read - MODELLED_TYPES)


def test_the_analysis_stays_linear() -> None:
    """Function calls (a deterministic unit of work, not a timing) to classify 4 and 16 copies
    of a world with unknown resources referencing the private tier directly and through inert
    ones, and find them: linear is 4x."""
    from review.bench_scale import copies

    def program() -> None:
        types = test_policies_types
        w = test_policies.World(test_policies.Opts())
        _listener, tg = types._internal_alb(w)
        ns = aws.servicediscovery.PrivateDnsNamespace("ns", name="internal.example",
                                                      vpc=w.vpc.id)
        types.Tunnel("t-subnet", {"subnetId": w.subnets["priv"].id})
        types.Tunnel("t-ip", {"target": w.db.private_ip.apply(lambda ip: f"{ip}:3306")})
        types.Tunnel("t-tg", {"targets": [{"targetGroupArn": tg.arn}]})
        types.Tunnel("t-ns", {"namespaceId": ns.id})
        types.Tunnel("t-free", {"endpoint": "tunnel.example.com"})

    run = run_program(program, config=test_policies.PROGRAM_CONFIG, mode="update")
    work: dict[int, int] = {}
    found: dict[int, int] = {}
    for n in (4, 16):
        recs = records_of(copies(run, n))
        ix = Index(recs)
        model = model_of(ix)
        components = frozenset[str]()
        found[n], work[n] = counted(
            lambda m=model, i=ix, c=components: len(findings(m, classify(i, c, frozenset()))))
    assert found[4] > 0 and found[16] == 4 * found[4], found
    assert work[16] <= 4.5 * work[4], work
