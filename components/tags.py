"""Tag conventions shared by the components and the policy pack (see docs/CONTRACT.md)."""

from __future__ import annotations

import re

from .errors import ConfigChoice

TIER_TAG = "Tier"
ROLE_TAG = "Role"
BASTION_ROLE = "bastion"
# Prefixes, subnet and server names: they end up in Name tags and resource names.
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


class Tier(ConfigChoice):
    """A subnet's tier (the course's external, internal and management)."""

    PUBLIC = "public"
    """Routes 0.0.0.0/0 to the internet gateway; the only tier whose hosts may have public IPs."""
    PRIVATE = "private"
    """Reaches the internet only through NAT (or not at all); never reachable from it."""
    MANAGEMENT = "management"
    """The bastion's tier: routes to the internet gateway, admits SSH from the office only."""

    @classmethod
    def noun(cls) -> str:
        return "tier"


def resource_tags(
    prefix: str, name: str, *, tier: Tier | None = None, role: str | None = None
) -> dict[str, str]:
    """`Name` with the owner's prefix (the course's rule), plus the tier and role tags."""
    tags = {"Name": f"{prefix}-{name}"}
    if tier is not None:
        tags[TIER_TAG] = tier.value
    if role is not None:
        tags[ROLE_TAG] = role
    return tags
