"""The AMI: Ubuntu LTS from Canonical, looked up at deploy time rather than hard-coded."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

CANONICAL_OWNER_ID = "099720109477"
UBUNTU_LTS_NAME = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"


def ubuntu_lts_ami(provider: pulumi.ProviderResource | None = None) -> pulumi.Output[str]:
    """The newest Ubuntu 24.04 LTS amd64 image published by Canonical in the region."""
    result = aws.ec2.get_ami_output(
        most_recent=True,
        owners=[CANONICAL_OWNER_ID],
        filters=[
            aws.ec2.GetAmiFilterArgs(name="name", values=[UBUNTU_LTS_NAME]),
            aws.ec2.GetAmiFilterArgs(name="virtualization-type", values=["hvm"]),
            aws.ec2.GetAmiFilterArgs(name="architecture", values=["x86_64"]),
        ],
        opts=pulumi.InvokeOutputOptions(provider=provider),
    )
    return result.id
