"""Stage 3, an extension of gateways (issue 9): a NAT instance (fck-nat style) is NAT only when
it is one. Registers :func:`nat_instance_gateway` in ``GATEWAY_CLASSIFIERS`` on import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ..records import ENI, ROLE_TAG
from .gateways import GATEWAY_CLASSIFIERS
from .nodes import Gateway
from .routes import leads_out

if TYPE_CHECKING:
    from .model import NetworkModel

NAT_ROLE: Final = "nat"


def nat_instance_gateway(model: NetworkModel, gw: Gateway) -> Gateway | None:
    """A route to a network interface counts as NAT (kind ``nat-instance``) only when the
    interface is a NAT instance's fixed interface: ``sourceDestCheck`` literally false (AWS
    drops forwarded traffic otherwise), tagged ``Role=nat``, in a public-tier subnet whose
    table routes ``0.0.0.0/0`` to an internet gateway (its way out). A route to any other
    interface, or to an instance (``instanceId``: its primary interface can change), stays
    what it was and is refused. Unknowns (a preview) decide nothing in its favour: a declared
    unknown ``sourceDestCheck`` is not false."""
    eni = gw.res
    if gw.kind != "eni" or eni is None or eni.type != ENI:
        return None
    if eni.get("sourceDestCheck") is not False or eni.tag(ROLE_TAG) != NAT_ROLE:
        return None
    subnet, _ = model.subnet_of(eni)
    if subnet is None or subnet.tier != "public":
        return None
    choice = model.route_tables_of(subnet)
    if not any(
        r.kind == "igw" and leads_out(r, 4, model.vpc_networks(subnet.vpc))
        for t in choice.tables
        for r in model.routes_of(t)
    ):
        return None
    return Gateway("nat-instance", eni, f"NAT instance interface {eni.label}")


GATEWAY_CLASSIFIERS.append(nat_instance_gateway)
