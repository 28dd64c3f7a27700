"""Ship the bastion's audit trail off the box: the CloudWatch agent as cloud-config (pure, no
Pulumi). The caller merges :func:`cloudwatch_agent_cloud_config` into the bastion's document.

- Install: Ubuntu 24.04 has no apt package for the agent, so ``files/install-cloudwatch-agent.sh``
  downloads AWS's .deb for the instance's architecture (``dpkg --print-architecture``: amd64 or
  arm64) from the region's ``amazoncloudwatch-agent-<region>`` S3 bucket and installs it only if
  its GPG signature verifies against AWS's signing key, whose fingerprint is pinned.
- Configure: ``amazon-cloudwatch-agent.json`` tails the command log (``/var/log/bastion/
  command.log``: lesson 4's PROMPT_COMMAND hook, sshd's logins and one line per ``bastion-exec``
  execve event) into the log group, one stream per instance. Only the records the audit is for
  leave the box (issue 16): auditd's own log (every PAM, service and syscall record) stays on it.
  The agent runs as root: the command log is readable by syslog and adm only.
- Start: ``amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s`` (enables the systemd unit).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .errors import ConfigError

COMMAND_LOG = "/var/log/bastion/command.log"
FILES = ((COMMAND_LOG, "command.log"),)  # (path, stream suffix)
INSTALL_SCRIPT = Path(__file__).resolve().parent / "files" / "install-cloudwatch-agent.sh"
INSTALL_PATH = "/usr/local/sbin/install-cloudwatch-agent"
AGENT_DIR = "/opt/aws/amazon-cloudwatch-agent"
AGENT_CONFIG = f"{AGENT_DIR}/etc/tiered-network-audit.json"
AGENT_CTL = f"{AGENT_DIR}/bin/amazon-cloudwatch-agent-ctl"

# CloudWatch Logs: 1-512 characters of [.-_/#A-Za-z0-9].
_GROUP_RE = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def agent_config(log_group: str, region: str) -> dict[str, Any]:
    """The agent's JSON configuration: the command log into ``log_group``."""
    return {
        "agent": {"run_as_user": "root", "region": region},
        "logs": {
            "force_flush_interval": 5,
            "logs_collected": {
                "files": {
                    "collect_list": [
                        {
                            "file_path": path,
                            "log_group_name": log_group,
                            # No retention_in_days: the stack owns the group's retention, and
                            # the role may not call logs:PutRetentionPolicy.
                            "log_stream_name": f"{{instance_id}}/{stream}",
                        }
                        for path, stream in FILES
                    ]
                }
            },
        },
    }


def cloudwatch_agent_cloud_config(log_group: str, region: str) -> dict[str, Any]:
    """cloud-config fragments (``packages``, ``write_files``, ``runcmd``) that install, configure
    and start the agent. Merge them into the bastion's document after its own entries."""
    if not _GROUP_RE.match(log_group):
        raise ConfigError(
            "auditLogGroup", log_group, "not a CloudWatch Logs group name", "use [.-_/#A-Za-z0-9]"
        )
    if not _REGION_RE.match(region):
        raise ConfigError("aws:region", region, "not an AWS region", "e.g. ap-northeast-2")
    return {
        "packages": ["auditd", "curl", "gnupg"],
        "write_files": [
            {
                "path": INSTALL_PATH,
                "owner": "root:root",
                "permissions": "0755",
                "content": INSTALL_SCRIPT.read_text(),
            },
            {
                "path": AGENT_CONFIG,
                "owner": "root:root",
                "permissions": "0644",
                "content": json.dumps(agent_config(log_group, region), indent=2) + "\n",
            },
        ],
        "runcmd": [
            f"{INSTALL_PATH} {region}",
            f"{AGENT_CTL} -a fetch-config -m ec2 -s -c file:{AGENT_CONFIG}",
        ],
    }


def merge_cloud_config(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra``'s list entries appended (packages once each)."""
    out = dict(base)
    for key, values in extra.items():
        current = list(out.get(key) or [])
        for v in values:
            if key == "packages" and v in current:
                continue
            current.append(v)
        out[key] = current
    return out
