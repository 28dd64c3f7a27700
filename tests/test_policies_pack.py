"""The policy pack as the CLI sees it: its name, policies, levels, config schema and per-stack
config files, plus the whole program (dev and prod) under the pack in both modes."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime.proto import analyzer_pb2

from review import PolicyPack, ReviewError, load_stack_config, run_program

ROOT = Path(__file__).resolve().parent.parent
PACK_DIR = ROOT / "policies"

EXPECTED_LEVELS = {
    "bastion-ssh-only-from-office": "mandatory",
    "servers-ssh-only-from-bastion": "mandatory",
    "private-tier-no-outside-cidrs": "mandatory",
    "private-subnets-egress-via-nat": "mandatory",
    "private-servers-no-public-ip": "mandatory",
    "nat-gateways-in-public-subnets": "mandatory",
    "tier-declared": "mandatory",
    "imdsv2-required": "mandatory",
    "root-volume-encrypted": "mandatory",
    "default-sg-no-rules": "mandatory",
    "vpc-flow-logs": "advisory",
    "sg-rules-described": "advisory",
    "bastion-audit-off-box": "advisory",
    "no-undeclared-rules": "advisory",
    "network-types-known": "mandatory",
    # The gates of `pulumi up` (resource policies, policies/rules/gates.py)
    "ssh-rule-from-office-only": "mandatory",
    "private-tier-no-public-ip-flag": "mandatory",
    "host-hardening-declared": "mandatory",
}
GATES = {"ssh-rule-from-office-only", "private-tier-no-public-ip-flag", "host-hardening-declared"}
OFFICE = "bastion-ssh-only-from-office"
RISKY_POLICY = "private-subnets-egress-via-nat"
KNOWN_POLICY = "network-types-known"


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(PACK_DIR) as p:
        yield p


def test_pack_name_policies_and_levels(pack: PolicyPack) -> None:
    info = pack.info()
    assert info.name == "tiered-network-guardrails"
    assert info.version == "0.1.0"  # from PulumiPolicy.yaml
    names = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}
    levels = {p.name: names[p.enforcementLevel] for p in info.policies}
    assert levels == EXPECTED_LEVELS
    kinds = {p.name: p.policy_type for p in info.policies}
    resource = analyzer_pb2.PolicyType.POLICY_TYPE_RESOURCE
    assert {n for n, k in kinds.items() if k == resource} == GATES, "the gates: resource policies"
    stack = analyzer_pb2.PolicyType.POLICY_TYPE_STACK
    assert all(k == stack for n, k in kinds.items() if n not in GATES), "the rest: stack policies"


def test_office_cidrs_schema(pack: PolicyPack) -> None:
    schemas = {
        p.name: json_format.MessageToDict(p.configSchema)
        for p in pack.info().policies
        if p.configSchema.properties
    }
    assert set(schemas) == {OFFICE, RISKY_POLICY, KNOWN_POLICY}
    # Issue 17 point 1: types that cannot carry traffic, declared inert.
    inert = schemas[KNOWN_POLICY]["properties"]["inertTypes"]
    assert inert["type"] == "array" and inert["default"] == [] and inert["uniqueItems"]
    assert inert["items"]["type"] == "string" and inert["items"]["pattern"]
    # Issue 17: the private networks a route may lead to are not the internet unless marked.
    risky = schemas[RISKY_POLICY]["properties"]["riskyRouteTargets"]
    assert risky["type"] == "array" and risky["default"] == [] and risky["uniqueItems"]
    assert risky["items"] == {"type": "string", "enum": [
        "vpn-gateway", "transit-gateway", "peering", "local-gateway", "core-network",
        "odb-network"]}
    schema = schemas[OFFICE]
    # Issue 9: officeCidrs is not required by the schema: the keyless access modes have no
    # office. With access bastion (the default) a missing or empty list is a mandatory
    # violation of the stack instead (tests/test_policies_options.py).
    assert "required" not in schema
    prop = schema["properties"]["officeCidrs"]
    assert prop["type"] == "array"
    assert prop["items"] == {"type": "string"}
    access = schema["properties"]["access"]
    assert access["enum"] == ["bastion", "instance-connect", "ssm"]
    assert access["default"] == "bastion"


def _write(tmp_path: Path, config: object) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize(
    "config",
    [{RISKY_POLICY: {"riskyRouteTargets": "transit-gateway"}},
     {RISKY_POLICY: {"riskyRouteTargets": ["internet-gateway"]}},
     {RISKY_POLICY: {"riskyRouteTargets": ["peering", "peering"]}}],
    ids=["not-a-list", "not-a-kind", "repeated"],
)
def test_schema_refuses_bad_risky_route_targets(
    pack: PolicyPack, tmp_path: Path, config: object
) -> None:
    with pytest.raises(ReviewError, match=r"private-subnets-egress-via-nat.*riskyRouteTargets"):
        pack.configure(_write(tmp_path, {**config, OFFICE: {"officeCidrs": ["203.0.113.0/24"]}}))


@pytest.mark.parametrize(
    "config",
    [{KNOWN_POLICY: {"inertTypes": "acme:net/tunnel:Tunnel"}},
     {KNOWN_POLICY: {"inertTypes": ["tunnel"]}},
     {KNOWN_POLICY: {"inertTypes": ["acme:net/tunnel:Tunnel", "acme:net/tunnel:Tunnel"]}}],
    ids=["not-a-list", "not-a-token", "repeated"],
)
def test_schema_refuses_bad_inert_types(pack: PolicyPack, tmp_path: Path, config: object) -> None:
    with pytest.raises(ReviewError, match=r"network-types-known.*inertTypes"):
        pack.configure(_write(tmp_path, {**config, OFFICE: {"officeCidrs": ["203.0.113.0/24"]}}))


@pytest.mark.parametrize(
    "config",
    [
        {OFFICE: {"officeCidrs": "203.0.113.0/24"}},
        {OFFICE: {"officeCidrs": [24]}},
        {OFFICE: {"officeCidrs": ["203.0.113.0/24"], "access": "telnet"}},
    ],
    ids=["not-a-list", "not-strings", "unknown-access"],
)
def test_schema_refuses_bad_office_config(
    pack: PolicyPack, tmp_path: Path, config: object
) -> None:
    with pytest.raises(ReviewError, match=r"officeCidrs|bastion-ssh-only-from-office"):
        pack.configure(_write(tmp_path, config))


@pytest.mark.parametrize(
    ("stack", "cidrs"),
    [("dev", ["203.0.113.0/24"]), ("prod", ["198.51.100.0/24", "2001:db8::/32"])],
)
def test_stack_config_files(pack: PolicyPack, stack: str, cidrs: list[str]) -> None:
    path = PACK_DIR / "config" / f"{stack}.json"
    # prod also makes bastion-audit-off-box mandatory (issue 10).
    audit = {"bastion-audit-off-box": "mandatory"} if stack == "prod" else {}
    assert json.loads(path.read_text()) == {OFFICE: {"officeCidrs": cidrs}, **audit}
    pack.configure(path)
    # The engine fills in the schema's default (access: bastion).
    assert pack.policies[OFFICE].properties == {"officeCidrs": cidrs, "access": "bastion"}


def test_rules_import_from_repo_root_without_starting_the_pack() -> None:
    from policies.rules import POLICIES

    assert [p.name for p in POLICIES] == list(EXPECTED_LEVELS)


def test_main_only_assembles_the_pack() -> None:
    tree = ast.parse((PACK_DIR / "__main__.py").read_text())
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert not defs, "rules belong in policies/rules/, not in __main__.py"
    imports = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert "rules" in imports


@pytest.mark.parametrize("mode", ["update", "preview"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program_passes_every_mandatory_policy(pack: PolicyPack, stack: str, mode: str) -> None:
    pack.configure(PACK_DIR / "config" / f"{stack}.json")
    run = run_program(ROOT, config=load_stack_config(ROOT, stack), mode=mode, stack=stack)
    diags = pack.analyze(run)
    assert not [d for d in diags if d.cant_run], [d.message for d in diags if d.cant_run]
    mandatory = [d for d in diags if d.level == "mandatory"]
    assert not mandatory, "\n".join(f"{d.policy} {d.urn}: {d.message}" for d in mandatory)


def test_fail_closed_reports_instead_of_skipping() -> None:
    """Should a rule ever touch an unknown through the SDK's proxy, the violation is reported
    (at the policy's level) rather than downgraded to an advisory "can't run policy"."""
    from pulumi_policy import StackValidationArgs
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

    from policies.rules._wire import fail_closed

    @fail_closed("some-policy")
    def touches_unknown(args: StackValidationArgs, report: object) -> None:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["securityGroupId"])

    @fail_closed("some-policy")
    def crashes(args: StackValidationArgs, report: object) -> None:
        raise KeyError("boom")

    messages: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    touches_unknown(StackValidationArgs([]), report)
    crashes(StackValidationArgs([]), report)
    assert len(messages) == 2
    assert "some-policy" in messages[0] and ".securityGroupId" in messages[0]
    assert "KeyError" in messages[1]
