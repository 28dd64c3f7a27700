"""A server's one SSH door: TCP 22 from the group of whoever owns access (the bastion, or the
EC2 Instance Connect Endpoint), and the plain description of a server it opens (SshTarget).

SshTarget is plain data -- a name, a private IP and a security group id, any of them possibly
another resource's Output -- so the Bastion takes it from any language through the component
plugin (a Server component is not a type the plugin's schema can name). ``Server.ssh_target()``
makes one for a Server of this package. No ``from __future__ import annotations``: the plugin's
schema is inferred from these annotations (pulumi ``provider/experimental/analyzer.py``).
"""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .tags import Tier, resource_tags

SSH_PORT = 22


class SshTarget(TypedDict):
    """A server the bastion manages: reached by its private IP, SSH admitted on its group."""

    name: str
    """Short name: `ssh <prefix>-<name>` on the laptop, `ssh <name>` on the bastion."""
    private_ip: pulumi.Input[str]
    """The server's private IPv4 address (lesson 2: servers by private IP)."""
    security_group_id: pulumi.Input[str]
    """The server's security group: the bastion adds the only SSH rule, from its own group."""
    tier: NotRequired[Tier]
    """The server's tier, for the rule's Tier tag (optional)."""
    role: NotRequired[str]
    """The server's role, for the rule's Role tag (optional)."""


def admit_ssh(
    resource_name: str,
    target: SshTarget,
    group_id: pulumi.Input[str],
    source: str,
    description: str,
    prefix: str,
    opts: pulumi.ResourceOptions,
) -> aws.vpc.SecurityGroupIngressRule:
    """TCP 22 into ``target``'s group from ``group_id`` only, tagged
    ``<target>-ssh-from-<source>``. Only the access component that owns ``group_id`` calls it,
    parented to itself: servers never open SSH."""
    return aws.vpc.SecurityGroupIngressRule(
        resource_name,
        security_group_id=target["security_group_id"],
        ip_protocol="tcp",
        from_port=SSH_PORT,
        to_port=SSH_PORT,
        referenced_security_group_id=group_id,
        description=description,
        tags=resource_tags(
            prefix,
            f"{target['name']}-ssh-from-{source}",
            tier=target.get("tier"),
            role=target.get("role"),
        ),
        opts=opts,
    )
