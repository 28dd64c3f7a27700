"""examples/ and the bastion-alone stack.

- ``examples/python-vpc-bastion``: a user's own Pulumi program importing ``tierednet`` (the dev
  venv holds it as a user's ``pip install`` would; tests/test_fresh_install.py installs it into a
  fresh venv from a clean clone and runs the same program), run under the mocks.
- ``examples/yaml-vpc-bastion``: a Pulumi YAML program using the plugin after ``pulumi package
  add``. Pulumi YAML itself is not on this machine; what it would send is checked instead: every
  property against the plugin's schema (names, required inputs, enum values), then each
  resource constructed through the plugin in program order with its ``${...}`` references
  resolved from the earlier resources' Construct results, as pulumi-yaml resolves them.
- The stack program with ``servers: []``: a VPC with its bastion alone, reviewed clean.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format

from review.engine import run_program
from review.plan import ProgramRun
from tests.plugin_host import running_plugin

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OFFICE = "198.51.100.7/32"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBsYWNlaG9sZGVyLXJlcGxhY2Utd2l0aC15b3VyLWtl t@example"
CONFIG = {
    "aws:region": "ap-northeast-2",
    "vpc-bastion:officeCidr": OFFICE,
    "vpc-bastion:sshPublicKey": KEY,
}


def check_python_example(run: ProgramRun) -> None:
    """What examples/python-vpc-bastion must register (shared with the fresh-install test)."""
    types = [r.type for r in run.resources]
    assert types.count("tierednet:index:TieredNetwork") == 1
    assert types.count("tierednet:index:Bastion") == 1
    assert types.count("aws:ec2/subnet:Subnet") == 2
    assert "aws:ec2/natGateway:NatGateway" not in types  # nat_strategy none: nothing to pay
    by_name = {r.name: r for r in run.resources}
    assert by_name["bastion-ssh-office-0"].inputs["cidrIpv4"] == OFFICE
    # vpc_cidr came from the VPC's Output: the SSH egress goes to the VPC's own block.
    assert by_name["bastion-out-22"].inputs["cidrIpv4"] == "10.20.0.0/24"
    assert by_name["bastion-instance"].inputs["subnetId"] == by_name["demo-mgmt"].outputs["id"]
    assert set(run.outputs) >= {"vpcId", "publicSubnetIds", "bastionPublicIp", "sshConfig"}


def test_the_python_example_runs_under_the_mocks() -> None:
    run = run_program(
        EXAMPLES / "python-vpc-bastion",
        config=CONFIG,
        mode="update",
        stack="dev",
        project="vpc-bastion",
    )
    check_python_example(run)


# ------------------------------------------------------------------ the YAML example
_REF = re.compile(r"^\$\{([A-Za-z]\w*)((?:\.\w+|\[\d+\]|\[\"[^\"]+\"\])*)\}$")


def resolve(value: Any, scope: dict[str, Any]) -> Any:
    """``${name}``, ``${res.prop}``, ``${res.prop[0]}``, ``${res.prop["k"]}`` as pulumi-yaml
    reads them (whole-string references only; the example uses no others)."""
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, scope) for k, v in value.items()}
    if not isinstance(value, str) or "${" not in value:
        return value
    match = _REF.match(value)
    assert match, f"unsupported interpolation {value!r}"
    current = scope[match.group(1)]
    for step in re.findall(r"\.(\w+)|\[(\d+)\]|\[\"([^\"]+)\"\]", match.group(2)):
        attr, index, key = step
        current = current[attr] if attr else current[int(index)] if index else current[key]
    return current


def test_the_yaml_example_fits_the_plugin_schema_and_constructs() -> None:
    program = yaml.safe_load((EXAMPLES / "yaml-vpc-bastion" / "Pulumi.yaml").read_text())
    assert program["runtime"] == "yaml"
    # `pulumi package add ../../plugin` is what recorded this: the plugin directory.
    plugin_dir = (EXAMPLES / "yaml-vpc-bastion" / program["packages"]["tierednet"]).resolve()
    assert plugin_dir == ROOT / "plugin" and (plugin_dir / "PulumiPlugin.yaml").exists()
    with running_plugin(ROOT / ".venv" / "bin" / "python", plugin_dir, cwd=ROOT) as plugin:
        schema = plugin.schema()
        scope: dict[str, Any] = {
            "officeCidr": OFFICE,
            "sshPublicKey": KEY,
            "ubuntu": "ami-0123456789abcdef0",  # the getAmi invoke's `return: id`
        }
        for name, res in program["resources"].items():
            spec = schema["resources"][res["type"]]
            props = res["properties"]
            assert set(props) <= set(spec["inputProperties"]), name
            assert set(spec.get("requiredInputs", [])) <= set(props), name
            for key, prop in spec["inputProperties"].items():
                ref = prop.get("$ref", "")
                if key in props and ref.startswith("#/types/"):
                    allowed = [v["value"] for v in schema["types"][ref[8:]]["enum"]]
                    assert props[key] in allowed, (name, key)
            subnets = props.get("subnets", [])
            fields = schema["types"]["tierednet:index:SubnetArgs"]["properties"]
            assert all(set(s) <= set(fields) for s in subnets)
            response = plugin.construct(res["type"], name, resolve(props, scope))
            scope[name] = json_format.MessageToDict(response.state)
        registered = {r.name: r for r in plugin.monitor.registered}
    assert registered["bastion"].type == "tierednet:index:Bastion"
    assert registered["bastion-instance"].inputs["subnetId"] == "network-mgmt-id"
    assert registered["bastion-out-22"].inputs["cidrIpv4"] == "10.20.0.0/24"
    for output in program["outputs"].values():
        assert resolve(output, scope) not in (None, "", [])


# ------------------------------------------------------------------ the bastion-alone stack
def bastion_alone_project(tmp_path: Path) -> Path:
    """The project with a stack file that creates no example server (``servers: []``)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "components", "policies"):
        (project / name).symlink_to(ROOT / name)
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    (project / "Pulumi.alone.yaml").write_text(text + "  tiered-network:servers: []\n")
    return project


def test_a_vpc_with_its_bastion_alone_is_a_valid_stack(tmp_path: Path) -> None:
    from review.stack_config import load_stack_config

    project = bastion_alone_project(tmp_path)
    config = load_stack_config(project, "alone")
    run = run_program(project, config=config, mode="update", stack="alone")
    types = [r.type for r in run.resources]
    assert "tierednet:compute:Server" not in types
    assert types.count("aws:ec2/instance:Instance") == 1  # the bastion
    assert not [r for r in run.resources if "-ssh-to-" in r.name]
    assert json.loads(json.dumps(run.outputs["serverInstanceIds"])) == {}
    assert run.outputs["bastionPublicIp"]
    assert "Host dev-bastion" in run.outputs["sshConfig"]
    assert "ProxyJump" not in run.outputs["sshConfig"]


def test_the_policy_pack_reviews_the_bastion_alone_stack_clean(tmp_path: Path) -> None:
    project = bastion_alone_project(tmp_path)
    pack_config = tmp_path / "alone.json"
    shutil.copy(ROOT / "policies" / "config" / "dev.json", pack_config)
    proc = subprocess.run(
        [sys.executable, "-m", "review", "-C", str(project), "--stack", "alone",
         "--mode", "both", "--config-file", str(pack_config), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert [d for d in doc["diagnostics"] if d["level"] == "mandatory"] == []
    # Only the advisory dev itself gets (its stack file keeps flowLogs off).
    assert {d["policy"] for d in doc["diagnostics"]} == {"vpc-flow-logs"}


@pytest.mark.parametrize(
    ("servers", "words"),
    [
        ('["web", "dns"]', "tiered-network:servers[1] = 'dns': is not one of the example servers"),
        ('["db", "db"]', "tiered-network:servers[1] = 'db': is listed twice"),
    ],
)
def test_servers_lists_only_the_example_servers(servers: str, words: str) -> None:
    from components.config import StackConfig, declared_keys
    from components.errors import ConfigError
    from components.settings import load_settings
    from review.stack_config import load_stack_config

    project, keys = declared_keys()
    values = {**load_stack_config(ROOT, "dev"), "tiered-network:servers": servers}
    with pytest.raises(ConfigError) as err:
        load_settings(
            StackConfig(values, project, keys, "dev"),
            deploying=False,
            zones=lambda region: ["ap-northeast-2a", "ap-northeast-2c"],
        )
    assert str(err.value).startswith(f"Pulumi.dev.yaml: {words}")
