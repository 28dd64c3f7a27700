"""Errors and warnings as the real CLI shows them (issue 8, item 9).

The Python language host prints ``str(e)`` for a ``pulumi.RunError`` and "Program failed with an
unhandled exception" plus a traceback for anything else (pulumi/pulumi,
sdk/python/cmd/pulumi-language-python-exec). `language_host_message` is that branch.
"""

from __future__ import annotations

import runpy
import traceback
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from components.errors import ConfigError
from review import run_program
from review.errors import ProgramError
from tests import sshkeys
from tests.conftest import RecordingMocks, build
from tests.test_settings import stack_config

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "__main__.py")


def language_host_message(exc: BaseException) -> str:
    """What pulumi-language-python-exec logs for an exception escaping the program."""
    if isinstance(exc, pulumi.RunError):
        return str(exc)
    return "Program failed with an unhandled exception:\n" + "".join(
        traceback.format_exception(exc)
    )


@pytest.mark.parametrize(
    ("overrides", "stack", "key"),
    [
        ({"natStrategy": "two"}, "dev", "tiered-network:natStrategy"),
        ({"natStategy": "none"}, "dev", "tiered-network:natStategy"),
        ({"idleTimeoutSeconds": "ten"}, "prod", "tiered-network:idleTimeoutSeconds"),
        ({"subnets": ["a:public:a:/26", "b:dmz:a:/26"]}, "dev", "tiered-network:subnets[1].tier"),
        ({"aws:region": ""}, "dev", "aws:region"),
    ],
)
def test_config_errors_are_one_clean_line_naming_the_stack_file_and_key(
    overrides: dict[str, Any], stack: str, key: str
) -> None:
    config = stack_config(stack, **overrides)
    with pytest.raises(ProgramError) as err:
        run_program(ROOT / "__main__.py", config=config, mode="update", stack=stack)
    original = err.value.original
    assert isinstance(original, ConfigError) and isinstance(original, pulumi.RunError)
    message = language_host_message(original)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"Pulumi.{stack}.yaml: {key} = ")
    assert "Fix: " in message


class EngineMonitor:
    """A resource monitor the program can't tell from the engine's gRPC stub: it forwards to a
    MockMonitor but is not one, as in a real `pulumi up`."""

    def __init__(self, inner: MockMonitor) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def run_as_real_update(mocks: RecordingMocks, config: dict[str, str]) -> None:
    pulumi.runtime.set_mocks(
        mocks,
        project="tiered-network",
        stack="dev",
        preview=False,
        monitor=EngineMonitor(MockMonitor(mocks)),  # type: ignore[arg-type]
    )
    pulumi.runtime.config.set_all_config(config, [])
    build(lambda: runpy.run_path(MAIN))


def test_a_real_update_refuses_the_placeholder_key_before_any_resource(
    mocks: RecordingMocks,
) -> None:
    config = stack_config("dev", officeCidrs=["100.64.1.0/24"])
    with pytest.raises(ConfigError) as err:
        run_as_real_update(mocks, config)
    assert mocks.registered == []
    text = str(err.value)
    assert text.startswith("Pulumi.dev.yaml: tiered-network:sshPublicKey = ")
    assert "placeholder" in text and "pulumi config set sshPublicKey" in text


def test_a_real_update_refuses_documentation_office_cidrs(mocks: RecordingMocks) -> None:
    config = stack_config("dev", sshPublicKey=sshkeys.ED25519)
    with pytest.raises(ConfigError) as err:
        run_as_real_update(mocks, config)
    assert mocks.registered == []
    assert str(err.value).startswith(
        "Pulumi.dev.yaml: tiered-network:officeCidrs[0] = '203.0.113.0/24': is a documentation"
    )


def test_a_real_update_with_real_values_goes_ahead(mocks: RecordingMocks) -> None:
    run_as_real_update(
        mocks, stack_config("dev", sshPublicKey=sshkeys.ED25519, officeCidrs=["100.64.1.0/24"])
    )
    assert len(mocks.of_type(":Instance")) == 3


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_placeholders_warn_in_a_preview_and_under_mocks(mode: str) -> None:
    """A preview (and the offline review's mocked update) warns, naming file, key and fix."""
    run = run_program(ROOT / "__main__.py", config=stack_config("prod"), mode=mode, stack="prod")
    warnings = [e.message for e in run.logs if e.severity == "warning"]
    assert any(
        w.startswith("Pulumi.prod.yaml: tiered-network:sshPublicKey = ") and "placeholder" in w
        for w in warnings
    ), warnings
    assert any("tiered-network:officeCidrs[0] = '198.51.100.0/24'" in w for w in warnings)
    assert all("`pulumi up` refuses it" in w for w in warnings)
    assert run.resources  # a warning, not an error


def _review_message(config: dict[str, str]) -> str:
    """The line `python -m review` prints (after ``error: ``) for a program refusing ``config``."""
    with pytest.raises(ProgramError) as err:
        run_program(ROOT / "__main__.py", config=config, mode="update", stack="dev")
    return str(err.value)


def test_a_config_error_reads_as_the_language_host_prints_it() -> None:
    """No type name, no `(at components/settings.py:N)`: always the same re-raise."""
    config = stack_config("dev", natStrategy="two")
    with pytest.raises(ProgramError) as err:
        run_program(ROOT / "__main__.py", config=config, mode="update", stack="dev")
    assert str(err.value) == language_host_message(err.value.original)  # type: ignore[arg-type]
    assert str(err.value).startswith("Pulumi.dev.yaml: tiered-network:natStrategy = 'two': ")
    assert "(at " not in str(err.value) and "ConfigError" not in str(err.value)


def test_a_missing_region_names_the_near_miss_key_and_no_none() -> None:
    config = stack_config("dev")
    config["aws:regoin"] = config.pop("aws:region")
    assert _review_message(config) == (
        "Pulumi.dev.yaml: aws:region is not set, but the file has 'aws:regoin'. Fix: did you "
        "mean aws:region? Rename `aws:regoin` to `aws:region` (keys are case-sensitive)"
    )
    del config["aws:regoin"]
    assert _review_message(config) == (
        "Pulumi.dev.yaml: aws:region is not set. Fix: run `pulumi config set aws:region "
        "ap-northeast-2`"
    )


def test_booleans_read_as_yaml_writes_them() -> None:
    config = stack_config("dev", webPublicIp="false")  # no public IP, no way out: refused
    assert _review_message(config).startswith(
        "Pulumi.dev.yaml: tiered-network:webPublicIp = false: "
    )
    err = ConfigError("publicIp", False, "is refused", "pass True")
    assert str(err.located("Pulumi.dev.yaml", "tiered-network:publicIp")).startswith(
        "Pulumi.dev.yaml: tiered-network:publicIp = false: "
    )
    assert str(err.in_code("ServerArgs")).startswith("ServerArgs.public_ip = False: ")  # Python
    assert str(ConfigError("x", None, "needs a subnet", "set x")) == (
        "x is not set: needs a subnet. Fix: set x"
    )
