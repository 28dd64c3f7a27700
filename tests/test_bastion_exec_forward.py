"""The bastion's auditd plugin (components/scripts/bastion-exec-forward.py, issue 16): auditd's
record stream in, one line per bastion-exec event out, nothing else.

The records are in the dispatcher's "string" format (audit-userspace audisp/audispd.c:
``type=%s msg=%.*s\\n``); tests/data/audit-records.txt holds records auditd wrote on the boot
test's qemu guest (make boot-test-vm) during a real login, with the noise issue 16 found:
PAM, SERVICE_START, the hook's own logger calls.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from components.userdata import SCRIPTS, bastion_user_data

FORWARD = SCRIPTS / "bastion-exec-forward.py"
RECORDED = Path(__file__).resolve().parent / "data" / "audit-records.txt"


def forward(records: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(FORWARD), "--stdout"],
        input=records,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.splitlines()


def event(
    serial: int,
    comm: str,
    exe: str,
    args: list[str],
    *,
    key: str = '"bastion-exec"',
    cwd: str = '"/home/ubuntu"',
    auid: int = 0,
) -> str:
    """One execve event as the kernel reports it: SYSCALL, EXECVE, CWD, PATH, PROCTITLE."""
    ts = f"1764645000.{serial:03d}:{serial}"
    execve = " ".join(
        f'a{i}="{a}"'
        if a.isprintable() and not set(a) & set(" \"'")
        else f"a{i}={a.encode().hex().upper()}"
        for i, a in enumerate(args)
    )
    return (
        f"type=SYSCALL msg=audit({ts}): arch=c000003e syscall=59 success=yes exit=0 "
        f"a0=55d0c8a3e2a0 a1=55d0c8a3e2e0 a2=55d0c8a40f00 a3=8 items=2 ppid=1200 "
        f"pid={1000 + serial} "
        f"auid={auid} uid={auid} gid={auid} euid={auid} suid={auid} fsuid={auid} egid={auid} "
        f'sgid={auid} fsgid={auid} tty=pts0 ses=3 comm="{comm}" exe="{exe}" subj=unconfined '
        f"key={key}\n"
        f"type=EXECVE msg=audit({ts}): argc={len(args)} {execve}\n"
        f"type=CWD msg=audit({ts}): cwd={cwd}\n"
        f'type=PATH msg=audit({ts}): item=0 name="{exe}" inode=1 dev=fe:01 mode=0100755 '
        "ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n"
        f"type=PROCTITLE msg=audit({ts}): proctitle={' '.join(args).encode().hex().upper()}\n"
    )


def test_one_line_per_bastion_exec_event_and_nothing_else() -> None:
    records = (
        "type=USER_START msg=audit(1764645000.001:1): pid=900 uid=0 auid=1000 ses=3 "
        'msg=\'op=PAM:session_open grantors=pam_unix acct="ubuntu" exe="/usr/sbin/sshd" '
        "hostname=127.0.0.1 addr=127.0.0.1 terminal=ssh res=success'\n"
        "type=SERVICE_START msg=audit(1764645000.002:2): pid=1 uid=0 auid=4294967295 "
        'ses=4294967295 msg=\'unit=user@1000 comm="systemd" exe="/usr/lib/systemd/systemd" '
        "hostname=? addr=? terminal=? res=success'\n"
        + event(3, "ls", "/usr/bin/ls", ["ls", "/tmp/x"])
        + event(4, "cron", "/usr/sbin/cron", ["cron"], key="(null)")
        + event(
            5,
            "logger",
            "/usr/bin/logger",
            [
                "logger",
                "-p",
                "local0.notice",
                "-t",
                "bastion-audit",
                "--",
                "user=ubuntu src=127.0.0.1 pid=1 pwd=/ rc=0 cmd=ls /tmp/x",
            ],
        )
        + event(6, "logger", "/usr/bin/logger", ["logger", "forged"])
        + event(
            7, "sh", "/usr/bin/dash", ["sh", "-c", "rm -rf /tmp/it's here"], cwd="2F746D7020782F"
        )
    )
    lines = forward(records)
    uid = "root(0)"
    assert lines == [
        f"auid={uid} uid={uid} ses=3 tty=pts0 pid=1003 ppid=1200 success=yes cwd=/home/ubuntu "
        "exe=/usr/bin/ls argv=ls /tmp/x",
        # A logger call that is not the hook's is an audited command like any other.
        f"auid={uid} uid={uid} ses=3 tty=pts0 pid=1006 ppid=1200 success=yes cwd=/home/ubuntu "
        "exe=/usr/bin/logger argv=logger forged",
        # Hex-encoded arguments and cwd are decoded; words with spaces or quotes are quoted.
        f"auid={uid} uid={uid} ses=3 tty=pts0 pid=1007 ppid=1200 success=yes cwd=/tmp x/ "
        'exe=/usr/bin/dash argv=sh -c "rm -rf /tmp/it\'s here"',
    ]


def test_a_long_argument_in_pieces_is_joined() -> None:
    ts = "1764645000.010:10"
    long_arg = "x" * 9000
    pieces = [long_arg[i : i + 4000].encode().hex().upper() for i in range(0, 9000, 4000)]
    records = (
        f"type=SYSCALL msg=audit({ts}): syscall=59 success=yes ppid=1 pid=2 auid=0 uid=0 "
        f'tty=pts0 ses=1 comm="echo" exe="/usr/bin/echo" key="bastion-exec"\n'
        f'type=EXECVE msg=audit({ts}): argc=2 a0="echo" a1_len=9000 a1[0]={pieces[0]}\n'
        f"type=EXECVE msg=audit({ts}): a1[1]={pieces[1]} a1[2]={pieces[2]}\n"
    )
    (out,) = forward(records)
    assert out.endswith(f"argv=echo {long_arg}")


def test_the_records_auditd_wrote_on_the_boot_test_guest() -> None:
    """Real records (make boot-test-vm): a login, the dodges, and the noise around them."""
    records = RECORDED.read_text()
    lines = forward(records)
    assert sum(1 for r in records.splitlines() if r.startswith("type=")) > 4 * len(lines)
    assert lines, "no bastion-exec event in the recorded stream"
    # (uid 1000 is 'ubuntu' on the guest; the name is whatever this machine calls it.)
    for ln in lines:
        assert re.match(r"auid=\S*\(1000\) ", ln) and " exe=/" in ln and " argv=" in ln, ln
        assert "argv=logger" not in ln  # the hook's four calls are in the records, not here
    assert sum('comm="logger"' in r for r in records.splitlines()) == 4
    # the dodges: history off, HISTIGNORE, exec sh -c
    for dodge in ("nohistory", "histignore", "execsh"):
        assert any(re.search(rf" argv=ls (--color=auto )?/tmp/bt\d+-{dodge}$", ln) for ln in lines)


def test_the_plugin_the_bastions_user_data_activates_sends_only_bastion_exec_events(
    tmp_path: Path,
) -> None:
    """What reaches the command log from auditd is what the user data's active auditd plugins
    make of the recorded stream. Each must run a program the user data writes (audisp-syslog,
    the flood issue 16 found, forwarded every record), and that program, run on the records,
    writes one line per bastion-exec event and nothing else."""
    doc = yaml.safe_load(bastion_user_data(prefix="p", hosts=[]))
    files = {f["path"]: f["content"] for f in doc["write_files"]}
    plugins = [
        dict(
            (k.strip(), v.strip())
            for k, v in (ln.split("=", 1) for ln in text.splitlines() if "=" in ln)
            if not k.lstrip().startswith("#")
        )
        for path, text in files.items()
        if path.startswith("/etc/audit/plugins.d/")
    ]
    active = [p for p in plugins if p.get("active") == "yes"]
    assert active, plugins
    records = RECORDED.read_text()
    for plugin in active:
        assert plugin["path"] in files, (
            f"auditd hands every record to {plugin['path']} ({plugin}), not to a program the "
            "user data writes"
        )
        program = tmp_path / Path(plugin["path"]).name
        program.write_text(files[plugin["path"]])
        done = subprocess.run(
            [sys.executable, str(program), *plugin.get("args", "").split(), "--stdout"],
            input=records,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        lines = done.stdout.splitlines()
        assert lines, "no line for the recorded bastion-exec events"
        for ln in lines:
            assert re.match(r"auid=\S+ uid=\S+ ses=\d+ .* exe=/\S+ argv=", ln), ln
            assert "type=" not in ln and "argv=logger -p local0.notice" not in ln, ln
