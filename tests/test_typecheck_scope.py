"""mypy skips only the pulumi-aws packages the code does not use (tests/typecheck_scope.py):
skipping a used one would silently make it Any, so a wrong argument would pass the check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import typecheck_scope as scope

ROOT = Path(__file__).resolve().parent.parent


def test_no_package_the_code_uses_is_skipped() -> None:
    used = scope.used_packages()
    assert {"ec2", "iam", "vpc"} <= set(used)
    skipped = {
        m.removeprefix("pulumi_aws.").removesuffix(".*") for m in scope.skipped_in_pyproject()
    }
    wrongly = {name: sorted(used[name]) for name in set(used) & skipped}
    assert not wrongly, (
        f"pyproject.toml skips pulumi-aws packages the code uses: {wrongly}; remove them from "
        "the skip list (`python -m tests.typecheck_scope` prints the right one)"
    )


def test_the_skip_list_is_exactly_the_unused_packages() -> None:
    unused = scope.sdk_packages() - set(scope.used_packages())
    expected = sorted(f"pulumi_aws.{n}.*" for n in unused)
    assert sorted(scope.skipped_in_pyproject()) == expected, (
        "pyproject.toml's skip list is stale (pulumi-aws upgraded, or a package newly unused): "
        "paste `python -m tests.typecheck_scope` over it"
    )


@pytest.mark.parametrize(
    "source",
    [
        "import pulumi_aws as cloud\ncloud.lb.LoadBalancer('x')\n",
        "import pulumi_aws.lb\n",
        "from pulumi_aws import lb\n",
        "from pulumi_aws.lb import LoadBalancer\n",
        "def f():\n    import pulumi_aws as aws\n    return aws.lb\n",
    ],
)
def test_every_way_of_using_a_package_is_seen(tmp_path: Path, source: str) -> None:
    path = tmp_path / "x.py"
    path.write_text(source)
    assert "lb" in scope.used_packages([path])


def test_mypy_still_rejects_a_wrong_argument_of_a_checked_package(tmp_path: Path) -> None:
    from mypy import api

    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pulumi_aws as aws\n"
        "aws.ec2.Instance('x', instance_typo='t3.micro')\n"
        "aws.ec2.get_subnet(idd='x')\n"
    )
    out, _, code = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(ROOT / ".mypy_cache"),
         "--no-error-summary", str(bad)]
    )  # fmt: skip
    assert code == 1
    assert 'bad.py:2: error: Unexpected keyword argument "instance_typo"' in out, out
    assert 'bad.py:3: error: Unexpected keyword argument "idd"' in out, out
