"""The AMI and the instance type: Ubuntu LTS from Canonical for the instance type's architecture.

Instance types are checked against pulumi-aws's own ``ec2.InstanceType`` enum (a typo fails
here, not in RunInstances), and the AMI is looked up per architecture at deploy time: a Graviton
type (t4g, m7g, c7gn, ...) gets the arm64 image, anything else amd64. An x86 image on a Graviton
type is what RunInstances refuses ("The architecture 'x86_64' of the specified instance type
does not match the architecture 'arm64' of the specified AMI").
"""

from __future__ import annotations

import difflib
import re

import pulumi
import pulumi_aws as aws

from .errors import ConfigError

CANONICAL_OWNER_ID = "099720109477"
UBUNTU_LTS_NAME = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{arch}-server-*"
INSTANCE_TYPES = frozenset(t.value for t in aws.ec2.InstanceType)
# family = series + generation + attributes, e.g. m7gd -> (m, 7, gd); "g" = AWS Graviton.
_FAMILY_RE = re.compile(r"^(?P<series>[a-z]+?)(?P<gen>\d+)(?P<attrs>[a-z-]*)$")


def validate_instance_type(setting: str, value: str) -> str:
    """An EC2 instance type pulumi-aws 7.x knows, runnable from an Ubuntu AMI without a host."""
    if value not in INSTANCE_TYPES:
        close = difflib.get_close_matches(value, sorted(INSTANCE_TYPES), n=3, cutoff=0.7)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ConfigError(
            setting,
            value,
            "not an EC2 instance type (pulumi_aws.ec2.InstanceType)",
            f"{hint}use e.g. t3.micro, or t4g.micro for Graviton",
        )
    if value.startswith("mac"):
        raise ConfigError(
            setting, value, "Mac instances need a dedicated host", "use e.g. t3.micro or t4g.micro"
        )
    return value


def architecture(instance_type: str) -> str:
    """``arm64`` for AWS Graviton types (a1, and any family whose attributes include g),
    else ``x86_64``."""
    family = instance_type.split(".", 1)[0]
    if family == "a1":
        return "arm64"
    match = _FAMILY_RE.match(family)
    return "arm64" if match and "g" in match["attrs"] else "x86_64"


def ubuntu_lts_ami(
    arch: str = "x86_64", provider: pulumi.ProviderResource | None = None
) -> pulumi.Output[str]:
    """The newest Ubuntu 24.04 LTS image for `arch` published by Canonical in the region."""
    name = UBUNTU_LTS_NAME.format(arch="arm64" if arch == "arm64" else "amd64")
    result = aws.ec2.get_ami_output(
        most_recent=True,
        owners=[CANONICAL_OWNER_ID],
        filters=[
            aws.ec2.GetAmiFilterArgs(name="name", values=[name]),
            aws.ec2.GetAmiFilterArgs(name="virtualization-type", values=["hvm"]),
            aws.ec2.GetAmiFilterArgs(name="architecture", values=[arch]),
        ],
        opts=pulumi.InvokeOutputOptions(provider=provider),
    )
    return result.id
