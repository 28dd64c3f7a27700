"""Changes must not destroy data (item 8): which config change replaces what, under the model
in tests/replacement.py, and the DB's own data volume."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from review import ProgramRun
from tests import sshkeys
from tests.replacement import replaced
from tests.test_settings import run

ROOT = Path(__file__).resolve().parent.parent
DB_DATA = {"db-instance", "db-data", "db-data-attachment"}


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run("dev")


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run("prod")


def named(run: ProgramRun, name: str):  # type: ignore[no-untyped-def]
    (found,) = [r for r in run.resources if r.name == name]
    return found


def test_a_key_rotation_replaces_no_server(dev: ProgramRun) -> None:
    after = run("dev", sshPublicKey=sshkeys.ED25519)
    gone = replaced(dev, after)
    assert gone == {"bastion-key", "bastion-instance"}  # the door gets the new key; no server
    assert "web-instance" not in gone and not DB_DATA & gone


def test_an_idle_timeout_change_replaces_only_the_bastion(dev: ProgramRun) -> None:
    assert replaced(dev, run("dev", idleTimeoutSeconds=900)) == {"bastion-instance"}


def test_the_db_keeps_its_data_volume_when_the_instance_is_replaced(dev: ProgramRun) -> None:
    """`pulumi up --replace <db instance>` (or a new AMI on purpose): the volume stays, its
    attachment is re-made, detaching from the old instance first."""
    gone = replaced(dev, dev, forced={"db-instance"})
    assert "db-data" not in gone
    assert "db-data-attachment" in gone
    attachment = named(dev, "db-data-attachment")
    assert attachment.delete_before_replace is True
    assert attachment.inputs["stopInstanceBeforeDetaching"] is True


def test_the_db_data_volume_is_encrypted_in_the_dbs_az_and_outside_the_instance(
    dev: ProgramRun,
) -> None:
    volume, instance = named(dev, "db-data"), named(dev, "db-instance")
    subnet = next(r for r in dev.resources if r.outputs.get("id") == instance.inputs["subnetId"])
    assert volume.inputs["encrypted"] is True and volume.inputs["type"] == "gp3"
    assert volume.inputs["size"] == 20 and volume.inputs["finalSnapshot"] is True
    assert volume.inputs["availabilityZone"] == subnet.inputs["availabilityZone"]
    assert volume.protect is False
    assert "ebsBlockDevices" not in instance.inputs  # not deleted with the instance
    attachment = named(dev, "db-data-attachment")
    assert attachment.inputs["volumeId"] == volume.outputs["id"]
    assert attachment.inputs["instanceId"] == instance.outputs["id"]
    assert (
        f"/usr/local/sbin/data-volume {volume.outputs['id']} /var/lib/mysql mariadb"
        in (instance.inputs["userData"])
    )
    assert "RequiresMountsFor=/var/lib/mysql" in instance.inputs["userData"]
    assert instance.inputs["userDataReplaceOnChange"] is False
    assert "userData" in instance.ignore_changes


def test_prod_protects_the_db_data(prod: ProgramRun) -> None:
    assert named(prod, "db-data").protect is True


def _readme_table() -> list[tuple[str, str, set[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Which config change replaces what", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and not set(cells[0]) <= {"-"}:
            key, value = re.fullmatch(r"`(\w+): (.+)`", cells[0]).groups()  # type: ignore[union-attr]
            names = set(re.findall(r"`([\w-]+)`", cells[1]))
            rows.append((key, value, names))
    return rows


def test_the_readme_table_of_replacements_is_true(dev: ProgramRun) -> None:
    rows = _readme_table()
    assert {k for k, _, _ in rows} >= {"sshPublicKey", "idleTimeoutSeconds", "dbInstanceType"}
    for key, value, names in rows:
        if key == "sshPublicKey":
            value = sshkeys.ED25519
        parsed: object = int(value) if value.isdigit() else value
        assert replaced(dev, run("dev", **{key: parsed})) == names, key
