"""AWS-shaped identifiers for the deployed-state model, derived from URNs so runs reproduce.

Every id, ARN and derived name in ``review.deployed`` comes from here. The rule is one
function of (URN, role): ``aws_id("vpc", urn)`` is ``vpc-0`` plus the first 16 hex digits of
SHA-256 of the URN, the 17 hex digits real EC2 ids have (``vpc-0ce116235f2ed65e6``). A second
id a resource owns (an instance's primary ENI, a VPC's default security group) hashes the URN
with a role (``aws_id("eni", urn, "primary")``), so the same id comes out wherever it is
referenced: the instance's ``primaryNetworkInterfaceId``, its ``primaryNetworkInterface``, the
``networkInterface`` of the EIP associated with it.

Ids that terraform-provider-aws builds itself are built its way: a route's
``r-<table id><hashcode of the destination>`` (``internal/service/ec2/vpc_route.go``,
``routeCreateID``), a volume attachment's ``vai-<hashcode>`` (``ebs_volume_attachment.go``,
``volumeAttachmentID``), with ``create.StringHashcode`` = CRC-32 (IEEE) of the string
(``internal/create/hashcode.go``).
"""

from __future__ import annotations

import hashlib
import uuid
import zlib

from .mocks import ACCOUNT_ID

PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"


def _digest(urn: str, role: str = "") -> str:
    return hashlib.sha256(f"{urn}#{role}".encode()).hexdigest()


def hex17(urn: str, role: str = "") -> str:
    """17 hex digits, the width of a current EC2 resource id."""
    return "0" + _digest(urn, role)[:16]


def aws_id(prefix: str, urn: str, role: str = "") -> str:
    """``<prefix>-0<16 hex>``: an EC2-style id (``vpc``, ``subnet``, ``sg``, ``eni``, ``i`` ...)."""
    return f"{prefix}-{hex17(urn, role)}"


def short_id(prefix: str, urn: str, role: str = "", width: int = 17) -> str:
    """An id with a shorter hex body (``pl-`` lists, ``r-`` ...)."""
    return f"{prefix}-{_digest(urn, role)[:width]}"


def uuid_for(urn: str, role: str = "") -> str:
    """A version-4-shaped UUID (KMS key ids, provider ids), deterministic from the URN."""
    raw = bytearray(bytes.fromhex(_digest(urn, role)[:32]))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def hashcode(text: str) -> int:
    """terraform-plugin-sdk's / terraform-provider-aws's ``create.StringHashcode``: CRC-32
    (IEEE) of the string; non-negative on 64-bit ``int``."""
    return zlib.crc32(text.encode())


def unique_suffix(urn: str, role: str = "") -> str:
    """The tail ``id.PrefixedUniqueId`` appends (terraform-plugin-sdk
    ``helper/id/id.go``): a UTC timestamp ``20060102150405`` and an 8-hex-digit counter.
    Fixed time, counter from the URN, so the value is reproducible."""
    return "20250101000000" + _digest(urn, role)[:8]


def upper_id(prefix: str, urn: str, role: str = "") -> str:
    """IAM unique ids: ``AROA`` (role), ``AIPA`` (instance profile), ``ANPA`` (policy) + 17."""
    return prefix + _digest(urn, role)[:17].upper()


def arn(service: str, resource: str, *, region: str = "", account: str = ACCOUNT_ID) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def public_dns(ip: str, region: str) -> str:
    """``ec2-203-0-113-1.<region>.compute.amazonaws.com``: ``PublicDNSNameForIP``
    (``internal/service/ec2/ec2_eip.go``); us-east-1 differs and is not a region we use."""
    return f"ec2-{ip.replace('.', '-')}.{region}.compute.{DNS_SUFFIX}"


def private_dns(ip: str, region: str) -> str:
    """``ip-10-0-0-1.<region>.compute.internal`` (``PrivateDNSNameForIP``)."""
    return f"ip-{ip.replace('.', '-')}.{region}.compute.internal"


def mac_address(urn: str, role: str = "") -> str:
    d = _digest(urn, "mac" + role)
    return "0a:" + ":".join(d[i : i + 2] for i in range(0, 10, 2))
