"""Read tables: EC2 compute -- instances, network interfaces, Elastic IPs, key pairs, volumes,
launch templates and configurations, spot requests and fleets.

Each ``@read`` cites the terraform-provider-aws Read function it follows (v5.14.0 source as
pulumi/terraform-provider-aws ``patched-v5.14.0`` carries it, with the v6 changes the installed
pulumi-aws 7.51.1 SDK and real hashicorp/aws v6 state show). The facts the issue names, all
from ``internal/service/ec2/ec2_instance.go`` ``resourceInstanceRead`` in hashicorp/aws >= 6:
an instance's ``primary_network_interface`` is its own ENI, ``{delete_on_termination: true,
network_interface_id: <primary_network_interface_id>}`` when the instance created it;
``associate_public_ip_address`` is ``primaryNetworkInterface.Association != nil`` -- true once
an Elastic IP is associated, whatever the program asked; ``public_ip`` is the EIP's address
then; ``ebs_block_device`` lists every non-root EBS volume attached (``readBlockDevices``),
those a ``VolumeAttachment`` attached too. An EIP's Read (``ec2_eip.go``,
``resourceEIPRead``) names the interface and private IP it is associated with
(``NetworkInterfaceId``, ``PrivateIpAddress``), whoever associated it: the instance it names,
an ``EipAssociation``, or a NAT gateway created with its allocation id.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from . import deployed_ids as ids
from .deployed_spec import EIP, ENI, INSTANCE, NAT, SUBNET, VPC, Ctx, Ref, read

EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation"
ENI_ATTACHMENT = "aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment"
ENI_SG_ATTACHMENT = (
    "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment"
)
VOLUME = "aws:ebs/volume:Volume"
VOLUME_ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment"
SPOT = "aws:ec2/spotInstanceRequest:SpotInstanceRequest"


def ebs_kms_key(c: Ctx) -> str:
    """The AWS managed key (``alias/aws/ebs``) an encrypted volume without ``kmsKeyId`` gets."""
    return c.arn("kms", f"key/{ids.uuid_for(f'{c.account}:{c.region}', 'aws/ebs')}")


def volume_shape(c: Ctx, spec: dict[str, Any], default_size: int) -> dict[str, Any]:
    """Size, type, IOPS, throughput and key AWS reports for an EBS volume: gp3 has 3000 IOPS
    and 125 MiB/s unless set, gp2 3 IOPS per GiB (at least 100) and no throughput."""
    vtype = spec.get("volumeType") or spec.get("type") or "gp3"
    size = int(spec.get("volumeSize") or spec.get("size") or default_size)
    iops = spec.get("iops")
    throughput = spec.get("throughput")
    if vtype == "gp3":
        iops, throughput = iops or 3000, throughput or 125
    elif vtype in ("gp2",):
        iops, throughput = max(100, 3 * size), 0
    encrypted = bool(spec.get("encrypted", False))
    return {
        "type": vtype,
        "size": size,
        "iops": int(iops or 0),
        "throughput": int(throughput or 0),
        "encrypted": encrypted,
        "kmsKeyId": spec.get("kmsKeyId") or (ebs_kms_key(c) if encrypted else ""),
    }


# Instance types: (vCPUs, threads per core) for cpu_options and credit_specification
_THREADS_1 = ("t2", "t4g", "a1", "m6g", "m7g", "m8g", "c6g", "c7g", "c8g", "r6g", "r7g", "r8g")
_BURSTABLE_STANDARD = ("t2",)
_BURSTABLE_UNLIMITED = ("t3", "t3a", "t4g")
_VCPUS = {"nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}


def cpu_options(itype: str) -> dict[str, Any]:
    family, _, size = itype.partition(".")
    vcpus = _VCPUS.get(size, 2)
    if family == "t2":
        vcpus = 1 if size in ("nano", "micro") else (2 if size in ("medium", "large") else vcpus)
    threads = 1 if family in _THREADS_1 else 2
    return {
        "amdSevSnp": "",
        "coreCount": max(1, vcpus // threads),
        "nestedVirtualization": "",
        "threadsPerCore": threads,
    }


def credit_specification(itype: str, given: Any) -> dict[str, Any] | None:
    """``resourceInstanceRead``: set only when ``BurstablePerformanceSupported``."""
    family = itype.split(".")[0]
    if family in _BURSTABLE_STANDARD:
        return {"cpuCredits": (given or {}).get("cpuCredits") or "standard"}
    if family in _BURSTABLE_UNLIMITED:
        return {"cpuCredits": (given or {}).get("cpuCredits") or "unlimited"}
    return None


def eip_for(c: Ctx, instance_id: str, eni_id: str) -> Ref | None:
    """The Elastic IP this instance's Read sees on its interface."""
    for eip in c.visible(EIP):
        if eip.inputs.get("instance") == instance_id or (
            eni_id and eip.inputs.get("networkInterface") == eni_id
        ):
            return eip
    for assoc in c.visible(EIP_ASSOCIATION):
        if assoc.inputs.get("instanceId") == instance_id or (
            eni_id and assoc.inputs.get("networkInterfaceId") == eni_id
        ):
            return c.find(EIP, assoc.inputs.get("allocationId")) or assoc
    return None


def _primary_eni(c: Ctx) -> tuple[str, bool, Ref | None]:
    """(ENI id, delete on termination, the ENI resource if the program declared it)."""
    pni = c.get("primaryNetworkInterface") or {}
    given = pni.get("networkInterfaceId")
    dot = pni.get("deleteOnTermination")
    if not given:
        for ni in c.get("networkInterfaces", []) or []:
            if int(ni.get("deviceIndex", -1)) == 0:
                given, dot = ni.get("networkInterfaceId"), ni.get("deleteOnTermination")
    if given:
        return given, bool(dot), c.find(ENI, given)
    return c.sub("eni", "primary"), True, None


def instance_like(c: Ctx) -> dict[str, Any]:
    """What ``resourceInstanceRead`` writes; shared by ``aws_spot_instance_request``."""
    itype = c.get("instanceType") or "t3.micro"
    eni_id, dot, eni = _primary_eni(c)
    subnet_id = (eni.get("subnetId") if eni else None) or c.get("subnetId") or ""
    subnet = c.find(SUBNET, subnet_id)
    vpc = c.find(VPC, subnet.get("vpcId")) if subnet else None
    private_ip = (
        (eni.get("privateIp") if eni else None)
        or c.get("privateIp")
        or c.mock.get("privateIp")
        or ""
    )
    auto = c.get("associatePublicIpAddress")
    if auto is None:
        auto = bool(subnet.get("mapPublicIpOnLaunch")) if subnet else False
    eip = eip_for(c, c.id, eni_id)
    public_ip = ""
    if eip is not None:
        public_ip = eip.get("publicIp") or ""
    elif auto:
        public_ip = (
            c.mock.get("publicIp") or f"198.51.100.{1 + int(ids.hex17(c.urn)[1:3], 16) % 250}"
        )
    dns_names = bool(vpc.get("enableDnsHostnames")) if vpc else True
    groups = list(
        (eni.get("securityGroups") if eni else None) or c.get("vpcSecurityGroupIds", []) or []
    )
    for att in c.visible(ENI_SG_ATTACHMENT):
        if (
            att.inputs.get("networkInterfaceId") == eni_id
            and att.inputs.get("securityGroupId") not in groups
        ):
            groups.append(att.inputs.get("securityGroupId"))
    ipv6 = list(c.get("ipv6Addresses") or c.mock.get("ipv6Addresses") or [])
    root = dict(c.get("rootBlockDevice") or {})
    shape = volume_shape(c, root, 8)
    ebs = []
    for va in c.visible(VOLUME_ATTACHMENT):
        if va.inputs.get("instanceId") == c.id:
            vol = c.find(VOLUME, va.inputs.get("volumeId"))
            v = vol.outputs if vol else {}
            ebs.append(
                {
                    "deleteOnTermination": False,
                    "deviceName": va.inputs.get("deviceName"),
                    "encrypted": v.get("encrypted", False),
                    "iops": v.get("iops", 0),
                    "kmsKeyId": v.get("kmsKeyId", ""),
                    "snapshotId": v.get("snapshotId", ""),
                    "throughput": v.get("throughput", 0),
                    "volumeId": va.inputs.get("volumeId"),
                    "volumeSize": v.get("size", 0),
                    "volumeType": v.get("type", ""),
                }
            )
    ebs += [dict(b) for b in c.get("ebsBlockDevices", []) or []]
    metadata = dict(c.get("metadataOptions") or {})
    az = (
        (subnet.get("availabilityZone") if subnet else None)
        or c.get("availabilityZone")
        or f"{c.region}a"
    )
    return {
        "arn": c.arn("ec2", f"instance/{c.id}"),
        "associatePublicIpAddress": bool(auto) or eip is not None,
        "availabilityZone": az,
        "capacityReservationSpecification": c.get("capacityReservationSpecification")
        or {"capacityReservationPreference": "open", "capacityReservationTarget": None},
        "cpuOptions": {**cpu_options(itype), **(c.get("cpuOptions") or {})},
        "creditSpecification": credit_specification(itype, c.get("creditSpecification")),
        "disableApiStop": bool(c.get("disableApiStop", False)),
        "disableApiTermination": bool(c.get("disableApiTermination", False)),
        "ebsBlockDevices": sorted(ebs, key=lambda b: str(b.get("deviceName"))),
        "ebsOptimized": bool(c.get("ebsOptimized", False)),
        "enclaveOptions": c.get("enclaveOptions") or {"enabled": False},
        "ephemeralBlockDevices": c.get("ephemeralBlockDevices", []),
        "hostId": c.get("hostId", ""),
        "iamInstanceProfile": c.get("iamInstanceProfile", ""),
        "instanceInitiatedShutdownBehavior": c.get("instanceInitiatedShutdownBehavior", "stop"),
        "instanceLifecycle": "",
        "instanceState": "running",
        "instanceType": itype,
        "ipv6AddressCount": len(ipv6),
        "ipv6Addresses": ipv6,
        "keyName": c.get("keyName", ""),
        "maintenanceOptions": c.get("maintenanceOptions") or {"autoRecovery": "default"},
        "metadataOptions": {
            "httpEndpoint": metadata.get("httpEndpoint") or "enabled",
            "httpProtocolIpv6": metadata.get("httpProtocolIpv6") or "disabled",
            "httpPutResponseHopLimit": int(metadata.get("httpPutResponseHopLimit") or 1),
            "httpTokens": metadata.get("httpTokens") or "optional",
            "instanceMetadataTags": metadata.get("instanceMetadataTags") or "disabled",
        },
        "monitoring": bool(c.get("monitoring", False)),
        "networkInterfaces": c.get("networkInterfaces", []),
        "outpostArn": "",
        "passwordData": "",
        "placementGroup": c.get("placementGroup", ""),
        "placementGroupId": c.get("placementGroupId", ""),
        "placementPartitionNumber": int(c.get("placementPartitionNumber", 0)),
        "primaryNetworkInterface": {"deleteOnTermination": dot, "networkInterfaceId": eni_id},
        "primaryNetworkInterfaceId": eni_id,
        "privateDns": ids.private_dns(private_ip, c.region) if private_ip else "",
        "privateDnsNameOptions": c.get("privateDnsNameOptions")
        or {
            "enableResourceNameDnsARecord": False,
            "enableResourceNameDnsAaaaRecord": False,
            "hostnameType": "ip-name",
        },
        "privateIp": private_ip,
        "publicDns": ids.public_dns(public_ip, c.region) if public_ip and dns_names else "",
        "publicIp": public_ip,
        "rootBlockDevice": {
            "deleteOnTermination": root.get("deleteOnTermination", True),
            "deviceName": root.get("deviceName") or "/dev/sda1",
            "encrypted": shape["encrypted"],
            "iops": shape["iops"],
            "kmsKeyId": shape["kmsKeyId"],
            "tags": root.get("tags") or {},
            "tagsAll": root.get("tags") or {},
            "throughput": shape["throughput"],
            "volumeId": c.sub("vol", "root"),
            "volumeSize": shape["size"],
            "volumeType": shape["type"],
        },
        "secondaryNetworkInterfaces": c.get("secondaryNetworkInterfaces", []),
        "secondaryPrivateIps": c.get("secondaryPrivateIps", []),
        "securityGroups": [],
        "sourceDestCheck": c.get("sourceDestCheck", True),
        "spotInstanceRequestId": "",
        "subnetId": subnet_id,
        "tagsAll": c.tags_all(),
        "tenancy": c.get("tenancy", "default"),
        "vpcSecurityGroupIds": sorted(groups),
    }


_INSTANCE_FRESH = {
    "associatePublicIpAddress",
    "publicIp",
    "publicDns",
    "ebsBlockDevices",
    "vpcSecurityGroupIds",
}


@read(
    INSTANCE,
    source=(
        "internal/service/ec2/ec2_instance.go resourceInstanceRead (readBlockDevices, "
        "readSecurityGroups)"
    ),
    id="i",
    null_ok={
        "hostResourceGroupArn",
        "enablePrimaryIpv6",
        "userDataBase64",
        "instanceMarketOptions",
    },
    defaults={
        "getPasswordData": False,
        "userDataReplaceOnChange": False,
        "forceDestroy": False,
        "hibernation": False,
    },
    zero={"getPasswordData", "hibernation", "userDataReplaceOnChange", "forceDestroy"},
    schema_version=2,
    timeouts={"create": 10, "update": 10, "delete": 20, "read": 15},
    fresh_differs=_INSTANCE_FRESH,
)
def _instance(c: Ctx) -> dict[str, Any]:
    return instance_like(c)


@read(
    SPOT,
    source=(
        "internal/service/ec2/ec2_spot_instance_request.go resourceSpotInstanceRequestRead "
        "(then resourceInstanceRead's fields)"
    ),
    id="sir",
    null_ok={
        "hostResourceGroupArn",
        "enablePrimaryIpv6",
        "userDataBase64",
        "validFrom",
        "validUntil",
    },
    zero={"getPasswordData", "hibernation", "userDataReplaceOnChange", "waitForFulfillment"},
    timeouts={"create": 10, "delete": 20},
    fresh_differs=_INSTANCE_FRESH,
)
def _spot(c: Ctx) -> dict[str, Any]:
    out = instance_like(c)
    lt = c.find("aws:ec2/launchTemplate:LaunchTemplate", (c.get("launchTemplate") or {}).get("id"))
    out["ami"] = c.get("ami") or (lt.get("imageId") if lt else "") or ""
    pni = out.pop("primaryNetworkInterface")
    out.update(
        primaryNetworkInterfaces=[pni],
        arn=c.arn("ec2", f"spot-instances-request/{c.id}"),
        spotBidStatus="fulfilled",
        spotInstanceId=ids.aws_id("i", c.urn, "spot"),
        spotPrice=c.get("spotPrice", "0.0104"),
        spotRequestState="active",
        spotType=c.get("spotType", "persistent"),
        instanceInterruptionBehavior=c.get("instanceInterruptionBehavior", "terminate"),
        launchGroup=c.get("launchGroup", ""),
        blockDurationMinutes=c.get("blockDurationMinutes", 0),
    )
    return out


# ---------------------------------------------------------------- network interfaces
def eni_attachments(c: Ctx) -> list[dict[str, Any]]:
    """The interface's attachment: declared, made by a ``NetworkInterfaceAttachment``, or an
    instance launched with it as its primary interface -- whichever its Read sees."""
    out = [dict(a) for a in c.get("attachments", []) or []]
    for att in c.visible(ENI_ATTACHMENT):
        if att.inputs.get("networkInterfaceId") == c.id:
            out.append(
                {
                    "attachmentId": att.id,
                    "deviceIndex": att.inputs.get("deviceIndex", 1),
                    "instance": att.inputs.get("instanceId"),
                    "networkCardIndex": 0,
                }
            )
    for inst in c.visible(INSTANCE, SPOT):
        if inst.outputs.get("primaryNetworkInterfaceId") == c.id:
            out.append(
                {
                    "attachmentId": ids.aws_id("eni-attach", inst.urn, "primary"),
                    "deviceIndex": 0,
                    "instance": inst.id,
                    "networkCardIndex": 0,
                }
            )
    return out


@read(
    ENI,
    source="internal/service/ec2/vpc_network_interface.go resourceNetworkInterfaceRead",
    id="eni",
    zero={"description", "ipv6AddressListEnabled", "privateIpListEnabled", "sourceDestCheck"},
    null_ok={"connectionTrackingSpecification"},
    fresh_differs={"attachments", "securityGroups"},
)
def _eni(c: Ctx) -> dict[str, Any]:
    ip = c.get("privateIp") or (c.get("privateIps") or [None])[0] or c.mock.get("privateIp") or ""
    ips = list(c.get("privateIps") or ([ip] if ip else []))
    groups = list(c.get("securityGroups", []) or [])
    for att in c.visible(ENI_SG_ATTACHMENT):
        if (
            att.inputs.get("networkInterfaceId") == c.id
            and att.inputs.get("securityGroupId") not in groups
        ):
            groups.append(att.inputs.get("securityGroupId"))
    v6 = list(c.get("ipv6Addresses", []) or [])
    return {
        "arn": c.arn("ec2", f"network-interface/{c.id}"),
        "attachments": eni_attachments(c),
        "enablePrimaryIpv6": bool(c.get("enablePrimaryIpv6", False)),
        "interfaceType": c.get("interfaceType", "interface"),
        "ipv4PrefixCount": len(c.get("ipv4Prefixes", []) or []),
        "ipv4Prefixes": c.get("ipv4Prefixes", []),
        "ipv6AddressCount": len(v6),
        "ipv6AddressLists": v6,
        "ipv6Addresses": v6,
        "ipv6PrefixCount": len(c.get("ipv6Prefixes", []) or []),
        "ipv6Prefixes": c.get("ipv6Prefixes", []),
        "macAddress": ids.mac_address(c.urn),
        "outpostArn": "",
        "ownerId": c.account,
        "privateDnsName": ids.private_dns(ip, c.region) if ip else "",
        "privateIp": ip,
        "privateIpLists": ips,
        "privateIps": ips,
        "privateIpsCount": max(0, len(ips) - 1),
        "securityGroups": sorted(groups),
        "sourceDestCheck": c.get("sourceDestCheck", True),
        "subnetId": c.get("subnetId", ""),
    }


@read(
    ENI_ATTACHMENT,
    source=(
        "internal/service/ec2/vpc_network_interface_attachment.go "
        "resourceNetworkInterfaceAttachmentRead"
    ),
    id="eni-attach",
)
def _eni_attachment(c: Ctx) -> dict[str, Any]:
    return {
        "attachmentId": c.id,
        "status": "attached",
        "networkCardIndex": c.get("networkCardIndex", 0),
    }


@read(
    ENI_SG_ATTACHMENT,
    source=(
        "internal/service/ec2/vpc_network_interface_sg_attachment.go "
        "resourceNetworkInterfaceSGAttachmentRead"
    ),
    id=lambda c: f"{c.get('securityGroupId')}_{c.get('networkInterfaceId')}",
)
def _eni_sg_attachment(c: Ctx) -> dict[str, Any]:
    return {}


# ------------------------------------------------------------------------ Elastic IPs
def eip_association(c: Ctx) -> dict[str, Any]:
    """``resourceEIPRead``: whatever AWS says the address is associated with."""
    none = {"associationId": "", "instance": "", "networkInterface": "", "privateIp": ""}
    inst = c.find(INSTANCE, c.get("instance"))
    if inst is not None:
        return {
            "associationId": c.sub("eipassoc", "association"),
            "instance": inst.id,
            "networkInterface": inst.outputs.get("primaryNetworkInterfaceId", ""),
            "privateIp": c.get("associateWithPrivateIp") or inst.outputs.get("privateIp", ""),
        }
    eni = c.find(ENI, c.get("networkInterface"))
    if eni is not None:
        owner = next(
            (a.get("instance") for a in eni.outputs.get("attachments") or [] if a.get("instance")),
            "",
        )
        return {
            "associationId": c.sub("eipassoc", "association"),
            "instance": owner or "",
            "networkInterface": eni.id,
            "privateIp": c.get("associateWithPrivateIp") or eni.outputs.get("privateIp", ""),
        }
    for nat in c.visible(NAT):
        if nat.inputs.get("allocationId") == c.id:
            return {
                "associationId": c.sub("eipassoc", "association"),
                "instance": "",
                "networkInterface": nat.outputs.get("networkInterfaceId", ""),
                "privateIp": nat.outputs.get("privateIp", ""),
            }
    for assoc in c.visible(EIP_ASSOCIATION):
        if assoc.inputs.get("allocationId") == c.id:
            return {
                "associationId": assoc.id,
                "instance": assoc.outputs.get("instanceId", ""),
                "networkInterface": assoc.outputs.get("networkInterfaceId", ""),
                "privateIp": assoc.outputs.get("privateIpAddress", ""),
            }
    return none


@read(
    EIP,
    source="internal/service/ec2/ec2_eip.go resourceEIPRead",
    id="eipalloc",
    zero={"customerOwnedIpv4Pool"},
    null_ok={"ipamPoolId"},
    timeouts={"read": 15, "update": 5, "delete": 3},
    fresh_differs={"associationId", "instance", "networkInterface", "privateIp", "privateDns"},
)
def _eip(c: Ctx) -> dict[str, Any]:
    public_ip = c.get("address") or c.mock.get("publicIp") or ""
    out = {
        "allocationId": c.id,
        "arn": c.arn("ec2", f"elastic-ip/{c.id}"),
        "carrierIp": "",
        "customerOwnedIp": "",
        "domain": "vpc",
        "networkBorderGroup": c.get("networkBorderGroup", c.region),
        "ptrRecord": "",
        "publicIp": public_ip,
        "publicDns": ids.public_dns(public_ip, c.region) if public_ip else "",
        "publicIpv4Pool": c.get("publicIpv4Pool", "amazon"),
        "ipamPoolId": c.get("ipamPoolId"),
        **eip_association(c),
    }
    out["privateDns"] = ids.private_dns(out["privateIp"], c.region) if out["privateIp"] else ""
    return out


@read(
    EIP_ASSOCIATION,
    source="internal/service/ec2/ec2_eip_association.go resourceEIPAssociationRead",
    id="eipassoc",
    zero={"allowReassociation"},
)
def _eip_association(c: Ctx) -> dict[str, Any]:
    eip = c.find(EIP, c.get("allocationId"))
    inst = c.find(INSTANCE, c.get("instanceId"))
    eni_id = c.get("networkInterfaceId") or (
        inst.outputs.get("primaryNetworkInterfaceId") if inst else ""
    )
    eni = c.find(ENI, eni_id)
    private = (
        c.get("privateIpAddress")
        or (inst.outputs.get("privateIp") if inst else "")
        or (eni.outputs.get("privateIp") if eni else "")
    )
    return {
        "allocationId": c.get("allocationId", ""),
        "instanceId": inst.id if inst else "",
        "networkInterfaceId": eni_id or "",
        "privateIpAddress": private or "",
        "publicIp": (eip.outputs.get("publicIp") if eip else None) or c.get("publicIp", ""),
    }


# ------------------------------------------------------------------------- key pairs
def fingerprint(public_key: str) -> tuple[str, str]:
    """(fingerprint, key type) as EC2 reports an imported key: ED25519 keys get the base64
    SHA-256 of the key blob, RSA keys the colon-separated MD5 (``DescribeKeyPairs``)."""
    parts = (public_key or "").split()
    blob = base64.b64decode(parts[1]) if len(parts) > 1 else b""
    if parts and parts[0] == "ssh-ed25519":
        return base64.b64encode(hashlib.sha256(blob).digest()).decode(), "ed25519"
    md5 = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(md5[i : i + 2] for i in range(0, 32, 2)), "rsa"


def _key_name(c: Ctx) -> str:
    return c.get("keyName") or f"{c.get('keyNamePrefix', 'terraform-')}{ids.unique_suffix(c.urn)}"


@read(
    "aws:ec2/keyPair:KeyPair",
    source="internal/service/ec2/ec2_key_pair.go resourceKeyPairRead",
    id=_key_name,
    schema_version=1,
)
def _key_pair(c: Ctx) -> dict[str, Any]:
    fp, kind = fingerprint(c.get("publicKey", ""))
    prefix = c.get("keyNamePrefix") or ""
    return {
        "arn": c.arn("ec2", f"key-pair/{c.id}"),
        "fingerprint": fp,
        "keyName": c.id,
        "keyNamePrefix": prefix if prefix and c.id.startswith(prefix) else "",
        "keyPairId": c.sub("key", "pair"),
        "keyType": kind,
        "publicKey": c.get("publicKey", ""),
    }


# --------------------------------------------------------------------------- volumes
@read(
    VOLUME,
    source="internal/service/ec2/ebs_volume.go resourceEBSVolumeRead",
    id="vol",
    zero={"multiAttachEnabled", "outpostArn"},
    null_ok={"volumeInitializationRate"},
    defaults={"finalSnapshot": False},
    timeouts={"create": 5, "update": 5, "delete": 5},
)
def _volume(c: Ctx) -> dict[str, Any]:
    shape = volume_shape(c, dict(c.inputs), 8)
    return {
        "arn": c.arn("ec2", f"volume/{c.id}"),
        "availabilityZone": c.get("availabilityZone", f"{c.region}a"),
        "createTime": "2025-01-01T00:00:00Z",
        "encrypted": shape["encrypted"],
        "iops": shape["iops"],
        "kmsKeyId": shape["kmsKeyId"],
        "size": shape["size"],
        "snapshotId": c.get("snapshotId", ""),
        "throughput": shape["throughput"],
        "type": shape["type"],
    }


def _volume_attachment_id(c: Ctx) -> str:
    """``volumeAttachmentID`` (``ebs_volume_attachment.go``)."""
    text = f"{c.get('deviceName')}-{c.get('instanceId')}-{c.get('volumeId')}-"
    return f"vai-{ids.hashcode(text)}"


@read(
    VOLUME_ATTACHMENT,
    source="internal/service/ec2/ebs_volume_attachment.go resourceVolumeAttachmentRead",
    id=_volume_attachment_id,
    timeouts={"create": 5, "delete": 5},
)
def _volume_attachment(c: Ctx) -> dict[str, Any]:
    return {}


# ------------------------------------------------------ launch templates and friends
@read(
    "aws:ec2/launchTemplate:LaunchTemplate",
    source="internal/service/ec2/ec2_launch_template.go resourceLaunchTemplateRead",
    id="lt",
    zero={
        "description",
        "disableApiStop",
        "disableApiTermination",
        "ebsOptimized",
        "imageId",
        "instanceInitiatedShutdownBehavior",
        "instanceType",
        "kernelId",
        "keyName",
        "ramDiskId",
        "userData",
        "securityGroupNames",
        "vpcSecurityGroupIds",
        "blockDeviceMappings",
        "networkInterfaces",
        "tagSpecifications",
        "licenseSpecifications",
        "secondaryInterfaces",
    },
)
def _launch_template(c: Ctx) -> dict[str, Any]:
    name = c.get("name") or f"{c.get('namePrefix', 'terraform-')}{ids.unique_suffix(c.urn)}"
    prefix = c.get("namePrefix") or ""
    return {
        "arn": c.arn("ec2", f"launch-template/{c.id}"),
        "defaultVersion": 1,
        "latestVersion": 1,
        "name": name,
        "namePrefix": prefix if prefix and name.startswith(prefix) else "",
        "metadataOptions": c.get("metadataOptions")
        or {
            "httpEndpoint": "",
            "httpProtocolIpv6": "",
            "httpPutResponseHopLimit": 0,
            "httpTokens": "",
            "instanceMetadataTags": "",
        },
    }


@read(
    "aws:ec2/launchConfiguration:LaunchConfiguration",
    source="internal/service/autoscaling/launch_configuration.go resourceLaunchConfigurationRead",
    id=lambda c: c.get("name") or f"{c.get('namePrefix', 'terraform-')}{ids.unique_suffix(c.urn)}",
    zero={
        "associatePublicIpAddress",
        "enableMonitoring",
        "iamInstanceProfile",
        "placementTenancy",
        "spotPrice",
        "userData",
        "userDataBase64",
        "securityGroups",
    },
)
def _launch_configuration(c: Ctx) -> dict[str, Any]:
    root = dict(c.get("rootBlockDevice") or {})
    shape = volume_shape(c, root, 8)
    prefix = c.get("namePrefix") or ""
    return {
        "arn": c.arn(
            "autoscaling",
            f"launchConfiguration:{ids.uuid_for(c.urn)}:launchConfigurationName/{c.id}",
        ),
        "name": c.id,
        "namePrefix": prefix if prefix and c.id.startswith(prefix) else "",
        "ebsBlockDevices": c.get("ebsBlockDevices", []),
        "ebsOptimized": bool(c.get("ebsOptimized", False)),
        "keyName": c.get("keyName", ""),
        "metadataOptions": c.get("metadataOptions")
        or {"httpEndpoint": "enabled", "httpPutResponseHopLimit": 1, "httpTokens": "optional"},
        "rootBlockDevice": {
            "deleteOnTermination": root.get("deleteOnTermination", True),
            "encrypted": shape["encrypted"],
            "iops": shape["iops"],
            "throughput": shape["throughput"],
            "volumeSize": shape["size"],
            "volumeType": shape["type"],
        },
    }


@read(
    "aws:ec2/spotFleetRequest:SpotFleetRequest",
    source="internal/service/ec2/ec2_spot_fleet_request.go resourceSpotFleetRequestRead",
    id="sfr",
    schema_version=1,
    timeouts={"create": 10, "update": 10, "delete": 15},
)
def _spot_fleet(c: Ctx) -> dict[str, Any]:
    return {
        "clientToken": ids.uuid_for(c.urn, "token"),
        "spotRequestState": "active",
        "loadBalancers": c.get("loadBalancers", []),
        "targetGroupArns": c.get("targetGroupArns", []),
        "iamFleetRole": c.get("iamFleetRole", ""),
        "targetCapacity": int(c.get("targetCapacity", 0)),
    }


@read(
    "aws:ec2/fleet:Fleet",
    source="internal/service/ec2/ec2_fleet.go resourceFleetRead",
    id=lambda c: "fleet-" + ids.uuid_for(c.urn),
    timeouts={"create": 10, "update": 10, "delete": 10},
)
def _fleet(c: Ctx) -> dict[str, Any]:
    target = c.get("targetCapacitySpecification") or {}
    total = float(target.get("totalTargetCapacity", 0) or 0)
    return {
        "arn": c.arn("ec2", f"fleet/{c.id}"),
        "fleetInstanceSets": c.get("fleetInstanceSets", []),
        "fleetState": "active",
        "fulfilledCapacity": total,
        "fulfilledOnDemandCapacity": total
        if target.get("defaultTargetCapacityType") == "on-demand"
        else 0.0,
    }
