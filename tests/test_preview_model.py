"""The preview model (review/mocks.py, review/aws_schema.py) and the CLI's call pattern
(review/analyzer.py), pinned so that a change in either fails loudly.

In a preview the provider answers with Terraform's planned state: the checked inputs, and every
output that the provider computes and the program did not set is unknown
(pulumi-terraform-bridge pkg/tfbridge/provider.go, Create with preview).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
from test_policies import B, Case, S, analyze, check, pack  # noqa: F401 (pack: the fixture)

from review import PolicyPack, run_program
from review.aws_schema import UnknownTypeError, schema
from review.mocks import UNKNOWN, AwsMocks
from review.plan import ProgramRun
from review.stack_config import load_project, load_stack_config

ROOT = Path(__file__).resolve().parent.parent

# Per type the shipped program creates: the outputs that are unknown in a preview although the
# program did not set them (the provider computes them). A resource that declares one of them
# (an EIP's instance) has it as declared; everything else here must be unknown.
COMPUTED_UNKNOWN: dict[str, set[str]] = {
    "aws:cloudwatch/logGroup:LogGroup": {
        "arn", "deletionProtectionEnabled", "id", "logGroupClass", "namePrefix",
    },
    "aws:ebs/volume:Volume": {
        "arn", "createTime", "id", "iops", "kmsKeyId", "snapshotId", "throughput",
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
        "arn", "description", "egress", "id", "ingress", "name", "namePrefix", "ownerId",
    },
    "aws:ec2/eip:Eip": {
        "allocationId", "arn", "associationId", "carrierIp", "customerOwnedIp", "id", "instance",
        "ipamPoolId", "networkBorderGroup", "networkInterface", "privateDns", "privateIp",
        "ptrRecord", "publicDns", "publicIp", "publicIpv4Pool",
    },
    "aws:ec2/flowLog:FlowLog": {
        "arn", "id", "logFormat",
    },
    "aws:ec2/instance:Instance": {
        "arn", "availabilityZone", "capacityReservationSpecification", "cpuOptions",
        "disableApiStop", "disableApiTermination", "ebsBlockDevices", "ebsOptimized",
        "enablePrimaryIpv6", "enclaveOptions", "ephemeralBlockDevices", "hostId",
        "hostResourceGroupArn", "iamInstanceProfile", "id", "instanceInitiatedShutdownBehavior",
        "instanceLifecycle", "instanceMarketOptions", "instanceState", "ipv6AddressCount",
        "ipv6Addresses", "keyName", "maintenanceOptions", "monitoring", "networkInterfaces",
        "outpostArn", "passwordData", "placementGroup", "placementGroupId",
        "placementPartitionNumber", "primaryNetworkInterface", "primaryNetworkInterfaceId",
        "privateDns", "privateDnsNameOptions", "privateIp", "publicDns", "publicIp",
        "secondaryNetworkInterfaces", "secondaryPrivateIps", "securityGroups",
        "spotInstanceRequestId", "tenancy", "userDataBase64",
    },
    "aws:ec2/internetGateway:InternetGateway": {
        "arn", "id", "ownerId",
    },
    "aws:ec2/keyPair:KeyPair": {
        "arn", "fingerprint", "id", "keyName", "keyPairId", "keyType",
    },
    "aws:ec2/natGateway:NatGateway": {
        "associationId", "autoProvisionZones", "autoScalingIps", "availabilityMode", "id",
        "networkInterfaceId", "privateIp", "publicIp", "regionalNatGatewayAddresses",
        "regionalNatGatewayAutoMode", "routeTableId", "secondaryAllocationIds",
        "secondaryPrivateIpAddressCount", "secondaryPrivateIpAddresses", "vpcId",
    },
    "aws:ec2/route:Route": {
        "id", "instanceId", "instanceOwnerId", "networkInterfaceId", "origin", "state",
    },
    "aws:ec2/routeTable:RouteTable": {
        "arn", "id", "ownerId", "propagatingVgws", "routes",
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {
        "id",
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        "arn", "egress", "id", "ingress", "namePrefix", "ownerId",
    },
    "aws:ec2/subnet:Subnet": {
        "arn", "availabilityZoneId", "id", "ipv6CidrBlock", "ipv6CidrBlockAssociationId",
        "ownerId", "privateDnsHostnameTypeOnLaunch",
    },
    "aws:ec2/volumeAttachment:VolumeAttachment": {
        "id",
    },
    "aws:ec2/vpc:Vpc": {
        "arn", "defaultNetworkAclId", "defaultRouteTableId", "defaultSecurityGroupId",
        "dhcpOptionsId", "enableNetworkAddressUsageMetrics", "id", "ipv6AssociationId",
        "ipv6CidrBlock", "ipv6CidrBlockNetworkBorderGroup", "mainRouteTableId", "ownerId",
    },
    "aws:iam/role:Role": {
        "arn", "createDate", "id", "inlinePolicies", "managedPolicyArns", "namePrefix",
        "uniqueId",
    },
    "aws:iam/rolePolicy:RolePolicy": {
        "id", "namePrefix",
    },
    # issue 10's audit trail (auditLog: cloudwatch)
    "aws:iam/instanceProfile:InstanceProfile": {
        "arn", "createDate", "id", "namePrefix", "uniqueId",
    },
    "aws:kms/key:Key": {
        "arn", "id", "keyId", "multiRegion", "rotationPeriodInDays",
    },
    "aws:kms/alias:Alias": {
        "arn", "id", "namePrefix", "targetKeyArn",
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        "arn", "id", "securityGroupRuleId",
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        "arn", "id", "securityGroupRuleId",
    },
}


@pytest.fixture(scope="module")
def previews() -> dict[str, ProgramRun]:
    project = load_project(ROOT)
    return {
        stack: run_program(
            project.main,
            config=load_stack_config(ROOT, stack),
            mode="preview",
            stack=stack,
            project=project.name,
        )
        for stack in ("dev", "prod")
    }


def _named(run: ProgramRun, name: str) -> Any:
    found = [r for r in run.resources if r.name == name]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_created_type_has_its_computed_outputs_unknown(
    previews: dict[str, ProgramRun], stack: str
) -> None:
    run = previews[stack]
    custom = [r for r in run.resources if r.custom and not r.type.startswith("pulumi:")]
    assert {r.type for r in custom} <= set(COMPUTED_UNKNOWN), "a new type: pin it"
    for r in custom:
        unknown = {k for k, v in r.outputs.items() if v == UNKNOWN and k not in r.inputs}
        assert unknown == COMPUTED_UNKNOWN[r.type] - set(r.inputs), r.name
        # known in the plan: region and tagsAll (default tags + tags), checked inputs kept
        if "region" in schema(r.type).inputs:
            assert r.outputs["region"] == "ap-northeast-2" == r.inputs["region"], r.name
        if "tagsAll" in schema(r.type).always:
            assert r.outputs["tagsAll"] == r.inputs.get("tags", {}), r.name


def test_the_issue_s_unknowns_and_the_autonamed_name(previews: dict[str, ProgramRun]) -> None:
    run = previews["dev"]
    for r in run.resources:
        want = {
            "aws:ec2/securityGroup:SecurityGroup": ("ingress", "egress"),
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ingress", "egress"),
            "aws:ec2/routeTable:RouteTable": ("routes",),
            "aws:ec2/instance:Instance": ("securityGroups", "primaryNetworkInterfaceId"),
            "aws:ec2/eip:Eip": ("instance", "networkInterface"),
            "aws:ec2/vpc:Vpc": ("mainRouteTableId", "defaultSecurityGroupId", "ipv6CidrBlock"),
        }.get(r.type, ())
        for key in want:
            assert r.outputs[key] == UNKNOWN, (r.name, key)
    web_sg = _named(run, "web-sg")
    # autonamed by Check: known, and an input of Analyze as well as an output
    assert web_sg.inputs["name"] == web_sg.outputs["name"]
    assert web_sg.outputs["name"].startswith("web-sg-") and len(web_sg.outputs["name"]) == 14


def test_update_mode_stays_concrete() -> None:
    m = AwsMocks("update", region="eu-west-1")
    from pulumi.runtime import MockResourceArgs

    rid, out = m.new_resource(
        MockResourceArgs("aws:ec2/securityGroup:SecurityGroup", "g", {"vpcId": "v"}, None, None)
    )
    assert rid == "g-id" and UNKNOWN not in out.values()
    assert out["name"].startswith("g-") and out["region"] == "eu-west-1"
    assert out["description"] == "Managed by Pulumi"  # the documented schema default


def test_schema_reads_the_typed_sdk() -> None:
    sg = schema("aws:ec2/securityGroup:SecurityGroup")
    assert sg.sdk_class == "pulumi_aws.ec2.SecurityGroup"
    assert {"ingress", "egress", "name", "arn", "ownerId"} <= sg.always
    assert "revokeRulesOnDelete" in sg.optional and "revokeRulesOnDelete" not in sg.always
    # the getters are the class's own: the SDK agrees
    assert isinstance(aws.ec2.SecurityGroup.__dict__["ingress"], property)
    with pytest.raises(UnknownTypeError):
        schema("aws:ec2/nothing:Nothing")


# ------------------------------------------------------------ the pack under the model
def _inline_office_from_eip(w: Any) -> None:
    """The bastion's SSH as an INLINE rule whose CIDR is another resource's output."""
    eip = aws.ec2.Eip("office-eip", domain="vpc")
    group = aws.ec2.SecurityGroup(
        "bastion-inline-sg",
        vpc_id=w.vpc.id,
        description="bastion inline",
        tags={"Role": "bastion", "Tier": "management"},
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp",
                from_port=22,
                to_port=22,
                cidr_blocks=[eip.public_ip.apply(lambda ip: f"{ip}/32")],
                description="office",
            )
        ],
    )
    aws.ec2.NetworkInterfaceSecurityGroupAttachment(
        "inline-on-bastion",
        security_group_id=group.id,
        network_interface_id=w.bastion.primary_network_interface_id,
    )


INLINE_UNKNOWN_CIDR = Case(
    "bastion-inline-computed-cidr",
    # update: 203.0.113.2/32 lies in the office range, so the bastion's SSH is fine; the group
    # is not the bastion's own group (bastion-sg), which servers-ssh-only-from-bastion reports
    {(S, "bastion-inline-sg")},
    tweak=_inline_office_from_eip,
    # preview: the declared CIDR is unknown, so the bastion rule fails closed
    preview_expected={(B, "bastion-inline-sg"), (S, "bastion-inline-sg")},
)


@pytest.mark.parametrize("mode", ["update", "preview"])
def test_an_inline_rule_with_an_unknown_cidr_fails_closed(
    pack: PolicyPack,  # noqa: F811
    mode: str,
    tmp_path: Path,
) -> None:
    case = INLINE_UNKNOWN_CIDR
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))


def test_analyze_stack_order_does_not_matter(
    pack: PolicyPack,  # noqa: F811
    previews: dict[str, ProgramRun],
) -> None:
    pack.configure(ROOT / "policies" / "config" / "dev.json")
    seen = []
    for seed in (1, 2, 3):
        diags = pack.analyze(previews["dev"], seed=seed)
        seen.append(sorted((d.policy, d.urn, d.message) for d in diags))
    assert seen[0] == seen[1] == seen[2]


def test_remediate_is_called_for_every_resource(
    pack: PolicyPack,  # noqa: F811
    previews: dict[str, ProgramRun],
) -> None:
    from review.plan import with_default_providers

    pack.configure(ROOT / "policies" / "config" / "dev.json")
    stub = pack.wait_ready()
    calls: list[str] = []
    real = stub.Remediate

    class Counting:
        def future(self, request: Any) -> Any:
            calls.append(request.urn)
            return real.future(request)

        def __call__(self, request: Any) -> Any:
            calls.append(request.urn)
            return real(request)

    stub.Remediate = Counting()
    try:
        pack.analyze(previews["dev"])
    finally:
        stub.Remediate = real
    # no policy is at "remediate", yet the engine asks every resource (step_generator.go)
    assert calls == [r.urn for r in with_default_providers(previews["dev"])]


def _tagged_groups() -> None:
    vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/24")
    aws.ec2.SecurityGroup("known", vpc_id=vpc.id, tags={"Tier": "public"})
    aws.ec2.SecurityGroup("computed", vpc_id=vpc.id, tags={"Src": vpc.id})


@pytest.mark.parametrize("mode", ["update", "preview"])
def test_tags_all_is_default_tags_merged_with_tags(mode: str) -> None:
    config = {
        "aws:region": "eu-west-1",
        "aws:defaultTags": '{"tags":{"Owner":"ops","Tier":"default"}}',
    }
    run = run_program(_tagged_groups, config=config, mode=mode, stack="t")
    known = _named(run, "known")
    assert known.outputs["tagsAll"] == {"Owner": "ops", "Tier": "public"}  # tags win
    assert known.outputs["region"] == "eu-west-1"
    computed = _named(run, "computed").outputs["tagsAll"]
    if mode == "preview":  # a tag value the plan does not know: tagsAll is unknown
        assert computed == UNKNOWN
    else:
        assert computed == {"Owner": "ops", "Tier": "default", "Src": "v-id"}
