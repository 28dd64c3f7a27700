"""Pack config and stack config (item 7): separate on purpose, compared before analysing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from review.cli import main
from review.errors import ReviewError
from review.pipeline import check_office_cidrs, review

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
OFFICE = "100.64.7.0/24"


def pack_config(tmp_path: Path, cidrs: list[str]) -> Path:
    path = tmp_path / "pack.json"
    path.write_text(json.dumps({"bastion-ssh-only-from-office": {"officeCidrs": cidrs}}))
    return path


def config(cidrs: list[str]) -> dict[str, str]:
    return {"tiered-network:officeCidrs": json.dumps(cidrs)}


def test_a_stack_range_outside_the_packs_is_refused_naming_the_file_and_why(
    tmp_path: Path,
) -> None:
    pack = pack_config(tmp_path, ["203.0.113.0/24"])
    with pytest.raises(ReviewError) as err:
        check_office_cidrs(
            config(["203.0.113.0/24", OFFICE]),
            project="tiered-network",
            stack="dev",
            config_file=pack,
        )
    text = str(err.value)
    assert text.startswith(f"Pulumi.dev.yaml: tiered-network:officeCidrs[1] = '{OFFICE}'")
    assert "pack.json" in text and "guards the account" in text and "Fix:" in text


@pytest.mark.parametrize(
    "stack", [["203.0.113.0/24"], ["203.0.113.10/32"], ["203.0.113.0/25", "203.0.113.128/25"]]
)
def test_a_stack_range_inside_the_packs_passes(tmp_path: Path, stack: list[str]) -> None:
    pack = pack_config(tmp_path, ["203.0.113.0/24", "2001:db8::/32"])
    check_office_cidrs(config(stack), project="tiered-network", stack="dev", config_file=pack)


def test_make_review_stops_with_exit_2_before_analysing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = pack_config(tmp_path, [OFFICE])
    code = main(["--stack", "dev", "-C", str(ROOT), "--config-file", str(pack), "--no-plan"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tiered-network:officeCidrs[0] = '203.0.113.0/24'" in err


def _project_following_the_readme(tmp_path: Path, edit_pack: bool) -> Path:
    """A copy of the project where a user set their office CIDR as the README says."""
    project = tmp_path / "project"
    project.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py", "components", "policies"):
        (project / name).symlink_to(ROOT / name)
    stack = (ROOT / "Pulumi.dev.yaml").read_text()
    stack = stack.replace("    - 203.0.113.0/24", f"    - {OFFICE}")
    (project / "Pulumi.dev.yaml").write_text(stack)
    pack = tmp_path / "dev.json"
    shutil.copy(ROOT / "policies" / "config" / "dev.json", pack)
    if edit_pack:
        # The README's own command, with the file it edits pointed at the copy.
        block = README.split("```bash", 1)[1].split("```", 1)[0]
        (line,) = [
            ln
            for ln in block.splitlines()
            if "policies/config/dev.json" in ln and ln.startswith("python3 -c")
        ]
        line = line.replace("policies/config/dev.json", str(pack)).replace('"$OFFICE"', OFFICE)
        subprocess.run(["bash", "-ec", line], check=True)
    return pack


def test_following_the_readme_gives_a_clean_review(tmp_path: Path) -> None:
    pack = _project_following_the_readme(tmp_path, edit_pack=False)
    with pytest.raises(ReviewError, match=re.escape(f"officeCidrs[0] = '{OFFICE}'")):
        review(
            tmp_path / "project", "dev", ("update",), pack_dir=ROOT / "policies", config_file=pack
        )
    pack = _project_following_the_readme(tmp_path / "again", edit_pack=True)
    report = review(
        tmp_path / "again" / "project",
        "dev",
        ("update",),
        pack_dir=ROOT / "policies",
        config_file=pack,
    )
    assert report.exit_code == 0, report.render(plan=False)


def _pack_check(tmp_path: Path, text: str, access: str = "bastion") -> str:
    """The pre-check's refusal of the pack config ``text`` for dev's stack values."""
    path = tmp_path / "dev.json"
    path.write_text(text)
    stack = {**config(["203.0.113.0/24"]), "tiered-network:access": access}
    with pytest.raises(ReviewError) as err:
        check_office_cidrs(stack, project="tiered-network", stack="dev", config_file=path)
    return str(err.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{}", "bastion-ssh-only-from-office.officeCidrs is not set (the file holds {})"),
        ('{"bastion-ssh-only-from-office": {"officeCidrs": []}}', "officeCidrs is []"),
        ("", "dev.json is empty (0 bytes), not JSON"),
    ],
    ids=["no-policy", "empty-list", "empty-file"],
)
def test_a_pack_config_without_office_ranges_stops_a_bastion_stack(
    tmp_path: Path, text: str, words: str
) -> None:
    message = _pack_check(tmp_path, text)
    assert words in message and "dev.json" in message, message
    assert "Fix: " in message and '{"officeCidrs": ["203.0.113.0/24"]}' in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("cidr", "words"),
    [
        ("203.0.113.0/33", "is not a CIDR"),
        ("0.0.0.0/0", "admits SSH from the whole internet"),
        ("::/0", "admits SSH from the whole internet"),
        ("10.0.0.0/8", "is private address space (10.0.0.0/8)"),
        ("fd00:1::/64", "is private address space (fc00::/7)"),
    ],
)
def test_a_bad_pack_office_entry_stops_the_review_naming_it(
    tmp_path: Path, cidr: str, words: str
) -> None:
    text = json.dumps({"bastion-ssh-only-from-office": {"officeCidrs": ["203.0.113.0/24", cidr]}})
    message = _pack_check(tmp_path, text)
    key = f"dev.json: bastion-ssh-only-from-office.officeCidrs[1] = '{cidr}' {words}"
    assert key in message, message
    assert "Fix: replace it in" in message and "203.0.113.0/24" in message.split("Fix: ")[1]


def test_the_pack_uses_the_stack_sides_definition_of_private() -> None:
    from components.settings import PRIVATE_RANGES
    from review.pipeline import _private_ranges

    assert _private_ranges() == PRIVATE_RANGES


@pytest.mark.parametrize(
    ("pack", "access", "words"),
    [
        ({"officeCidrs": ["203.0.113.0/24"], "access": "ssm"}, "bastion",
         "access = 'ssm' differs from Pulumi.dev.yaml's tiered-network:access = 'bastion'"),
        ({"officeCidrs": ["203.0.113.0/24"]}, "ssm",
         "access = 'bastion' (the default) differs from Pulumi.dev.yaml's "
         "tiered-network:access = 'ssm'"),
    ],
)  # fmt: skip
def test_a_pack_access_other_than_the_stacks_stops_the_review(
    tmp_path: Path, pack: dict, access: str, words: str
) -> None:
    message = _pack_check(tmp_path, json.dumps({"bastion-ssh-only-from-office": pack}), access)
    assert words in message and "Fix: make them agree" in message, message
    assert f'"access": "{access}"' in message


@pytest.mark.parametrize(
    "pack",
    [{"bastion-ssh-only-from-office": {"officeCidrs": ["203.0.113.0/24", "10.0.0.0/8"]}},
     {"bastion-ssh-only-from-office": {"officeCidrs": ["203.0.113.0/24"], "access": "ssm"}},
     {}],
    ids=["private", "access", "empty"],
)  # fmt: skip
def test_the_review_stops_with_exit_2_on_a_bad_pack_config_before_analysing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pack: dict
) -> None:
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(pack))
    code = main(["--stack", "dev", "-C", str(ROOT), "--mode", "update", "--config-file",
                 str(path), "--no-plan"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("error: ") and "dev.json" in err and "Fix: " in err
    assert "Summary:" not in out  # nothing analysed
