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
