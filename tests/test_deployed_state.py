"""The deployed-state model (review/deployed*.py): the outputs the AWS provider stores after
``pulumi up`` (fresh) and after ``pulumi refresh`` (refreshed), for every type the program and
the policy pack use, and their ``pulumi stack export``.

The shipped stacks run once each per session (``stack_runs``); a state is computed per run and
shape and cached by ``review.deployed``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest

from review import aws_schema, deployed, sdk_types
from review.deployed_spec import SPECS
from review.mocks import UNKNOWN
from review.plan import ProgramRun

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod", "ipv6", "natinstance", "eic", "ssm")
SHAPES = ("fresh", "refreshed")
INSTANCE = "aws:ec2/instance:Instance"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def state(stack_runs: Any, stack: str, shape: str) -> dict[str, deployed.DeployedResource]:
    return deployed.deployed_state(stack_runs(stack), shape)


def of_type(
    st: dict[str, deployed.DeployedResource], token: str
) -> list[deployed.DeployedResource]:
    return [r for r in st.values() if r.type == token]


def by_id(st: dict[str, deployed.DeployedResource]) -> dict[str, deployed.DeployedResource]:
    return {r.id: r for r in st.values() if r.custom}


# ----------------------------------------------------------------------------- types
def _pack_types() -> set[str]:
    """Every type token the policy pack names (policies/rules/*.py: the constants of
    records.py and any other) and every pulumi-aws resource class the policy tests build."""
    tokens: set[str] = set()
    for rules in sorted((ROOT / "policies" / "rules").glob("*.py")):
        if rules.name == "classes.py":
            # It names the inert types only to class them: the pack reads none of their
            # outputs but the ids and ARNs others name them by (issue 17 point 1), which the
            # fallback gives too. Its modelled types are constants named by the other modules.
            continue
        tokens |= set(
            re.findall(r'"(aws:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)"', rules.read_text())
        )
    sdk = Path(aws_schema._sdk_root())
    for test in sorted((ROOT / "tests").glob("test_policies*.py")):
        tree = ast.parse(test.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute)
                and isinstance(node.func.value.value, ast.Name)
                and node.func.value.value.id == "aws"
                and not node.func.attr.endswith("Args")
            ):
                module, cls = node.func.value.attr, node.func.attr
                for path in sorted((sdk / module).glob("*.py")):
                    m = re.search(
                        rf"^class {cls}\(pulumi\.CustomResource\):.*?\n\s+'(aws:[^']+:{cls})',",
                        path.read_text(),
                        re.S | re.M,
                    )
                    if m:
                        tokens.add(m.group(1))
                        break
                else:
                    raise AssertionError(f"{test.name}: no pulumi-aws class aws.{module}.{cls}")
    return tokens


def test_every_type_the_pack_uses_has_a_read_table() -> None:
    types = _pack_types()
    assert len(types) >= 60, "the scan found the pack's types"
    missing = sorted(t for t in types if not deployed.has_read_table(t))
    assert not missing, f"no Read table (they would take the fallback): {missing}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_type_the_program_uses_has_a_read_table(stack_runs: Any, stack: str) -> None:
    for shape in SHAPES:
        for r in deployed.iter_custom(state(stack_runs, stack, shape)):
            assert deployed.has_read_table(r.type), r.type
            assert not r.fallback, r.urn


def test_a_type_without_a_table_takes_the_adversarial_fallback() -> None:
    import pulumi_aws as aws

    from review import run_program

    def program() -> None:
        aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
        aws.ec2.DefaultVpc("dv")  # no Read table: the fallback

    run = run_program(program, config={"aws:region": "ap-northeast-2"}, mode="update")
    st = deployed.deployed_state(run, "refreshed")
    [dv] = of_type(st, "aws:ec2/defaultVpc:DefaultVpc")
    assert dv.fallback and not deployed.has_read_table(dv.type)
    always = aws_schema.schema(dv.type).always
    # plausible non-empty values for every always-present string the program did not set
    for key in ("arn", "defaultSecurityGroupId", "mainRouteTableId", "ownerId"):
        assert key in always and isinstance(dv.outputs[key], str) and dv.outputs[key], key
    assert dv.outputs["defaultSecurityGroupId"].startswith("fallback-0")
    [vpc] = of_type(st, "aws:ec2/vpc:Vpc")
    assert not vpc.fallback


def test_a_read_tables_schema_defaults_are_the_diffs_defaults() -> None:
    """A schema ``Default`` a Read table stores when the program leaves it out is one the
    bridge's Check fills in too (review/tfschema.json ``defaults``), so a no-op preview of a
    deployed stack diffs nothing there. Without it a transit gateway, a classic ELB... would be
    replaced on every preview, their dependants' ids unknown, and the pack would judge a stack
    that no preview sends (issue 13 point 1; the deployed-state property of
    tests/test_policies_deployed.py found it). A zero default or an Optional+Computed attribute
    diffs as nothing either way."""
    from review.tfschema import type_schema

    missing = []
    for token, spec in sorted(SPECS.items()):
        always = aws_schema.schema(token).always
        for key, value in spec.defaults.items():
            if value in (False, 0, "", None) or key in always:
                continue
            if type_schema(token).defaults.get(key) != value:
                missing.append(f"{token} {key}={value!r}")
    assert not missing, missing


# ---------------------------------------------------------------------- completeness
def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("shape", SHAPES)
def test_always_present_outputs_are_all_filled(stack_runs: Any, stack: str, shape: str) -> None:
    for r in deployed.iter_custom(state(stack_runs, stack, shape)):
        spec = SPECS[r.type]
        always = aws_schema.schema(r.type).always
        missing = sorted(always - set(r.outputs))
        assert not missing, f"{r.urn}: always-present outputs missing: {missing}"
        nulls = sorted(k for k in always if r.outputs[k] is None and k not in spec.null_ok)
        assert not nulls, f"{r.urn}: always-present outputs left null: {nulls}"
        assert r.gaps == []
        assert UNKNOWN not in list(_walk(r.outputs)), r.urn
        assert r.outputs["id"] == r.id and r.id
        # every declared output, always-present or optional, is a key (null when unset)
        assert set(sdk_types.output_fields(r.type)) <= set(r.outputs), r.urn


def test_null_ok_outputs_are_null_in_real_state_or_documented() -> None:
    """An always-present output a table leaves null is one real hashicorp/aws v6 state shows
    null (the instance's ``host_resource_group_arn``, ``enable_primary_ipv6``,
    ``user_data_base64`` ...)."""
    real = json.loads((ROOT / "tests/fixtures/real/tfstate-hashicorp-aws-6.44.0.json").read_text())
    [inst] = [r for r in real["resources"] if r["type"] == "aws_instance"]
    attrs = inst["instances"][0]["attributes"]
    for wire in SPECS[INSTANCE].null_ok:
        snake = {"instanceMarketOptions": "instance_market_options"}.get(
            wire, re.sub(r"(?<!^)(?=[A-Z])", "_", wire).lower()
        )
        assert attrs[snake] in (None, []), wire  # [] = an empty MaxItems=1 block = null


# ---------------------------------------------------------------------- the four facts
@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("shape", SHAPES)
def test_instance_primary_network_interface_is_its_own_eni(
    stack_runs: Any, stack: str, shape: str
) -> None:
    instances = of_type(state(stack_runs, stack, shape), INSTANCE)
    enis = []
    for i in instances:
        eni = i.outputs["primaryNetworkInterfaceId"]
        assert re.fullmatch(r"eni-0[0-9a-f]{16}", eni), eni
        assert i.outputs["primaryNetworkInterface"] == {
            "deleteOnTermination": True,
            "networkInterfaceId": eni,
        }
        enis.append(eni)
    assert len(set(enis)) == len(enis), "each instance has its own ENI"


def test_eip_names_the_interface_it_is_associated_with(stack_runs: Any) -> None:
    for shape in SHAPES:
        st = state(stack_runs, "dev", shape)
        ids = by_id(st)
        eips = of_type(st, EIP)
        with_instance = [e for e in eips if e.inputs.get("instance")]
        assert with_instance, "dev has the bastion's EIP"
        for e in with_instance:
            inst = ids[e.inputs["instance"]]
            assert e.outputs["instance"] == inst.id
            assert e.outputs["networkInterface"] == inst.outputs["primaryNetworkInterfaceId"]
            assert e.outputs["privateIp"] == inst.outputs["privateIp"]
            assert re.fullmatch(r"eipassoc-0[0-9a-f]{16}", e.outputs["associationId"])
        # the NAT gateway's EIP: associated by the NAT gateway, created after it
        for nat in of_type(st, NAT):
            eip = ids[nat.inputs["allocationId"]]
            if shape == "refreshed":
                assert eip.outputs["networkInterface"] == nat.outputs["networkInterfaceId"]
                assert eip.outputs["privateIp"] == nat.outputs["privateIp"]
                assert eip.outputs["associationId"] == nat.outputs["associationId"]
            else:
                assert eip.outputs["networkInterface"] == ""
            assert nat.outputs["publicIp"] == eip.outputs["publicIp"]


def _rule_source(r: deployed.DeployedResource) -> tuple[str, str]:
    for key, kind in (
        ("cidrIpv4", "cidrBlocks"),
        ("cidrIpv6", "ipv6CidrBlocks"),
        ("prefixListId", "prefixListIds"),
        ("referencedSecurityGroupId", "securityGroups"),
    ):
        if r.inputs.get(key):
            return kind, r.inputs[key]
    raise AssertionError(r.urn)


@pytest.mark.parametrize("stack", STACKS)
def test_refreshed_groups_list_every_rule_including_separate_rule_resources(
    stack_runs: Any, stack: str
) -> None:
    fresh = state(stack_runs, stack, "fresh")
    refreshed = state(stack_runs, stack, "refreshed")
    ids = by_id(refreshed)
    checked = 0
    for token, direction in ((INGRESS, "ingress"), (EGRESS, "egress")):
        for rule in of_type(refreshed, token):
            group = ids[rule.inputs["securityGroupId"]]
            kind, source = _rule_source(rule)
            proto = rule.outputs["ipProtocol"]
            lo = 0 if proto == "-1" else rule.outputs["fromPort"]
            hi = 0 if proto == "-1" else rule.outputs["toPort"]
            matches = [
                g
                for g in group.outputs[direction]
                if (g["protocol"], g["fromPort"], g["toPort"]) == (proto, lo, hi)
                and (
                    source in g[kind]
                    or (kind == "securityGroups" and source == group.id and g["self"])
                )
            ]
            assert matches, f"{rule.urn} not mirrored in {group.urn}.{direction}"
            if kind != "securityGroups" or source != group.id:
                assert matches[0]["description"] == (rule.inputs.get("description") or "")
            # right after `pulumi up` the group was created before its rule: no mirror
            fresh_rules = fresh[group.urn].outputs[direction]
            assert not any(
                source in g.get(kind, []) for g in fresh_rules if not group.inputs.get(direction)
            )
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("stack", STACKS)
def test_refreshed_route_tables_list_their_separate_routes(stack_runs: Any, stack: str) -> None:
    fresh = state(stack_runs, stack, "fresh")
    refreshed = state(stack_runs, stack, "refreshed")
    ids = by_id(refreshed)
    routes = of_type(refreshed, ROUTE)
    assert routes
    for route in routes:
        table = ids[route.inputs["routeTableId"]]
        dest = route.inputs.get("destinationCidrBlock") or route.inputs.get(
            "destinationIpv6CidrBlock"
        )
        listed = [
            r for r in table.outputs["routes"] if dest in (r["cidrBlock"], r["ipv6CidrBlock"])
        ]
        assert len(listed) == 1, f"{route.urn} in {table.urn}: {listed}"
        for target in (
            "gatewayId",
            "natGatewayId",
            "networkInterfaceId",
            "egressOnlyGatewayId",
            "transitGatewayId",
            "vpcPeeringConnectionId",
        ):
            assert listed[0][target] == (route.inputs.get(target) or ""), target
        assert route.id == f"r-{table.id}" + str(__import__("zlib").crc32(dest.encode()))
        assert not fresh[table.urn].outputs["routes"] or table.inputs.get("routes")
    for table in of_type(refreshed, ROUTE_TABLE):
        assert all(r["gatewayId"] != "local" for r in table.outputs["routes"]), "Read drops local"


# ------------------------------------------------------------------ fresh vs refreshed
@pytest.mark.parametrize("stack", STACKS)
def test_fresh_and_refreshed_differ_only_where_a_refresh_can_change_them(
    stack_runs: Any, stack: str
) -> None:
    fresh = state(stack_runs, stack, "fresh")
    refreshed = state(stack_runs, stack, "refreshed")
    assert list(fresh) == list(refreshed)
    differing: set[str] = set()
    for urn, r in refreshed.items():
        f = fresh[urn]
        assert f.id == r.id and f.inputs == r.inputs, urn
        keys = {k for k in set(f.outputs) | set(r.outputs) if f.outputs.get(k) != r.outputs.get(k)}
        keys.discard("__pulumi_raw_state_delta")  # follows the outputs it describes
        if not r.custom or r.type.startswith("pulumi:providers:"):
            assert not keys, urn
            continue
        allowed = SPECS[r.type].fresh_differs
        assert keys <= allowed, f"{urn}: {sorted(keys - allowed)} differ after a refresh"
        differing |= {f"{r.type}.{k}" for k in keys}
    # and they do differ where the separate rule and route resources are mirrored
    assert f"{SG}.ingress" in differing or f"{SG}.egress" in differing
    assert f"{ROUTE_TABLE}.routes" in differing


def test_instance_public_address_after_its_eip_is_associated(stack_runs: Any) -> None:
    """The bastion's EIP is created after the bastion: the bastion's own Create read back its
    auto-assigned address; after a refresh it has the EIP's, and associatePublicIpAddress is
    true (``Association != nil``)."""
    fresh = state(stack_runs, "dev", "fresh")
    refreshed = state(stack_runs, "dev", "refreshed")
    for eip in of_type(refreshed, EIP):
        if not eip.inputs.get("instance"):
            continue
        inst = by_id(refreshed)[eip.inputs["instance"]]
        assert inst.outputs["publicIp"] == eip.outputs["publicIp"]
        assert inst.outputs["associatePublicIpAddress"] is True
        assert fresh[inst.urn].outputs["publicIp"] != eip.outputs["publicIp"]


# ------------------------------------------------------------------------------- ids
_AWS_ID = re.compile(
    r"\b(?:vpc|subnet|sg|eni|i|rtb|igw|eigw|nat|eipalloc|eipassoc|sgr|vol|key|lt|fl|vpce|eice|"
    r"acl|aclassoc|rtbassoc|dopt|tgw|tgw-attach|pcx|vgw|eni-attach|subnet-cidr-assoc|"
    r"vpc-cidr-assoc|sir|sfr)-0[0-9a-f]{16}\b"
)


@pytest.mark.parametrize("stack", STACKS)
def test_ids_are_consistent_across_references(stack_runs: Any, stack: str) -> None:
    run: ProgramRun = stack_runs(stack)
    st = deployed.deployed_state(run, "refreshed")
    text = json.dumps({u: (r.inputs, r.outputs) for u, r in st.items()})
    # no value the mocks made up is left anywhere
    mock_ids = {
        v
        for r in run.resources
        for k, v in r.outputs.items()
        if isinstance(v, str) and v.endswith("-id")
    }
    leftovers = sorted(m for m in mock_ids if m in text)
    assert not leftovers, f"mock ids left in the deployed state: {leftovers[:5]}"
    # every AWS-shaped id referenced is an id some resource in the state owns or reads
    owned = {r.id for r in st.values()}
    owned_values = set()
    for r in st.values():
        if r.custom:
            owned_values |= {v for v in _walk(r.outputs) if isinstance(v, str)}
    for r in st.values():
        for value in _walk(r.inputs):
            if isinstance(value, str):
                for ref in _AWS_ID.finditer(value):
                    rid = ref.group(0)
                    assert rid in owned or rid in owned_values, f"{r.urn}: {rid} names nothing"
    # the references the network is built from point at the right resources
    ids = by_id(st)
    for r in st.values():
        if r.type in (
            SG,
            "aws:ec2/subnet:Subnet",
            ROUTE_TABLE,
            "aws:ec2/internetGateway:InternetGateway",
        ):
            vpc = r.outputs.get("vpcId")
            if vpc:
                assert ids[vpc].type == "aws:ec2/vpc:Vpc"
        if r.type == "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
            assert ids[r.inputs["vpcId"]].outputs["defaultSecurityGroupId"] == r.id


def test_ids_are_aws_shaped_and_derived_from_the_urn(stack_runs: Any) -> None:
    st = state(stack_runs, "dev", "refreshed")
    shapes = {
        "aws:ec2/vpc:Vpc": r"vpc-0[0-9a-f]{16}",
        "aws:ec2/subnet:Subnet": r"subnet-0[0-9a-f]{16}",
        SG: r"sg-0[0-9a-f]{16}",
        INSTANCE: r"i-0[0-9a-f]{16}",
        ROUTE_TABLE: r"rtb-0[0-9a-f]{16}",
        "aws:ec2/internetGateway:InternetGateway": r"igw-0[0-9a-f]{16}",
        NAT: r"nat-0[0-9a-f]{16}",
        EIP: r"eipalloc-0[0-9a-f]{16}",
        INGRESS: r"sgr-0[0-9a-f]{16}",
        ROUTE: r"r-rtb-0[0-9a-f]{16}\d+",
        "aws:ec2/routeTableAssociation:RouteTableAssociation": r"rtbassoc-0[0-9a-f]{16}",
        "pulumi:providers:aws": UUID4,
    }
    seen = set()
    for r in st.values():
        if r.type in shapes:
            assert re.fullmatch(shapes[r.type], r.id), (r.type, r.id)
            seen.add(r.type)
    assert seen == set(shapes)
    assert len({r.id for r in st.values() if r.custom}) == len([r for r in st.values() if r.custom])


def _policy_cases() -> list[Any]:
    from tests import test_policies as tp
    from tests import test_policies_attacks as ta
    from tests import test_policies_doors as td
    from tests import test_policies_holders as th
    from tests import test_policies_options as to
    from tests import test_policies_types as tt

    cases: dict[str, Any] = {}
    for case in [*tp.CASES, *ta.CASES, *to.CASES, *td.DEPLOYED_CASES, *th.CASES, *tt.CASES]:
        cases.setdefault(case.id, case)
    return list(cases.values())


def test_every_policy_case_deploys_without_fallback_or_gap() -> None:
    """Every program the policy tests build, deployed in both shapes: no pulumi-aws type falls
    into the fallback and no always-present output is left null (the pack stream runs every
    case against these states)."""
    from tests.runs import case_run

    cases = _policy_cases()
    assert len(cases) > 100
    problems = []
    for case in cases:
        run = case_run(case, "update", {"aws:region": "ap-northeast-2"})
        for shape in SHAPES:
            for r in deployed.iter_custom(deployed.deployed_state(run, shape)):
                # a type invented for a test (acme:...) has no Read table: it takes the
                # adversarial fallback by design (test_a_type_without_a_table_takes_...)
                if (r.fallback and r.type.startswith("aws:")) or r.gaps:
                    problems.append((case.id, shape, r.type, r.gaps))
    assert not problems, problems[:10]


@pytest.mark.parametrize("stack", STACKS)
def test_stored_inputs_are_the_recorded_checked_inputs(stack_runs: Any, stack: str) -> None:
    """The export's inputs are what the program's Check gave (review/mocks models it), with
    each mock id replaced by the deployed one: a no-op diff against the export sees no change."""
    run: ProgramRun = stack_runs(stack)
    st = deployed.deployed_state(run, "refreshed")
    recorded = run.by_urn()
    made_up = {  # every value the mocks computed (ids, ARNs, names): these get rewritten
        v
        for res in run.resources
        for k, v in res.outputs.items()
        if isinstance(v, str) and len(v) > 6 and res.inputs.get(k) != v
    }
    compared = 0
    for r in deployed.iter_custom(st):
        old = recorded[r.urn].inputs
        assert set(r.inputs) - {"__defaults"} == set(old), r.urn
        # what Check filled (no property dependency: the program did not send it), as the
        # bridge lists it
        filled = sorted(k for k in old if k not in recorded[r.urn].property_dependencies)
        assert r.inputs.get("__defaults", []) == filled, r.urn
        for key, value in old.items():
            text = json.dumps(value)
            if isinstance(value, str):  # base64 user data is rewritten inside too
                text += deployed._base64_text(value) or ""
            if not any(m in text for m in made_up):
                assert r.inputs[key] == value, f"{r.urn}.{key}"
                compared += 1
    assert compared > 50
    for r in st.values():  # components and the stack: their registered outputs, rewritten
        if not r.custom:
            assert set(r.outputs) == set(recorded[r.urn].outputs), r.urn


def _services_program() -> None:
    """One of each holder and front-door type the network model reads besides the program's
    (RDS, Lambda, EFS, ElastiCache, ECS task sets, Client VPN, API Gateway, CloudFront,
    Global Accelerator, Auto Scaling traffic sources, carrier gateways)."""
    import pulumi_aws as aws

    vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
    a = aws.ec2.Subnet(
        "a", vpc_id=vpc.id, cidr_block="10.0.1.0/24", availability_zone="ap-northeast-2a"
    )
    b = aws.ec2.Subnet(
        "b", vpc_id=vpc.id, cidr_block="10.0.2.0/24", availability_zone="ap-northeast-2c"
    )
    sg = aws.ec2.SecurityGroup("sg", vpc_id=vpc.id)
    dbs = aws.rds.SubnetGroup("dbs", subnet_ids=[a.id, b.id])
    aws.rds.Instance(
        "db",
        engine="mysql",
        instance_class="db.t3.micro",
        allocated_storage=20,
        db_subnet_group_name=dbs.name,
        username="admin",
        password="x" * 12,
    )
    cluster = aws.rds.Cluster(
        "c",
        engine="aurora-mysql",
        db_subnet_group_name=dbs.name,
        master_username="admin",
        master_password="x" * 12,
    )
    aws.rds.ClusterInstance(
        "ci", cluster_identifier=cluster.id, instance_class="db.r6g.large", engine="aurora-mysql"
    )
    aws.lambda_.Function(
        "f",
        role="arn:aws:iam::123456789012:role/r",
        runtime="python3.12",
        handler="h.h",
        code=pulumi.AssetArchive({}),
        vpc_config=aws.lambda_.FunctionVpcConfigArgs(subnet_ids=[a.id], security_group_ids=[sg.id]),
    )
    aws.efs.MountTarget("mt", file_system_id="fs-0123456789abcdef0", subnet_id=a.id)
    cs = aws.elasticache.SubnetGroup("cs", subnet_ids=[a.id])
    aws.elasticache.Cluster(
        "cc",
        engine="redis",
        node_type="cache.t3.micro",
        num_cache_nodes=1,
        subnet_group_name=cs.name,
    )
    aws.elasticache.ReplicationGroup("rg", description="r", subnet_group_name=cs.name)
    aws.elasticache.ServerlessCache("sc", engine="redis", subnet_ids=[a.id])
    aws.ecs.TaskSet(
        "ts",
        cluster="arn:aws:ecs:ap-northeast-2:123456789012:cluster/c",
        service="s",
        task_definition="td:1",
    )
    ep = aws.ec2clientvpn.Endpoint(
        "vpn",
        client_cidr_block="10.9.0.0/22",
        server_certificate_arn="arn:aws:acm:x",
        authentication_options=[
            aws.ec2clientvpn.EndpointAuthenticationOptionArgs(
                type="certificate-authentication", root_certificate_chain_arn="arn:aws:acm:y"
            )
        ],
        connection_log_options=aws.ec2clientvpn.EndpointConnectionLogOptionsArgs(enabled=False),
    )
    aws.ec2clientvpn.NetworkAssociation("vpna", client_vpn_endpoint_id=ep.id, subnet_id=a.id)
    aws.apigateway.VpcLink("l1", name="l1", target_arn="arn:aws:elasticloadbalancing:x")
    aws.apigateway.Integration("i1", rest_api="r", resource_id="x", http_method="GET", type="HTTP")
    link = aws.apigatewayv2.VpcLink("l2", name="l2", subnet_ids=[a.id], security_group_ids=[sg.id])
    aws.apigatewayv2.Integration(
        "i2",
        api_id="api",
        integration_type="HTTP_PROXY",
        connection_type="VPC_LINK",
        connection_id=link.id,
    )
    aws.cloudfront.VpcOrigin(
        "vo",
        vpc_origin_endpoint_config=aws.cloudfront.VpcOriginVpcOriginEndpointConfigArgs(
            arn="arn:aws:elasticloadbalancing:x",
            http_port=80,
            https_port=443,
            name="o",
            origin_protocol_policy="http-only",
            origin_ssl_protocols=aws.cloudfront.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs(
                items=["TLSv1.2"], quantity=1
            ),
        ),
    )
    listener = aws.globalaccelerator.Listener(
        "gl",
        accelerator_arn="arn:aws:globalaccelerator::123456789012:accelerator/a",
        protocol="TCP",
        port_ranges=[aws.globalaccelerator.ListenerPortRangeArgs(from_port=80, to_port=80)],
    )
    aws.globalaccelerator.EndpointGroup("ge", listener_arn=listener.id)
    aws.autoscaling.TrafficSourceAttachment(
        "tsa",
        autoscaling_group_name="g",
        traffic_source=aws.autoscaling.TrafficSourceAttachmentTrafficSourceArgs(
            identifier="arn:aws:elasticloadbalancing:tg", type="elbv2"
        ),
    )
    aws.ec2.CarrierGateway("cg", vpc_id=vpc.id)


def test_the_holder_and_door_types_deploy_without_fallback_or_gap() -> None:
    from review import run_program

    run = run_program(_services_program, config={"aws:region": "ap-northeast-2"}, mode="update")
    types = set()
    for shape in SHAPES:
        for r in deployed.iter_custom(deployed.deployed_state(run, shape)):
            assert not r.fallback and not r.gaps, (r.type, r.gaps)
            types.add(r.type)
    assert len(types) >= 25
