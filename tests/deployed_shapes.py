"""An update-mode run as the AWS provider stores it after ``pulumi up`` (``fresh``) and after
``pulumi refresh`` (``refreshed``): the shapes issue 13 names, written onto the run's outputs
while its checked inputs (what ``Analyze`` gets) stay as the program declared them.

Until the review's own deployed mode exists (``run_program(..., mode="deployed")``, branches
i13a/i13b), this is how the pack's tests reach the state every pull request after day one
sends it. The facts, from terraform-provider-aws's Read functions (hashicorp/aws >= 6, bridged
camelCased by pulumi-aws 7.x):

* every instance's ``primaryNetworkInterface`` is ``{deleteOnTermination: true,
  networkInterfaceId: <its primaryNetworkInterfaceId>}``, its own ENI, and its
  ``associatePublicIpAddress`` is "its ENI has an association" -- an EIP's too
  (ec2_instance.go ``resourceInstanceRead``); its groups are its ENI's;
* an EIP names the instance and the interface it is associated with, an EIP association
  both, a NAT gateway's EIP the gateway's interface (ec2_eip.go ``resourceEIPRead``);
* refreshed, a group's ``ingress``/``egress`` hold every rule AWS has, separate rule resources
  included, grouped by protocol, ports and description (vpc_security_group.go
  ``securityGroupIPPermGather``); a table's ``routes`` every Route but local and endpoint ones
  (vpc_route_table.go ``flattenRoutes``); a NACL's entries and subnets its rules' and
  associations'; an ENI's groups and attachment, an ASG's target groups, a classic ELB's
  instances the attachments'. Fresh, each resource is as its own create read it back: a group
  created before its separate rules holds only its inline ones.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from review.plan import ProgramRun, RecordedResource

SG = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
RT = ("aws:ec2/routeTable:RouteTable", "aws:ec2/defaultRouteTable:DefaultRouteTable")
ACL = ("aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
INSTANCES = ("aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest")
SUBNET = "aws:ec2/subnet:Subnet"
EIP = "aws:ec2/eip:Eip"
EIP_ASSOC = "aws:ec2/eipAssociation:EipAssociation"
ENI = "aws:ec2/networkInterface:NetworkInterface"
ENI_ATT = "aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment"
ENI_SG_ATT = (
    "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment"
)
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_RULES = {"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "ingress",
             "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "egress"}
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ACL_ASSOC = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
ASG = "aws:autoscaling/group:Group"
ASG_ATT = "aws:autoscaling/attachment:Attachment"
ELB = "aws:elb/loadBalancer:LoadBalancer"
ELB_ATT = "aws:elb/attachment:Attachment"
SHAPES = ("fresh", "refreshed")

_ROUTE_TARGETS = ("gatewayId", "natGatewayId", "egressOnlyGatewayId", "vpcEndpointId",
                  "vpcPeeringConnectionId", "transitGatewayId", "networkInterfaceId",
                  "carrierGatewayId", "localGatewayId", "coreNetworkArn")


def deployed(run: ProgramRun, shape: str) -> ProgramRun:
    """``run`` (update mode) as its stack's state stores it, in ``shape``."""
    assert run.mode == "update" and shape in SHAPES, (run.mode, shape)
    state = _State(run)
    resources = [replace(r, outputs=state.stored(r, shape)) for r in run.resources]
    return replace(run, resources=resources)


def with_stored(run: ProgramRun, baseline: ProgramRun, names: set[str]) -> ProgramRun:
    """``run`` with the outputs of the resources ``names`` taken from ``baseline``: resources
    a change leaves as they were (a ``same`` step sends their old outputs to AnalyzeStack)."""
    old = {r.name: r for r in baseline.resources}
    return replace(run, resources=[
        replace(r, outputs=copy.deepcopy(old[r.name].outputs)) if r.name in names else r
        for r in run.resources
    ])


class _State:
    def __init__(self, run: ProgramRun) -> None:
        self.run = run
        self.by_type: dict[str, list[RecordedResource]] = {}
        for r in run.resources:
            self.by_type.setdefault(r.type, []).append(r)

    def of(self, *types: str) -> list[RecordedResource]:
        return [r for t in types for r in self.by_type.get(t, [])]

    def find(self, types: tuple[str, ...], key: str, value: Any) -> RecordedResource | None:
        if not isinstance(value, str) or not value:
            return None
        return next((r for r in self.of(*types) if r.outputs.get(key) == value), None)

    def stored(self, r: RecordedResource, shape: str) -> dict[str, Any]:
        out = copy.deepcopy(r.outputs)
        refreshed = shape == "refreshed"
        if r.type in INSTANCES:
            self._instance(r, out, refreshed)
        elif r.type == EIP:
            out.update(self._eip_association(r))
        elif r.type == EIP_ASSOC:
            self._eip_assoc(r, out)
        elif r.type in SG:
            for key in ("ingress", "egress"):
                out[key] = list(r.inputs.get(key) or []) + (
                    self._mirrored_rules(r, key) if refreshed else [])
        elif r.type in RT:
            out["routes"] = list(r.inputs.get("routes") or []) + (
                self._mirrored_routes(r) if refreshed else [])
        elif r.type in ACL and refreshed:
            self._acl(r, out)
        elif r.type == ENI and refreshed:
            extra = [a.outputs.get("securityGroupId") for a in self.of(ENI_SG_ATT)
                     if a.outputs.get("networkInterfaceId") == r.outputs.get("id")]
            out["securityGroups"] = _union(out.get("securityGroups"), extra)
            for att in self.of(ENI_ATT):
                if att.outputs.get("networkInterfaceId") == r.outputs.get("id"):
                    out["attachments"] = [{"instance": att.outputs.get("instanceId"),
                                           "deviceIndex": att.outputs.get("deviceIndex"),
                                           "attachmentId": att.outputs.get("id")}]
        elif r.type == ASG and refreshed:
            extra = [a.outputs.get("lbTargetGroupArn") for a in self.of(ASG_ATT)
                     if a.outputs.get("autoscalingGroupName") in (r.outputs.get("name"),
                                                                  r.outputs.get("id"))]
            out["targetGroupArns"] = _union(out.get("targetGroupArns"), extra)
        elif r.type == ELB and refreshed:
            extra = [a.outputs.get("instance") for a in self.of(ELB_ATT)
                     if a.outputs.get("elb") in (r.outputs.get("name"), r.outputs.get("id"))]
            out["instances"] = _union(out.get("instances"), extra)
        elif r.type == NAT:
            out.setdefault("networkInterfaceId", f"{r.name}-eni-id")
        return out

    # -------------------------------------------------------------------- instances and EIPs
    def _eni_of(self, r: RecordedResource) -> str:
        declared = r.inputs.get("primaryNetworkInterface")
        if isinstance(declared, dict) and declared.get("networkInterfaceId"):
            return str(declared["networkInterfaceId"])
        for ni in r.inputs.get("networkInterfaces") or []:
            if isinstance(ni, dict) and float(ni.get("deviceIndex", 0)) == 0 and ni.get(
                    "networkInterfaceId"):
                return str(ni["networkInterfaceId"])
        return str(r.outputs.get("primaryNetworkInterfaceId") or f"{r.name}-eni-id")

    def _instance(self, r: RecordedResource, out: dict[str, Any], refreshed: bool) -> None:
        eni = self._eni_of(r)
        declared = r.inputs.get("primaryNetworkInterface")
        out["primaryNetworkInterface"] = {
            "deleteOnTermination": bool(declared.get("deleteOnTermination", False))
            if isinstance(declared, dict) else True,
            "networkInterfaceId": eni,
        }
        out["primaryNetworkInterfaceId"] = eni
        subnet = self.find((SUBNET,), "id", r.outputs.get("subnetId"))
        auto = r.inputs.get("associatePublicIpAddress")
        if auto is None:
            auto = bool(subnet and subnet.outputs.get("mapPublicIpOnLaunch"))
        eip = any(self._eip_association(e).get("instance") == r.outputs.get("id")
                  for e in self.of(EIP))
        eip = eip or any(a.outputs.get("instanceId") == r.outputs.get("id")
                         for a in self.of(EIP_ASSOC))
        # Fresh: as its create read it back, before any EIP was associated with it.
        out["associatePublicIpAddress"] = bool(auto) or (eip and refreshed)
        v6 = r.inputs.get("ipv6AddressCount")
        if v6 is None:
            v6 = 1 if subnet and subnet.outputs.get("assignIpv6AddressOnCreation") else 0
        out["ipv6AddressCount"] = float(v6)
        if refreshed:
            extra = [a.outputs.get("securityGroupId") for a in self.of(ENI_SG_ATT)
                     if a.outputs.get("networkInterfaceId") == eni]
            out["vpcSecurityGroupIds"] = _union(out.get("vpcSecurityGroupIds"), extra)
        out.setdefault("securityGroups", [])

    def _eip_association(self, eip: RecordedResource) -> dict[str, Any]:
        inst = self.find(INSTANCES, "id", eip.inputs.get("instance"))
        if inst is not None:
            return {"instance": inst.outputs.get("id"), "networkInterface": self._eni_of(inst)}
        eni = self.find((ENI,), "id", eip.inputs.get("networkInterface"))
        if eni is not None:
            owner = next((a.get("instance") for a in eni.outputs.get("attachments") or []
                          if isinstance(a, dict)), "")
            return {"instance": owner or "", "networkInterface": eni.outputs.get("id")}
        for nat in self.of(NAT):
            if nat.outputs.get("allocationId") == eip.outputs.get("id"):
                return {"instance": "",
                        "networkInterface": nat.outputs.get("networkInterfaceId")
                        or f"{nat.name}-eni-id"}
        for assoc in self.of(EIP_ASSOC):
            if assoc.outputs.get("allocationId") == eip.outputs.get("id"):
                filled = dict(assoc.outputs)
                self._eip_assoc(assoc, filled)
                return {"instance": filled.get("instanceId", ""),
                        "networkInterface": filled.get("networkInterfaceId", "")}
        return {"instance": "", "networkInterface": ""}

    def _eip_assoc(self, r: RecordedResource, out: dict[str, Any]) -> None:
        inst = self.find(INSTANCES, "id", r.outputs.get("instanceId"))
        if inst is not None:
            out["networkInterfaceId"] = self._eni_of(inst)
        eni = self.find((ENI,), "id", r.outputs.get("networkInterfaceId"))
        if eni is not None and not out.get("instanceId"):
            out["instanceId"] = next((a.get("instance") for a in eni.outputs.get("attachments")
                                      or [] if isinstance(a, dict)), "")

    # -------------------------------------------------------------------- mirrors
    def _mirrored_rules(self, sg: RecordedResource, key: str) -> list[dict[str, Any]]:
        own = sg.outputs.get("id")
        grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in self.of(SG_RULE, *VPC_RULES):
            o = r.outputs
            if o.get("securityGroupId") != own:
                continue
            if r.type == SG_RULE:
                if str(o.get("type", "")).lower() != key:
                    continue
                proto, lo, hi = o.get("protocol"), o.get("fromPort"), o.get("toPort")
                cidr4, cidr6 = list(o.get("cidrBlocks") or []), list(o.get("ipv6CidrBlocks") or [])
                pls, group = list(o.get("prefixListIds") or []), o.get("sourceSecurityGroupId")
                self_ = bool(o.get("self"))
            else:
                if VPC_RULES[r.type] != key:
                    continue
                proto, lo, hi = o.get("ipProtocol"), o.get("fromPort"), o.get("toPort")
                cidr4 = [o["cidrIpv4"]] if o.get("cidrIpv4") else []
                cidr6 = [o["cidrIpv6"]] if o.get("cidrIpv6") else []
                pls = [o["prefixListId"]] if o.get("prefixListId") else []
                group, self_ = o.get("referencedSecurityGroupId"), False
            if str(proto) == "-1":
                lo = hi = 0.0
            if group == own:
                group, self_ = None, True
            desc = o.get("description") or ""
            entry = grouped.setdefault((str(proto), lo, hi, desc), {
                "cidrBlocks": [], "description": desc, "fromPort": lo, "ipv6CidrBlocks": [],
                "prefixListIds": [], "protocol": str(proto), "securityGroups": [],
                "self": False, "toPort": hi,
            })
            entry["cidrBlocks"] += cidr4
            entry["ipv6CidrBlocks"] += cidr6
            entry["prefixListIds"] += pls
            entry["securityGroups"] += [group] if group else []
            entry["self"] = entry["self"] or self_
        return list(grouped.values())

    def _mirrored_routes(self, table: RecordedResource) -> list[dict[str, Any]]:
        out = []
        for r in self.of(ROUTE):
            o = r.outputs
            if o.get("routeTableId") != table.outputs.get("id"):
                continue
            entry: dict[str, Any] = {}
            for wire, field in (("destinationCidrBlock", "cidrBlock"),
                                ("destinationIpv6CidrBlock", "ipv6CidrBlock"),
                                ("destinationPrefixListId", "destinationPrefixListId")):
                if o.get(wire):
                    entry[field] = o[wire]
            for field in _ROUTE_TARGETS:
                if o.get(field):
                    entry[field] = o[field]
            out.append(entry)
        return out

    def _acl(self, acl: RecordedResource, out: dict[str, Any]) -> None:
        own = acl.outputs.get("id")
        for key, egress in (("ingress", False), ("egress", True)):
            entries = list(out.get(key) or [])
            for r in self.of(ACL_RULE):
                o = r.outputs
                if o.get("networkAclId") == own and bool(o.get("egress")) == egress:
                    entries.append({"ruleNo": o.get("ruleNumber"), "action": o.get("ruleAction"),
                                    "protocol": o.get("protocol"), "fromPort": o.get("fromPort"),
                                    "toPort": o.get("toPort"), "cidrBlock": o.get("cidrBlock"),
                                    "ipv6CidrBlock": o.get("ipv6CidrBlock")})
            out[key] = entries
        extra = [a.outputs.get("subnetId") for a in self.of(ACL_ASSOC)
                 if a.outputs.get("networkAclId") == own]
        out["subnetIds"] = _union(out.get("subnetIds"), extra)


def _union(values: Any, extra: list[Any]) -> list[Any]:
    out = list(values or [])
    out += [v for v in extra if v and v not in out]
    return out
