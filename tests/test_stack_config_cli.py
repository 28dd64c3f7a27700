"""Stack config read as the Pulumi CLI reads it (review/stack_config.py cites the Go source):
yaml.v3 scalars, duplicate keys, the project namespace, types checked on the stored string."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from review.errors import ReviewError
from review.stack_config import load_stack_config

PROJECT = textwrap.dedent("""\
    name: tiered-network
    runtime: python
    config:
      prefix: {type: string}
      idleTimeoutSeconds: {type: integer, default: 600}
      flowLogs: {type: boolean, default: false}
      label: {type: string, default: x}
    """)


def load(tmp_path: Path, stack_yaml: str) -> dict[str, str]:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT)
    (tmp_path / "Pulumi.dev.yaml").write_text(textwrap.dedent(stack_yaml))
    return load_stack_config(tmp_path, "dev")


def test_unnamespaced_key_goes_to_the_project(tmp_path: Path) -> None:
    cfg = load(tmp_path, "config:\n  prefix: jdoe\n  aws:region: eu-west-1\n")
    assert cfg["tiered-network:prefix"] == "jdoe" and cfg["aws:region"] == "eu-west-1"
    assert "prefix" not in cfg


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ('"900"', "900"),  # `pulumi config set idleTimeoutSeconds 900` stores a string
        ("900", "900"),
        ("+900", "900"),  # an int for yaml.v3; Go's Atoi would take "+900" too
        ("1_000", "1000"),  # yaml.v3 drops underscores in ints
        ("0x10", "16"),
        ("3.0", "3"),  # stored as Go prints it ("%v"), which Atoi then takes
    ],
)
def test_integer_key_accepts_what_the_cli_accepts(tmp_path: Path, value: str, stored: str) -> None:
    cfg = load(tmp_path, f"config:\n  prefix: p\n  idleTimeoutSeconds: {value}\n")
    assert cfg["tiered-network:idleTimeoutSeconds"] == stored


@pytest.mark.parametrize("value", ['"9x"', '"1:30"', "1:30", '"0x10"', "3.5", "yes"])
def test_integer_key_refuses_the_rest(tmp_path: Path, value: str) -> None:
    with pytest.raises(ReviewError, match=r"'tiered-network:idleTimeoutSeconds' must be of type"):
        load(tmp_path, f"config:\n  prefix: p\n  idleTimeoutSeconds: {value}\n")


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n"])
def test_yaml_1_1_booleans_are_strings(tmp_path: Path, word: str) -> None:
    cfg = load(tmp_path, f"config:\n  prefix: {word}\n  label: {word}\n")
    assert cfg["tiered-network:prefix"] == word == cfg["tiered-network:label"]
    with pytest.raises(ReviewError, match=r"'tiered-network:flowLogs' must be of type 'boolean'"):
        load(tmp_path, f"config:\n  prefix: p\n  flowLogs: {word}\n")


@pytest.mark.parametrize(("value", "stored"), [("true", "true"), ("False", "false"),
                                               ('"true"', "true")])
def test_booleans_as_the_cli_stores_them(tmp_path: Path, value: str, stored: str) -> None:
    cfg = load(tmp_path, f"config:\n  prefix: p\n  flowLogs: {value}\n")
    assert cfg["tiered-network:flowLogs"] == stored


def test_a_string_key_takes_any_scalar_as_its_text(tmp_path: Path) -> None:
    # the CLI stores a primitive as its text, so a number is a valid string value
    cfg = load(tmp_path, "config:\n  prefix: 42\n  label: 2001-12-14\n")
    assert cfg["tiered-network:prefix"] == "42"
    assert cfg["tiered-network:label"] == "2001-12-14"  # no YAML 1.1 timestamp


def test_a_duplicate_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match=r'Pulumi\.dev\.yaml: invalid YAML: mapping key '
                                          r'"tiered-network:prefix" already defined at line 2'):
        load(tmp_path, "config:\n  tiered-network:prefix: a\n  tiered-network:prefix: b\n")
