"""cloud-init user data for the bastion and the service servers (pure functions).

The retrospective's week-1 bastion set-up and its lessons, as `#cloud-config` documents for
Ubuntu 24.04 LTS (cloud-init, systemd, rsyslog, OpenSSH):

- lesson 1 (nohup vs &): a service runs as a systemd unit with Restart=on-failure;
- lesson 2 (private IPs): the bastion reaches servers by name -> *private* IP;
- lesson 3 (hosts vs bashrc vs profile): static name->IP in /etc/hosts, login-shell
  environment (TMOUT, history, audit hook) in /etc/profile.d, interactive aliases in
  ~/.bash_aliases;
- lesson 4 (the bastion is the only door): hardened sshd, every command audited to syslog
  (local0 -> /var/log/bastion/command.log).

No Pulumi here: the caller renders these inside `Output.apply` with resolved values.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from .cwagent import cloudwatch_agent_cloud_config, merge_cloud_config
from .errors import ConfigError

#: EC2 rejects user data above 16 KiB (before base64).
USER_DATA_LIMIT = 16 * 1024

AUDIT_LOG = "/var/log/bastion/command.log"
AUDIT_FACILITY = "local0"
AUDIT_TAG = "bastion-audit"
SSHD_DROPIN = "/etc/ssh/sshd_config.d/10-hardening.conf"
PROFILE_SCRIPT = "/etc/profile.d/bastion.sh"
RSYSLOG_DROPIN = "/etc/rsyslog.d/30-bastion-audit.conf"
LOGROTATE_FILE = "/etc/logrotate.d/bastion-audit"
HOSTS_BLOCK_FILE = "/etc/bastion/hosts.block"
HOSTS_BEGIN = "# BEGIN bastion hosts (managed by cloud-init)"
HOSTS_END = "# END bastion hosts (managed by cloud-init)"
SCRIPTS = Path(__file__).resolve().parent / "scripts"
AUDIT_RULES = "/etc/audit/rules.d/50-bastion-exec.rules"
#: auditd's plugin (scripts/bastion-exec-plugin.conf) and the program it runs
#: (scripts/bastion-exec-forward.py). auditd's dispatcher writes every record to a "string"
#: plugin's stdin as `type=<TYPE> msg=audit(<time>:<serial>): <fields>` lines (audit-userspace
#: audisp/audispd.c, event_loop: "type=%s msg=%.*s\n"): PAM, SERVICE_START, SYSCALL, EXECVE,
#: CWD, PATH, PROCTITLE... audisp-syslog (audispd-plugins) forwards each one, which flooded
#: the command log (issue 16). The forwarder groups an event's records by serial, keeps the
#: events whose SYSCALL record has key="bastion-exec" and writes each as one syslog line
#: (local0, tag bastion-exec): auid, uid, session, tty, pid, ppid, success, cwd, exe, argv
#: (EXECVE's a<N>, quoted or hex, and a long argument's a<N>[<i>] pieces, decoded). The shell
#: hook's own `logger -p local0.notice -t bastion-audit -- <line>` events are skipped: the
#: line they carry reaches the log itself. auditd's /var/log/audit/audit.log keeps every
#: record. The script's text counts against EC2's 16 KiB, so its documentation lives here.
AUDIT_PLUGIN = "/etc/audit/plugins.d/bastion-exec.conf"
AUDIT_FORWARDER = "/usr/local/sbin/bastion-exec-forward"
AUDIT_KEY = "bastion-exec"
#: Every runcmd step's status counts (issue 16): cloud-init runs runcmd as one /bin/sh script,
#: whose status is otherwise its last command's. With `set -e` the first failing step stops
#: it and cloud-init reports `status: error` (module scripts-user); `-x` writes each step to
#: /var/log/cloud-init-output.log as it starts, so the last one there is the one that failed.
#: Steps are simple commands, never `a && b` lists (set -e ignores a failure left of &&).
STRICT = "set -eux"
DATA_VOLUME_SCRIPT = "/usr/local/sbin/data-volume"

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")  # the same rule as components/network.py
_HOST_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_UNIT_RE = re.compile(r"^[a-z0-9-]+$")
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_CAP_RE = re.compile(r"^CAP_[A-Z_]+$")
_RESERVED_HOSTS = frozenset({"localhost", "bastion"})
_PUBKEY_RE = re.compile(
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com"
    r"|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$"
)


@dataclass(frozen=True)
class HostEntry:
    """A server the bastion manages: an ssh Host alias and an /etc/hosts alias."""

    name: str  # e.g. "web"
    private_ip: str  # IPv4 or IPv6 address (lesson 2: the private one)
    user: str = "ubuntu"


@dataclass(frozen=True)
class ServiceSpec:
    """A service run by systemd (lesson 1), never by `nohup ... &`.

    With `exec_start`, a full unit /etc/systemd/system/<name>.service is written. Without it,
    the unit shipped by one of `packages` is used and gets a drop-in
    /etc/systemd/system/<name>.service.d/restart.conf with Restart=on-failure, RestartSec=5.
    """

    name: str  # unit name without .service, [a-z0-9-]+
    description: str
    exec_start: str | None = None
    packages: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # (absolute path, content)
    user: str | None = None  # None -> DynamicUser=yes (full unit only)
    capabilities: tuple[str, ...] = ()  # e.g. ("CAP_NET_BIND_SERVICE",)
    # Where the service keeps its data; given a data volume, that volume is mounted here.
    data_dir: str | None = None


# ------------------------------------------------------------------------------ rendering
class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as literal blocks (readable user data)."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def render_cloud_config(config: dict[str, Any]) -> str:
    """`#cloud-config` + YAML; raises ValueError when EC2's 16 KiB limit is exceeded."""
    body = yaml.dump(
        config,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=4096,
        allow_unicode=True,
    )
    document = "#cloud-config\n" + body
    size = len(document.encode("utf-8"))
    if size > USER_DATA_LIMIT:
        raise ValueError(
            f"user data is {size} bytes, over EC2's limit of {USER_DATA_LIMIT} bytes (16 KiB). "
            "Fix: ship large files another way (a package, S3, an AMI) instead of inlining them"
        )
    return document


# ------------------------------------------------------------------------------ validation
def _check_prefix(prefix: str) -> None:
    if not isinstance(prefix, str) or not _PREFIX_RE.match(prefix):
        raise ConfigError(
            "prefix",
            prefix,
            "must be 1-31 lowercase letters, digits and hyphens, starting with a letter",
            "use the owner's short prefix, e.g. 'jdoe'",
        )


def _check_host_name(setting: str, name: str, prefix: str) -> None:
    if not isinstance(name, str) or not _HOST_RE.match(name):
        raise ConfigError(
            setting,
            name,
            "must match [a-z][a-z0-9-]* (it becomes an ssh Host alias and an /etc/hosts name)",
            "use a short lowercase name such as 'web' or 'db'",
        )
    if name in _RESERVED_HOSTS:
        raise ConfigError(
            setting,
            name,
            "is reserved (it names this machine or the bastion)",
            "pick another name, e.g. 'web' or 'db'",
        )
    if len(f"{prefix}-{name}") > 63:
        raise ConfigError(
            setting,
            name,
            f"'{prefix}-{name}' is longer than a 63-character host name",
            "shorten the name or the prefix",
        )


def _check_user(setting: str, user: str) -> None:
    if not isinstance(user, str) or not _USER_RE.match(user):
        raise ConfigError(
            setting,
            user,
            "is not a valid Linux user name",
            "use lowercase letters, digits, '_' and '-', starting with a letter or '_'",
        )


def _check_hosts(prefix: str, hosts: Sequence[HostEntry]) -> None:
    seen: set[str] = set()
    for i, host in enumerate(hosts):
        where = f"hosts[{i}]"
        if not isinstance(host, HostEntry):
            raise ConfigError(where, host, "is not a HostEntry", "pass HostEntry(name, ip)")
        _check_host_name(f"{where}.name", host.name, prefix)
        if host.name in seen:
            raise ConfigError(
                f"{where}.name",
                host.name,
                "duplicate host name",
                "give every managed server a unique name",
            )
        seen.add(host.name)
        try:
            ipaddress.ip_address(host.private_ip)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{where}.private_ip",
                host.private_ip,
                "is not an IPv4/IPv6 address",
                "pass the instance's private IP without a prefix length, e.g. 192.168.7.130",
            ) from None
        _check_user(f"{where}.user", host.user)


def _check_authorized_keys(keys: Sequence[str]) -> list[str]:
    if isinstance(keys, str):
        raise ConfigError(
            "ssh_authorized_keys",
            keys,
            "is a single string",
            "pass a sequence of keys",
        )
    out = []
    for i, key in enumerate(keys):
        if not isinstance(key, str) or not _PUBKEY_RE.match(key.strip()):
            raise ConfigError(
                f"ssh_authorized_keys[{i}]",
                key,
                "is not an OpenSSH public key line",
                "paste the one-line .pub file, e.g. 'ssh-ed25519 AAAA... you@laptop'",
            )
        out.append(key.strip())
    return out


def _check_single_line(setting: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise ConfigError(
            setting,
            value,
            "must be a non-empty single line (it goes into a unit file)",
            "remove line breaks; put long commands in a script listed in files",
        )


def _check_service(service: ServiceSpec) -> None:
    if not isinstance(service, ServiceSpec):
        raise ConfigError("service", service, "is not a ServiceSpec", "pass a ServiceSpec")
    if not isinstance(service.name, str) or not _UNIT_RE.match(service.name):
        raise ConfigError(
            "service.name",
            service.name,
            "is not a valid unit name ([a-z0-9-]+)",
            "use the unit name without '.service', e.g. 'app' or 'nginx'",
        )
    _check_single_line("service.description", service.description)
    if service.exec_start is None and not service.packages:
        raise ConfigError(
            "service",
            service.name,
            "has neither exec_start nor packages",
            "set exec_start for a full unit, or packages whose unit "
            f"'{service.name}.service' gets a restart drop-in",
        )
    if service.exec_start is not None:
        _check_single_line("service.exec_start", service.exec_start)
    for i, pkg in enumerate(service.packages):
        if not isinstance(pkg, str) or not re.match(r"^[a-z0-9][a-z0-9+.:=~-]*$", pkg):
            raise ConfigError(
                f"service.packages[{i}]",
                pkg,
                "is not an apt package name",
                "use a Debian package name, optionally pinned as name=version",
            )
    paths: set[str] = set()
    for i, entry in enumerate(service.files):
        path = entry[0] if isinstance(entry, tuple) and len(entry) == 2 else None
        if (
            not isinstance(path, str)
            or not path.startswith("/")
            or "\n" in path
            or ".." in path.split("/")
        ):
            raise ConfigError(
                f"service.files[{i}]",
                entry,
                "needs an absolute path without '..'",
                "pass (path, content) with an absolute path, e.g. ('/etc/app/app.env', '...')",
            )
        if path in paths:
            raise ConfigError(
                f"service.files[{i}]",
                path,
                "duplicate path",
                "list each file once",
            )
        if not isinstance(entry[1], str):
            raise ConfigError(
                f"service.files[{i}]",
                path,
                "content is not a string",
                "pass text content",
            )
        paths.add(path)
    if service.user is not None:
        _check_user("service.user", service.user)
        if service.exec_start is None:
            raise ConfigError(
                "service.user",
                service.user,
                "only applies to a full unit (exec_start)",
                "drop user, or set exec_start",
            )
    for i, cap in enumerate(service.capabilities):
        if not isinstance(cap, str) or not _CAP_RE.match(cap):
            raise ConfigError(
                f"service.capabilities[{i}]",
                cap,
                "is not a capability name",
                "use e.g. 'CAP_NET_BIND_SERVICE'",
            )
    if service.capabilities and service.exec_start is None:
        raise ConfigError(
            "service.capabilities",
            service.capabilities,
            "only applies to a full unit (exec_start)",
            "drop capabilities, or set exec_start",
        )


# ------------------------------------------------------------------------------ shared parts
def sshd_hardening() -> str:
    """The sshd drop-in shared by the bastion and the servers.

    Ubuntu's sshd_config includes sshd_config.d/*.conf first and the first value wins, so
    10-hardening.conf overrides 50-cloud-init.conf and 60-cloudimg-settings.conf.
    AllowTcpForwarding stays on: ProxyJump through the bastion needs it.
    """
    return "\n".join(
        [
            "# Managed by cloud-init. Lesson 4: the bastion is the only door for admins' SSH.",
            "PubkeyAuthentication yes",
            "AuthenticationMethods publickey",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitEmptyPasswords no",
            "PermitRootLogin no",
            "MaxAuthTries 3",
            "LoginGraceTime 30",
            "ClientAliveInterval 300",
            "ClientAliveCountMax 2",
            "# Jump with ProxyJump (ssh -J), never by forwarding the agent onto the host.",
            "AllowAgentForwarding no",
            "X11Forwarding no",
            "PermitTunnel no",
            "# Log key fingerprints of every login (audit).",
            "LogLevel VERBOSE",
            "Banner /etc/issue.net",
            "",
        ]
    )


_AUTO_UPGRADES = (
    'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n'
)


def _common_files(banner: str) -> list[dict[str, Any]]:
    return [
        {
            "path": SSHD_DROPIN,
            "owner": "root:root",
            "permissions": "0644",
            "content": sshd_hardening(),
        },
        {"path": "/etc/issue.net", "owner": "root:root", "permissions": "0644", "content": banner},
        {
            "path": "/etc/apt/apt.conf.d/20auto-upgrades",
            "owner": "root:root",
            "permissions": "0644",
            "content": _AUTO_UPGRADES,
        },
    ]


# sshd -t needs /run/sshd, which Ubuntu 24.04 only creates when ssh.service runs (socket
# activation); a config that fails the test is not loaded (the old one keeps serving), and the
# failure stops runcmd (STRICT).
_SSHD_RESTART = ["install -d -m 0755 /run/sshd", "sshd -t", "systemctl restart ssh"]


def _base_config(hostname: str, authorized_keys: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "hostname": hostname,
        "preserve_hostname": False,
        "ssh_pwauth": False,
        "disable_root": True,
    }
    if authorized_keys:
        # Added to the default user's ~/.ssh/authorized_keys (besides the EC2 key pair's).
        config["ssh_authorized_keys"] = authorized_keys
    config["package_update"] = True
    return config


# ------------------------------------------------------------------------------ bastion
def _hosts_block(prefix: str, hosts: Sequence[HostEntry]) -> str:
    lines = [HOSTS_BEGIN, f"# {prefix}'s servers by private IP (lesson 2)"]
    lines += [f"{h.private_ip} {h.name} {prefix}-{h.name}" for h in hosts]
    lines.append(HOSTS_END)
    return "\n".join(lines) + "\n"


def _ssh_config(prefix: str, hosts: Sequence[HostEntry]) -> str:
    out = [f"# Managed by cloud-init: {prefix}'s servers by private IP (lesson 2)."]
    default_user = HostEntry.__dataclass_fields__["user"].default
    for h in hosts:
        user = [f"    User {h.user}"] if h.user != default_user else []
        out += [f"Host {h.name} {prefix}-{h.name}", f"    HostName {h.private_ip}", *user, ""]
    if hosts:
        # Options every server shares, once (ssh takes each option's first value, so a User
        # above wins): the default user and the bastion's own key, for these servers only.
        names = " ".join(f"{h.name} {prefix}-{h.name}" for h in hosts)
        out += [f"Host {names}", f"    User {default_user}", "    IdentityFile ~/.ssh/id_ed25519",
                "    IdentitiesOnly yes", ""]
    out += [
        "Host *",
        "    StrictHostKeyChecking accept-new",
        "    ServerAliveInterval 60",
        "",
    ]
    return "\n".join(out)


def _bash_aliases(hosts: Sequence[HostEntry]) -> str:
    out = ["# Managed by cloud-init. Lesson 3: aliases are interactive-shell settings."]
    out += [f"alias ssh-{h.name}='ssh {h.name}'" for h in hosts]
    out += [
        "# ~/.bashrc resets PS1 after /etc/profile.d ran: re-apply the bastion's red prompt.",
        '[ -n "${BASTION_PS1:-}" ] && PS1="$BASTION_PS1"',
        "",
    ]
    return "\n".join(out)


# Runs before every prompt. The first prompt only records the history number (so the previous
# session's last command is not logged again); afterwards each new history entry is logged
# once: user, source IP, pid, working directory, exit status and the command.
_PROMPT_COMMAND = (
    "__ba_rc=$?; "
    "read -r __ba_n __ba_cmd <<<\"$(HISTTIMEFORMAT='' history 1)\"; "
    # The user name from bash's own \\u prompt escape: no `id` process (an audited execve) per
    # prompt.
    "__ba_u='\\u'; "
    'if [ -z "${__ba_init:-}" ]; then __ba_init=1; __ba_last=$__ba_n; '
    'elif [ "$__ba_n" != "$__ba_last" ]; then __ba_last=$__ba_n; '
    f"logger -p {AUDIT_FACILITY}.notice -t {AUDIT_TAG} -- "
    '"user=${__ba_u@P} src=${SSH_CLIENT%% *} pid=$$ pwd=$PWD rc=$__ba_rc cmd=$__ba_cmd"; fi'
)


def _profile_script(prefix: str, idle_timeout_seconds: int) -> str:
    return f"""\
# Managed by cloud-init: {prefix}'s bastion.
# Lesson 3: /etc/profile.d is for the login-shell environment.
# Sourced by sh and bash login shells; a second source in the same shell is a no-op.
[ -n "${{__BASTION_PROFILE:-}}" ] && return 0
__BASTION_PROFILE=1
readonly __BASTION_PROFILE

# Idle shells are closed after {idle_timeout_seconds} s; users cannot change it.
readonly TMOUT={idle_timeout_seconds}
export TMOUT

[ -n "${{BASH_VERSION:-}}" ] || return 0

# Timestamped, larger history.
export HISTTIMEFORMAT='%F %T '
export HISTSIZE=10000
export HISTFILESIZE=20000
shopt -s histappend

# Audit: every command goes to syslog {AUDIT_FACILITY} -> {AUDIT_LOG}.
# readonly so users cannot unset or replace the hook.
readonly PROMPT_COMMAND={shlex.quote(_PROMPT_COMMAND)}
export PROMPT_COMMAND
logger -p {AUDIT_FACILITY}.notice -t {AUDIT_TAG} -- \\
  "user=$(id -un) src=${{SSH_CLIENT%% *}} pid=$$ pwd=$PWD event=login"

# A red prompt marks the bastion (~/.bash_aliases re-applies it after ~/.bashrc).
export BASTION_PS1='\\[\\e[1;31m\\][BASTION {prefix}]\\[\\e[0m\\] \\u@\\h:\\w\\$ '
PS1="$BASTION_PS1"
"""


def _rsyslog_rule() -> str:
    """The command log: sshd's lines (LogLevel VERBOSE: logins with key fingerprints, session
    open and close; also kept in auth.log) whether OpenSSH logs as sshd or, from 9.8 on, as
    sshd-session / sshd-auth; and local0: the shell hook (bastion-audit) and the forwarder's
    one line per bastion-exec event, kept out of /var/log/syslog."""
    omfile = (
        f'action(type="omfile" file="{AUDIT_LOG}" '
        'fileOwner="syslog" fileGroup="adm" fileCreateMode="0640")'
    )
    return (
        "# Managed by cloud-init: the bastion's command audit (lesson 4).\n"
        f'if $programname == "sshd" or $programname == "sshd-session" '
        f'or $programname == "sshd-auth" then {omfile}\n'
        f"{AUDIT_FACILITY}.* {omfile}\n"
        "& stop\n"
    )


def audit_rules(arch: str = "x86_64") -> str:
    """auditd execve rules by login uid (scripts/bastion-exec.rules). arm64 kernels take only
    the 64-bit syscall table, so the b32 rule is dropped there."""
    text = (SCRIPTS / "bastion-exec.rules").read_text(encoding="utf-8")
    if arch == "arm64":
        text = "".join(ln for ln in text.splitlines(keepends=True) if "arch=b32" not in ln)
    return text


def _logrotate() -> str:
    return f"""\
{AUDIT_LOG} {{
    weekly
    rotate 26
    missingok
    notifempty
    compress
    delaycompress
    create 0640 syslog adm
    sharedscripts
    postrotate
        /usr/lib/rsyslog/rsyslog-rotate
    endscript
}}
"""


def bastion_user_data(
    *,
    prefix: str,
    hosts: Sequence[HostEntry],
    admin_user: str = "ubuntu",
    idle_timeout_seconds: int = 600,
    ssh_authorized_keys: Sequence[str] = (),
    arch: str = "x86_64",
    cloudwatch_log_group: str | None = None,
    region: str | None = None,
) -> str:
    """The bastion's `#cloud-config`: hardened sshd, audit log, hosts, ssh config, key.

    The audit log (/var/log/bastion/command.log) gets the course's PROMPT_COMMAND hook, one line
    per execve of an interactive user (auditd, by auid: `set +o history`, HISTIGNORE or
    `exec sh -c` hide nothing from it; scripts/bastion-exec-forward.py keeps only those events)
    and sshd's VERBOSE lines (login, key fingerprint, session open and close: a ProxyJump-only
    session leaves its login, though sshd names no forward target at VERBOSE). The boot test
    (boot/) shows each of these on a running system.

    `ssh_authorized_keys`: extra public keys for the default user (e.g. other admins').
    `cloudwatch_log_group` (with `region`): also ship the audit logs there with the CloudWatch
    agent (`auditLog: cloudwatch`, components/cwagent.py).
    """
    _check_prefix(prefix)
    _check_hosts(prefix, hosts)
    keys = _check_authorized_keys(ssh_authorized_keys)
    _check_user("admin_user", admin_user)
    if admin_user == "root":
        raise ConfigError(
            "admin_user",
            admin_user,
            "root cannot log in over SSH (PermitRootLogin no)",
            "use the image's default user, 'ubuntu'",
        )
    if (
        isinstance(idle_timeout_seconds, bool)
        or not isinstance(idle_timeout_seconds, int)
        or not 60 <= idle_timeout_seconds <= 3600
    ):
        raise ConfigError(
            "idle_timeout_seconds",
            idle_timeout_seconds,
            "must be an integer in 60..3600",
            "use the course's 600 (10 minutes)",
        )

    home = f"/home/{admin_user}"
    owner = f"{admin_user}:{admin_user}"
    banner = (
        f"{prefix}'s bastion host: authorized administrators only.\n"
        "All sessions and commands are logged and audited.\n"
    )
    key = f"{home}/.ssh/id_ed25519"
    q = shlex.quote
    config: dict[str, Any] = _base_config(f"{prefix}-bastion", keys)
    config.update(
        {
            "manage_etc_hosts": False,
            "packages": [
                "rsyslog",
                "logrotate",
                "unattended-upgrades",
                "auditd",
            ],
            "write_files": [
                *_common_files(banner),
                {
                    "path": "/etc/motd",
                    "owner": "root:root",
                    "permissions": "0644",
                    "content": banner,
                },
                {
                    "path": PROFILE_SCRIPT,
                    "owner": "root:root",
                    "permissions": "0644",
                    "content": _profile_script(prefix, idle_timeout_seconds),
                },
                {
                    "path": RSYSLOG_DROPIN,
                    "owner": "root:root",
                    "permissions": "0644",
                    "content": _rsyslog_rule(),
                },
                {
                    "path": LOGROTATE_FILE,
                    "owner": "root:root",
                    "permissions": "0644",
                    "content": _logrotate(),
                },
                {
                    "path": HOSTS_BLOCK_FILE,
                    "owner": "root:root",
                    "permissions": "0644",
                    "content": _hosts_block(prefix, hosts),
                },
                # Deferred: written after auditd is installed (its package ships these files).
                {
                    "path": AUDIT_RULES,
                    "owner": "root:root",
                    "permissions": "0640",
                    "defer": True,
                    "content": audit_rules(arch),
                },
                {
                    "path": AUDIT_PLUGIN,
                    "owner": "root:root",
                    "permissions": "0640",
                    "defer": True,
                    "content": (SCRIPTS / "bastion-exec-plugin.conf").read_text(encoding="utf-8"),
                },
                {
                    "path": AUDIT_FORWARDER,
                    "owner": "root:root",
                    "permissions": "0755",
                    "content": (SCRIPTS / "bastion-exec-forward.py").read_text(encoding="utf-8"),
                },
                # Deferred: written after users exist, so ownership resolves.
                {
                    "path": f"{home}/.ssh/config",
                    "owner": owner,
                    "permissions": "0600",
                    "defer": True,
                    "content": _ssh_config(prefix, hosts),
                },
                {
                    "path": f"{home}/.bash_aliases",
                    "owner": owner,
                    "permissions": "0644",
                    "defer": True,
                    "content": _bash_aliases(hosts),
                },
            ],
            "runcmd": [
                STRICT,
                *_SSHD_RESTART,
                # Audit log: rsyslog runs as 'syslog' and must be able to create the file.
                "install -d -m 0750 -o syslog -g adm /var/log/bastion",
                "systemctl restart rsyslog",
                # /etc/hosts: replace the marked block (idempotent), static name -> private IP.
                f"sed -i '/^{HOSTS_BEGIN}$/,/^{HOSTS_END}$/d' /etc/hosts",
                f"cat {HOSTS_BLOCK_FILE} >> /etc/hosts",
                # Ubuntu's ~/.bashrc would undo profile.d: HISTCONTROL=ignoreboth hides ' cmd' from
                # history (and so from the audit), HISTSIZE/HISTFILESIZE shrink the history.
                "sed -i -e 's/^HISTCONTROL=ignoreboth$/HISTCONTROL=ignoredups/' "
                "-e 's/^HISTSIZE=/#&/' -e 's/^HISTFILESIZE=/#&/' "
                f"/etc/skel/.bashrc {home}/.bashrc",
                # The course's ssh-keygen step: a key made on the bastion, for its servers.
                f"install -d -m 0700 -o {admin_user} -g {admin_user} {home}/.ssh",
                f"[ -f {key} ] || runuser -u {admin_user} -- ssh-keygen -q -t ed25519 -N '' "
                f"-C {q(f'{admin_user}@{prefix}-bastion')} -f {key}",
                f"chown {owner} {home}/.ssh/config {home}/.bash_aliases",
                f"chmod 0600 {home}/.ssh/config {key}",
                f'echo "bastion public key (add to the servers authorized_keys): $(cat {key}.pub)"',
                # Last, so a kernel without audit (a container) fails only this: auditd refuses
                # `systemctl restart`: load the rules, reload the plugins.
                "augenrules --load",
                "auditctl --signal reload",
            ],
        }
    )
    if cloudwatch_log_group is not None:
        config = merge_cloud_config(
            config, cloudwatch_agent_cloud_config(cloudwatch_log_group, region or "")
        )
    return render_cloud_config(config)


# ------------------------------------------------------------------------------ servers
def _unit_file(service: ServiceSpec) -> str:
    lines = [
        "# Managed by cloud-init. Lesson 1: systemd, not nohup/&.",
        "[Unit]",
        f"Description={service.description}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={service.exec_start}",
        "Restart=on-failure",
        "RestartSec=5",
    ]
    if service.user is None:
        # DynamicUser implies ProtectSystem=strict, ProtectHome=read-only and PrivateTmp;
        # StateDirectory gives the service a writable /var/lib/<name>.
        lines += ["DynamicUser=yes", f"StateDirectory={service.name}"]
    else:
        # full: /usr, /boot, /etc read-only; the rest stays writable for a plain ExecStart.
        lines += [f"User={service.user}", "ProtectSystem=full"]
    if service.capabilities:
        caps = " ".join(service.capabilities)
        lines += [f"AmbientCapabilities={caps}", f"CapabilityBoundingSet={caps}"]
    lines += [
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectControlGroups=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)


RESTART_DROPIN = (
    "# Managed by cloud-init. Lesson 1: restart the packaged service when it fails.\n"
    "[Service]\n"
    "Restart=on-failure\n"
    "RestartSec=5\n"
)


def unit_path(service: ServiceSpec) -> str:
    """Where the unit file (exec_start) or the restart drop-in (packaged unit) is written."""
    if service.exec_start is not None:
        return f"/etc/systemd/system/{service.name}.service"
    return f"/etc/systemd/system/{service.name}.service.d/restart.conf"


def data_volume_dropin(service: ServiceSpec) -> str:
    """Never start on the root volume's data directory. RequiresMountsFor= orders the service
    after the fstab mount and fails it when the mount fails (a reboot without the volume);
    ConditionPathIsMountPoint= covers the time before data-volume wrote that fstab line (the
    package's own start at install, the first boot's wait for the attachment), when there is
    no mount unit to require. Written before the package is installed."""
    return (
        "# Managed by cloud-init: never start on the root volume's empty data directory.\n"
        f"[Unit]\nRequiresMountsFor={service.data_dir}\n"
        f"ConditionPathIsMountPoint={service.data_dir}\n"
    )


def server_user_data(
    *,
    prefix: str,
    name: str,
    service: ServiceSpec | None,
    ssh_authorized_keys: Sequence[str] = (),
    data_volume_id: str | None = None,
) -> str:
    """A server's `#cloud-config`: hostname, hardened sshd and its systemd service.

    `ssh_authorized_keys`: extra public keys for the default user -- e.g. the public key
    made on the bastion (its cloud-init output prints it), so `ssh web` works from there.
    `data_volume_id`: an EBS volume mounted at the service's data_dir (scripts/data-volume.sh).
    """
    if data_volume_id is not None and (service is None or service.data_dir is None):
        raise ConfigError(
            "data_volume_id", data_volume_id, "the service has no data_dir", "set data_dir"
        )
    if data_volume_id is not None and not re.fullmatch(r"[A-Za-z0-9-]+", data_volume_id):
        raise ConfigError(
            "data_volume_id", data_volume_id, "not an EBS volume id", "pass Volume.id"
        )
    _check_prefix(prefix)
    _check_host_name("name", name, prefix)
    keys = _check_authorized_keys(ssh_authorized_keys)
    if service is not None:
        _check_service(service)
    hostname = f"{prefix}-{name}"
    banner = (
        f"{hostname} ({prefix}): authorized administrators only, via {prefix}'s bastion.\n"
        "Access is logged.\n"
    )
    config = _base_config(hostname, keys)
    files = _common_files(banner)
    runcmd: list[str] = [STRICT, *_SSHD_RESTART]
    if service is not None:
        if service.packages:
            config["packages"] = list(service.packages)
        content = _unit_file(service) if service.exec_start is not None else RESTART_DROPIN
        files.append(
            {
                "path": unit_path(service),
                "owner": "root:root",
                "permissions": "0644",
                "content": content,
            }
        )
        # Deferred: written after the packages are installed, so they win over defaults.
        files += [
            {
                "path": path,
                "owner": "root:root",
                "permissions": "0644",
                "defer": True,
                "content": body,
            }
            for path, body in service.files
        ]
        unit = f"{service.name}.service"
        runcmd += [
            "systemctl daemon-reload",
            # enable + restart (not just enable --now): a package's postinst may already have
            # started it with its default config, before the deferred files were written.
            f"systemctl enable {unit}",
            f"systemctl restart {unit}",
        ]
        if data_volume_id is not None and service.data_dir is not None:
            files += [
                {
                    "path": DATA_VOLUME_SCRIPT,
                    "owner": "root:root",
                    "permissions": "0755",
                    "content": (SCRIPTS / "data-volume.sh").read_text(encoding="utf-8"),
                },
                {
                    "path": f"/etc/systemd/system/{unit}.d/data-volume.conf",
                    "owner": "root:root",
                    "permissions": "0644",
                    "content": data_volume_dropin(service),
                },
            ]
            runcmd.append(
                " ".join(
                    shlex.quote(a)
                    for a in (DATA_VOLUME_SCRIPT, data_volume_id, service.data_dir, service.name)
                )
            )
    config["write_files"] = files
    config["runcmd"] = runcmd
    return render_cloud_config(config)
