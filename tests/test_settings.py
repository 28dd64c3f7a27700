"""The settings framework: every key declared once in Pulumi.yaml, unknown keys and wrong
types refused before any resource is registered, naming the key, the value and the fix."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.config import StackConfig, declared_keys
from components.errors import ConfigError
from components.settings import load_settings
from review import ProgramRun, load_stack_config, run_program
from review.errors import ProgramError
from tests.conftest import RecordingMocks, build

ROOT = Path(__file__).resolve().parent.parent
NS = "tiered-network"


def stack_config(stack: str = "dev", **overrides: Any) -> dict[str, str]:
    config = load_stack_config(ROOT, stack)
    for key, value in overrides.items():
        full = key if ":" in key else f"{NS}:{key}"
        config[full] = value if isinstance(value, str) else json.dumps(value)
    return config


def run(stack: str = "dev", **overrides: Any) -> ProgramRun:
    config = stack_config(stack, **overrides)
    return run_program(ROOT / "__main__.py", config=config, mode="update", stack=stack)


def refused(stack: str = "dev", **overrides: Any) -> ConfigError:
    with pytest.raises(ProgramError) as err:
        run(stack, **overrides)
    assert isinstance(err.value.original, ConfigError), err.value
    return err.value.original


def registered_before_refusal(mocks: RecordingMocks, config: dict[str, str]) -> list[str]:
    """Run __main__.py under recording mocks with `config`; it must raise ConfigError.
    Returns the names of the resources registered before it did."""
    pulumi.runtime.config.set_all_config(config, [])
    with pytest.raises(ConfigError):
        build(lambda: runpy.run_path(str(ROOT / "__main__.py")))
    return [r.name for r in mocks.registered]


@pytest.mark.parametrize(
    "overrides",
    [{"natStategy": "none"}, {"idleTimeoutSeconds": "ten"}, {"subnets": "a:public:a:/26"}],
)
def test_bad_keys_and_types_register_nothing(
    mocks: RecordingMocks, overrides: dict[str, Any]
) -> None:
    assert registered_before_refusal(mocks, stack_config("dev", **overrides)) == []


def test_a_misspelt_key_is_refused_with_the_nearest_key() -> None:
    err = refused(natStategy="none")
    assert err.setting == "natStategy"
    assert "not a configuration key" in str(err)
    assert "`natStrategy`" in str(err)


def test_a_wrongly_cased_key_is_refused_with_the_right_case() -> None:
    assert "`flowLogs`" in str(refused(FlowLogs="true"))


def test_a_key_far_from_any_lists_the_declared_keys() -> None:
    err = refused(colour="blue")
    assert "natStrategy" in str(err) and "sshPublicKey" in str(err)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("idleTimeoutSeconds", "ten minutes", "an integer"),
        ("idleTimeoutSeconds", "600s", "an integer"),
        ("flowLogRetentionDays", "1.5", "an integer"),
        ("flowLogs", "yes", "a boolean"),
        ("webPublicIp", "1", "a boolean"),
        ("subnets", "external-a:public:a:/26", "a list of strings"),
        ("officeCidrs", "203.0.113.10/32", "a list of strings"),
        ("availabilityZones", "[1, 2]", "a list of strings"),
    ],
)
def test_a_wrong_type_names_key_value_expected_type_and_fix(
    key: str, value: str, expected: str
) -> None:
    err = refused(**{key: value})
    assert err.setting == key
    assert err.value == value
    text = str(err)
    assert f"must be {expected}" in text and "Fix: write" in text and repr(value) in text


def test_every_declared_key_is_read_and_typed() -> None:
    """A key declared in Pulumi.yaml but never read would be a silent no-op for its users."""
    project, keys = declared_keys()
    assert project == NS
    conf = StackConfig(stack_config("prod"), project, keys)
    load_settings(conf, deploying=False, zones=lambda region: [f"{region}{z}" for z in "abc"])
    assert conf.read == set(keys)


def test_defaults_come_from_pulumi_yaml_when_the_engine_gives_none() -> None:
    project, keys = declared_keys()
    config = {k: v for k, v in stack_config("dev").items() if not k.endswith(":natStrategy")}
    conf = StackConfig(config, project, keys)
    assert conf.string("natStrategy") == keys["natStrategy"].default == "single"
    assert conf.integer("idleTimeoutSeconds") == 600


def test_the_readme_documents_every_declared_key() -> None:
    _, keys = declared_keys()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Stack configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(
        re.findall(
            r"`(\w+)`",
            "\n".join(ln.split("|")[1] for ln in table.splitlines() if ln.startswith("| `")),
        )
    )
    assert set(keys) <= documented, set(keys) - documented
