"""The plan's monthly bill: priced from the recorded plan (``plan.ProgramRun`` of the update run,
where ids are known) and a dated price table per region (``review/prices/<region>.json``, which
names its sources and date).

What is priced, and how (AWS's own billing rules; hours per month as in the price table, 730):
- NAT gateways: per hour, plus data processed per GB at an assumed volume (``Usage``).
- NAT instances: an instance, or an Auto Scaling group's instances (desired capacity, else min
  size) through its launch template, tagged ``Role=nat`` or in an Auto Scaling group, priced as
  instances and listed under their own heading. No per-GB charge (AWS bills none; the data
  transfer out to the internet is the same with a gateway or an instance, so it is left out).
- Instances by type (Linux on-demand).
- Public IPv4 addresses, $0.005 an hour each since February 2024: every Elastic IP (attached or
  idle), and every auto-assigned public IP (``associatePublicIpAddress``, or the subnet's
  ``mapPublicIpOnLaunch``) of an instance that no Elastic IP replaces (AWS releases the
  auto-assigned address when an EIP is associated with the instance).
- Interface VPC endpoints: per hour per AZ (one per subnet), plus data per GB (assumed).
  Gateway endpoints (S3, DynamoDB) and EC2 Instance Connect Endpoints are free.
- EBS: gp3/gp2 GiB-months of root volumes (launch templates' included) and ``aws.ebs.Volume``.
- Flow logs to CloudWatch Logs (vended-logs ingestion) and other log groups (audit logs) at an
  assumed volume per month, plus storage at steady state for the group's retention.
- KMS customer managed keys, per key per month.
Anything else that bills by the hour and is not priced here is listed in ``unpriced``.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .index import PlanIndex, tags
from .plan import ProgramRun, RecordedResource

PRICES_DIR = Path(__file__).resolve().parent / "prices"

NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
INSTANCE = "aws:ec2/instance:Instance"
SUBNET = "aws:ec2/subnet:Subnet"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EBS_VOLUME = "aws:ebs/volume:Volume"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
ENI = "aws:ec2/networkInterface:NetworkInterface"

# Types that bill by the hour but that this estimate does not price (said, not hidden).
UNPRICED = {
    "aws:lb/loadBalancer:LoadBalancer": "load balancer hours and LCUs",
    "aws:alb/loadBalancer:LoadBalancer": "load balancer hours and LCUs",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": "spot instances (market price)",
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": "transit gateway attachment hours",
    "aws:rds/instance:Instance": "RDS instance hours",
    "aws:ec2/vpnConnection:VpnConnection": "VPN connection hours",
}


class PriceTableError(Exception):
    """No price table for the region, or one that is malformed."""


@dataclass(frozen=True)
class Usage:
    """Stated assumptions for what the plan cannot say: traffic and log volumes per month."""

    nat_gb_per_month: float = 20.0  # per NAT gateway: package updates of a few servers
    endpoint_gb_per_month: float = 1.0  # per interface endpoint
    flow_log_gb_per_month: float = 5.0  # per flow log
    audit_log_gb_per_month: float = 1.0  # per log group other than flow logs

    def to_dict(self) -> dict[str, float]:
        return {
            "natGbPerMonth": self.nat_gb_per_month,
            "interfaceEndpointGbPerMonth": self.endpoint_gb_per_month,
            "flowLogGbPerMonth": self.flow_log_gb_per_month,
            "auditLogGbPerMonth": self.audit_log_gb_per_month,
        }


@dataclass(frozen=True)
class PriceTable:
    region: str
    currency: str
    as_of: str
    source: tuple[str, ...]
    path: Path
    raw: dict[str, Any]

    @property
    def hours(self) -> float:
        return float(self.raw["hoursPerMonth"])

    def price(self, *keys: str) -> float:
        node: Any = self.raw
        for k in keys:
            node = node[k]
        return float(node)

    def instance_hourly(self, instance_type: str) -> float | None:
        value = self.raw["ec2PerHour"].get(instance_type)
        return float(value) if value is not None else None


REQUIRED_KEYS = (
    "region",
    "currency",
    "asOf",
    "source",
    "hoursPerMonth",
    "natGateway",
    "publicIpv4",
    "interfaceEndpoint",
    "ebs",
    "cloudwatchLogs",
    "kms",
    "ec2PerHour",
)


def load_prices(region: str, prices_dir: Path = PRICES_DIR) -> PriceTable:
    path = prices_dir / f"{region}.json"
    if not path.exists():
        have = ", ".join(sorted(p.stem for p in prices_dir.glob("*.json")))
        raise PriceTableError(
            f"{path}: no price table for region {region!r} (have: {have}); copy one and fill "
            "it from https://aws.amazon.com/ec2/pricing/on-demand/ and the other pages it names"
        )
    raw = json.loads(path.read_text())
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing or raw.get("region") != region:
        raise PriceTableError(f"{path}: missing keys {missing} or region is not {region!r}")
    return PriceTable(
        region=region,
        currency=raw["currency"],
        as_of=raw["asOf"],
        source=tuple(raw["source"]),
        path=path,
        raw=raw,
    )


@dataclass
class CostItem:
    kind: str  # natGateway | natInstance | instance | publicIpv4 | interfaceEndpoint | ebs | ...
    label: str
    resources: list[str]
    quantity: float
    unit: str
    unit_price: float
    assumption: str = ""

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "label": self.label,
            "resources": self.resources,
            "quantity": round(self.quantity, 4),
            "unit": self.unit,
            "unitPrice": self.unit_price,
            "monthlyUsd": round(self.monthly, 2),
        }
        if self.assumption:
            d["assumption"] = self.assumption
        return d


@dataclass
class Bill:
    region: str
    currency: str
    prices: PriceTable
    usage: Usage
    items: list[CostItem] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)

    @property
    def monthly(self) -> float:
        """The sum of the items as printed (each rounded to the cent), so the bill adds up."""
        return round(sum(round(i.monthly, 2) for i in self.items), 2)

    def total(self, *kinds: str) -> float:
        return round(sum(round(i.monthly, 2) for i in self.items if i.kind in kinds), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "monthlyUsd": self.monthly,
            "currency": self.currency,
            "region": self.region,
            "priceTable": {
                "file": f"review/prices/{self.prices.path.name}",
                "asOf": self.prices.as_of,
                "source": list(self.prices.source),
            },
            "assumptions": self.usage.to_dict(),
            "items": [i.to_dict() for i in self.items],
            "unpriced": self.unpriced,
        }

    def render(self, width: int = 100) -> list[str]:
        """The bill as text, no line wider than ``width``: assumptions are numbered notes."""
        out = [
            f"Estimated monthly bill, {self.region} on-demand {self.currency} "
            f"(prices: {self.prices.path.name} of {self.prices.as_of})"
        ]
        notes: list[str] = []
        label_w = max((len(i.label) for i in self.items), default=10) + 2
        for i in self.items:
            qty = f"{i.quantity:.5g} {i.unit} x ${i.unit_price:g}"
            mark = ""
            if i.assumption:
                if i.assumption not in notes:
                    notes.append(i.assumption)
                mark = f"  [{notes.index(i.assumption) + 1}]"
            out.append(f"    {i.label:<{label_w}}{qty:<26}${i.monthly:>8.2f}{mark}")
        out.append(f"    {'total':<{label_w}}{'':<26}${self.monthly:>8.2f} / month")
        for n, note in enumerate(notes, 1):
            out += textwrap.wrap(
                note, width=width, initial_indent=f"    [{n}] ", subsequent_indent="        "
            )
        for u in self.unpriced:
            out += textwrap.wrap(
                u, width=width, initial_indent="    not priced: ", subsequent_indent="        "
            )
        return out


# ------------------------------------------------------------------ plan reading
def _is_nat_tagged(*resources: RecordedResource | None) -> bool:
    for r in resources:
        if r is None:
            continue
        if tags(r).get("Role") == "nat":
            return True
        for spec in r.inputs.get("tagSpecifications") or []:
            if isinstance(spec, dict) and (spec.get("tags") or {}).get("Role") == "nat":
                return True
        asg_tags = r.inputs.get("tags")  # an Auto Scaling group's tags: [{key, value, ...}]
        for tag in asg_tags if isinstance(asg_tags, list) else []:
            if isinstance(tag, dict) and tag.get("key") == "Role" and tag.get("value") == "nat":
                return True
    return False


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return default
    return default


@dataclass
class _Compute:
    """One priced group of instances: a plain instance or an ASG's desired capacity."""

    name: str
    instance_type: str
    count: float
    nat: bool
    volumes: list[tuple[str, float]]  # (volume type, GiB) per instance
    public_ips: float  # auto-assigned public IPv4 addresses (total)


def _root_volume(block: Any) -> list[tuple[str, float]]:
    if isinstance(block, dict):
        return [(str(block.get("volumeType") or "gp3"), _num(block.get("volumeSize"), 8.0))]
    return [("gp3", 8.0)]  # AMI default (Ubuntu and Amazon Linux 2023: 8 GiB)


def _template_volumes(lt: RecordedResource) -> list[tuple[str, float]]:
    out = []
    for m in lt.inputs.get("blockDeviceMappings") or []:
        ebs = m.get("ebs") if isinstance(m, dict) else None
        if isinstance(ebs, dict):
            out.append((str(ebs.get("volumeType") or "gp3"), _num(ebs.get("volumeSize"), 8.0)))
    return out or [("gp3", 8.0)]


def _computes(plan: PlanIndex) -> Iterator[_Compute]:
    eip_targets: set[str] = set()
    for eip in plan.of(EIP):
        inst = plan.ref(eip, "instance")
        if inst is not None:
            eip_targets.add(inst.urn)
        eni = plan.ref(eip, "networkInterface")
        if eni is not None:
            eip_targets.add(eni.urn)
    for inst in plan.of(INSTANCE):
        subnet = plan.ref(inst, "subnetId")
        assoc = inst.inputs.get("associatePublicIpAddress")
        maps_public = subnet is not None and subnet.inputs.get("mapPublicIpOnLaunch") is True
        auto = assoc is True or (assoc is None and maps_public)
        primary = inst.outputs.get("primaryNetworkInterfaceId")
        has_eip = inst.urn in eip_targets or any(
            isinstance(primary, str) and eni.outputs.get("id") == primary
            for eni in plan.of(ENI)
            if eni.urn in eip_targets
        )
        yield _Compute(
            name=inst.name,
            instance_type=str(inst.inputs.get("instanceType")),
            count=1,
            nat=_is_nat_tagged(inst),
            volumes=_root_volume(inst.inputs.get("rootBlockDevice")),
            public_ips=1.0 if auto and not has_eip else 0.0,
        )
    for asg in plan.of(ASG):
        spec = asg.inputs.get("launchTemplate")
        lt = None
        if isinstance(spec, dict):
            value = spec.get("id") or spec.get("name")
            lt = plan.by_id.get(value) if isinstance(value, str) else None
            if lt is None:
                lt = next(
                    (r for r in plan.of(LAUNCH_TEMPLATE) if r.inputs.get("name") == value), None
                )
        if lt is None:
            deps = asg.property_dependencies.get("launchTemplate", [])
            lt = next((plan.by_urn[u] for u in deps if u in plan.by_urn), None)
        if lt is None or lt.type != LAUNCH_TEMPLATE:
            continue
        count = _num(asg.inputs.get("desiredCapacity"), _num(asg.inputs.get("minSize"), 1.0))
        public = any(
            isinstance(n, dict) and n.get("associatePublicIpAddress") in (True, "true")
            for n in lt.inputs.get("networkInterfaces") or []
        )
        yield _Compute(
            name=asg.name,
            instance_type=str(lt.inputs.get("instanceType")),
            count=count,
            # Tagged Role=nat on the group, the template or its tag specifications (issue 9's
            # NAT instance); other groups are priced as ordinary instances.
            nat=_is_nat_tagged(asg, lt),
            volumes=_template_volumes(lt),
            public_ips=count if public else 0.0,
        )


def _retention_months(group: RecordedResource | None) -> float:
    days = _num(group.inputs.get("retentionInDays"), 0.0) if group else 0.0
    return (days if days > 0 else 365.0) / (365.0 / 12)


def estimate(run: ProgramRun, usage: Usage | None = None, prices: PriceTable | None = None) -> Bill:
    """The plan's monthly bill. ``run`` should be the update run (ids known); references are
    also followed through property dependencies, so a preview run prices the same items."""
    usage = usage or Usage()
    region = run.config.get("aws:region", "")
    prices = prices or load_prices(region)
    plan = PlanIndex(run)
    h = prices.hours
    bill = Bill(region=prices.region, currency=prices.currency, prices=prices, usage=usage)
    add = bill.items.append

    # NAT gateways
    nats = plan.of(NAT_GATEWAY)
    if nats:
        add(
            CostItem(
                "natGateway",
                "NAT gateway hours",
                [r.name for r in nats],
                len(nats) * h,
                "h",
                prices.price("natGateway", "perHour"),
            )
        )
        gb = len(nats) * usage.nat_gb_per_month
        add(
            CostItem(
                "natGatewayData",
                "NAT gateway data",
                [r.name for r in nats],
                gb,
                "GB",
                prices.price("natGateway", "perGbProcessed"),
                f"assumed {usage.nat_gb_per_month:g} GB/month per NAT gateway",
            )
        )

    # Instances (NAT instances first, then by type)
    computes = list(_computes(plan))
    by_type: dict[tuple[bool, str], list[_Compute]] = {}
    for c in computes:
        by_type.setdefault((c.nat, c.instance_type), []).append(c)
    for (nat, itype), same in sorted(by_type.items(), key=lambda kv: (not kv[0][0], kv[0][1])):
        rate = prices.instance_hourly(itype)
        names = [c.name for c in same]
        if rate is None:
            bill.unpriced.append(
                f"{itype} ({', '.join(names)}): not in {prices.path.name}; add its hourly price"
            )
            continue
        count = sum(c.count for c in same)
        add(
            CostItem(
                "natInstance" if nat else "instance",
                f"NAT instance {itype}" if nat else f"instances {itype}",
                names,
                count * h,
                "h",
                rate,
            )
        )

    # Public IPv4 addresses
    eips = plan.of(EIP)
    auto = [(c.name, c.public_ips) for c in computes if c.public_ips]
    n_ips = len(eips) + sum(n for _, n in auto)
    if n_ips:
        add(
            CostItem(
                "publicIpv4",
                "public IPv4 addresses",
                [r.name for r in eips] + [f"{name} (auto-assigned)" for name, _ in auto],
                n_ips * h,
                "h",
                prices.price("publicIpv4", "perHour"),
            )
        )

    # Interface VPC endpoints
    interface = [
        r for r in plan.of(VPC_ENDPOINT) if str(r.inputs.get("vpcEndpointType")) == "Interface"
    ]
    if interface:
        azs = sum(max(1, len(r.inputs.get("subnetIds") or [])) for r in interface)
        add(
            CostItem(
                "interfaceEndpoint",
                "interface endpoint hours",
                [r.name for r in interface],
                azs * h,
                "AZ-h",
                prices.price("interfaceEndpoint", "perHourPerAz"),
            )
        )
        gb = len(interface) * usage.endpoint_gb_per_month
        add(
            CostItem(
                "interfaceEndpointData",
                "interface endpoint data",
                [r.name for r in interface],
                gb,
                "GB",
                prices.price("interfaceEndpoint", "perGbProcessed"),
                f"assumed {usage.endpoint_gb_per_month:g} GB/month per endpoint",
            )
        )

    # EBS
    gib: dict[str, float] = {}
    names_by_vt: dict[str, list[str]] = {}
    for c in computes:
        for vt, size in c.volumes:
            gib[vt] = gib.get(vt, 0.0) + size * c.count
            names_by_vt.setdefault(vt, []).append(c.name)
    for vol in plan.of(EBS_VOLUME):
        vt = str(vol.inputs.get("type") or "gp3")
        gib[vt] = gib.get(vt, 0.0) + _num(vol.inputs.get("size"), 0.0)
        names_by_vt.setdefault(vt, []).append(vol.name)
    for vt, size in sorted(gib.items()):
        key = f"{vt}PerGbMonth"
        if key not in prices.raw["ebs"]:
            bill.unpriced.append(f"EBS {vt} ({size:g} GiB): not in {prices.path.name}")
            continue
        add(
            CostItem(
                "ebs",
                f"EBS {vt}",
                names_by_vt[vt],
                size,
                "GiB-mo",
                prices.price("ebs", key),
            )
        )

    # Logs: flow logs (vended) and every other log group (audit)
    flow_groups: set[str] = set()
    flow_logs = []
    for fl in plan.of(FLOW_LOG):
        dest_type = fl.inputs.get("logDestinationType") or "cloud-watch-logs"
        if dest_type != "cloud-watch-logs":
            bill.unpriced.append(f"flow log {fl.name} to {dest_type}")
            continue
        group = plan.ref(fl, "logDestination") or plan.ref(fl, "logGroupName")
        if group is not None:
            flow_groups.add(group.urn)
        flow_logs.append((fl, group))
    def log_items(
        kind: str,
        label: str,
        ingest_key: str,
        gb: float,
        names: list[str],
        group: RecordedResource | None,
    ) -> None:
        """Ingestion at the assumed volume, and storage at steady state for the retention."""
        for item_kind, what, quantity, unit, price, note in (
            (kind, "ingestion", gb, "GB", ingest_key, f"assumed {gb:g} GB/month"),
            (
                f"{kind}Storage",
                "storage",
                gb * _retention_months(group),
                "GB-mo",
                "storagePerGbMonth",
                "stored: monthly GB x retention months, before compression",
            ),
        ):
            unit_price = prices.price("cloudwatchLogs", price)
            add(
                CostItem(
                    item_kind,
                    f"{label} {what}",
                    names if what == "ingestion" else [group.name if group else names[0]],
                    quantity,
                    unit,
                    unit_price,
                    note,
                )
            )

    for fl, group in flow_logs:
        flow_gb = usage.flow_log_gb_per_month
        log_items("flowLogs", "flow logs", "vendedIngestPerGb", flow_gb, [fl.name], group)
    for group in plan.of(LOG_GROUP):
        if group.urn not in flow_groups:
            audit_gb = usage.audit_log_gb_per_month
            log_items("auditLogs", "audit logs", "ingestPerGb", audit_gb, [group.name], group)

    keys = plan.of(KMS_KEY)
    if keys:
        add(
            CostItem(
                "kms",
                "KMS keys",
                [k.name for k in keys],
                len(keys),
                "key-mo",
                prices.price("kms", "perKeyMonth"),
            )
        )

    seen: set[str] = set()
    for r in plan.resources:
        if r.type in UNPRICED and r.type not in seen:
            seen.add(r.type)
            n = len(plan.of(r.type))
            bill.unpriced.append(f"{n} x {r.type}: {UNPRICED[r.type]}")
    return bill


def known_regions(prices_dir: Path = PRICES_DIR) -> Iterable[str]:
    return sorted(p.stem for p in prices_dir.glob("*.json"))
