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
    with pytest.raises(ReviewError, match=r'Pulumi\.dev\.yaml line 3, column 3: mapping key '
                                          r'"tiered-network:prefix" already defined at line 2'):
        load(tmp_path, "config:\n  tiered-network:prefix: a\n  tiered-network:prefix: b\n")


@pytest.mark.parametrize(
    ("stack_yaml", "message"),
    [
        ("config:\n  aws:region: x\n prefix: dev\n",
         "Pulumi.dev.yaml line 3, column 2: expected <block end>, but found "
         "'<block mapping start>' (while parsing a block mapping at line 1); check the "
         "indentation and quoting near line 3"),
        ("config:\n  prefix: 'dev\n",
         "Pulumi.dev.yaml line 3, column 1: found unexpected end of stream (while scanning a "
         "quoted scalar at line 2); check the indentation and quoting near line 3"),
    ],
)  # fmt: skip
def test_a_yaml_syntax_error_is_one_line_naming_the_line(
    tmp_path: Path, stack_yaml: str, message: str
) -> None:
    with pytest.raises(ReviewError) as err:
        load(tmp_path, stack_yaml)
    assert str(err.value) == f"{tmp_path / message}", str(err.value)


def test_a_misspelt_required_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReviewError) as err:
        load(tmp_path, "config:\n  tiered-network:prefixx: dev\n")
    assert str(err.value).endswith(
        "missing required configuration value 'tiered-network:prefix' (declared in Pulumi.yaml "
        "without a default); did you mean 'tiered-network:prefix'? the file has "
        "'tiered-network:prefixx': rename it (keys are case-sensitive)"
    ), str(err.value)
    with pytest.raises(ReviewError, match=r"the file has 'prefx': rename it"):
        load(tmp_path, "config:\n  prefx: dev\n")  # as written, without the namespace
    with pytest.raises(ReviewError, match=r"'tiered-network:prefix' \(declared .*; add it under"):
        load(tmp_path, "config:\n  aws:region: x\n")  # nothing near it: add it


@pytest.mark.parametrize("top", ["configs", "Config", "confg"])
def test_a_misspelt_config_block_is_named(tmp_path: Path, top: str) -> None:
    with pytest.raises(ReviewError) as err:
        load(tmp_path, f"{top}:\n  prefix: dev\n")
    assert str(err.value).endswith(
        f"Pulumi.dev.yaml: the file has '{top}:'; Pulumi reads 'config:' (the keys under "
        f"'{top}:' are never read). Fix: rename '{top}:' to 'config:'"
    ), str(err.value)


# ---------------------------------------------------------------- issue 13, point 6
def test_an_empty_value_is_the_empty_string_with_the_clis_warning(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  prefix:\n  label: ~\n  aws:region: x\n")
    warnings: list[str] = []
    cfg = load_stack_config(tmp_path, "dev", warnings=warnings)
    assert cfg["tiered-network:prefix"] == "" and cfg["tiered-network:label"] == ""
    assert "null" not in cfg.values()
    assert warnings == [
        'Pulumi.dev.yaml: No value for configuration keys "label" and "prefix". This is '
        'currently treated as an empty string `""`, but will be treated as `null` in a future '
        'version of pulumi.\nSet the values to `""` to avoid this warning.'
    ]
    # an empty value is still checked against the declared type, as the string it is
    with pytest.raises(ReviewError, match=r"'tiered-network:idleTimeoutSeconds' must be of type "
                                          r"'integer', got str"):
        load(tmp_path, "config:\n  prefix: p\n  idleTimeoutSeconds:\n")


def test_one_empty_value_is_named_alone() -> None:
    from review.stack_config import empty_config_warning

    text = empty_config_warning(["prefix"])
    assert text.startswith('No value for configuration key "prefix". This')
    assert text.endswith('Set the value to `""` to avoid this warning.')
    assert '"a", "b", "c"' in empty_config_warning(["c", "a", "b"])


@pytest.mark.parametrize("env", ["environment:\n  - team/aws-dev\n",
                                 "environment:\n  imports:\n    - team/aws-dev\n"])
def test_an_esc_environment_is_refused_in_one_line(tmp_path: Path, env: str) -> None:
    with pytest.raises(ReviewError) as err:
        load(tmp_path, env + "config:\n  prefix: p\n")
    message = str(err.value)
    assert "\n" not in message and "Pulumi.dev.yaml: key 'environment'" in message
    assert "team/aws-dev" in message and "copy the values" in message


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("1e6", "1000000"),  # json.Marshal writes 'f' below 1e21 (%v would give 1e+06)
        ("1.5", "1.5"),
        ("3.0", "3"),
        ("0.0000001", "1e-7"),  # below 1e-6: 'e', with the exponent's leading zero cut
        ("1e21", "1e+21"),
        ("-0.0", "-0"),
        ("[1.0, 2.5, 3]", "[1,2.5,3]"),
        ("{b: 1.0, a: '<&>'}", '{"a":"\\u003c\\u0026\\u003e","b":1}'),  # keys sorted, HTML
    ],
)
def test_floats_and_objects_are_stored_as_go_json_marshal_writes_them(
    tmp_path: Path, value: str, stored: str
) -> None:
    cfg = load(tmp_path, f"config:\n  prefix: p\n  other:x: {value}\n")
    assert cfg["other:x"] == stored


def test_an_infinite_float_cannot_be_stored(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match=r"config key 'other:x': the CLI cannot store this "
                                          r"value \(json: unsupported value: \+Inf\)"):
        load(tmp_path, "config:\n  prefix: p\n  other:x: .inf\n")


def test_go_json_matches_go_on_strings() -> None:
    from review.gojson import marshal

    assert marshal("é\u2028\x01\b\t\"\\") == '"é\\u2028\\u0001\\b\\t\\"\\\\"'
    assert marshal({"z": [True, None], "a": 1}) == '{"a":1,"z":[true,null]}'


def test_a_list_is_checked_item_by_item(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: tiered-network\nruntime: python\nconfig:\n"
        "  azs: {type: array, items: {type: string}}\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  azs: [a, 2]\n")
    with pytest.raises(ReviewError, match=r"'tiered-network:azs' must be of type "
                                          r"'array<string>'"):
        load_stack_config(tmp_path, "dev")


@pytest.mark.parametrize(
    ("project", "says"),
    [
        ("nmae: x\nruntime: python\n", "project is missing a 'name' attribute; found 'nmae'"),
        ("description: x\nruntime: python\n", "project is missing a 'name' attribute"),
        ("name: ''\nruntime: python\n", "missing a non-empty string 'name' attribute"),
        ("name: p\nruntime: {name: python, toolchain: pip}\n", "#/runtime: 'toolchain' not"),
        ("name: p\nruntime: python\nconfig:\n  a: {defualt: 1}\n",
         "#/config/a: 'defualt' not allowed; did you mean 'default'?"),
        ("name: p\nruntime: python\nconfig:\n  a: {type: number}\n", "#/config/a/type: value"),
        ("name: p\nruntime: python\nconfig:\n  a: 1.5\n", "#/config/a: expected a string, an"),
        ("name: p\nruntime: python\nconfig:\n  a: {default: 1, value: 2}\n",
         "project config 'a' cannot have both a 'default' and 'value' attribute"),
        ("name: p\nruntime: python\nconfig:\n  a: {type: array}\n",
         "The configuration key 'a' declares an array but does not specify the underlying"),
        ("name: p\nruntime: python\nconfig:\n  a: {type: array, items: {type: string}, "
         "default: [1]}\n",
         "The default value specified for configuration key 'a' is not of the expected type "
         "'array<string>'"),
        ("name: p\nruntime: python\nconfig:\n  aws:region: {type: string, value: x}\n",
         "Configuration key 'aws:region' is not namespaced by the project and should not "
         "define a type"),
        ("name: p\nruntime: python\nconfig:\n  aws:region: {default: x}\n",
         "Did you mean to use the 'value' attribute instead of 'default'?"),
        ("name: p\nruntime: python\nconfig:\n  aws:region: {description: x}\n",
         "Configuration key 'aws:region' is namespaced and must provide an attribute 'value'"),
    ],
)
def test_pulumi_yaml_is_checked_as_project_validate_checks_it(
    tmp_path: Path, project: str, says: str
) -> None:
    (tmp_path / "Pulumi.yaml").write_text(project)
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(ReviewError) as err:
        load_stack_config(tmp_path, "dev")
    assert "Pulumi.yaml: could not validate the project: " in str(err.value)
    assert says in str(err.value)


def test_the_shipped_pulumi_yaml_is_valid() -> None:
    from review.project_schema import validate_project
    from review.stack_config import _read_yaml

    root = Path(__file__).resolve().parent.parent
    assert validate_project(_read_yaml(root / "Pulumi.yaml")) is None
