"""Which resources a change replaces: a model of the engine's diff for the types we use.

A resource is replaced when a property that forces replacement differs between two runs and is
not in its ignore_changes, or when such a property takes an output of a replaced resource (a
new id is unknown until created, so the engine must replace the dependant too). Everything else
is an in-place update. The forcing properties are the Terraform schema's ForceNew arguments as
pulumi-aws 7.x bridges them (hashicorp/terraform-provider-aws, internal/service/ec2:
ec2_instance.go, ebs_volume.go, ebs_volume_attachment.go, ec2_key_pair.go, vpc_subnet.go,
vpc_security_group.go, ec2_eip.go; the SDK's docstrings say "forces" / "stop/start"). userData
forces replacement only with userDataReplaceOnChange (else a stop/start). Where unsure, the
property is listed (the adversarial reading).
"""

from __future__ import annotations

from collections.abc import Iterable

from review import ProgramRun, RecordedResource

FORCE_NEW: dict[str, frozenset[str]] = {
    "aws:ec2/instance:Instance": frozenset(
        {
            "ami",
            "availabilityZone",
            "subnetId",
            "keyName",
            "privateIp",
            "associatePublicIpAddress",
            "placementGroup",
            "tenancy",
            "hostId",
            "ebsBlockDevices",
            "ephemeralBlockDevices",
            "networkInterfaces",
            "ipv6AddressCount",
            "ipv6Addresses",
            "cpuOptions",
            "launchTemplate",
            "rootBlockDevice.encrypted",
            "rootBlockDevice.kmsKeyId",
        }
    ),
    "aws:ebs/volume:Volume": frozenset(
        {"availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"}
    ),
    "aws:ec2/volumeAttachment:VolumeAttachment": frozenset(
        {"deviceName", "instanceId", "volumeId"}
    ),
    "aws:ec2/keyPair:KeyPair": frozenset({"publicKey", "keyName", "keyNamePrefix"}),
    "aws:ec2/subnet:Subnet": frozenset({"cidrBlock", "availabilityZone", "vpcId"}),
    "aws:ec2/vpc:Vpc": frozenset({"cidrBlock", "instanceTenancy"}),
    "aws:ec2/securityGroup:SecurityGroup": frozenset(
        {"name", "namePrefix", "description", "vpcId"}
    ),
    "aws:ec2/eip:Eip": frozenset({"domain", "address", "publicIpv4Pool"}),
    "aws:ec2/natGateway:NatGateway": frozenset({"subnetId", "allocationId", "connectivityType"}),
}


def _get(inputs: dict, path: str) -> object:
    value: object = inputs
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def forcing(r: RecordedResource) -> set[str]:
    props = set(FORCE_NEW.get(r.type, ()))
    if r.type == "aws:ec2/instance:Instance" and r.inputs.get("userDataReplaceOnChange"):
        props |= {"userData", "userDataBase64"}
    return {p for p in props if p.split(".")[0] not in r.ignore_changes}


def replaced(before: ProgramRun, after: ProgramRun, forced: Iterable[str] = ()) -> set[str]:
    """Names of the resources `after` replaces, going from `before` (plus `forced`, as with
    `pulumi up --replace`)."""
    old = {(r.type, r.name): r for r in before.resources}
    result = set(forced)
    urn_name = {r.urn: r.name for r in after.resources}
    changed = True
    while changed:
        changed = False
        for r in after.resources:
            if r.name in result or not r.custom:
                continue
            prev = old.get((r.type, r.name))
            if prev is None:
                continue  # created, not replaced
            for prop in forcing(r):
                deps = {
                    urn_name.get(u) for u in r.property_dependencies.get(prop.split(".")[0], [])
                }
                if _get(r.inputs, prop) != _get(prev.inputs, prop) or deps & result:
                    result.add(r.name)
                    changed = True
                    break
    return result
