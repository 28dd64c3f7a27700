"""Stage 4, front doors: services outside the VPC that take connections from the internet and
hand them to a balancer or an interface inside it, one ``DOORS`` entry each.

An entry reads its resource into :class:`Entry` values: the resource a finding is reported on,
the protocol and ports the internet reaches, the properties naming what it hands traffic to
(its backends), the groups that traffic carries, and where "anything" lies when a backend is
not a resource of the stack. :func:`build_doors` resolves every entry the same way: a load
balancer is chained through its listeners on those ports (:func:`.forwarders.chain`), a
listener hands to its own targets, an instance or an Elastic IP's holder is the target itself,
and an unresolvable backend is every interface where it may lie, with the value named. API
Gateway and CloudFront are proxies and Client VPN a source NAT: a target they reach directly
sees their interfaces' addresses and groups, never the client's address, so a rule admitting an
internet CIDR admits none of their traffic (Global Accelerator may keep the client's address, so
both readings hold there). Read from pulumi-aws 7.x's SDK (argument names) and the AWS
documentation (semantics):

* API Gateway REST APIs: ``apigateway.VpcLink.targetArn`` names an NLB; any REST API of the
  account may route to any of its listeners through the link, so the link alone is the door.
  ``apigateway.Integration`` with ``connectionType`` ``VPC_LINK`` and ``integrationTarget`` (a
  VPC link V2) names an ALB or NLB, on the port of its ``uri``.
* HTTP APIs: ``apigatewayv2.Integration`` with ``connectionType`` ``VPC_LINK`` names in
  ``integrationUri`` an ALB/NLB listener, or a Cloud Map service (any address of the link's
  VPC); the traffic carries the ``apigatewayv2.VpcLink``'s ``securityGroupIds``
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-private.html).
* ``cloudfront.VpcOrigin``: ``vpcOriginEndpointConfig.arn`` names an ALB, NLB or EC2 instance,
  internal and in a private subnet included, on ``httpPort``/``httpsPort`` by
  ``originProtocolPolicy``; the traffic carries CloudFront's service-managed group
  (``CloudFront-VPCOrigins-Service-SG``, outside the stack)
  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html).
* ``globalaccelerator.EndpointGroup``: ``endpointConfigurations[].endpointId`` names an ALB
  (internal included), an NLB, an instance or an Elastic IP allocation, on its listener's
  ``portRanges`` mapped by ``portOverrides``; client IP preservation (ALB, instance, NLB with
  groups) keeps the client's address, and otherwise traffic arrives from Global Accelerator's
  interfaces in the VPC, so both readings are kept
  (https://docs.aws.amazon.com/global-accelerator/latest/dg/preserve-client-ip-address.html).
* ``ec2clientvpn.Endpoint``: its users connect from any address (never the office list) and
  reach every interface of its VPC through its interfaces in the associated subnets, which
  carry ``securityGroupIds`` (the VPC's default group when none is set); authorization rules
  are an identity check, not a network one, and are not relied on
  (https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/client-authorization.html).
  Its exposures are of kind ``vpn``: a question for the bastion's office list, not an
  anonymous door into the private tier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlparse

from ..records import (
    APIGW_INTEGRATION,
    APIGW_VPC_LINK,
    APIGWV2_INTEGRATION,
    APIGWV2_VPC_LINK,
    CLIENT_VPN_ASSOCIATION,
    CLIENT_VPN_ENDPOINT,
    CLOUDFRONT_VPC_ORIGIN,
    EIP,
    EIP_ASSOCIATION,
    GA_ENDPOINT_GROUP,
    GA_LISTENER,
    INSTANCE,
    LB,
    LB_LISTENER,
    SPOT_INSTANCE_REQUEST,
    SUBNET,
    VPC,
    Res,
    ids,
    is_unknown,
    number,
)
from .common import ALL_PORTS, IFACE_REF, LB_REF, SG_REF, as_list, describe
from .forwarders import FORWARDER_BUILDERS, INTERNET, LISTENER_REF, Span, chain
from .nodes import Forwarder, Interface, Listener, Target

if TYPE_CHECKING:
    from .model import NetworkModel

_OWN: Final = frozenset({CLIENT_VPN_ENDPOINT, CLIENT_VPN_ASSOCIATION})
BACKEND_REF: Final[dict[str, str | tuple[str, ...]]] = {
    **LB_REF,
    **LISTENER_REF,
    INSTANCE: ("arn", "id"),
    SPOT_INSTANCE_REQUEST: "spotInstanceId",
    EIP: ("allocationId", "id"),
}


@dataclass
class Entry:
    """One way in through a front door (see the module docstring)."""

    listener: Res  # the resource findings are reported on
    protocol: str  # tcp | udp | all
    spans: list[Span] | None  # the ports the internet reaches on the backend; None: any
    backends: list[tuple[str, Any]]  # (property, value) naming what it hands traffic to
    groups: list[Res] = field(default_factory=list)  # the groups its traffic carries
    groups_unknown: list[str] = field(default_factory=list)
    foreign_groups: bool = False  # the service's own group lives outside the stack
    sources: list[str] = field(default_factory=lambda: list(INTERNET))
    scope: list[Res] = field(default_factory=list)  # the VPCs it reaches ([]: the stack's)
    everywhere: bool = False  # it reaches every interface of ``scope`` (Client VPN)
    anything: str = ""  # a backend outside the stack may be any interface of ``scope``: why
    uncertain: list[str] = field(default_factory=list)
    ports_text: tuple[int | None, int | None] = (None, None)  # for messages


@dataclass(frozen=True)
class Door:
    words: str
    kind: str
    read: Callable[[NetworkModel, Res], list[Entry]]
    exposure: str = "forwarder"
    # The door's own interfaces are the source its targets see (a proxy, a source NAT): API
    # Gateway, CloudFront and Client VPN. Global Accelerator may keep the client's address.
    proxies: bool = True


def build_doors(model: NetworkModel) -> list[Forwarder]:
    out: list[Forwarder] = []
    by_res: dict[str, tuple[Forwarder, int | None]] = {}  # balancer or listener -> (fwd, port)
    for f in model.load_balancers:
        if f.kind in ("alb", "nlb", "gwlb") and f.behind is None:
            by_res[f.res.urn] = (f, None)
            for li in f.listeners:
                by_res[li.res.urn] = (f, li.port)
    for typ, door in DOORS.items():
        for res in model.index.of_type(typ):
            for entry in door.read(model, res):
                out += _resolve(model, door, res, entry, by_res)
    return out


def _resolve(model: NetworkModel, door: Door, res: Res, entry: Entry,
             by_res: dict[str, tuple[Forwarder, int | None]]) -> list[Forwarder]:
    ix = model.index
    out: list[Forwarder] = []
    lo, hi = entry.ports_text
    spans = entry.spans if entry.spans is not None else [ALL_PORTS]
    direct: list[Target] = []
    if entry.everywhere:
        direct += [Target(i, a, [res], b) for i in _in_scope(model, entry.scope)
                   for a, b in spans]
    unresolved: list[str] = []
    for key, value in entry.backends:
        ref = ix.ref(res, key, BACKEND_REF, value, use_value=True)
        for t in ref.targets:
            if t.type in LB or t.type in LB_LISTENER:
                found = by_res.get(t.urn)
                if found is None:
                    continue
                lb, port = found
                ports = [(port, port)] if port is not None else entry.spans
                fwd = chain(model, res, entry.listener, kind=door.kind, facing=True,
                            sources=entry.sources, uncertain=entry.uncertain, lb=lb,
                            ports=ports, protocol=entry.protocol, via=[res], port=lo,
                            port_hi=hi, words=door.words)
                if fwd is not None:
                    fwd.exposure = door.exposure
                    out.append(fwd)
                continue
            for iface in _holders(model, t):
                direct += [Target(iface, a, [res, t], b) for a, b in spans]
        if ref.unknown or (ref.external and entry.anything):
            unresolved.append(f"{key} of {describe(res)}" + (
                f" ({entry.anything})" if entry.anything and not ref.unknown else
                " (unknown during preview)"))
    if unresolved:  # any interface where the backend may lie
        direct += [Target(i, a, [res], b, unresolved)
                   for i in _in_scope(model, entry.scope) for a, b in spans]
    if direct:
        out.append(Forwarder(res, door.kind, True,
                             [Listener(entry.listener, entry.protocol, lo, direct,
                                       list(entry.uncertain), hi)],
                             entry.groups, entry.groups_unknown, False, [],
                             sources=entry.sources, words=door.words,
                             foreign_groups=entry.foreign_groups, exposure=door.exposure,
                             client_addresses=not door.proxies))
    return out


def _holders(model: NetworkModel, res: Res) -> list[Interface]:
    """The interface an instance, spot request or Elastic IP hands traffic to."""
    if res.type != EIP:
        return model.interface_of(res)[:1]
    ix = model.index
    found: list[Interface] = []
    for key, targets in (("instance", {INSTANCE: "id"}), ("networkInterface", IFACE_REF)):
        for t in ix.ref(res, key, targets).targets:
            found += model.interface_of(t)[:1]
    for assoc in _referrers(model, EIP_ASSOCIATION, "allocationId",
                            {EIP: ("allocationId", "id")}).get(res.urn, []):
        for key, targets in (("instanceId", {INSTANCE: "id"}),
                             ("networkInterfaceId", IFACE_REF)):
            for t in ix.ref(assoc, key, targets).targets:
                found += model.interface_of(t)[:1]
    return found


def _in_scope(model: NetworkModel, vpcs: list[Res]) -> list[Interface]:
    """Every interface of ``vpcs`` (of the stack when none is known), but a Client VPN
    endpoint's own (interfaces by VPC are indexed once per model)."""
    by_vpc: dict[str, list[Interface]] = _memo(model, "interfaces-by-vpc",
                                               lambda: _by_vpc(model))
    found = [i for v in vpcs for i in by_vpc.get(v.urn, [])] if vpcs else model.interfaces
    return [i for i in found if i.owner.type not in _OWN]


def _by_vpc(model: NetworkModel) -> dict[str, list[Interface]]:
    out: dict[str, list[Interface]] = {}
    for i in model.interfaces:
        if i.subnet is not None and i.subnet.vpc is not None:
            out.setdefault(i.subnet.vpc.urn, []).append(i)
    return out


def _referrers(model: NetworkModel, typ: str, key: str, targets: Mapping[str, Any]
               ) -> dict[str, list[Res]]:
    """target urn -> the resources of ``typ`` whose ``key`` names it (indexed once)."""
    def build() -> dict[str, list[Res]]:
        out: dict[str, list[Res]] = {}
        for r in model.index.of_type(typ):
            for t in model.index.ref(r, key, targets).targets:
                out.setdefault(t.urn, []).append(r)
        return out
    found: dict[str, list[Res]] = _memo(model, f"{typ}:{key}", build)
    return found


def _memo(model: NetworkModel, key: str, factory: Callable[[], Any]) -> Any:
    """A value built once per model (not per Index: two models of one stack keep their own
    interfaces)."""
    memo: dict[str, Any] = model.__dict__.setdefault("_doors_memo", {})
    if key not in memo:
        memo[key] = factory()
    return memo[key]


def _port(value: Any) -> int | None:
    n = number(value)
    return int(n) if isinstance(n, float) else None


# ---------------------------------------------------------------------------------------------
# The doors


def _rest_vpc_link(model: NetworkModel, link: Res) -> list[Entry]:
    return [Entry(link, "tcp", None, [("targetArn", v) for v in as_list(link.get("targetArn"))])]


def _vpc_link_integration(integration: Res) -> bool:
    kind = integration.get("connectionType")
    if is_unknown(kind):
        return integration.declared("connectionType")
    return isinstance(kind, str) and kind.upper() == "VPC_LINK"


def _rest_integration(model: NetworkModel, integ: Res) -> list[Entry]:
    target = integ.get("integrationTarget")
    if not _vpc_link_integration(integ) or target in (None, "") or (
            is_unknown(target) and not integ.declared("integrationTarget")):
        return []
    port: int | None = None
    uri = integ.get("uri")
    if isinstance(uri, str):
        parsed = urlparse(uri)
        try:
            port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
        except ValueError:
            port = None
    spans = [(port, port)] if port is not None else None
    return [Entry(integ, "tcp", spans, [("integrationTarget", target)], ports_text=(port, port))]


def _http_integration(model: NetworkModel, integ: Res) -> list[Entry]:
    uri = integ.get("integrationUri")
    if not _vpc_link_integration(integ) or uri in (None, "") or (
            is_unknown(uri) and not integ.declared("integrationUri")):
        return []
    ix = model.index
    links = ix.ref(integ, "connectionId", ids(APIGWV2_VPC_LINK))
    groups: list[Res] = []
    gunknown: list[str] = []
    vpcs: list[Res] = []
    for link in links.targets:
        g, u, declared = model.filters.groups(link, "securityGroupIds", SG_REF)
        subnets = [model.subnets[s.urn] for s in ix.ref(link, "subnetIds", ids(SUBNET)).targets
                   if s.urn in model.subnets]
        groups += g if declared else [s.vpc for s in subnets[:1] if s.vpc is not None]
        gunknown += u
        vpcs += [s.vpc for s in subnets if s.vpc is not None and s.vpc not in vpcs]
    if not links.targets:
        gunknown.append(f"the VPC link (connectionId) of {describe(integ)}")
    return [Entry(integ, "tcp", None, [("integrationUri", uri)], groups, gunknown,
                  scope=vpcs, anything="a Cloud Map service or a value this stack does not "
                  "declare: any address of the VPC link's VPC")]


def _vpc_origin(model: NetworkModel, origin: Res) -> list[Entry]:
    out: list[Entry] = []
    for cfg in as_list(origin.get("vpcOriginEndpointConfig")):
        if not isinstance(cfg, dict):
            out.append(Entry(origin, "tcp", None, [("vpcOriginEndpointConfig", cfg)],
                             foreign_groups=True))
            continue
        policy = cfg.get("originProtocolPolicy")
        wanted = {"http-only": ("httpPort",), "https-only": ("httpsPort",)}.get(
            policy if isinstance(policy, str) else "", ("httpPort", "httpsPort"))
        ports = [_port(cfg.get(k)) for k in wanted]
        spans = None if None in ports else [(p, p) for p in ports if p is not None]
        shown = ports[0] if len(ports) == 1 else None
        out.append(Entry(origin, "tcp", spans, [("vpcOriginEndpointConfig", cfg.get("arn"))],
                         foreign_groups=True, ports_text=(shown, shown)))
    return out


def _endpoint_group(model: NetworkModel, group: Res) -> list[Entry]:
    ix = model.index
    listeners = ix.ref(group, "listenerArn", {GA_LISTENER: ("arn", "id")}).targets
    uncertain: list[str] = []
    spans: list[Span] | None = None
    protocol = "all"
    if listeners:
        spans = []
        raw = str(listeners[0].get("protocol") or "").lower()
        protocol = raw if raw in ("tcp", "udp") else "all"
        for r in as_list(listeners[0].get("portRanges")):
            lo, hi = (_port(r.get("fromPort")), _port(r.get("toPort"))) if isinstance(
                r, dict) else (None, None)
            if lo is None or hi is None:
                spans = None
                uncertain.append(f"the port ranges of {describe(listeners[0])}")
                break
            spans.append((lo, hi))
    else:
        uncertain.append(f"the listener of {describe(group)}")
    spans = _overridden(spans, group.get("portOverrides"), uncertain)
    backends = [("endpointConfigurations", c.get("endpointId") if isinstance(c, dict) else c)
                for c in as_list(group.get("endpointConfigurations"))]
    shown = spans[0] if spans and len(spans) == 1 else (None, None)
    return [Entry(group, protocol, spans, backends, foreign_groups=True, uncertain=uncertain,
                  ports_text=shown)]


def _overridden(spans: list[Span] | None, overrides: Any,
                uncertain: list[str]) -> list[Span] | None:
    """The endpoint ports of listener ``spans`` after ``portOverrides`` (listenerPort ->
    endpointPort): each overridden port is cut out of its range and its endpoint port added."""
    if spans is None or overrides is None:
        return spans
    moved: dict[int, int] = {}
    for o in as_list(overrides):
        lp, ep = (_port(o.get("listenerPort")), _port(o.get("endpointPort"))) if isinstance(
            o, dict) else (None, None)
        if lp is None or ep is None:
            uncertain.append("the port overrides of the endpoint group")
            return None
        moved[lp] = ep
    out: list[Span] = []
    for lo, hi in spans:
        cuts = sorted(p for p in moved if lo <= p <= hi)
        start = lo
        for p in cuts:
            if start <= p - 1:
                out.append((start, p - 1))
            out.append((moved[p], moved[p]))
            start = p + 1
        if start <= hi:
            out.append((start, hi))
    return out


def _client_vpn(model: NetworkModel, endpoint: Res) -> list[Entry]:
    ix = model.index
    vpcs = list(ix.ref(endpoint, "vpcId", ids(VPC)).targets)
    for assoc in _referrers(model, CLIENT_VPN_ASSOCIATION, "clientVpnEndpointId",
                            ids(CLIENT_VPN_ENDPOINT)).get(endpoint.urn, []):
        for s in ix.ref(assoc, "subnetId", ids(SUBNET)).targets:
            sub = model.subnets.get(s.urn)
            if sub is not None and sub.vpc is not None and sub.vpc not in vpcs:
                vpcs.append(sub.vpc)
    groups, gunknown, declared = model.filters.groups(endpoint, "securityGroupIds", SG_REF)
    if not declared:
        groups = list(vpcs)  # the VPC's default group (the VPC stands for it)
    uncertain = [] if vpcs else [f"the VPC of {describe(endpoint)}"]
    return [Entry(endpoint, "all", [ALL_PORTS], [], groups, gunknown,
                  sources=[f"Client VPN users of {describe(endpoint)} (from any address, not "
                           f"the office list)"], scope=vpcs, everywhere=True,
                  uncertain=uncertain)]


DOORS: Final[dict[str, Door]] = {
    APIGW_VPC_LINK: Door("API Gateway VPC link", "apigw", _rest_vpc_link),
    APIGW_INTEGRATION: Door("API Gateway integration", "apigw", _rest_integration),
    APIGWV2_INTEGRATION: Door("API Gateway integration", "apigw", _http_integration),
    CLOUDFRONT_VPC_ORIGIN: Door("CloudFront VPC origin", "cloudfront", _vpc_origin),
    GA_ENDPOINT_GROUP: Door("Global Accelerator endpoint group", "ga", _endpoint_group,
                            proxies=False),
    CLIENT_VPN_ENDPOINT: Door("Client VPN endpoint", "client-vpn", _client_vpn,
                              exposure="vpn"),
}

FORWARDER_BUILDERS.append(build_doors)
