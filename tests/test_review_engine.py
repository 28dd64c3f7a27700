"""The review engine: recording runs, stack config, policy-pack config and the CLI's exit codes.

Throw-away programs and packs live in tmp_path. Program modules there must not be named like
the real project's packages (``components``), which may already be imported in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime.proto import analyzer_pb2

from review import (
    PolicyPack,
    ProgramError,
    ProgramRun,
    RecordedResource,
    ReviewError,
    run_program,
)
from review.analyzer import (
    _FileEntry,
    load_policy_config_file,
    resolve_policy_config,
)
from review.cli import main as cli_main
from review.mocks import UNKNOWN
from review.plan import with_default_providers
from review.schema import SchemaError, validate
from review.stack_config import load_stack_config

REPO = Path(__file__).resolve().parent.parent
CONFIG = {"tiered-network:prefix": "t", "aws:region": "ap-northeast-2"}


# ---------------------------------------------------------------- programs
class Net(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:net:Net", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc("vpc", cidr_block="10.9.0.0/24", opts=child)
        self.subnet = aws.ec2.Subnet(
            "public-a", vpc_id=self.vpc.id, cidr_block="10.9.0.0/26", opts=child
        )
        self.register_outputs({"vpcId": self.vpc.id})


def small_program() -> None:
    net = Net("net")
    sg = aws.ec2.SecurityGroup("web-sg", vpc_id=net.vpc.id, description="web")
    key = aws.ec2.KeyPair(
        "key", public_key="ssh-ed25519 AAAA test", opts=pulumi.ResourceOptions(protect=True)
    )
    inst = aws.ec2.Instance(
        "web",
        ami="ami-123",
        instance_type="t3.micro",
        subnet_id=net.subnet.id,
        vpc_security_group_ids=[sg.id],
        associate_public_ip_address=False,
        opts=pulumi.ResourceOptions(depends_on=[key]),
    )
    pulumi.export("webIp", inst.private_ip)
    pulumi.export("token", pulumi.Output.secret("hush"))
    pulumi.export("prefix", pulumi.Config().require("prefix"))


def _by_name(run: ProgramRun, name: str) -> RecordedResource:
    found = [r for r in run.resources if r.name == name]
    assert len(found) == 1, [r.name for r in run.resources]
    return found[0]


# ---------------------------------------------------------------- run_program
def test_records_parent_dependencies_and_property_dependencies() -> None:
    run = run_program(small_program, config=CONFIG, mode="update", stack="t")
    stack, net, vpc = _by_name(run, "tiered-network-t"), _by_name(run, "net"), _by_name(run, "vpc")
    subnet, sg, key, web = (_by_name(run, n) for n in ("public-a", "web-sg", "key", "web"))

    assert run.resources[0].type == "pulumi:pulumi:Stack" and run.resources[0] is stack
    assert not stack.custom and not net.custom and vpc.custom
    assert net.parent == stack.urn
    assert vpc.parent == net.urn and subnet.parent == net.urn
    assert vpc.urn == "urn:pulumi:t::tiered-network::test:net:Net$aws:ec2/vpc:Vpc::vpc"
    assert web.parent == stack.urn
    assert subnet.property_dependencies["vpcId"] == [vpc.urn]
    assert web.property_dependencies["subnetId"] == [subnet.urn]
    assert web.property_dependencies["vpcSecurityGroupIds"] == [sg.urn]
    assert set(web.dependencies) == {subnet.urn, sg.urn, key.urn}
    assert key.protect and not web.protect
    # inputs are the wire form the program sent; outputs add the provider's computed values
    assert web.inputs["instanceType"] == "t3.micro" and "arn" not in web.inputs
    assert web.outputs["privateIp"] == "10.9.0.10" and web.outputs["publicIp"] == ""
    assert net.outputs == {"vpcId": "vpc-id"}  # a component's outputs: what it registered
    assert run.outputs == {"webIp": "10.9.0.10", "token": "[secret]", "prefix": "t"}


def test_preview_has_unknown_ids_and_derived_inputs_update_has_values() -> None:
    up = run_program(small_program, config=CONFIG, mode="update", stack="t")
    pv = run_program(small_program, config=CONFIG, mode="preview", stack="t")
    assert [r.urn for r in up.resources] == [r.urn for r in pv.resources]

    assert _by_name(up, "public-a").inputs["vpcId"] == "vpc-id"
    assert _by_name(pv, "public-a").inputs["vpcId"] == UNKNOWN
    assert _by_name(pv, "web").inputs["subnetId"] == UNKNOWN
    assert _by_name(pv, "web").inputs["vpcSecurityGroupIds"] == [UNKNOWN]
    assert _by_name(pv, "web").inputs["instanceType"] == "t3.micro"  # literal inputs stay known
    for key in ("id", "arn", "privateIp", "publicIp"):
        assert _by_name(pv, "web").outputs[key] == UNKNOWN, key
    assert _by_name(up, "web").outputs["id"] == "web-id"
    assert pv.outputs["webIp"] == UNKNOWN and up.outputs["webIp"] == "10.9.0.10"


def test_run_program_is_reentrant_and_leaves_caller_state_alone() -> None:
    from pulumi.runtime import settings

    before_root = settings.get_root_resource()
    first = run_program(small_program, config=CONFIG, mode="update", stack="a")
    second = run_program(
        small_program, config={**CONFIG, "tiered-network:prefix": "z"}, mode="update", stack="b"
    )
    third = run_program(small_program, config=CONFIG, mode="update", stack="a")
    assert second.outputs["prefix"] == "z" and first.outputs["prefix"] == "t"
    assert [r.urn for r in first.resources] == [r.urn for r in third.resources]
    assert first.resources == third.resources
    assert all(r.urn.startswith("urn:pulumi:b::") for r in second.resources)
    assert settings.get_root_resource() is before_root


def test_program_exception_becomes_program_error_with_original_message() -> None:
    def broken() -> None:
        aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/24")
        raise ValueError("subnets overlap: 10.0.0.0/26 and 10.0.0.32/27")

    with pytest.raises(ProgramError, match=r"subnets overlap: 10\.0\.0\.0/26 and 10\.0\.0\.32/27"):
        run_program(broken, config=CONFIG, mode="preview")
    assert issubclass(ProgramError, ReviewError)


def test_exception_inside_apply_is_reported() -> None:
    def broken_apply() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/24")
        vpc.id.apply(lambda _: (_ for _ in ()).throw(RuntimeError("apply blew up")))

    with pytest.raises(ProgramError, match="apply blew up"):
        run_program(broken_apply, config=CONFIG, mode="update")


def test_runs_a_program_directory_with_its_own_modules(tmp_path: Path) -> None:
    _write_project(tmp_path, instance_type="t3.micro", module_name="reviewtest_mod_a")
    config = load_stack_config(tmp_path, "dev")
    run = run_program(tmp_path, config=config, mode="update", stack="dev")
    assert _by_name(run, "web").inputs["instanceType"] == "t3.micro"
    assert "reviewtest_mod_a" not in sys.modules  # forgotten after the run
    again = run_program(tmp_path, config=config, mode="update", stack="dev")
    assert again.resources == run.resources


# ---------------------------------------------------------------- stack config
def test_stack_config_overlays_defaults_and_json_encodes(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        textwrap.dedent("""\
        name: tiered-network
        runtime: {name: python}
        config:
          prefix: {type: string}
          vpcCidr: {type: string, default: 10.0.0.0/24}
          flowLogs: {type: boolean, default: false}
          azs: {type: array, items: {type: string}, default: [ap-northeast-2a]}
          retention: {type: integer, default: 90}
          aws:region: us-east-1
        """)
    )
    (tmp_path / "Pulumi.dev.yaml").write_text(
        textwrap.dedent("""\
        config:
          aws:region: ap-northeast-2
          tiered-network:prefix: jdoe
          tiered-network:azs: [ap-northeast-2a, ap-northeast-2c]
          tiered-network:subnets:
            - {name: web, tier: public}
        """)
    )
    cfg = load_stack_config(tmp_path, "dev")
    assert cfg == {
        "tiered-network:prefix": "jdoe",
        "tiered-network:vpcCidr": "10.0.0.0/24",
        "tiered-network:flowLogs": "false",
        "tiered-network:azs": '["ap-northeast-2a","ap-northeast-2c"]',
        "tiered-network:retention": "90",
        "tiered-network:subnets": '[{"name":"web","tier":"public"}]',
        "aws:region": "ap-northeast-2",
    }
    assert json.loads(cfg["tiered-network:azs"]) == ["ap-northeast-2a", "ap-northeast-2c"]


@pytest.mark.parametrize(
    ("stack_yaml", "match"),
    [
        (None, r"Pulumi\.dev\.yaml: stack config file not found"),
        (
            "config:\n  tiered-network:prefix: {secure: AAABx}\n",
            r"'tiered-network:prefix' is a secure",
        ),
        (
            "config:\n  prefix: x\n  tiered-network:prefix: y\n",
            r"'prefix' and 'tiered-network:prefix' are the same key",
        ),
        (
            "config:\n  aws:region: x\n",
            r"missing required configuration value 'tiered-network:prefix'",
        ),
        (
            "config:\n  tiered-network:prefix: [a]\n",
            r"'tiered-network:prefix' must be of type 'string'",
        ),
        ("config: [\n", r"Pulumi\.dev\.yaml line 2, column 1: expected the node content"),
    ],
)
def test_stack_config_errors_name_file_and_key(
    tmp_path: Path, stack_yaml: str | None, match: str
) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: tiered-network\nruntime: python\nconfig:\n  prefix: {type: string}\n"
    )
    if stack_yaml is not None:
        (tmp_path / "Pulumi.dev.yaml").write_text(stack_yaml)
    with pytest.raises(ReviewError, match=match):
        load_stack_config(tmp_path, "dev")


def test_real_project_config_loads() -> None:
    if not (REPO / "Pulumi.dev.yaml").exists():
        pytest.skip("the program's stack files are not there yet")
    cfg = load_stack_config(REPO, "dev")
    assert cfg["aws:region"]
    assert all(k.count(":") >= 1 and isinstance(v, str) for k, v in cfg.items())


# ---------------------------------------------------------------- pack config
def _info() -> analyzer_pb2.AnalyzerInfo:
    info = analyzer_pb2.AnalyzerInfo(name="p", version="1", supportsConfig=True)
    a = info.policies.add(name="bastion-ssh", enforcementLevel=analyzer_pb2.MANDATORY)
    a.configSchema.properties.update(
        {
            "officeCidrs": {
                "type": "array",
                "items": {"type": "string", "format": "cidr"},
                "minItems": 1,
            },
            "port": {"type": "integer", "default": 22},
        }
    )
    a.configSchema.required.extend(["officeCidrs"])
    info.policies.add(name="flow-logs", enforcementLevel=analyzer_pb2.ADVISORY)
    info.policies.add(name="tags", enforcementLevel=analyzer_pb2.MANDATORY)
    return info


def _resolve(raw: dict) -> dict:
    path = Path("/tmp/does-not-matter.json")
    entries = {}
    for k, v in raw.items():
        entries[k] = (
            _FileEntry(level=v)
            if isinstance(v, str)
            else _FileEntry(
                level=v.get("enforcementLevel"),
                properties={x: y for x, y in v.items() if x != "enforcementLevel"},
            )
        )
    return resolve_policy_config(_info(), entries, path, "/pack")


def test_pack_config_levels_all_and_defaults() -> None:
    res = _resolve({"bastion-ssh": {"officeCidrs": ["203.0.113.0/24"]}})
    assert {n: p.level for n, p in res.items()} == {
        "bastion-ssh": "mandatory",
        "flow-logs": "advisory",
        "tags": "mandatory",
    }
    assert res["bastion-ssh"].properties == {"officeCidrs": ["203.0.113.0/24"], "port": 22}

    res = _resolve(
        {
            "all": "advisory",
            "tags": "disabled",
            "bastion-ssh": {
                "enforcementLevel": "mandatory",
                "officeCidrs": ["2001:db8::/32"],
                "port": 2222,
            },
        }
    )
    assert {n: p.level for n, p in res.items()} == {
        "bastion-ssh": "mandatory",
        "flow-logs": "advisory",
        "tags": "disabled",
    }
    assert res["bastion-ssh"].properties["port"] == 2222


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"bastion-ssh": {}}, r"policy 'bastion-ssh': required property 'officeCidrs' is missing"),
        (
            {"bastion-ssh": {"officeCidrs": ["10.0.0.300/8"]}},
            r"policy 'bastion-ssh': key officeCidrs\[0\]: '10.0.0.300/8' is not a valid cidr",
        ),
        (
            {"bastion-ssh": {"officeCidrs": "10.0.0.0/8"}},
            r"key officeCidrs: expected array, got string",
        ),
        (
            {"bastion-ssh": {"officeCidrs": ["10.0.0.0/8"], "officeCidr": ["x"]}},
            r"key officeCidr: unknown property",
        ),
        ({"bastion-shh": "advisory"}, r"unknown policy 'bastion-shh' \(the pack has: bastion-ssh"),
        ({"all": {"enforcementLevel": "advisory", "x": 1}}, r"policy 'all': only an enforcement"),
    ],
)
def test_pack_config_rejections_name_file_policy_and_key(raw: dict, match: str) -> None:
    with pytest.raises(ReviewError, match=match) as exc:
        _resolve(raw)
    assert "/tmp/does-not-matter.json" in str(exc.value)


def test_pack_config_file_parsing(tmp_path: Path) -> None:
    f = tmp_path / "dev.json"
    f.write_text('{"all": "mandatory", "x": {"enforcementLevel": "advisory", "k": 1}}')
    parsed = load_policy_config_file(f)
    assert parsed["all"].level == "mandatory"
    assert parsed["x"].level == "advisory" and parsed["x"].properties == {"k": 1}
    f.write_text('{"x": "blocking"}')
    with pytest.raises(ReviewError, match=r"dev.json: policy 'x': 'blocking' is not a valid"):
        load_policy_config_file(f)
    f.write_text("{not json")
    with pytest.raises(ReviewError, match=r"dev\.json: invalid JSON"):
        load_policy_config_file(f)
    with pytest.raises(ReviewError, match="policy pack config file not found"):
        load_policy_config_file(tmp_path / "missing.json")


def test_schema_validator_is_strict() -> None:
    assert (
        validate(
            {"a": ["10.0.0.0/8"]},
            {
                "type": "object",
                "properties": {
                    "a": {"type": "array", "items": {"type": "string", "pattern": "^10\\."}}
                },
            },
        )
        == []
    )
    assert validate("x", {"type": "string", "pattern": "^y"}) == [
        "(root): 'x' does not match pattern '^y'"
    ]
    assert validate(3, {"type": "integer", "minimum": 5}) == ["(root): 3 is less than 5"]
    with pytest.raises(SchemaError, match="unsupported schema keyword"):
        validate("x", {"type": "string", "contentEncoding": "base64"})
    with pytest.raises(SchemaError, match="unsupported format"):
        validate("x", {"type": "string", "format": "idn-email"})


# ---------------------------------------------------------------- policy packs
def _write_pack(path: Path, body: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.2.0\n")
    (path / "__main__.py").write_text(textwrap.dedent(body))
    return path


OBSERVING_PACK = """\
from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyPack,
                           ResourceValidationPolicy, StackValidationPolicy)

def no_huge(args, report):
    if args.resource_type == "aws:ec2/instance:Instance":
        if args.props["instanceType"] == args.get_config()["forbidden"]:
            report("instance type is forbidden")

def sees_inputs(args, report):
    if args.resource_type == "aws:ec2/instance:Instance":
        parent = args.opts.parent or ""
        prov = args.provider.urn if args.provider else "-"
        report(f"inputs has arn={'arn' in args.props} parent={parent.split('::')[-1]} "
               f"provider={prov.split('::')[-1]}")

def subnet_known(args, report):
    if args.resource_type == "aws:ec2/instance:Instance" and not args.props["subnetId"]:
        report("no subnet")

def stack_view(args, report):
    by_urn = {r.urn: r for r in args.resources}
    for r in args.resources:
        if r.resource_type == "aws:ec2/instance:Instance":
            deps = sorted(d.name for d in r.dependencies)
            report(f"outputs has arn={'arn' in r.props} parent={r.parent.name} deps={deps} "
                   f"ip={r.props['privateIp']}", r.urn)

PolicyPack("observer", enforcement_level=EnforcementLevel.MANDATORY, policies=[
    ResourceValidationPolicy(name="no-huge", description="no huge instances", validate=no_huge,
        config_schema=PolicyConfigSchema(properties={"forbidden": {"type": "string"}},
                                         required=["forbidden"])),
    ResourceValidationPolicy(name="sees-inputs", description="what Analyze sees",
        validate=sees_inputs, enforcement_level=EnforcementLevel.ADVISORY),
    ResourceValidationPolicy(name="subnet-known", description="subnet is known",
        validate=subnet_known),
    StackValidationPolicy(name="stack-view", description="what AnalyzeStack sees",
        validate=stack_view, enforcement_level=EnforcementLevel.ADVISORY),
])
"""


@pytest.fixture(scope="module")
def observer_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_pack(tmp_path_factory.mktemp("packs") / "observer", OBSERVING_PACK)


def _config_file(tmp_path: Path, data: dict) -> Path:
    f = tmp_path / "pack.json"
    f.write_text(json.dumps(data))
    return f


def test_analyze_sends_inputs_per_resource_and_outputs_to_stack(
    observer_pack: Path, tmp_path: Path
) -> None:
    run = run_program(small_program, config=CONFIG, mode="update", stack="t")
    with PolicyPack(observer_pack) as pack:
        assert pack.info().name == "observer" and pack.info().version == "0.2.0"
        pack.configure(_config_file(tmp_path, {"no-huge": {"forbidden": "t3.micro"}}))
        blocked = pack.analyze(run)
        # An update whose Analyze found a mandatory violation never reaches AnalyzeStack: the
        # resource is invalid and step generation bails (deployment_executor.go).
        assert pack.stack_skipped
        assert not any(d.policy == "stack-view" for d in blocked)
        pack.configure(_config_file(tmp_path, {"no-huge": {"forbidden": "m5.24xlarge"}}))
        diags = pack.analyze(run)
        assert not pack.stack_skipped
    web = _by_name(run, "web")
    got = {(d.policy, d.level, d.urn, d.message.splitlines()[-1]) for d in blocked}
    assert ("no-huge", "mandatory", web.urn, "instance type is forbidden") in got
    got = {(d.policy, d.level, d.urn, d.message.splitlines()[-1]) for d in diags}
    assert (
        "sees-inputs",
        "advisory",
        web.urn,
        "inputs has arn=False parent=tiered-network-t provider=default_7_51_1",
    ) in got
    assert (
        "stack-view",
        "advisory",
        web.urn,
        "outputs has arn=True parent=tiered-network-t deps=['key', 'public-a', 'web-sg'] "
        "ip=10.9.0.10",
    ) in got
    assert not any(d.cant_run for d in diags)


def test_preview_unknowns_surface_as_cant_run(observer_pack: Path, tmp_path: Path) -> None:
    run = run_program(small_program, config=CONFIG, mode="preview", stack="t")
    with PolicyPack(observer_pack) as pack:
        pack.configure(_config_file(tmp_path, {"no-huge": {"forbidden": "t3.huge"}}))
        diags = pack.analyze(run)
    cant = {(d.policy, d.policy_level) for d in diags if d.cant_run}
    assert ("subnet-known", "mandatory") in cant
    assert ("stack-view", "advisory") in cant
    assert all(d.level == "advisory" for d in diags if d.cant_run)
    assert not [d for d in diags if d.level == "mandatory"]


def test_pack_config_level_override_and_disable(observer_pack: Path, tmp_path: Path) -> None:
    run = run_program(small_program, config=CONFIG, mode="update", stack="t")
    with PolicyPack(observer_pack) as pack:
        pack.configure(
            _config_file(
                tmp_path,
                {
                    "all": "advisory",
                    "no-huge": {"forbidden": "t3.micro"},
                    "sees-inputs": "disabled",
                },
            )
        )
        assert pack.policies["no-huge"].level == "advisory"
        diags = pack.analyze(run)
    assert {d.policy for d in diags} == {"no-huge", "stack-view"}
    assert all(d.level == "advisory" for d in diags)


def test_pack_config_schema_error_names_file_policy_key(
    observer_pack: Path, tmp_path: Path
) -> None:
    f = _config_file(tmp_path, {"no-huge": {"forbidden": 5}})
    with (
        PolicyPack(observer_pack) as pack,
        pytest.raises(
            ReviewError, match=r"pack.json: policy 'no-huge': key forbidden: expected string"
        ),
    ):
        pack.configure(f)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            "raise RuntimeError('rules module is broken')\n",
            r"exited with status 1 before listening.*rules module is broken",
        ),
        (
            "print('hello, not a port', flush=True)\nimport time\ntime.sleep(30)\n",
            r"printed 'hello, not a port' instead of a port number",
        ),
    ],
)
def test_pack_that_fails_to_start_raises_review_error(
    tmp_path: Path, body: str, match: str
) -> None:
    pack_dir = _write_pack(tmp_path / "bad", body)
    with pytest.raises(ReviewError, match=match) as exc, PolicyPack(pack_dir, startup_timeout=20):
        pass
    assert str(pack_dir) in str(exc.value)


def test_missing_pack_dir_raises_review_error(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match="policy pack directory not found"):
        PolicyPack(tmp_path / "nope")


def test_default_provider_is_synthesized_for_resources_without_one() -> None:
    run = run_program(small_program, config=CONFIG, mode="update", stack="t")
    resources = with_default_providers(run)
    prov = [r for r in resources if r.type == "pulumi:providers:aws"]
    assert len(prov) == 1 and prov[0].inputs["region"] == "ap-northeast-2"
    web = next(r for r in resources if r.name == "web")
    assert web.provider.startswith(prov[0].urn + "::")
    assert resources.index(prov[0]) < resources.index(next(r for r in resources if r.name == "vpc"))


# ---------------------------------------------------------------- CLI
SIMPLE_PACK = """\
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

def no_huge(args, report):
    if args.resource_type != "aws:ec2/instance:Instance":
        return
    if args.props["instanceType"] == "t3.huge":
        report("t3.huge is not allowed")

def subnet_known(args, report):
    if args.resource_type == "aws:ec2/instance:Instance" and not args.props["subnetId"]:
        report("no subnet")

PolicyPack("simple", enforcement_level=EnforcementLevel.MANDATORY, policies=[
    ResourceValidationPolicy(name="no-huge", description="no huge", validate=no_huge),
    ResourceValidationPolicy(name="subnet-known", description="subnet known",
                             validate=subnet_known),
])
"""


def _write_project(
    root: Path,
    *,
    instance_type: str = "t3.micro",
    module_name: str = "reviewtest_helpers",
    pack_config: dict | None = None,
    program_extra: str = "",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(
        "name: tiered-network\nruntime: python\nconfig:\n  instanceType:\n    type: string\n"
    )
    (root / "Pulumi.dev.yaml").write_text(
        f"config:\n  aws:region: ap-northeast-2\n  tiered-network:instanceType: {instance_type}\n"
    )
    (root / f"{module_name}.py").write_text("PREFIX = 'demo'\n")
    (root / "__main__.py").write_text(
        textwrap.dedent(f"""\
        import pulumi
        import pulumi_aws as aws
        import {module_name} as helpers
        cfg = pulumi.Config()
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/24", tags={{"Name": helpers.PREFIX}})
        subnet = aws.ec2.Subnet("public-a", vpc_id=vpc.id, cidr_block="10.0.0.0/26")
        aws.ec2.Instance("web", ami="ami-1", instance_type=cfg.require("instanceType"),
                         subnet_id=subnet.id)
        """)
        + program_extra
    )
    pack = _write_pack(root / "policies", SIMPLE_PACK)
    (pack / "config").mkdir()
    (pack / "config" / "dev.json").write_text(json.dumps(pack_config or {}))
    return root


def _cli(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_exit_0_when_clean_in_update_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _write_project(tmp_path / "p")
    code, out, _ = _cli(root, "--mode", "update", capsys=capsys)
    assert code == 0, out
    assert "aws:ec2/instance:Instance" in out and "-> OK (exit 0)" in out
    assert "├─ aws:ec2/vpc:Vpc" in out


def test_cli_exit_1_on_mandatory_violation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _write_project(tmp_path / "p", instance_type="t3.huge")
    code, out, _ = _cli(root, "--mode", "update", capsys=capsys)
    assert code == 1
    assert "Mandatory policy violations (1)" in out and "t3.huge is not allowed" in out


def test_cli_exit_1_on_cant_run_of_mandatory_policy_and_0_when_advisory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _write_project(tmp_path / "p")
    code, out, _ = _cli(root, "--mode", "preview", capsys=capsys)
    assert code == 1
    assert "Can't run during preview" in out and "subnet-known (policy is mandatory)" in out

    (root / "policies" / "config" / "dev.json").write_text('{"subnet-known": "advisory"}')
    code, out, _ = _cli(root, "--mode", "preview", "--json", capsys=capsys)
    doc = json.loads(out)
    assert code == 0 and doc["exitCode"] == 0
    assert doc["summary"]["cantRun"] == 1 and doc["summary"]["cantRunOnMandatory"] == 0
    assert doc["runs"]["preview"]["resources"][0]["type"] == "pulumi:pulumi:Stack"


@pytest.mark.parametrize(
    ("breakage", "match"),
    [
        ("no-stack-file", r"Pulumi\.dev\.yaml: stack config file not found"),
        ("no-pack-config", r"config/dev\.json: policy pack config not found"),
        ("schema", r"dev\.json: policy 'no-huge': key x: unknown property"),
        ("pack-crash", r"policy pack .*policies: exited with status 1 before listening"),
        ("program", r"ZeroDivisionError: division by zero \(at __main__\.py:\d+\)"),
    ],
)
def test_cli_exit_2_on_errors_with_one_line_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], breakage: str, match: str
) -> None:
    root = _write_project(tmp_path / "p", program_extra="1 / 0\n" if breakage == "program" else "")
    if breakage == "no-stack-file":
        (root / "Pulumi.dev.yaml").unlink()
    elif breakage == "no-pack-config":
        (root / "policies" / "config" / "dev.json").unlink()
    elif breakage == "schema":
        (root / "policies" / "config" / "dev.json").write_text('{"no-huge": {"x": 1}}')
    elif breakage == "pack-crash":
        (root / "policies" / "__main__.py").write_text("import no_such_module_anywhere\n")
    code, _out, err = _cli(root, capsys=capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert __import__("re").search(match, err), err


def test_python_dash_m_review_runs_as_a_process(tmp_path: Path) -> None:
    root = _write_project(tmp_path / "p", instance_type="t3.huge")
    proc = subprocess.run(
        [sys.executable, "-m", "review", "-C", str(root), "--mode", "update", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert [d["policy"] for d in doc["diagnostics"] if d["level"] == "mandatory"] == ["no-huge"]


REMEDIATING_PACK = """\
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

def add_owner(args):
    if args.resource_type == "aws:ec2/instance:Instance":
        props = dict(args.props)
        props["tags"] = {**(props.get("tags") or {}), "Owner": "ops"}
        return props
    return None

def has_owner(args, report):
    if args.resource_type == "aws:ec2/instance:Instance":
        if "Owner" not in (args.props.get("tags") or {}):
            report("no Owner tag")

PolicyPack("remediating", enforcement_level=EnforcementLevel.MANDATORY, policies=[
    ResourceValidationPolicy(name="add-owner", description="add an Owner tag",
                             remediate=add_owner, enforcement_level=EnforcementLevel.REMEDIATE),
    ResourceValidationPolicy(name="has-owner", description="Owner tag", validate=has_owner),
])
"""


def test_remediations_run_before_analyze_and_are_reported(tmp_path: Path) -> None:
    pack_dir = _write_pack(tmp_path / "rem", REMEDIATING_PACK)
    run = run_program(small_program, config=CONFIG, mode="update", stack="t")
    with PolicyPack(pack_dir) as pack:
        pack.configure(None)
        diags = pack.analyze(run)
    assert [(d.policy, d.level) for d in diags] == [("add-owner", "remediate")]
    assert diags[0].urn == _by_name(run, "web").urn

    with PolicyPack(pack_dir) as pack:  # without the remediation, the violation shows
        pack.configure(_config_file(tmp_path, {"add-owner": "disabled"}))
        diags = pack.analyze(run)
    assert [(d.policy, d.level) for d in diags] == [("has-owner", "mandatory")]


def test_unsupported_invoke_fails_the_program_naming_the_token() -> None:
    def uses_unmocked_invoke() -> None:
        aws.s3.get_bucket(bucket="logs")

    with pytest.raises(ProgramError, match=r"no mock for invoke 'aws:s3/getBucket:getBucket'"):
        run_program(uses_unmocked_invoke, config=CONFIG, mode="update")


def test_call_many_answers_in_order_with_a_bounded_window(tmp_path: Path) -> None:
    """Remediate/Analyze calls are pipelined, never more than CALL_WINDOW in flight (thousands
    at once end in CANCELLED from the pack's gRPC server), and answers keep request order."""
    from review import analyzer

    in_flight = {"now": 0, "max": 0}

    class Future:
        def __init__(self, value: int) -> None:
            self.value = value

        def result(self) -> int:
            in_flight["now"] -= 1
            return self.value

    class Method:
        def future(self, request: int) -> Future:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
            return Future(request * 10)

    class Stub:
        Analyze = Method()

    pack = object.__new__(analyzer.PolicyPack)
    pack._stub = Stub()  # type: ignore[assignment]
    pack.pack_dir = tmp_path
    n = analyzer.CALL_WINDOW * 3 + 5
    resources = [type("R", (), {"urn": f"u{i}"})() for i in range(n)]
    answers = pack.call_many("Analyze", resources, list(range(n)))  # type: ignore[arg-type]
    assert answers == [i * 10 for i in range(n)]
    assert in_flight["max"] == analyzer.CALL_WINDOW


def test_cli_shows_the_clis_warning_for_an_empty_stack_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _write_project(tmp_path / "p")
    stack_file = root / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  tiered-network:note:\n")
    code, out, _ = _cli(root, "--mode", "update", "--no-plan", capsys=capsys)
    assert code == 0, out
    assert 'warning [config] Pulumi.dev.yaml: No value for configuration key' in out
    assert '"tiered-network:note"' in out
    code, out, _ = _cli(root, "--mode", "update", "--json", capsys=capsys)
    (warning,) = json.loads(out)["configWarnings"]
    assert warning.startswith('Pulumi.dev.yaml: No value for configuration key "tiered-net')
