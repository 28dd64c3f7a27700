"""The fast tier (make boot-test): each server's rendered user data booted with
``systemd-nspawn -b`` on the Debian image, checked on the running system.

A container has no auditd (the kernel's audit is not namespaced: nspawn withholds it) and no
block devices, so the audit chain's auditd half and the DB's volume are the qemu tier's
(test_vm.py); here the DB is booted as an instance whose volume never arrives.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from boot import checks, render
from boot.checks import COMMAND_LOG, login
from boot.conftest import require
from boot.guest import NspawnGuest, Result, _ns_pid, container_init, new_instance

TIER = "nspawn"


def boot(name: str, server: render.Server, key: tuple[str, str], instance: str) -> NspawnGuest:
    require("systemd-nspawn", "systemd-nspawn")
    root = new_instance(
        name,
        user_data=server.user_data,
        instance_id=instance,
        hostname=server.hostname,
        public_keys=[server.key_pair] if server.key_pair else [],
        harness_private_key=key[0],
    )
    return NspawnGuest(name, root)


@pytest.fixture(scope="class", params=["local", "cloudwatch"])
def bastion(
    request: pytest.FixtureRequest, login_key: tuple[str, str]
) -> Iterator[tuple[NspawnGuest, render.Server, str]]:
    servers = request.getfixturevalue(f"dev_{request.param}")
    server = servers["bastion"]
    guest = boot(f"bastion-{request.param}", server, login_key, f"i-bastion{request.param}")
    try:
        status = guest.cloud_init_done()
        yield guest, servers, status.out
    finally:
        guest.stop()


@pytest.fixture(scope="class")
def web(
    dev_local: dict[str, render.Server], login_key: tuple[str, str]
) -> Iterator[tuple[NspawnGuest, render.Server, str]]:
    guest = boot("web", dev_local["web"], login_key, "i-web")
    try:
        yield guest, dev_local["web"], guest.cloud_init_done().out
    finally:
        guest.stop()


class TestBastion:
    """The bastion, auditLog local and cloudwatch (one guest each)."""

    def test_bastion_cloud_init_done_and_its_only_errors_are_the_containers(
        self, bastion, request: pytest.FixtureRequest
    ) -> None:
        guest, _, status = bastion
        variant = "bastion-cloudwatch" if "cloudwatch" in request.node.callspec.id else "bastion"
        assert checks.cloud_init_problems(guest, TIER, variant, Result(0, status, "")) == []

    def test_bastion_files_as_the_user_data_says(self, bastion) -> None:
        guest, servers, _ = bastion
        assert checks.file_problems(guest, servers["bastion"].user_data) == []

    def test_bastion_sshd_effective_config(self, bastion) -> None:
        guest, _, _ = bastion
        assert checks.sshd_problems(guest) == []
        assert checks.rsyslog_problems(guest) == []

    def test_bastion_hook_and_sshd_reach_the_command_log_through_a_real_login(
        self, bastion
    ) -> None:
        guest, _, _ = bastion
        marker = f"boottest-{int(time.time())}"
        session = login(
            guest, "ubuntu", [f"echo {marker}-typed", "cd /tmp", f"ls {marker}-ls 2>/dev/null"]
        )
        assert "BASTION" in session.out, session  # the red prompt: a login shell ran profile.d
        time.sleep(2)
        log = guest.sh(f"cat {COMMAND_LOG}").out
        assert re.search(r"bastion-audit.*user=ubuntu src=127\.0\.0\.1 .*event=login", log), log
        assert re.search(rf"bastion-audit.*pwd=/home/ubuntu rc=0 cmd=echo {marker}-typed", log), log
        assert re.search(rf"bastion-audit.*pwd=/tmp rc=\d+ cmd=ls {marker}-ls", log), log
        # sshd's login line with the key's fingerprint (OpenSSH 10 logs it as sshd-session).
        assert re.search(
            r"sshd(-session)?\[\d+\]: Accepted publickey for ubuntu from 127\.0\.0\.1 "
            r".* ED25519 SHA256:",
            log,
        ), log
        # Nothing else reaches the command log: the hook, sshd and auditd's bastion-exec records.
        for line in log.splitlines():
            assert re.search(
                r" (bastion-audit|bastion-exec|sshd|sshd-session)(\[\d+\])?: ", line
            ), line

    def test_bastion_tmout_and_prompt_command_are_read_only(self, bastion) -> None:
        guest, _, _ = bastion
        out = login(
            guest,
            "ubuntu",
            [
                "echo T=$TMOUT",
                "TMOUT=0; echo rc=$?",
                "unset PROMPT_COMMAND; echo rc=$?",
                "readonly -p | grep -c -E ' (TMOUT|PROMPT_COMMAND)='",
            ],
        ).out
        assert "T=600" in out, out
        assert (
            "TMOUT: readonly variable" in out
            and "PROMPT_COMMAND: cannot unset: readonly variable" in out
        ), out
        assert re.search(r"^2\r?$", out, re.M), out

    def test_bastion_hosts_and_ssh_config_by_private_ip(self, bastion) -> None:
        guest, servers, _ = bastion
        hosts = guest.sh("getent hosts web db dev-web dev-db").out
        for name in ("web", "db"):
            ip = servers[name].private_ip
            assert re.search(rf"^{re.escape(ip)}\s+{name} dev-{name}$", hosts, re.M), hosts
            g = guest.sh(f"runuser -u ubuntu -- ssh -G {name}").out
            assert f"hostname {ip}\n" in g and "user ubuntu\n" in g, g
        key = guest.sh("stat -c '%U %a' /home/ubuntu/.ssh/id_ed25519 /home/ubuntu/.ssh/config").out
        assert key.split() == ["ubuntu", "600", "ubuntu", "600"], key


class TestWeb:
    """The web server: nginx under systemd."""

    def test_the_harness_enters_the_containers_pid_1(self, web) -> None:
        guest, _, _ = web
        assert _ns_pid(guest.leader) == 1
        for _ in range(50):  # while PID 1 forks: never a child that kept its comm
            assert container_init(guest.proc.pid) == guest.leader
        assert guest.sh("cat /proc/1/comm; readlink /proc/1/exe").out.split() == [
            "systemd",
            "/usr/lib/systemd/systemd",
        ]

    def test_web_cloud_init_done_without_errors(self, web) -> None:
        guest, _, status = web
        assert checks.cloud_init_problems(guest, TIER, "web", Result(0, status, "")) == []

    def test_web_files_and_unit(self, web) -> None:
        guest, server, _ = web
        assert checks.file_problems(guest, server.user_data) == []
        assert checks.unit_state(guest, "nginx.service") == ("active", "enabled")
        assert checks.sshd_problems(guest) == []

    def test_web_service_survives_logout_and_a_crash(self, web) -> None:
        guest, _, _ = web
        before = guest.sh("systemctl show -p MainPID --value nginx").out.strip()
        session = checks.ssh_run(guest, "ubuntu", "sudo systemctl restart nginx; echo restarted")
        assert "restarted" in session.out, session
        time.sleep(2)
        pid = guest.sh("systemctl show -p MainPID --value nginx").out.strip()
        assert pid not in ("0", before), (before, pid)
        cgroup = guest.sh(f"cat /proc/{pid}/cgroup").out
        assert "system.slice/nginx.service" in cgroup and "session" not in cgroup, cgroup
        assert guest.sh("curl -sf -o /dev/null http://127.0.0.1/").rc == 0
        guest.sh(f"kill -9 {pid}")
        back = guest.wait_for(
            f'test "$(systemctl show -p MainPID --value nginx)" != {pid} '
            "&& systemctl is-active nginx && curl -sf -o /dev/null http://127.0.0.1/",
            timeout=30,
            every=1,
        )
        assert back.rc == 0, back


MARIADB = "systemctl is-active mariadb; pgrep -x mariadbd || echo no-mariadbd"


@pytest.fixture(scope="module")
def db_without_volume(dev_local, login_key) -> dict[str, str]:
    """An instance whose data volume never arrives: MariaDB's state while data-volume waits,
    then after a reboot (a container sees no block device: the attachment never shows)."""
    seen: dict[str, str] = {}
    guest = boot("db-novolume", dev_local["db"], login_key, "i-db-novolume")
    try:
        # the script's process (a shell script's comm is its file name)
        waiting = guest.wait_for("pgrep -x data-volume >/dev/null", timeout=600, every=5)
        assert waiting.rc == 0, f"data-volume never ran; see {guest.console}"
        time.sleep(15)
        seen["wait"] = guest.sh(MARIADB).out
        seen["wait-mount"] = str(guest.sh("mountpoint -q /var/lib/mysql").rc)
    finally:
        guest.stop()
    again = NspawnGuest("db-novolume", guest.root)
    try:
        # Every boot job but cloud-init's has run (its runcmd, cut short, waits again).
        settled = again.wait_for(
            "systemctl is-active ssh && ! systemctl list-jobs --no-legend | grep -v cloud-",
            timeout=180,
        )
        assert settled.rc == 0, settled
        time.sleep(5)
        seen["reboot"] = again.sh(MARIADB).out
        seen["fstab"] = again.sh("cat /etc/fstab").out
    finally:
        again.stop()
    return seen


def test_db_does_not_serve_from_the_root_volume_while_waiting_for_its_volume(
    db_without_volume: dict[str, str],
) -> None:
    state = db_without_volume["wait"]
    assert "no-mariadbd" in state, f"MariaDB serves from the root volume during the wait:\n{state}"
    assert db_without_volume["wait-mount"] != "0"


def test_db_does_not_start_on_the_root_volume_after_a_reboot_without_it(
    db_without_volume: dict[str, str],
) -> None:
    state = db_without_volume["reboot"]
    assert "no-mariadbd" in state, f"MariaDB started on the root volume after a reboot:\n{state}"
    assert not re.search(r"^UUID=\s", db_without_volume["fstab"], re.M)
