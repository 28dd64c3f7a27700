"""The user data's own shell, run outside a VM on what the boot test's guests met (issue 16):
runcmd as cloud-init's one script with a failing step, the CloudWatch agent's installer without
network, the DB's data-volume script with a volume that never arrives and with one that holds a
partition table but no filesystem.

The commands that would reach the network or change this machine (curl, systemctl, mount, ...)
are stubs first on PATH (tests/data/stubs/stub.sh, which logs each call); blkid, cmp and the
shell are the real ones. The qemu tier (boot/test_vm.py) checks the same on a booted guest;
these are the fast checks docs/boot-findings.md names for those findings.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import uuid
import zlib
from pathlib import Path

import pytest
import yaml

from components.cwagent import AGENT_CTL, INSTALL_PATH, INSTALL_SCRIPT
from components.settings import DB_SERVICE
from components.userdata import SCRIPTS, bastion_user_data, server_user_data

DATA = Path(__file__).resolve().parent / "data"
STUB = DATA / "stubs" / "stub.sh"
SANDBOX = DATA / "data-volume-sandbox.sh"
WITHOUT_DEVICES = DATA / "without-devices.sh"
DATA_VOLUME = SCRIPTS / "data-volume.sh"
DIFFERENCES = Path(__file__).resolve().parent.parent / "boot" / "ubuntu-differences.yaml"
VOLUME = "vol-0123456789abcdef0"


def stubs(tmp_path: Path, *names: str) -> tuple[Path, Path]:
    """A directory of stubs named `names` and the log they append their calls to."""
    bin_dir = tmp_path / "stubs"
    bin_dir.mkdir()
    for name in names:
        (bin_dir / name).symlink_to(STUB)
    return bin_dir, tmp_path / "calls.log"


def userns() -> None:
    """Skip unless this machine gives an unprivileged user and mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) for a private namespace")
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"user namespaces unavailable: {probe.stderr.decode().strip()}")


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_the_agents_installer_reports_a_failed_download_once_with_its_reason(
    tmp_path: Path,
) -> None:
    """No network (the qemu guest's case): the install fails, one line names the download and
    curl's reason (the qemu tier's expected message, boot/ubuntu-differences.yaml), and nothing
    after the failed download runs."""
    bin_dir, log = stubs(tmp_path, "curl", "dpkg", "gpg", "gpgv")
    done = subprocess.run(
        ["sh", str(INSTALL_SCRIPT), "eu-west-1"],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0, done
    (expected,) = [
        e["message"]
        for e in yaml.safe_load(DIFFERENCES.read_text())["expected_errors"]
        if "install-cloudwatch-agent" in e["step"]
    ]
    reports = [ln for ln in done.stderr.splitlines() if re.search(expected, ln)]
    assert len(reports) == 1, done.stderr
    assert "amazon-cloudwatch-agent.gpg" in reports[0], reports
    assert [c.split()[0] for c in calls(log)] == ["dpkg", "curl"], calls(log)  # stopped there


def test_a_data_volume_that_never_arrives_says_how_to_mount_it_later(tmp_path: Path) -> None:
    """The first boot's wait runs out (sleep is a stub; /dev has no block device): the script
    fails, keeps the service stopped and says how to mount a volume attached later."""
    userns()
    bin_dir, log = stubs(tmp_path, "sleep", "systemctl", "mount", "mountpoint")
    data_dir = tmp_path / "mysql"
    data_dir.mkdir()
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", str(WITHOUT_DEVICES),
         "sh", str(DATA_VOLUME), VOLUME, str(data_dir), "mariadb"],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done
    assert sum(c.startswith("sleep ") for c in calls(log)) == 120, calls(log)  # 120 x 5 s
    assert f"Fix: attach it, then run {DATA_VOLUME} {VOLUME} {data_dir} mariadb" in done.stderr
    assert "systemctl stop mariadb" in calls(log) and "systemctl start mariadb" not in calls(log)


def dos_image(path: Path, sectors: int = 8192) -> None:
    """A 4 MiB disk with a DOS partition table (one Linux partition) and no filesystem."""
    disk = bytearray(sectors * 512)
    disk[446:462] = bytes([0, 0, 2, 0, 0x83, 0, 0, 0]) + struct.pack("<II", 2048, 4096)
    disk[510:512] = b"\x55\xaa"
    path.write_bytes(bytes(disk))


def gpt_image(path: Path, sectors: int = 8192) -> None:
    """A 4 MiB disk with a GPT (protective MBR, primary and backup headers, one Linux
    partition, as `sfdisk` writes for the qemu tier's case) and no filesystem."""
    disk = bytearray(sectors * 512)
    disk[446:462] = bytes([0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF]) + struct.pack("<II", 1, sectors - 1)
    disk[510:512] = b"\x55\xaa"
    linux = uuid.UUID("0FC63DAF-8483-4772-8E79-3D69D8477DE4")  # Linux filesystem data
    entry = linux.bytes_le + uuid.uuid4().bytes_le + struct.pack("<QQQ", 2048, 6143, 0)
    entries = (entry + "data".encode("utf-16-le").ljust(72, b"\0")).ljust(128 * 128, b"\0")
    disk_guid = uuid.uuid4().bytes_le

    def header(current: int, backup: int, entries_at: int) -> bytes:
        h = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, current, backup,
                        34, sectors - 34, disk_guid, entries_at, 128, 128, zlib.crc32(entries))
        return h[:16] + struct.pack("<I", zlib.crc32(h)) + h[20:]

    disk[512:604] = header(1, sectors - 1, 2)
    disk[1024 : 1024 + len(entries)] = entries
    disk[(sectors - 33) * 512 : (sectors - 1) * 512] = entries
    disk[(sectors - 1) * 512 : (sectors - 1) * 512 + 92] = header(sectors - 1, 1, sectors - 33)
    path.write_bytes(bytes(disk))


FSTAB = "# /etc/fstab: static file system information.\nLABEL=root / ext4 defaults 0 1\n"


def on_volume(tmp_path: Path, image: Path) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """data-volume.sh with `image` as the volume (tests/data/data-volume-sandbox.sh): its
    result, the fstab it saw (FSTAB before) and the stubs' call log."""
    if os.geteuid() != 0 or not Path("/dev/loop-control").exists():
        pytest.skip("needs root and loop devices (the volume is a loop device on an image)")
    if shutil.which("unshare") is None or shutil.which("losetup") is None:
        pytest.skip("needs unshare(1) and losetup(8)")
    fstab = tmp_path / "fstab"
    fstab.write_text(FSTAB)
    bin_dir, log = stubs(tmp_path, "systemctl", "mount", "umount", "mountpoint", "sleep")
    data_dir = tmp_path / "mysql"
    data_dir.mkdir()
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", str(SANDBOX), str(image),
         str(fstab), str(bin_dir), str(DATA_VOLUME), VOLUME, str(data_dir), "mariadb"],
        env={**os.environ, "STUB_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, fstab, log


def test_a_data_volume_that_is_a_bare_filesystem_is_mounted_by_its_uuid(tmp_path: Path) -> None:
    """The replacement instance's case, and the control for the refusal below: the same
    sandbox, a volume whose whole device is ext4, gets an fstab line by its UUID."""
    image = tmp_path / "volume.img"
    image.write_bytes(bytes(4 << 20))
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "data", str(image)], check=True)
    uuid = subprocess.run(
        ["blkid", "-p", "-s", "UUID", "-o", "value", str(image)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    done, fstab, log = on_volume(tmp_path, image)
    assert done.returncode == 0, done
    assert fstab.read_text() == FSTAB + (
        f"UUID={uuid} {tmp_path / 'mysql'} ext4 defaults,nofail,x-systemd.device-timeout=120s 0 2\n"
    )
    assert "systemctl start mariadb" in calls(log), calls(log)


@pytest.mark.parametrize("table", ["dos", "gpt"])
def test_a_data_volume_with_a_partition_table_is_refused_and_fstab_keeps_no_idless_line(
    table: str, tmp_path: Path
) -> None:
    """A volume restored from a snapshot of a partitioned disk: blkid finds a partition table
    and no filesystem (so no UUID). The script refuses the volume with a line naming it,
    writes nothing to fstab and leaves the service stopped."""
    image = tmp_path / "volume.img"
    (dos_image if table == "dos" else gpt_image)(image)
    done, fstab, log = on_volume(tmp_path, image)
    assert not re.search(r"^UUID=\s", fstab.read_text(), re.M), fstab.read_text()
    assert fstab.read_text() == FSTAB
    assert done.returncode == 1, done
    assert re.search(
        rf"^data-volume: {VOLUME} \(/dev/loop\d+\) has a partition table \({table}\) .*refusing",
        done.stderr,
        re.M,
    ), done.stderr
    assert "systemctl start mariadb" not in calls(log), calls(log)


RUNCMD_SANDBOX = DATA / "runcmd-sandbox.sh"
RUNCMD_COMMANDS = ("install", "sshd", "systemctl", "sed", "cat", "runuser", "ssh-keygen", "chown",
                   "chmod", "augenrules", "auditctl")


def runcmd_script(user_data: str) -> str:
    """The one script cloud-init makes of runcmd (cc_runcmd: util.shellify): a string step as
    it is, a list step shell-quoted, one a line, after #!/bin/sh."""
    steps = yaml.safe_load(user_data)["runcmd"]
    return "#!/bin/sh\n" + "".join(
        (c if isinstance(c, str) else shlex.join(c)) + "\n" for c in steps
    )


AGENT_STEPS = (INSTALL_PATH, AGENT_CTL)  # named by their paths


@pytest.mark.parametrize(
    ("server", "failing"),
    [("bastion", "sshd -t"), ("bastion", "augenrules --load"), ("db", "sshd -t"),
     ("db", "systemctl enable mariadb.service"),
     ("bastion-cloudwatch", f"{INSTALL_PATH} eu-west-1")],
    ids=lambda v: Path(v.split()[0]).name,
)
def test_a_failed_runcmd_step_fails_the_script_and_nothing_after_it_runs(
    server: str, failing: str, tmp_path: Path
) -> None:
    """Issue 16: auditd failed to start (augenrules under nspawn), yet cloud-init said status:
    done, because runcmd's script exits with its last command's status; a failed `sshd -t`
    only skipped the restart; a failed agent download was followed by the agent's ctl on a
    missing binary. Every command is a stub (STUB_FAIL makes `failing` fail): the script must
    exit non-zero, trace the failed step last (set -x, what the boot test reads to name it),
    and run nothing after it."""
    userns()
    if server == "db":
        user_data = server_user_data(
            prefix="p", name="db", service=DB_SERVICE, data_volume_id=VOLUME
        )
    else:
        group = "p-audit" if server == "bastion-cloudwatch" else None
        user_data = bastion_user_data(
            prefix="p", hosts=[], cloudwatch_log_group=group, region="eu-west-1"
        )
    script = tmp_path / "runcmd"
    script.write_text(runcmd_script(user_data))
    bin_dir, log = stubs(tmp_path, *RUNCMD_COMMANDS, *(Path(p).name for p in AGENT_STEPS))
    program, *args = shlex.split(failing)
    call = " ".join([Path(program).name, *args])  # as the stub logs it
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", str(RUNCMD_SANDBOX),
         str(bin_dir), str(script), *AGENT_STEPS],
        env={**os.environ, "STUB_LOG": str(log), "STUB_FAIL": call},
        capture_output=True,
        text=True,
        timeout=60,
    )
    ran = calls(log)
    assert call in ran, (ran, done.stderr)  # the step ran, and failed
    assert ran[-1] == call, f"steps ran after `{failing}` failed: {ran[ran.index(call) + 1:]}"
    assert done.returncode != 0, f"runcmd exits 0 although `{failing}` failed"
    traced = [ln[2:] for ln in done.stderr.splitlines() if ln.startswith("+ ")]
    assert traced and traced[-1] == failing, done.stderr


@pytest.mark.parametrize(
    "script", [STUB, SANDBOX, RUNCMD_SANDBOX, WITHOUT_DEVICES], ids=lambda p: p.name
)
def test_the_harness_scripts_pass_shellcheck(script: Path) -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"  # make install puts it in .venv
    done = subprocess.run(
        [str(shellcheck), "-s", "sh", str(script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
