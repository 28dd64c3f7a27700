"""The qemu tier (make boot-test-vm): the image's Debian kernel under qemu (KVM when it works
here, else TCG: boot.guest.accelerator), with auditd and block devices. It checks what a
container can't show: the audit chain's auditd half through a real login, and the DB's data
volume on a second NVMe disk whose serial is the EBS volume id -- first boot, a replacement
instance, a reboot without the volume, and a volume with a partition table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from boot import checks, render
from boot import guest as guest_module
from boot.checks import COMMAND_LOG, login
from boot.conftest import require
from boot.guest import (
    IMAGE,
    INSTANCES,
    QemuGuest,
    Result,
    accelerator,
    kernel,
    new_instance,
    root_image,
)

TIER = "qemu"


@pytest.fixture(scope="module", autouse=True)
def _render_first(dev_local, dev_cloudwatch) -> None:
    """Both renders before the first boot: the user data is this checkout's as it was then."""


@pytest.fixture(scope="module", autouse=True)
def _report_accel() -> None:
    require("qemu-system-x86_64", "qemu")
    accel = accelerator()
    note = f" ({guest_module.ACCEL_NOTE})" if guest_module.ACCEL_NOTE else ""
    print(f"\nboot-test-vm: qemu -accel {accel}{note}")


def disk_for(name: str, server: render.Server, key: tuple[str, str], instance: str) -> Path:
    root = new_instance(
        name,
        user_data=server.user_data,
        instance_id=instance,
        hostname=server.hostname,
        public_keys=[server.key_pair] if server.key_pair else [],
        harness_private_key=key[0],
    )
    disk = root.parent / "root.img"
    root_image(root, disk)
    shutil.rmtree(root)
    return disk


def volume(path: Path, size: str = "1G") -> Path:
    path.unlink(missing_ok=True)
    subprocess.run(["truncate", "-s", size, str(path)], check=True)
    return path


def serial(volume_id: str) -> str:
    return volume_id.replace("-", "")


# cloudwatch only: its runcmd is local's plus the agent's steps, and under set -e reaching the
# agent's download means every earlier step (augenrules included) succeeded. One TCG boot less.
@pytest.fixture(scope="class", params=["cloudwatch"])
def bastion(
    request: pytest.FixtureRequest, login_key: tuple[str, str]
) -> Iterator[tuple[QemuGuest, render.Server, str]]:
    server = request.getfixturevalue(f"dev_{request.param}")["bastion"]
    disk = disk_for(f"vm-bastion-{request.param}", server, login_key, f"i-vmbastion{request.param}")
    guest = QemuGuest(f"bastion-{request.param}", disk, kernel(IMAGE))
    try:
        yield guest, server, guest.cloud_init_done().out
    finally:
        guest.stop()


class TestBastion:
    """The bastion, auditLog local and cloudwatch (one VM each)."""

    def test_bastion_cloud_init(self, bastion, request) -> None:
        guest, _, status = bastion
        variant = "bastion-cloudwatch" if "cloudwatch" in request.node.callspec.id else "bastion"
        assert checks.cloud_init_problems(guest, TIER, variant, Result(0, status, "")) == []
        assert checks.unit_state(guest, "auditd.service")[0] == "active"

    def test_bastion_files(self, bastion) -> None:
        guest, server, _ = bastion
        assert checks.file_problems(guest, server.user_data) == []
        assert checks.sshd_problems(guest) == []
        assert checks.rsyslog_problems(guest) == []

    def test_bastion_audit_chain_through_a_real_login(self, bastion) -> None:
        """The hook's lines and auditd's execve records reach the command log, the dodges are still
        recorded, and nothing else does: no PAM, SERVICE_START or per-record lines, no record of
        the hook's own logger calls."""
        guest, _, _ = bastion
        marker = f"bt{int(time.time())}"
        # Only this session's lines (rsyslog owns the file: never recreate it as root).
        start = int(guest.sh(f"cat {COMMAND_LOG} 2>/dev/null | wc -l").out.strip() or 0)
        before = int(guest.sh("wc -l < /var/log/audit/audit.log").out.strip() or 0)
        session = login(
            guest,
            "ubuntu",
            [
                f"ls /tmp/{marker}-seen 2>/dev/null",
                "set +o history",
                f"ls /tmp/{marker}-nohistory 2>/dev/null",
                "set -o history",
                "HISTIGNORE='*'",
                f"ls /tmp/{marker}-histignore 2>/dev/null",
                f"exec sh -c 'ls /tmp/{marker}-execsh 2>/dev/null; exit 0'",
            ],
        )
        assert "BASTION" in session.out, session
        time.sleep(3)
        log = guest.sh(f"tail -n +{start + 1} {COMMAND_LOG}").out
        # What audisp-syslog would have forwarded: every record auditd wrote meanwhile.
        records = guest.sh(f"tail -n +{before + 1} /var/log/audit/audit.log").out
        (INSTANCES / "session-audit.log").write_text(records)
        (INSTANCES / "session-command.log").write_text(log)
        assert re.search(rf"bastion-audit.*cmd=ls /tmp/{marker}-seen", log), log
        for dodge in ("nohistory", "histignore", "execsh"):
            assert re.search(
                rf"bastion-exec\[\d+\]: auid=ubuntu\(\d+\) .*"
                rf"exe=/usr/bin/ls argv=ls (--color=auto )?/tmp/{marker}-{dodge}$",
                log,
                re.M,
            ), (dodge, log)
            assert not re.search(rf"bastion-audit.*{marker}-{dodge}", log), (dodge, log)
        assert re.search(r"sshd(-session)?\[\d+\]: Accepted publickey for ubuntu", log), log
        for line in log.splitlines():
            assert re.search(
                r" (bastion-audit|bastion-exec|sshd|sshd-session)(\[\d+\])?: ", line
            ), line
            assert "type=" not in line, line  # a raw audit record (PAM, SERVICE_START, PATH, ...)
            assert "argv=logger -p local0.notice -t bastion-audit" not in line, line
        lines = len(log.splitlines())
        # One session: a login line per source, one line per command and exec; not hundreds.
        assert lines < 40, f"{lines} lines in the command log for one short session:\n{log}"


# ------------------------------------------------------------------------------ db volume
@pytest.fixture(scope="module")
def db(dev_local) -> render.Server:
    return dev_local["db"]


SQL = "mariadb -N -e"


def test_db_volume_with_a_partition_table_is_refused(db, login_key) -> None:
    require("qemu-system-x86_64", "qemu")
    vol_id = db.data_volume_id
    assert vol_id
    disk = disk_for("vm-db-parted", db, login_key, "i-db-parted")
    vol = volume(INSTANCES / "vm-db-parted" / "data.img")
    # A GPT with one partition and no filesystem anywhere (a snapshot of a partitioned disk).
    subprocess.run(["sfdisk", "-q", str(vol)], input="label: gpt\n,\n", text=True, check=True)
    with QemuGuest("db-parted", disk, kernel(IMAGE), volume=(vol, serial(vol_id))) as guest:
        status = guest.cloud_init_done()
        log = guest.sh("cat /var/log/cloud-init-output.log").out
        assert "status: error" in status.out, status
        assert re.search(rf"data-volume: {vol_id} .*partition table.*refus", log), log
        fstab = guest.sh("cat /etc/fstab").out
        assert not re.search(r"^UUID=\s", fstab, re.M), fstab
        assert "/var/lib/mysql" not in fstab, fstab
        state = guest.sh("pgrep -x mariadbd || echo no-mariadbd").out
        assert "no-mariadbd" in state, state


def test_db_volume_first_boot_replacement_reboot_without_it(db, login_key) -> None:
    require("qemu-system-x86_64", "qemu")
    vol_id = db.data_volume_id
    assert vol_id
    work = INSTANCES / "vm-db-volume"
    disk = disk_for("vm-db-a", db, login_key, "i-db-a")
    vol = volume(INSTANCES / "vm-db-a" / "data.img")
    # First instance: a blank volume gets a filesystem, the package's data, and an fstab line.
    with QemuGuest("db-a", disk, kernel(IMAGE), volume=(vol, serial(vol_id))) as guest:
        status = guest.cloud_init_done()
        assert checks.cloud_init_problems(guest, TIER, "db", status) == [], guest.console
        assert guest.sh("findmnt -n -o SOURCE,FSTYPE /var/lib/mysql").out.split()[1] == "ext4"
        fstab = guest.sh("cat /etc/fstab").out
        assert re.search(r"^UUID=[0-9a-f-]{36} /var/lib/mysql ext4 ", fstab, re.M), fstab
        assert checks.unit_state(guest, "mariadb.service") == ("active", "enabled")
        assert (
            guest.sh(
                f'{SQL} "CREATE DATABASE shop; CREATE TABLE shop.t (v TEXT); '
                "INSERT INTO shop.t VALUES ('written on the first instance')\""
            ).rc
            == 0
        )
        assert checks.file_problems(guest, db.user_data) == []
    # A replacement instance (a new root volume, a new instance id) gets the same data volume.
    disk_b = disk_for("vm-db-b", db, login_key, "i-db-b")
    with QemuGuest("db-b", disk_b, kernel(IMAGE), volume=(vol, serial(vol_id))) as guest:
        status = guest.cloud_init_done()
        assert checks.cloud_init_problems(guest, TIER, "db", status) == [], guest.console
        row = guest.sh(f"{SQL} 'SELECT v FROM shop.t'")
        assert row.out.strip() == "written on the first instance", row
    # The replacement reboots and the volume is gone: MariaDB must not start on the root volume.
    with QemuGuest("db-b", disk_b, kernel(IMAGE)) as guest:
        guest.wait_for("systemctl is-system-running --wait >/dev/null 2>&1 || true", timeout=600)
        time.sleep(5)
        state = guest.sh("systemctl is-active mariadb; pgrep -x mariadbd || echo no-mariadbd").out
        assert "no-mariadbd" in state, state
        assert guest.sh("mountpoint -q /var/lib/mysql").rc != 0
    del work
