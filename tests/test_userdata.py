"""cloud-init user data: the bastion's audit set-up and the servers' systemd services."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import DB_SERVICE
from components.userdata import (
    AUDIT_LOG,
    HOSTS_BEGIN,
    HOSTS_BLOCK_FILE,
    HOSTS_END,
    LOGROTATE_FILE,
    PROFILE_SCRIPT,
    RSYSLOG_DROPIN,
    SSHD_DROPIN,
    USER_DATA_LIMIT,
    HostEntry,
    ServiceSpec,
    bastion_user_data,
    server_user_data,
)

HOSTS = (
    HostEntry("web", "192.168.7.10"),
    HostEntry("db", "192.168.7.130", user="admin"),
    HostEntry("web6", "fd00::10"),
)
APP = ServiceSpec(
    name="app",
    description="The course's Spring Boot app",
    exec_start="/usr/bin/java -jar /opt/app/app.jar",
    packages=("openjdk-21-jre-headless",),
    files=(("/opt/app/app.env", "SPRING_PROFILES_ACTIVE=prod\n"),),
    capabilities=("CAP_NET_BIND_SERVICE",),
)


# ------------------------------------------------------------------------------ helpers
def parse(document: str) -> dict[str, Any]:
    assert document.startswith("#cloud-config\n")
    data = yaml.safe_load(document)
    assert isinstance(data, dict)
    return data


def files(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entries = config["write_files"]
    paths = [e["path"] for e in entries]
    assert len(paths) == len(set(paths)), "a path is written twice"
    return {e["path"]: e for e in entries}


def content(config: dict[str, Any], path: str) -> str:
    return str(files(config)[path]["content"])


def keywords(text: str) -> dict[str, str]:
    """sshd_config-style 'Keyword value' lines (comments skipped), first value wins."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            out.setdefault(key, value.strip())
    return out


def unit(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


@pytest.fixture(scope="module")
def bastion() -> dict[str, Any]:
    return parse(bastion_user_data(prefix="jdoe", hosts=HOSTS))


@pytest.fixture(scope="module")
def server() -> dict[str, Any]:
    return parse(server_user_data(prefix="jdoe", name="web", service=APP))


# ------------------------------------------------------------------------------ bastion
def test_hosts_block_maps_every_name_to_its_private_ip(bastion: dict[str, Any]) -> None:
    assert bastion["manage_etc_hosts"] is False  # cloud-init must not rewrite /etc/hosts
    lines = content(bastion, HOSTS_BLOCK_FILE).splitlines()
    assert lines[0] == HOSTS_BEGIN and lines[-1] == HOSTS_END
    mapping = {
        name: fields[0]
        for fields in (ln.split() for ln in lines if not ln.startswith("#"))
        for name in fields[1:]
    }
    for host in HOSTS:
        assert mapping[host.name] == host.private_ip
        assert mapping[f"jdoe-{host.name}"] == host.private_ip


def test_hosts_block_is_appended_idempotently(bastion: dict[str, Any], tmp_path: Path) -> None:
    """Run the runcmd lines that touch /etc/hosts twice against a copy: one block, old kept."""
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text("127.0.0.1 localhost\n")
    block = tmp_path / "hosts.block"
    block.write_text(content(bastion, HOSTS_BLOCK_FILE))
    cmds = [c for c in bastion["runcmd"] if "/etc/hosts" in c and HOSTS_BLOCK_FILE not in c]
    cmds += [c for c in bastion["runcmd"] if c.startswith(f"cat {HOSTS_BLOCK_FILE}")]
    assert len(cmds) == 2 and cmds[0].startswith("sed -i")  # delete the old block, then append
    script = "\n".join(cmds).replace(HOSTS_BLOCK_FILE, str(block))
    script = script.replace("/etc/hosts", str(hosts_file))
    for _ in range(2):
        subprocess.run(["sh", "-ec", script], check=True)
    text = hosts_file.read_text()
    assert text.startswith("127.0.0.1 localhost\n")
    assert text.count(HOSTS_BEGIN) == 1 and text.count("192.168.7.10 web jdoe-web") == 1


def test_ssh_config_has_a_host_block_per_server(bastion: dict[str, Any]) -> None:
    entry = files(bastion)["/home/ubuntu/.ssh/config"]
    assert entry["owner"] == "ubuntu:ubuntu" and entry["permissions"] == "0600"
    assert entry["defer"] is True
    # What ssh makes of it for each alias: every matching Host block, first value wins
    # (the boot test asks the real `ssh -G` on the bastion).
    blocks: dict[str, dict[str, str]] = {}
    aliases: list[str] = []
    for line in str(entry["content"]).splitlines():
        if line.startswith("Host "):
            aliases = line.split()[1:]
        elif line.strip() and not line.startswith("#"):
            key, value = line.split(None, 1)
            for alias in aliases:
                blocks.setdefault(alias, {}).setdefault(key, value)
    for host in HOSTS:
        for alias in (host.name, f"jdoe-{host.name}"):
            assert blocks[alias]["HostName"] == host.private_ip
            assert blocks[alias]["User"] == host.user
            assert blocks[alias]["IdentityFile"] == "~/.ssh/id_ed25519"
            assert blocks[alias]["IdentitiesOnly"] == "yes"
    assert "IdentityFile" not in blocks["*"]  # the bastion's key is for its servers only


def test_key_is_generated_on_the_bastion_for_the_admin_user() -> None:
    config = parse(bastion_user_data(prefix="jdoe", hosts=HOSTS, admin_user="ops"))
    runcmd = "\n".join(config["runcmd"])
    assert "install -d -m 0700 -o ops -g ops /home/ops/.ssh" in runcmd
    keygen = next(c for c in config["runcmd"] if "ssh-keygen" in c)
    assert keygen.startswith("[ -f /home/ops/.ssh/id_ed25519 ] ||")  # only when absent
    assert "runuser -u ops --" in keygen and "-t ed25519" in keygen
    assert "-f /home/ops/.ssh/id_ed25519" in keygen
    # the .ssh directory exists before the key is made
    assert runcmd.index("/home/ops/.ssh\n") < runcmd.index("ssh-keygen")
    assert "/home/ops/.ssh/config" in files(config)


def test_aliases_are_per_host_for_the_admin_user(bastion: dict[str, Any]) -> None:
    entry = files(bastion)["/home/ubuntu/.bash_aliases"]
    assert entry["owner"] == "ubuntu:ubuntu"
    aliases = dict(re.findall(r"^alias (ssh-[a-z0-9-]+)='(.*)'$", entry["content"], re.M))
    assert aliases == {f"ssh-{h.name}": f"ssh {h.name}" for h in HOSTS}


def test_profile_sets_readonly_tmout_and_timestamped_history(bastion: dict[str, Any]) -> None:
    profile = content(bastion, PROFILE_SCRIPT)
    assert re.search(r"^readonly TMOUT=600$", profile, re.M)
    assert re.search(r"^export TMOUT$", profile, re.M)
    assert re.search(r"^export HISTTIMEFORMAT='%F %T '$", profile, re.M)
    assert re.search(r"^export HISTSIZE=\d+$", profile, re.M)
    other = parse(bastion_user_data(prefix="jdoe", hosts=HOSTS, idle_timeout_seconds=900))
    assert re.search(r"^readonly TMOUT=900$", content(other, PROFILE_SCRIPT), re.M)


def test_prompt_command_logs_user_ip_pid_pwd_and_command(bastion: dict[str, Any]) -> None:
    profile = content(bastion, PROFILE_SCRIPT)
    match = re.search(r"^readonly PROMPT_COMMAND='(.*)'$", profile, re.M)
    assert match, "PROMPT_COMMAND must be readonly"
    hook = match.group(1)
    assert "logger -p local0.notice -t bastion-audit" in hook
    for needle in ("user=${__ba_u@P}", "src=${SSH_CLIENT%% *}", "pid=$$", "pwd=$PWD",
                   "history 1", "cmd="):
        assert needle in hook
    # No process per prompt but logger: `id` would be one more audited execve per command.
    assert "$(id" not in hook and "`" not in hook
    assert re.search(r"^export PROMPT_COMMAND$", profile, re.M)
    assert "PS1" in profile and "[1;31m" in profile  # red bastion prompt


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_audit_hook_really_logs_and_cannot_be_disabled(
    bastion: dict[str, Any], tmp_path: Path
) -> None:
    """Source the profile in a real interactive bash, with a fake `logger` on PATH."""
    log = tmp_path / "syslog"
    fake = tmp_path / "bin" / "logger"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\n')
    fake.chmod(0o755)
    profile = tmp_path / "bastion.sh"
    profile.write_text(content(bastion, PROFILE_SCRIPT))
    commands = "cd /\necho hello\n\nunset PROMPT_COMMAND\nTMOUT=0\nfalse\n"
    env = {
        "HOME": str(tmp_path),
        "PATH": f"{fake.parent}:/usr/bin:/bin",
        "SSH_CLIENT": "203.0.113.9 50000 22",
        "HISTFILE": str(tmp_path / "history"),
    }
    subprocess.run(
        ["bash", "--noprofile", "--rcfile", str(profile), "-i"],
        input=commands, env=env, text=True, capture_output=True, timeout=30, check=False,
    )
    lines = log.read_text().splitlines()
    assert lines[0].startswith("-p local0.notice -t bastion-audit -- ")
    assert "event=login" in lines[0]
    logged = [re.search(r"cmd=(.*)$", ln) for ln in lines[1:]]
    assert [m.group(1) for m in logged if m] == [
        "cd /", "echo hello", "unset PROMPT_COMMAND", "TMOUT=0", "false",
    ]  # the empty line is not logged twice; unset/TMOUT=0 failed, so logging went on
    assert "src=203.0.113.9 " in lines[1] and "pwd=/ " in lines[1]
    assert re.search(r" pid=\d+ ", lines[1]) and "user=" in lines[1]
    assert "rc=1 cmd=false" in lines[-1]


def test_rsyslog_routes_local0_to_the_audit_log(bastion: dict[str, Any]) -> None:
    rule = content(bastion, RSYSLOG_DROPIN)
    lines = [ln for ln in rule.splitlines() if ln and not ln.startswith("#")]
    # OpenSSH 9.8 and later log logins as sshd-session (Debian 13's 10.0 does; the boot test).
    assert lines[0].startswith(
        'if $programname == "sshd" or $programname == "sshd-session" '
        'or $programname == "sshd-auth" then action(type="omfile"'
    )
    assert lines[1].startswith("local0.* ")
    assert f'file="{AUDIT_LOG}"' in lines[0] and f'file="{AUDIT_LOG}"' in lines[1]
    assert lines[2] == "& stop"  # local0 only; sshd's lines stay in auth.log too
    assert AUDIT_LOG == "/var/log/bastion/command.log"
    assert content(bastion, LOGROTATE_FILE).startswith(f"{AUDIT_LOG} {{")
    runcmd = bastion["runcmd"]
    assert "install -d -m 0750 -o syslog -g adm /var/log/bastion" in runcmd
    assert runcmd.index("install -d -m 0750 -o syslog -g adm /var/log/bastion") < runcmd.index(
        "systemctl restart rsyslog"
    )
    assert "rsyslog" in bastion["packages"] and bastion["package_update"] is True


@pytest.mark.parametrize("kind", ["bastion", "server"])
def test_sshd_dropin_disables_passwords_and_root(kind: str, request: Any) -> None:
    config: dict[str, Any] = request.getfixturevalue(kind)
    sshd = keywords(content(config, SSHD_DROPIN))
    assert sshd["PasswordAuthentication"] == "no"
    assert sshd["KbdInteractiveAuthentication"] == "no"
    assert sshd["PermitRootLogin"] == "no"
    assert sshd["MaxAuthTries"] == "3"
    assert sshd["AllowAgentForwarding"] == "no"
    assert sshd["X11Forwarding"] == "no"
    assert sshd.get("AllowTcpForwarding", "yes") != "no"  # ProxyJump needs it
    assert int(sshd["ClientAliveInterval"]) > 0 and int(sshd["ClientAliveCountMax"]) > 0
    assert sshd["Banner"] in files(config)
    assert config["ssh_pwauth"] is False
    runcmd = config["runcmd"]
    # Separate steps under set -e: a failing `sshd -t` stops runcmd (and fails cloud-init).
    assert runcmd[0] == "set -eux"
    assert runcmd.index("sshd -t") < runcmd.index("systemctl restart ssh")
    assert not any("&&" in c for c in runcmd)


def test_bastion_banner_names_the_owner_and_logging(bastion: dict[str, Any]) -> None:
    for path in ("/etc/issue.net", "/etc/motd"):
        text = content(bastion, path)
        assert "jdoe's bastion" in text and "logged" in text
    assert bastion["hostname"] == "jdoe-bastion"


# ------------------------------------------------------------------------------ servers
def test_server_unit_restarts_on_failure_and_is_enabled(server: dict[str, Any]) -> None:
    assert server["hostname"] == "jdoe-web"
    assert server["packages"] == ["openjdk-21-jre-headless"]
    svc = unit(content(server, "/etc/systemd/system/app.service"))
    assert svc["Service"]["ExecStart"] == APP.exec_start
    assert svc["Service"]["Restart"] == "on-failure"
    assert svc["Service"]["RestartSec"] == "5"
    assert svc["Service"]["DynamicUser"] == "yes"  # user=None
    assert svc["Service"]["NoNewPrivileges"] == "yes"
    assert svc["Service"]["AmbientCapabilities"] == "CAP_NET_BIND_SERVICE"
    assert svc["Install"]["WantedBy"] == "multi-user.target"
    runcmd = server["runcmd"]
    assert runcmd.index("systemctl daemon-reload") < runcmd.index("systemctl enable app.service")
    assert runcmd.index("systemctl enable app.service") < runcmd.index(
        "systemctl restart app.service"
    )
    env = files(server)["/opt/app/app.env"]
    assert env["defer"] is True and env["content"] == "SPRING_PROFILES_ACTIVE=prod\n"


def test_server_unit_with_a_named_user() -> None:
    spec = ServiceSpec("app", "App", exec_start="/opt/app/run", user="app")
    config = parse(server_user_data(prefix="jdoe", name="web", service=spec))
    svc = unit(content(config, "/etc/systemd/system/app.service"))["Service"]
    assert svc["User"] == "app" and "DynamicUser" not in svc
    assert "AmbientCapabilities" not in svc


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_server_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    spec = ServiceSpec("app", "App", exec_start="/bin/sleep 3600",
                       capabilities=("CAP_NET_BIND_SERVICE",))
    config = parse(server_user_data(prefix="jdoe", name="web", service=spec))
    path = tmp_path / "app.service"
    path.write_text(content(config, "/etc/systemd/system/app.service"))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_dbs_dropin_keeps_it_off_a_data_directory_that_is_not_mounted(tmp_path: Path) -> None:
    """Issue 16: MariaDB served from the root volume while data-volume waited, and started there
    after a reboot without the volume. Before data-volume writes the fstab line there is no mount
    unit for RequiresMountsFor= to require, so the drop-in (written before the package, whose
    postinst starts it) must carry a condition that systemd itself finds false while the data
    directory is not a mount point, and true once it is (systemd-analyze condition)."""
    config = parse(
        server_user_data(prefix="p", name="db", service=DB_SERVICE, data_volume_id="vol-0abc")
    )
    path = f"/etc/systemd/system/{DB_SERVICE.name}.service.d/data-volume.conf"
    assert not files(config)[path].get("defer"), "written after the package started it"
    data_dir = str(DB_SERVICE.data_dir)
    assert f"RequiresMountsFor={data_dir}" in content(config, path).splitlines()
    conditions = [
        ln for ln in content(config, path).splitlines() if ln.startswith(("Condition", "Assert"))
    ]
    assert conditions, f"no condition in {path}: nothing stops it before its mount exists"
    unmounted = tmp_path / "mysql"
    unmounted.mkdir()

    def holds(directory: str) -> bool:
        done = subprocess.run(
            ["systemd-analyze", "condition", *(c.replace(data_dir, directory) for c in conditions)],
            capture_output=True, text=True, timeout=60, check=False,
        )
        return done.returncode == 0

    assert not holds(str(unmounted)), conditions  # the root volume's plain directory
    assert holds("/"), conditions  # a mount point


def test_packaged_unit_gets_a_restart_dropin() -> None:
    spec = ServiceSpec("nginx", "nginx", packages=("nginx",))
    config = parse(server_user_data(prefix="jdoe", name="web", service=spec))
    written = files(config)
    assert "/etc/systemd/system/nginx.service" not in written
    dropin = unit(written["/etc/systemd/system/nginx.service.d/restart.conf"]["content"])
    assert dict(dropin["Service"]) == {"Restart": "on-failure", "RestartSec": "5"}
    assert "systemctl enable nginx.service" in config["runcmd"]
    assert config["packages"] == ["nginx"]


def test_authorized_keys_go_to_the_default_user() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5 jdoe@laptop"
    config = parse(_server(ssh_authorized_keys=(key + "\n",)))
    assert config["ssh_authorized_keys"] == [key]
    assert "ssh_authorized_keys" not in parse(_server())
    assert parse(_bastion(ssh_authorized_keys=[key]))["ssh_authorized_keys"] == [key]


def test_server_without_a_service_only_hardens() -> None:
    config = parse(server_user_data(prefix="jdoe", name="db", service=None))
    assert config["hostname"] == "jdoe-db"
    assert "packages" not in config
    assert not any("systemctl enable" in c for c in config["runcmd"])
    assert SSHD_DROPIN in files(config)


# ------------------------------------------------------------------------------ validation
def _bastion(**kwargs: Any) -> str:
    args: dict[str, Any] = {"prefix": "jdoe", "hosts": HOSTS}
    args.update(kwargs)
    return bastion_user_data(**args)


def _server(service: ServiceSpec | None = APP, **kwargs: Any) -> str:
    args: dict[str, Any] = {"prefix": "jdoe", "name": "web", "service": service}
    args.update(kwargs)
    return server_user_data(**args)


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (lambda: _bastion(hosts=[HostEntry("Web", "10.0.0.1")]), "hosts[0].name", "Web"),
        (lambda: _bastion(hosts=[HostEntry("1web", "10.0.0.1")]), "hosts[0].name", "1web"),
        (lambda: _bastion(hosts=[HostEntry("web_1", "10.0.0.1")]), "hosts[0].name", "web_1"),
        (lambda: _bastion(hosts=[HostEntry("localhost", "10.0.0.1")]), "hosts[0].name",
         "localhost"),
        (lambda: _bastion(hosts=[HostEntry("web", "10.0.0.1"), HostEntry("web", "10.0.0.2")]),
         "hosts[1].name", "web"),
        (lambda: _bastion(hosts=[HostEntry("web", "10.0.0.0/24")]), "hosts[0].private_ip",
         "10.0.0.0/24"),
        (lambda: _bastion(hosts=[HostEntry("web", "10.0.0.256")]), "hosts[0].private_ip",
         "10.0.0.256"),
        (lambda: _bastion(hosts=[HostEntry("web", "10.0.0.1", user="Bad User")]),
         "hosts[0].user", "Bad User"),
        (lambda: _bastion(idle_timeout_seconds=59), "idle_timeout_seconds", "59"),
        (lambda: _bastion(idle_timeout_seconds=3601), "idle_timeout_seconds", "3601"),
        (lambda: _bastion(idle_timeout_seconds=True), "idle_timeout_seconds", "True"),
        (lambda: _bastion(admin_user="root"), "admin_user", "root"),
        (lambda: _bastion(prefix="JDoe"), "prefix", "JDoe"),
        (lambda: _server(name="Web"), "name", "Web"),
        (lambda: _server(ssh_authorized_keys=("not a key",)), "ssh_authorized_keys[0]",
         "not a key"),
        (lambda: _server(ssh_authorized_keys=("ssh-ed25519 AAAA x\nssh-rsa AAAA y",)),
         "ssh_authorized_keys[0]", "ssh-ed25519 AAAA x"),
        (lambda: _server(ServiceSpec("my_app", "x", exec_start="/bin/true")), "service.name",
         "my_app"),
        (lambda: _server(ServiceSpec("app.service", "x", exec_start="/bin/true")),
         "service.name", "app.service"),
        (lambda: _server(ServiceSpec("app", "x")), "service", "app"),
        (lambda: _server(ServiceSpec("app", "x", exec_start="/bin/true\nUser=root")),
         "service.exec_start", "/bin/true\\nUser=root"),
        (lambda: _server(ServiceSpec("app", "x", exec_start="/bin/true",
                                     files=(("etc/app.conf", ""),))), "service.files[0]",
         "etc/app.conf"),
        (lambda: _server(ServiceSpec("app", "x", exec_start="/bin/true",
                                     capabilities=("NET_BIND",))), "service.capabilities[0]",
         "NET_BIND"),
    ],
)
def test_validation_names_field_value_and_fix(call: Any, field: str, value: str) -> None:
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{field} = "), message
    assert value in message and "Fix:" in message


def test_idle_timeout_bounds_are_inclusive() -> None:
    for seconds in (60, 3600):
        profile = content(parse(_bastion(idle_timeout_seconds=seconds)), PROFILE_SCRIPT)
        assert f"readonly TMOUT={seconds}\n" in profile


# ------------------------------------------------------------------------------ size
def test_user_data_over_16_kib_is_rejected() -> None:
    big = ServiceSpec("app", "x", exec_start="/bin/true",
                      files=(("/opt/app/blob.txt", "x" * USER_DATA_LIMIT),))
    with pytest.raises(ValueError, match=r"over EC2's limit of 16384 bytes"):
        _server(big)


def test_a_large_but_realistic_bastion_fits() -> None:
    hosts = [HostEntry(f"web-{i}", f"192.168.7.{i + 1}") for i in range(40)]
    document = _bastion(hosts=hosts)
    assert len(document.encode()) <= USER_DATA_LIMIT
    assert parse(document)["runcmd"]
