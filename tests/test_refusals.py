"""What a new user trips over, refused in one line with the file, key, value and fix, before any
resource is registered (issue 15, item 3): through the program (as `pulumi up` runs it) and
through the review (as a user runs it on an edited stack file)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.config import StackConfig, declared_keys, list_items
from components.errors import ConfigError
from review.cli import main
from tests.conftest import RecordingMocks, build
from tests.project_copy import project_copy
from tests.test_settings import stack_config

ROOT = Path(__file__).resolve().parent.parent
DEV = (ROOT / "Pulumi.dev.yaml").read_text()


def refused_by_the_program(mocks: RecordingMocks, config: dict[str, str]) -> str:
    """Run __main__.py under the mocks (update mode) and return the refusal: a ConfigError (a
    pulumi.RunError, which the language host prints as one line) before any resource."""
    pulumi.runtime.set_mocks(mocks, project="tiered-network", stack="dev", preview=False)
    pulumi.runtime.config.set_all_config(config, [])
    with pytest.raises(ConfigError) as err:
        build(lambda: runpy.run_path(str(ROOT / "__main__.py")))
    assert mocks.registered == [], [r.name for r in mocks.registered]
    text = str(err.value)
    assert isinstance(err.value, pulumi.RunError) and "\n" not in text
    return text


@pytest.mark.parametrize(
    ("overrides", "start", "fix"),
    [
        (
            {"aws:region": "ap-northeast-9"},
            "Pulumi.dev.yaml: aws:region = 'ap-northeast-9': is not a region pulumi-aws knows",
            "`pulumi config set aws:region ap-northeast-",
        ),
        (
            {"tierednetwork:natStrategy": "none"},
            "Pulumi.dev.yaml: tierednetwork:natStrategy = 'none': namespace 'tierednetwork' is "
            "not this project's ('tiered-network')",
            "rename it to `tiered-network:natStrategy`",
        ),
        (
            {"sshKeyFile": "~/.ssh/dev-key.pub"},
            "Pulumi.dev.yaml: tiered-network:sshKeyFile = '~/.ssh/dev-key.pub': is the public half",
            "`pulumi config set sshKeyFile ~/.ssh/dev-key`",
        ),
        (
            {"officeCidrs": ["192.168.1.0/24"]},
            "Pulumi.dev.yaml: tiered-network:officeCidrs[0] = '192.168.1.0/24': is private "
            "address space (192.168.0.0/16)",
            "pulumi config set --path 'officeCidrs[0]' \"$(curl -s -4 https://checkip",
        ),
        (
            {"officeCidrs": ["203.0.113.0/24", "fd00:1::/64"], "ipv6": "true"},
            "Pulumi.dev.yaml: tiered-network:officeCidrs[1] = 'fd00:1::/64': is private address "
            "space (fc00::/7)",
            "your office's public address",
        ),
        (
            {"officeCidrs": "203.0.113.7/32"},  # what `pulumi config set officeCidrs X` stores
            "Pulumi.dev.yaml: tiered-network:officeCidrs = '203.0.113.7/32': must be a list of "
            "strings (Pulumi.yaml declares it array), got a string",
            "`pulumi config set --path 'officeCidrs[0]' 203.0.113.7/32`",
        ),
        (
            {"idleTimeoutSeconds": "ten"},
            "Pulumi.dev.yaml: tiered-network:idleTimeoutSeconds = 'ten': must be an integer",
            "`pulumi config set idleTimeoutSeconds 600`",
        ),
        (
            {"webSubnet": "internal", "webPublicIp": False},
            "Pulumi.dev.yaml: tiered-network:webSubnet = 'internal': a private subnet, but the "
            "web server serves port 80 to the internet",
            "set webSubnet to a public subnet (external-a, external-c)",
        ),
        (
            {"flowLogs": "yes"},
            "Pulumi.dev.yaml: tiered-network:flowLogs = 'yes': must be a boolean",
            "`pulumi config set flowLogs true`",
        ),
    ],
)
def test_the_program_refuses_before_any_resource(
    mocks: RecordingMocks, overrides: dict[str, Any], start: str, fix: str
) -> None:
    config = stack_config("dev", **{k: v for k, v in overrides.items() if ":" not in k})
    config.update({k: v for k, v in overrides.items() if ":" in k})
    text = refused_by_the_program(mocks, config)
    assert text.startswith(start), text
    assert f"Fix: {fix}" in text or (" Fix: " in text and fix in text), text


@pytest.mark.parametrize(
    "ok",
    [
        {"officeCidrs": ["100.64.1.0/24"]},  # carrier-grade NAT space is shared, not private
        {"officeCidrs": ["172.32.0.0/16"]},  # just outside 172.16.0.0/12
        {"sshKeyFile": "~/.ssh/pub"},
        {"aws:region": "us-east-1", "availabilityZones": ["us-east-1a", "us-east-1c"]},
        {"tiered:prefix": "x"},  # another namespace, not a near miss: a provider's, say
    ],
)
def test_near_values_that_are_fine_pass(mocks: RecordingMocks, ok: dict[str, Any]) -> None:
    config = stack_config("dev", **{k: v for k, v in ok.items() if ":" not in k})
    config.update({k: (v if isinstance(v, str) else json.dumps(v)) for k, v in ok.items()
                   if ":" in k})  # fmt: skip
    pulumi.runtime.set_mocks(mocks, project="tiered-network", stack="dev", preview=False)
    pulumi.runtime.config.set_all_config(config, [])
    build(lambda: runpy.run_path(str(ROOT / "__main__.py")))
    assert len(mocks.of_type(":Instance")) == 3


def test_every_region_pulumi_aws_knows_is_accepted_and_the_fix_names_close_ones() -> None:
    import pulumi_aws as aws

    from components.settings import validate_region

    for region in aws.Region:
        assert validate_region("aws:region", region.value) == region.value
    with pytest.raises(ConfigError) as err:
        validate_region("aws:region", "eu-wset-1")
    assert "eu-west-1" in err.value.fix


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("203.0.113.7/32", ["203.0.113.7/32"]),
        ("203.0.113.7/32, 198.51.100.0/24", ["203.0.113.7/32", "198.51.100.0/24"]),
        ("a:public:a:/26 b:private:a:/27", ["a:public:a:/26", "b:private:a:/27"]),
    ],
)
def test_the_path_form_lists_what_the_user_meant(value: str, items: list[str]) -> None:
    assert list_items(value) == items
    project, keys = declared_keys()
    conf = StackConfig({"tiered-network:subnets": value}, project, keys)
    with pytest.raises(ConfigError) as err:
        conf.strings("subnets")
    for i, item in enumerate(items):
        assert f"pulumi config set --path 'subnets[{i}]' {item}" in err.value.fix


# ---- through the review, from an edited stack file (the CLI's type checks come first there)
def review_error(project: Path, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--stack", "dev", "-C", str(project), "--mode", "update", "--no-plan", *args])
    return code, err.getvalue()


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ("aws:region: ap-northeast-2", "aws:region: ap-northeast-9",
         "aws:region = 'ap-northeast-9': is not a region pulumi-aws knows"),
        ("tiered-network:natStrategy: single", "tierednetwork:natStrategy: none",
         "tierednetwork:natStrategy = 'none': namespace 'tierednetwork'"),
        ("tiered-network:sshKeyFile: ~/.ssh/dev-key",
         "tiered-network:sshKeyFile: ~/.ssh/dev-key.pub",
         "sshKeyFile = '~/.ssh/dev-key.pub': is the public half"),
        ("    - 203.0.113.0/24", "    - 10.20.0.0/16",
         "officeCidrs[0] = '10.20.0.0/16': is private address space (10.0.0.0/8)"),
        ("tiered-network:officeCidrs:\n    - 203.0.113.0/24",
         "tiered-network:officeCidrs: 203.0.113.7/32",
         "config key 'tiered-network:officeCidrs' must be of type 'array<string>', got str "
         "'203.0.113.7/32'."
         " Fix: store a list: `pulumi config set --path 'officeCidrs[0]' 203.0.113.7/32`"),
        ("tiered-network:natStrategy: single", "tiered-network:natStrategy: single\n"
         "  tiered-network:idleTimeoutSeconds: ten",
         "config key 'tiered-network:idleTimeoutSeconds' must be of type 'integer', got str 'ten'."
         " Fix: write a whole number without quotes or units (`pulumi config set "
         "idleTimeoutSeconds 600`)"),
    ],
)  # fmt: skip
def test_the_review_stops_with_one_line_naming_file_key_value_and_fix(
    tmp_path: Path, old: str, new: str, expect: str
) -> None:
    assert old in DEV
    project = project_copy(tmp_path, stack_text=DEV.replace(old, new, 1))
    code, err = review_error(project)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Pulumi.dev.yaml" in err and expect in err, err
    assert "Fix: " in err


OFFICE = "tiered-network:officeCidrs:\n    - 203.0.113.0/24"


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ("    - 203.0.113.0/24", "    - 203.0.113.7/24",
         "officeCidrs[0] = '203.0.113.7/24': not a valid CIDR block (203.0.113.7/24 has host bits "
         "set). Fix: write the network address with its prefix length: 203.0.113.0/24"),
        ("vpcCidr: 192.168.10.0/24", "vpcCidr: 192.168.10.0/16",
         "vpcCidr = '192.168.10.0/16': not a valid CIDR block (192.168.10.0/16 has host bits "
         "set). Fix: write the network address with its prefix length: 192.168.0.0/16"),
        (OFFICE, "tiered-network:officeCidrs: '[\"203.0.113.0/24\", \"198.51.100.0/24\"]'",
         "Fix: store a list: `pulumi config set --path 'officeCidrs[0]' 203.0.113.0/24; pulumi "
         "config set --path 'officeCidrs[1]' 198.51.100.0/24` (without --path"),
        ("    - 203.0.113.0/24", "    - 203.0.113.0/24\n    - 10.1.0.0/16",
         "officeCidrs[1] = '10.1.0.0/16': is private address space (10.0.0.0/8): the bastion is "
         "reached through the internet gateway, which shows your office's public address, never "
         "this one. Fix: set your office's public address: `pulumi config set --path "
         "'officeCidrs[1]' \"$(curl -s -4 https://checkip.amazonaws.com)/32\"`"),
        ("    - 203.0.113.0/24", "    - 203.0.113.0/24\n    - fd00:1::/64",
         "officeCidrs[1] = 'fd00:1::/64': is private address space (fc00::/7)"),
    ],
    ids=["office-host-bits", "vpc-host-bits", "json-string-list", "private-second", "private-v6"],
)  # fmt: skip
def test_the_fix_fits_the_value_given(tmp_path: Path, old: str, new: str, expect: str) -> None:
    """The suggestion is the user's own value made right (never the private example range
    192.168.10.0/24, which an office list refuses), for the entry at fault."""
    assert old in DEV
    project = project_copy(tmp_path, stack_text=DEV.replace(old, new, 1))
    code, err = review_error(project)
    assert code == 2 and err.count("\n") == 1, err
    assert expect in err, err
    if "fd00" in new:
        assert "'officeCidrs[1]' \"$(curl -s -6 " in err and "/128\"`" in err, err
        assert "-4" not in err


@pytest.mark.parametrize("stack", ["dev", "eic", "prod"])
def test_the_missing_pack_config_hint_works_when_followed(tmp_path: Path, stack: str) -> None:
    project = project_copy(tmp_path, stack, with_pack_config=False)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--stack", stack, "-C", str(project), "--no-plan"])
    message = err.getvalue()
    assert code == 2 and message.count("\n") == 1, message
    assert f"policies/config/{stack}.json: policy pack config not found. Fix: create it with {{"\
        in message  # fmt: skip
    shape = re.search(r"create it with (\{.*?\}\}) \(", message)
    assert shape, message
    # Follow the hint literally: write what it says, and review again.
    (project / "policies" / "config" / f"{stack}.json").write_text(shape.group(1))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--stack", stack, "-C", str(project), "--no-plan"])
    assert code == 0, out.getvalue()[-2000:]
