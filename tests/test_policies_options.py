"""Issue 9's designs under the policy pack, through the real Analyzer protocol in both modes
(update and preview), on tests/test_policies.py's compliant world: each design is accepted,
and each variant that breaks it is refused.

- A NAT instance is NAT only when it is one: its fixed interface (an aws.ec2.NetworkInterface)
  has sourceDestCheck false,
  sits in a public subnet (whose table routes to the IGW), is tagged Role=nat, and the private
  route targets that interface. A route to an ordinary interface or to an instance is refused.
- IPv6: an egress-only IGW for the private tier is accepted; ::/0 to the IGW is refused.
- Access modes (the pack's ``access`` config): with instance-connect or ssm there is no bastion
  and nothing may admit SSH from a CIDR; the EC2 Instance Connect Endpoint's group is an
  accepted SSH source; with bastion (the default) the office list is still required.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from review import PolicyPack
from tests.test_policies import (
    MODES,
    B,
    Case,
    I,
    N,
    Opts,
    S,
    World,
    _ipv6_eigw_route,
    _ipv6_igw_route,
    analyze,
    check,
    pack,
)

__all__ = ["pack"]  # the session-wide pack fixture


def _nat_instance(
    *,
    source_dest_check: bool = False,
    role: str | None = "nat",
    subnet: str = "pub",
    target: str = "eni",
) -> Any:
    def tweak(w: World) -> None:
        sg = aws.ec2.SecurityGroup(
            "nat-sg", vpc_id=w.vpc.id, description="nat", tags={"Tier": "public", "Role": "nat"}
        )
        tags = {"Tier": "public", **({"Role": role} if role else {})}
        if target == "eni":
            eni = aws.ec2.NetworkInterface(
                "nat-eni",
                subnet_id=w.subnets[subnet].id,
                security_groups=[sg.id],
                source_dest_check=source_dest_check,
                tags=tags,
            )
            aws.ec2.Eip("nat-eni-eip", domain="vpc", network_interface=eni.id, tags=tags)
            aws.ec2.Route(
                "private-via-nat-instance",
                route_table_id=w.private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                network_interface_id=eni.id,
            )
        else:  # an instance that looks like a NAT instance, routed to by its primary interface
            # (pulumi-aws 7.x's Route has no instanceId: an instance is reached by its ENI)
            inst = aws.ec2.Instance(
                "nat-box",
                ami="ami-0123456789abcdef0",
                instance_type="t4g.nano",
                subnet_id=w.subnets[subnet].id,
                vpc_security_group_ids=[sg.id],
                source_dest_check=source_dest_check,
                associate_public_ip_address=True,
                metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
                root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True),
                tags=tags,
            )
            aws.ec2.Route(
                "private-via-nat-instance",
                route_table_id=w.private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                network_interface_id=inst.primary_network_interface_id,
            )

    return tweak


def _eic(db_ssh_from: str) -> Any:
    def tweak(w: World) -> None:
        sg = aws.ec2.SecurityGroup(
            "eice-sg", vpc_id=w.vpc.id, description="eice", tags={"Tier": "management"}
        )
        aws.ec2transitgateway.InstanceConnectEndpoint(
            "eice",
            subnet_id=w.subnets["mgmt"].id,
            security_group_ids=[sg.id],
            preserve_client_ip=False,
        )
        if db_ssh_from == "eice":
            w.ingress("db-ssh-eice", "db", 22, referenced_security_group_id=sg.id)
        else:
            w.ingress("db-ssh-cidr", "db", 22, cidr_ipv4=db_ssh_from)

    return tweak


def _db_ssh_from_cidr(cidr: str) -> Any:
    def tweak(w: World) -> None:
        w.ingress("db-ssh-cidr", "db", 22, cidr_ipv4=cidr)

    return tweak


NO_NAT = Opts(priv_default_route="none")
NO_OFFICE = Opts(office_cidrs=())
SSM = {B: {"access": "ssm"}}
EIC = {B: {"access": "instance-connect"}}

CASES: list[Case] = [
    # NAT instance.
    Case("compliant-nat-instance", set(), NO_NAT, _nat_instance()),
    Case(
        "nat-instance-source-dest-check-on",
        {(N, "priv")},
        NO_NAT,
        _nat_instance(source_dest_check=True),
    ),
    Case("nat-instance-untagged", {(N, "priv")}, NO_NAT, _nat_instance(role=None)),
    Case(
        "nat-instance-in-private-subnet",
        {(N, "priv"), (I, "nat-eni-eip")},
        NO_NAT,
        _nat_instance(subnet="priv"),
    ),
    Case("route-to-an-instance", {(N, "priv")}, NO_NAT, _nat_instance(target="instance")),
    # IPv6 egress.
    Case("compliant-private-ipv6-via-eigw", set(), Opts(ipv6=True), _ipv6_eigw_route),
    Case("private-ipv6-via-igw", {(N, "priv")}, Opts(ipv6=True), _ipv6_igw_route),
    # Access modes.
    Case("compliant-ssm-no-cidr-ssh", set(), NO_OFFICE, config=SSM),
    Case("ssm-bastion-ssh-from-office", {(B, "bastion-ssh-office-0")}, config=SSM),
    Case(
        "ssm-db-ssh-from-vpc-cidr",
        {(S, "db-ssh-cidr")},
        NO_OFFICE,
        _db_ssh_from_cidr("10.0.0.0/24"),
        config=SSM,
    ),
    Case("compliant-eic-endpoint-group-only", set(), NO_OFFICE, _eic("eice"), config=EIC),
    Case(
        "eic-db-ssh-from-vpc-cidr", {(S, "db-ssh-cidr")}, NO_OFFICE, _eic("10.0.0.0/24"), config=EIC
    ),
    Case(
        "eic-office-list-given",
        {(B, None), (B, "bastion-ssh-office-0")},
        config={B: {"access": "instance-connect", "officeCidrs": ["203.0.113.0/24"]}},
    ),
    Case("bastion-without-office-list", {(B, None), (B, "bastion-ssh-office-0")}, config={B: {}}),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_option_case(pack: PolicyPack, case: Case, mode: str, tmp_path: Path) -> None:
    check(analyze(pack, case, mode, tmp_path), case.expected_for(mode))


def test_nat_instance_verdict_does_not_depend_on_resource_order() -> None:
    """The CLI hands AnalyzeStack the resources in a shuffled order: the NAT instance's
    classification (which asks about its subnet's routes) must not depend on it."""
    import random

    from policies.rules.netmodel import NetworkModel
    from review import load_stack_config, run_program
    from review.reachability import records
    from tests.test_settings import ROOT

    for mode in MODES:
        run = run_program(
            ROOT / "__main__.py",
            config=load_stack_config(ROOT, "natinstance"),
            mode=mode,
            stack="natinstance",
        )
        recs = records(run)
        for seed in range(8):
            random.Random(seed).shuffle(recs)
            model = NetworkModel(list(recs))
            (db,) = model.servers()["db"]
            way = model.egress(db).ipv4
            assert way.label == "nat", (mode, seed)
            assert [r.kind for r in way.routes] == ["nat-instance"], (mode, seed)
