"""Deterministic pulumi-aws mocks shared by the unit tests and the review engine.

``AwsMocks(mode)`` behaves like the AWS provider seen through the engine:

* ``new_resource`` returns ``(id, outputs)`` where ``outputs`` are the inputs exactly as given
  (camelCase wire names) plus the values the provider computes (``arn``, ``ownerId``,
  ``tagsAll`` and per-type values such as an Instance's ``privateIp``).
* ``update`` mode: ids are ``<name>-id``; computed values are concrete and deterministic
  (instances get ``.10``, ``.11``, ... of their subnet's CIDR in registration order, EIPs get
  addresses from the documentation ranges 203.0.113.0/24 then 198.51.100.0/24).
* Both modes first apply the provider's ``Check`` (``check_additions``): ``region`` from the
  provider's ``aws:region``, an autonamed ``name`` (``<logical name>-<7 hex>``) where the type
  takes a ``name`` and the program set neither ``name`` nor ``namePrefix`` (pulumi-aws turns on
  the bridge's autonaming for every such ``name``), and the few schema defaults in
  ``_CHECK_DEFAULTS``. The engine sends these checked inputs to ``Analyze``
  (pulumi/pulumi ``pkg/resource/deploy/step_generator.go``: ``prov.Check`` then
  ``analyzer.Analyze`` with the checked ``inputs``); ``review.engine`` records them.
* ``preview`` mode (a stack being created) is the provider's planned state
  (pulumi-terraform-bridge ``pkg/tfbridge/provider.go``, ``Provider.Create``: without preview it
  calls ``p.tf.Apply``; with ``req.GetPreview()`` it returns ``diff.ProposedState(res.TF, nil)``
  marshalled with ``KeepUnknowns: req.GetPreview()``, so every attribute the plan does not know
  reaches the engine as unknown; read at bridge commit 59de6c661): the
  checked inputs, plus EVERY output that pulumi-aws's typed SDK declares always present
  (``review.aws_schema``: getters typed ``pulumi.Output[T]`` without ``Optional``) and the
  program did not set, as the engine's unknown sentinel ``pulumi.runtime.rpc.UNKNOWN``. The
  id is ``""``. Exceptions the plan knows are listed in ``_PLAN_KNOWS``. Inputs that were
  already unknown stay unknown (the SDK hands them to us as ``Unknown`` objects and serializes
  them back as the sentinel). Types outside pulumi-aws fall back to ``_computed``'s keys.
  Adversarial simplification: nested computed fields of a declared block (an Instance's
  ``rootBlockDevice.volumeId``) stay as declared; only top-level outputs are modelled.
* ``call`` implements the invokes listed in ``SUPPORTED_INVOKES`` (``aws:ec2/getAmi:getAmi``
  returns an Ubuntu 24.04 image). Invokes run for real during a preview, so results are known in
  both modes. Any other token raises ``UnsupportedInvokeError`` naming the token: a silently empty
  result would surface later as a confusing ``None`` far from its cause.

Caveat: ids are ``<name>-id`` and are unique per type+name, not globally; resources of
different types with the same logical name share an id string. Look ids up by (type, id).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import threading
from collections.abc import Callable
from typing import Any, Literal

import pulumi
from pulumi.runtime import rpc

from . import aws_schema

UNKNOWN: str = rpc.UNKNOWN
ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "ap-northeast-2"
UBUNTU_2404_AMI_NAME = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{arch}-server-20250610"
AL2023_AMI_NAME = "al2023-ami-2023.9.20251117.1-kernel-6.1-{arch}"
AMAZON_OWNER_ID = "137112412989"
# The Amazon-provided /56 a dual-stack VPC gets (assignGeneratedIpv6CidrBlock).
VPC_IPV6_BLOCK = "2406:da12:7a3:a100::/56"
CANONICAL_OWNER_ID = "099720109477"

Mode = Literal["update", "preview"]
MODES: tuple[str, ...] = ("update", "preview")

# type token -> (arn service, arn resource path prefix)
_ARN_SHAPES: dict[str, tuple[str, str]] = {
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/"),
    "aws:ec2/internetGateway:InternetGateway": ("ec2", "internet-gateway/"),
    "aws:ec2/eip:Eip": ("ec2", "elastic-ip/"),
    "aws:ec2/natGateway:NatGateway": ("ec2", "natgateway/"),
    "aws:ec2/routeTable:RouteTable": ("ec2", "route-table/"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "security-group/"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ec2", "security-group/"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("ec2", "security-group-rule/"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("ec2", "security-group-rule/"),
    "aws:ec2/keyPair:KeyPair": ("ec2", "key-pair/"),
    "aws:ec2/instance:Instance": ("ec2", "instance/"),
    "aws:ec2/flowLog:FlowLog": ("ec2", "vpc-flow-log/"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:"),
    "aws:iam/role:Role": ("iam", "role/"),
    "aws:iam/instanceProfile:InstanceProfile": ("iam", "instance-profile/"),
    "aws:ec2/networkInterface:NetworkInterface": ("ec2", "network-interface/"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", "launch-template/"),
}

# Schema defaults that the provider's Check fills into the inputs (so the plan knows them), per
# type: only those documented in pulumi-aws's SDK ("Defaults to ...") that a policy could read.
_CHECK_DEFAULTS: dict[str, dict[str, Any]] = {
    "aws:ec2/securityGroup:SecurityGroup": {"description": "Managed by Pulumi"},
}

# Always-present outputs that the plan KNOWS although the program did not set them:
# ``tagsAll`` is the provider's ``defaultTags.tags`` merged with ``tags`` (known when both are);
# ``region`` and the autonamed ``name`` come from Check (``check_additions``), so they are
# inputs by then. Every other always-present output not set (``id`` too) is UNKNOWN.
_PLAN_KNOWS: frozenset[str] = frozenset({"tagsAll", "region"})

_HANDLED_INVOKES = (
    "aws:ec2/getAmi:getAmi",
    "aws:index/getAvailabilityZones:getAvailabilityZones",
    "aws:index/getCallerIdentity:getCallerIdentity",
    "aws:index/getRegion:getRegion",
    "aws:index/getPartition:getPartition",
    "aws:iam/getPolicyDocument:getPolicyDocument",
)
SUPPORTED_INVOKES: frozenset[str] = frozenset(_HANDLED_INVOKES)


class UnsupportedInvokeError(NotImplementedError):
    """An invoke token AwsMocks has no mock for."""


def _is_unknown(value: Any) -> bool:
    return value == UNKNOWN or type(value).__name__ == "Unknown"


def _known(value: Any) -> bool:
    return value is not None and not _is_unknown(value)


class AwsMocks(pulumi.runtime.Mocks):
    """pulumi-aws 7.x mocks; see the module docstring for the exact behaviour."""

    def __init__(self, mode: Mode = "update", region: str | None = None) -> None:
        if mode not in ("update", "preview"):
            raise ValueError(f"AwsMocks mode must be 'update' or 'preview', not {mode!r}")
        self.mode: Mode = mode
        self._region = region
        self._lock = threading.Lock()
        self._subnet_cidrs: dict[str, str] = {}  # subnet id -> cidrBlock
        self._next_host: dict[str, int] = {}  # subnet id -> next host offset
        self._instance_ips: dict[str, str] = {}  # instance id -> privateIp
        self._eip_ips: dict[str, str] = {}  # eip id (= allocation id) -> publicIp
        self._eip_count = 0
        self._fallback_hosts = 0
        # (type, logical name) -> inputs Check added; review.engine records the checked inputs
        self.checked: dict[tuple[str, str], dict[str, Any]] = {}
        # (type, logical name) -> salt for the autoname: a replacement's Check runs without the
        # old inputs and draws a new random suffix (the engine passes a new random seed), so a
        # replaced resource's autoname differs from the old one (review.monitor sets it)
        self.autoname_salt: dict[tuple[str, str], str] = {}

    # ---------------------------------------------------------------- helpers
    @property
    def preview(self) -> bool:
        return self.mode == "preview"

    @property
    def region(self) -> str:
        if self._region:
            return self._region
        try:
            configured = pulumi.runtime.get_config("aws:region")
        except Exception:  # no runtime configured
            configured = None
        return configured if isinstance(configured, str) and configured else DEFAULT_REGION

    def check_additions(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The inputs the provider's Check adds to what the program declared (see the module
        docstring): region, an autonamed ``name``, documented schema defaults."""
        try:
            declared = aws_schema.schema(typ).inputs
        except aws_schema.UnknownTypeError:
            return {}
        added: dict[str, Any] = {}
        if "region" in declared and inputs.get("region") is None:
            added["region"] = self.region
        if (
            "name" in declared
            and "namePrefix" in declared
            and inputs.get("name") is None
            and inputs.get("namePrefix") is None
        ):
            salt = self.autoname_salt.get((typ, name), "")
            added["name"] = f"{name}-{_short_hash(name + salt)}"
        for key, value in _CHECK_DEFAULTS.get(typ, {}).items():
            if inputs.get(key) is None:
                added[key] = value
        return added

    def default_tags(self) -> dict[str, Any] | None:
        """The provider's ``aws:defaultTags`` tags ({} when unset; None when not readable)."""
        try:
            raw = pulumi.runtime.get_config("aws:defaultTags")
        except Exception:  # no runtime configured
            raw = None
        if not raw:
            return {}
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return None
        tags = value.get("tags") if isinstance(value, dict) else None
        return dict(tags) if isinstance(tags, dict) else {}

    def tags_all(self, tags: Any) -> dict[str, Any] | None:
        """``tagsAll`` as the plan knows it from ``tags``; None if unknown."""
        return self._tags_all(tags)

    def _tags_all(self, tags: Any) -> dict[str, Any] | None:
        """``tagsAll`` as the plan knows it: default tags overlaid by ``tags``; None if unknown."""
        defaults = self.default_tags()
        if defaults is None or _is_unknown(tags):
            return None
        if tags is None:
            return defaults
        if not isinstance(tags, dict) or any(_is_unknown(v) for v in tags.values()):
            return None
        return {**defaults, **tags}

    def _arn(self, typ: str, name: str, rid: str) -> str:
        service, prefix = _ARN_SHAPES.get(typ, (typ.split(":")[1].split("/")[0], "resource/"))
        if service == "iam":
            return f"arn:aws:iam::{ACCOUNT_ID}:{prefix}{name}"
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{prefix}{rid}"

    def _host_in_subnet(self, subnet_id: Any) -> str:
        """Next host address (.10, .11, ...) of the subnet with this id. Caller holds the lock."""
        cidr = self._subnet_cidrs.get(subnet_id) if isinstance(subnet_id, str) else None
        if cidr is None:  # subnet not registered through these mocks (e.g. a literal id in a test)
            self._fallback_hosts += 1
            return str(ipaddress.ip_address("172.31.0.9") + self._fallback_hosts)
        net = ipaddress.ip_network(cidr, strict=False)
        offset = self._next_host.get(subnet_id, 10)
        if offset >= net.num_addresses - 1:  # AWS reserves the last address
            raise ValueError(f"mock subnet {subnet_id} ({cidr}) has no free host address left")
        self._next_host[subnet_id] = offset + 1
        return str(net.network_address + offset)

    def _next_public_ip(self) -> str:
        n = self._eip_count
        self._eip_count += 1
        if n < 250:
            return f"203.0.113.{n + 1}"
        if n < 500:
            return f"198.51.100.{n - 249}"
        raise ValueError("mock public address pool exhausted (500 EIPs)")

    @staticmethod
    def _dns(ip: str, region: str, public: bool) -> str:
        label = ip.replace(".", "-")
        if public:
            return f"ec2-{label}.{region}.compute.amazonaws.com"
        return f"ip-{label}.{region}.compute.internal"

    # ------------------------------------------------------------ resources
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
        rid = args.resource_id or f"{name}-id"
        if args.custom is False:  # component resource: no id, outputs are what it registers
            return "", inputs
        if typ.startswith("pulumi:providers:"):  # explicit provider: no computed outputs
            return ("" if self.preview else rid), inputs
        added = self.check_additions(typ, name, inputs)
        inputs.update(added)
        with self._lock:
            self.checked[(typ, name)] = added
            computed = self._computed(typ, name, rid, inputs)
        outputs = dict(inputs)
        if self.preview:
            try:
                always = aws_schema.schema(typ).always | {"id"}
            except aws_schema.UnknownTypeError:  # not a pulumi-aws type: what _computed knows
                always = frozenset(computed)
            for key in always:
                if key in _PLAN_KNOWS or (key in inputs and inputs[key] is not None):
                    continue
                outputs[key] = UNKNOWN
            tags_all = self._tags_all(inputs.get("tags"))
            if tags_all is not None:
                outputs["tagsAll"] = tags_all
            else:
                outputs.pop("tagsAll", None)
                if "tagsAll" in always:
                    outputs["tagsAll"] = UNKNOWN
            return ("" if not args.resource_id else rid), outputs
        tags_all = self._tags_all(inputs.get("tags"))
        if tags_all is not None:
            computed["tagsAll"] = tags_all
        for key, value in computed.items():
            if key not in inputs or inputs[key] is None:
                outputs[key] = value
        return rid, outputs

    def _computed(self, typ: str, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The provider-computed outputs of one resource (update-mode values)."""
        out: dict[str, Any] = {"id": rid, "arn": self._arn(typ, name, rid)}
        if typ.startswith("aws:ec2/") or typ.startswith("aws:vpc/"):
            out["ownerId"] = ACCOUNT_ID

        if typ == "aws:ec2/vpc:Vpc":
            out.update(
                defaultSecurityGroupId=f"{name}-default-sg-id",
                defaultRouteTableId=f"{name}-default-rtb-id",
                mainRouteTableId=f"{name}-main-rtb-id",
                defaultNetworkAclId=f"{name}-default-acl-id",
                dhcpOptionsId=f"{name}-dopt-id",
            )
            if inputs.get("assignGeneratedIpv6CidrBlock") is True:
                out.update(ipv6CidrBlock=VPC_IPV6_BLOCK, ipv6AssociationId=f"{name}-v6assoc-id")
        elif typ == "aws:ec2/subnet:Subnet":
            cidr = inputs.get("cidrBlock")
            if isinstance(cidr, str) and not _is_unknown(cidr):
                self._subnet_cidrs[rid] = cidr
            if _known(inputs.get("availabilityZone")):
                out["availabilityZoneId"] = (
                    f"apne2-az{ord(str(inputs['availabilityZone'])[-1]) - 96}"
                )
        elif typ == "aws:ec2/instance:Instance":
            private_ip = inputs.get("privateIp")
            if not _known(private_ip):
                private_ip = self._instance_ips.get(rid) or self._host_in_subnet(
                    inputs.get("subnetId")
                )
            self._instance_ips[rid] = str(private_ip)
            public = inputs.get("associatePublicIpAddress") is True
            public_ip = self._next_public_ip() if public else ""
            v6_count = inputs.get("ipv6AddressCount")
            if isinstance(v6_count, (int, float)) and v6_count > 0:
                out["ipv6Addresses"] = [
                    str(ipaddress.ip_address("2406:da12:7a3:a100::1000") + len(self._instance_ips))
                ]
            out.update(
                privateIp=private_ip,
                privateDns=self._dns(str(private_ip), self.region, public=False),
                publicIp=public_ip,
                publicDns=self._dns(public_ip, self.region, public=True) if public else "",
                primaryNetworkInterfaceId=f"{name}-eni-id",
                instanceState="running",
            )
        elif typ == "aws:ec2/spotInstanceRequest:SpotInstanceRequest":
            # The request's instance once fulfilled: terraform-provider-aws
            # internal/service/ec2/ec2_spot_instance_request.go (Read) sets spot_instance_id
            # from InstanceId, which "is not set if the request is still pending"; Create waits
            # for fulfilment only with wait_for_fulfillment.
            if inputs.get("waitForFulfillment") is True:
                out["spotInstanceId"] = f"{name}-instance-id"
        elif typ == "aws:ec2/eip:Eip":
            public_ip = self._next_public_ip()
            self._eip_ips[rid] = public_ip
            out.update(
                allocationId=rid,
                publicIp=public_ip,
                publicDns=self._dns(public_ip, self.region, public=True),
                domain=inputs.get("domain") or "vpc",
            )
            instance = inputs.get("instance")
            if isinstance(instance, str) and instance in self._instance_ips:
                out["privateIp"] = self._instance_ips[instance]
                out["associationId"] = f"{name}-eipassoc-id"
        elif typ == "aws:ec2/natGateway:NatGateway":
            allocation = inputs.get("allocationId")
            public_ip = (
                self._eip_ips.get(allocation) if isinstance(allocation, str) else None
            ) or self._next_public_ip()
            out.update(
                publicIp=public_ip,
                privateIp=self._host_in_subnet(inputs.get("subnetId")),
                networkInterfaceId=f"{name}-eni-id",
            )
        elif typ == "aws:ec2/networkInterface:NetworkInterface":
            private_ip = self._host_in_subnet(inputs.get("subnetId"))
            out.update(
                privateIp=private_ip,
                privateIps=[private_ip],
                privateDnsName=self._dns(private_ip, self.region, public=False),
                macAddress="02:00:00:" + ":".join(_short_hash(name)[i : i + 2] for i in (0, 2, 4)),
            )
        elif typ == "aws:ec2/launchTemplate:LaunchTemplate":
            out.update(latestVersion=1, defaultVersion=1)
        elif typ == "aws:iam/instanceProfile:InstanceProfile":
            out["name"] = inputs.get("name") or f"{name}-{_short_hash(name)}"
            out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{out['name']}"
        elif typ == "aws:ec2/securityGroup:SecurityGroup":
            out["name"] = inputs.get("name") or f"{name}-{_short_hash(name)}"
        elif typ in (
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        ):
            out["securityGroupRuleId"] = rid
        elif typ == "aws:ec2/keyPair:KeyPair":
            out.update(keyPairId=rid, fingerprint=_fingerprint(inputs.get("publicKey")))
            out["keyName"] = inputs.get("keyName") or f"{name}-{_short_hash(name)}"
        elif typ == "aws:iam/role:Role":
            out.update(
                name=inputs.get("name") or f"{name}-{_short_hash(name)}",
                uniqueId=f"AROA{_short_hash(name).upper()}",
            )
            out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{out['name']}"
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            out["name"] = inputs.get("name") or f"{name}-{_short_hash(name)}"
            out["arn"] = f"arn:aws:logs:{self.region}:{ACCOUNT_ID}:log-group:{out['name']}"
        return out

    # -------------------------------------------------------------- invokes
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = {
            "aws:ec2/getAmi:getAmi": self._get_ami,
            "aws:index/getAvailabilityZones:getAvailabilityZones": self._get_azs,
            "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/review",
                "userId": "AIDAREVIEW",
                "id": ACCOUNT_ID,
            },
            "aws:index/getRegion:getRegion": lambda a: {
                "name": self.region,
                "region": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
            },
            "aws:index/getPartition:getPartition": lambda a: {
                "partition": "aws",
                "id": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            },
            "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
        }.get(args.token)
        if handler is None:
            raise UnsupportedInvokeError(
                f"AwsMocks has no mock for invoke {args.token!r}; supported: "
                f"{', '.join(sorted(SUPPORTED_INVOKES))}. Add one in review/mocks.py."
            )
        # The SDK iterates the failures list: return [] rather than None.
        return handler(dict(args.args)), []

    def _get_ami(self, a: dict[str, Any]) -> dict[str, Any]:
        arch = "x86_64"
        for f in a.get("filters") or []:
            values = [str(v) for v in (f.get("values") or [])]
            if f.get("name") == "architecture" and values:
                arch = values[0]
            elif f.get("name") == "name" and any("arm64" in v for v in values):
                arch = "arm64"
        owner = CANONICAL_OWNER_ID
        name = UBUNTU_2404_AMI_NAME.format(arch="arm64" if arch == "arm64" else "amd64")
        if any(
            str(v).startswith("al2023-")
            for f in a.get("filters") or []
            if f.get("name") == "name"
            for v in f.get("values") or []
        ):  # Amazon Linux 2023 (the NAT instance): owner alias "amazon"
            owner, name = AMAZON_OWNER_ID, AL2023_AMI_NAME.format(arch=arch)
        image_id = "ami-0" + hashlib.sha256(name.encode()).hexdigest()[:16]
        return {
            "id": image_id,
            "imageId": image_id,
            "name": name,
            "architecture": arch,
            "ownerId": owner,
            "owners": a.get("owners") or [owner],
            "mostRecent": bool(a.get("mostRecent")),
            "rootDeviceName": "/dev/xvda" if owner == AMAZON_OWNER_ID else "/dev/sda1",
            "rootDeviceType": "ebs",
            "virtualizationType": "hvm",
            "state": "available",
            "arn": f"arn:aws:ec2:{self.region}::image/{image_id}",
        }

    def _get_azs(self, a: dict[str, Any]) -> dict[str, Any]:
        names = [f"{self.region}{s}" for s in ("a", "b", "c", "d")]
        return {
            "id": self.region,
            "names": names,
            "zoneIds": [f"apne2-az{i}" for i in range(1, len(names) + 1)],
            "state": a.get("state") or "available",
            "groupNames": [self.region],
        }


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:7]


def _fingerprint(public_key: Any) -> str:
    digest = hashlib.md5(str(public_key).encode(), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def _policy_document(a: dict[str, Any]) -> dict[str, Any]:
    """aws.iam.get_policy_document: render the statements as IAM JSON."""
    statements = []
    for s in a.get("statements") or []:
        st: dict[str, Any] = {}
        if s.get("sid"):
            st["Sid"] = s["sid"]
        st["Effect"] = s.get("effect") or "Allow"
        for key, wire in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            values = s.get(key)
            if values:
                st[wire] = values[0] if len(values) == 1 else sorted(values)
        for key, wire in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            principals = s.get(key)
            if principals:
                by_type: dict[str, Any] = {}
                for p in principals:
                    ids = p.get("identifiers") or []
                    by_type[p.get("type")] = ids[0] if len(ids) == 1 else sorted(ids)
                st[wire] = by_type
        conditions = s.get("conditions")
        if conditions:
            cond: dict[str, dict[str, Any]] = {}
            for c in conditions:
                values = c.get("values") or []
                cond.setdefault(c.get("test"), {})[c.get("variable")] = (
                    values[0] if len(values) == 1 else values
                )
            st["Condition"] = cond
        statements.append(st)
    doc = {"Version": a.get("version") or "2012-10-17", "Statement": statements}
    text = json.dumps(doc, indent=2)
    return {
        "id": _short_hash(text),
        "json": text,
        "minifiedJson": json.dumps(doc, separators=(",", ":")),
    }
