"""The plan's monthly bill (review/cost.py): priced from the recorded plan of the real program and
the dated price tables; one program run per stack for the whole module."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

import pytest

from review.cost import (
    PRICES_DIR,
    Bill,
    PriceTableError,
    estimate,
    load_prices,
)
from review.plan import ProgramRun

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev_run(stack_runs: Any) -> ProgramRun:
    return stack_runs("dev")


@pytest.fixture(scope="module")
def prod_run(stack_runs: Any) -> ProgramRun:
    return stack_runs("prod")


def data_volume_gib(run: ProgramRun) -> float:
    return sum(r.inputs["size"] for r in run.resources if r.type == "aws:ebs/volume:Volume")


def item(bill: Bill, kind: str) -> dict:
    found = [i.to_dict() for i in bill.items if i.kind == kind]
    assert len(found) == 1, f"expected one {kind} item, got {found}"
    return found[0]


# ------------------------------------------------------------------ price tables
@pytest.mark.parametrize("path", sorted(PRICES_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_price_table_is_dated_sourced_and_prices_what_the_stacks_use(path: Path) -> None:
    table = load_prices(path.stem)
    datetime.date.fromisoformat(table.as_of)  # a real date
    assert table.source and all(s.startswith("https://aws.amazon.com/") for s in table.source)
    assert table.raw["publicIpv4"]["perHour"] == 0.005  # AWS's flat rate since Feb 2024
    for itype in ("t3.micro", "t3.medium", "t4g.nano"):  # shipped stacks + the NAT instance
        assert table.instance_hourly(itype), itype
    prices = [v for v in table.raw["ec2PerHour"].values()]
    assert all(isinstance(p, (int, float)) and p > 0 for p in prices)


def test_both_regions_are_shipped() -> None:
    assert {p.stem for p in PRICES_DIR.glob("*.json")} >= {"ap-northeast-2", "us-east-1"}


def test_a_region_without_a_price_table_says_which_file_to_add(dev_run: ProgramRun) -> None:
    run = dataclasses.replace(dev_run, config={**dev_run.config, "aws:region": "eu-north-1"})
    with pytest.raises(PriceTableError, match=r"eu-north-1\.json: no price table.*copy one"):
        estimate(run)


# ------------------------------------------------------------------ the dev bill
def test_dev_bill_items(dev_run: ProgramRun) -> None:
    bill = estimate(dev_run)
    p = load_prices("ap-northeast-2")
    h = p.hours
    assert (bill.region, bill.currency) == ("ap-northeast-2", "USD")
    nat = item(bill, "natGateway")
    assert nat["resources"] == ["dev-nat-a"] and nat["quantity"] == h
    assert item(bill, "natGatewayData")["assumption"]
    inst = item(bill, "instance")
    assert sorted(inst["resources"]) == ["bastion-instance", "db-instance", "web-instance"]
    assert inst["quantity"] == 3 * h and inst["unitPrice"] == p.instance_hourly("t3.micro")
    # Three public IPv4 addresses: the NAT's EIP, the bastion's EIP (which replaces its
    # auto-assigned address: not billed twice) and the web server's auto-assigned one.
    ips = item(bill, "publicIpv4")
    assert sorted(ips["resources"]) == [
        "bastion-eip",
        "dev-nat-a-eip",
        "web-instance (auto-assigned)",
    ]
    assert ips["quantity"] == 3 * h
    ebs = item(bill, "ebs")  # three 16 GiB roots and the DB's own data volume (issue 8)
    assert ebs["quantity"] == 3 * 16 + data_volume_gib(dev_run)
    assert "db-data" in " ".join(ebs["resources"])
    assert not [i for i in bill.items if i.kind in ("flowLogs", "interfaceEndpoint", "natInstance")]
    # auditLog: cloudwatch (the default): the audit group at the stated volume, and its KMS key.
    audit = item(bill, "auditLogs")
    assert audit["resources"] == ["bastion-audit-group"] and audit["assumption"]
    assert item(bill, "auditLogsStorage")["quantity"] == pytest.approx(12.0, abs=0.05)  # 365 d
    assert item(bill, "kms")["resources"] == ["bastion-audit-key"]
    assert bill.monthly == pytest.approx(sum(i.monthly for i in bill.items), abs=0.02)
    expected = h * (p.price("natGateway", "perHour") + 3 * 0.013 + 3 * 0.005)
    gib = 3 * 16 + data_volume_gib(dev_run)
    expected += 20 * p.price("natGateway", "perGbProcessed") + gib * 0.0912
    expected += 0.76 + 12 * 0.0314 + 1.0  # audit: 1 GB ingested, 12 GB-months kept, one key
    assert bill.monthly == pytest.approx(expected, abs=0.05)


def test_prod_bill_has_three_nat_gateways_and_flow_logs(prod_run: ProgramRun) -> None:
    bill = estimate(prod_run)
    assert len(item(bill, "natGateway")["resources"]) == 3
    assert item(bill, "flowLogs")["assumption"].startswith("assumed")
    # Retention 365 days: twelve months of the assumed monthly volume at steady state.
    assert item(bill, "flowLogsStorage")["quantity"] == pytest.approx(12 * 5.0)
    assert item(bill, "publicIpv4")["quantity"] == 5 * 730


def test_the_same_plan_in_us_east_1_is_cheaper(dev_run: ProgramRun) -> None:
    seoul = estimate(dev_run).monthly
    virginia = estimate(dev_run, prices=load_prices("us-east-1"))
    assert virginia.region == "us-east-1" and virginia.monthly < seoul


def test_an_unknown_instance_type_is_listed_as_unpriced(dev_run: ProgramRun) -> None:
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "instanceType": "x9z.huge"})
        if r.name == "db-instance"
        else r
        for r in dev_run.resources
    ]
    bill = estimate(dataclasses.replace(dev_run, resources=resources))
    assert any("x9z.huge (db-instance)" in u for u in bill.unpriced)
    assert len(item(bill, "instance")["resources"]) == 2


# ------------------------------------------------------------------ NAT instance vs gateway
@pytest.fixture(scope="module")
def nat_instance_run(stack_runs: Any) -> ProgramRun:
    """The dev layout with issue 9's `natStrategy: instance` (a NAT instance per AZ with private
    subnets: one here), from the real program."""
    return stack_runs("dev", natStrategy="instance")


def test_the_nat_instance_is_priced_as_one(
    nat_instance_run: ProgramRun, dev_run: ProgramRun
) -> None:
    bill = estimate(nat_instance_run)
    nat = item(bill, "natInstance")
    assert (
        nat["resources"] == ["dev-nat-instance-a-asg"] and nat["label"] == "NAT instance t4g.nano"
    )
    assert nat["quantity"] == 730  # an Auto Scaling group of one
    assert not [i for i in bill.items if i.kind.startswith("natGateway")]
    ips = item(bill, "publicIpv4")["resources"]
    assert "dev-nat-instance-a-eip" in ips  # the fixed interface's EIP
    # 8 GiB of gp3 for the NAT instance's root volume, on top of the dev layout's volumes.
    assert item(bill, "ebs")["quantity"] == item(estimate(dev_run), "ebs")["quantity"] + 8


def test_nat_instance_is_at_least_30_dollars_a_month_cheaper_than_single_in_seoul(
    dev_run: ProgramRun, nat_instance_run: ProgramRun
) -> None:
    """Issue 10: for the dev layout in ap-northeast-2, `natStrategy: instance` costs at least
    $30/month less than `single` (both plans from the real program with dev's config)."""
    assert dev_run.config["aws:region"] == "ap-northeast-2"
    assert dev_run.config["tiered-network:natStrategy"] == "single"
    single = estimate(dev_run)
    instance = estimate(nat_instance_run)
    assert single.monthly - instance.monthly >= 30, (single.render(), instance.render())


def test_the_readme_quotes_each_option_stacks_bill(stack_runs: Any) -> None:
    """The README's scenario costs are the estimator's, so a price or plan change that moves a
    bill fails here until the README says the new figure."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Beyond the peers")
    section = text[start : text.index("\n## ", start)]
    quoted = [float(x) for x in re.findall(r"\*\*\$(\d+\.\d\d)\*\*", section)]
    stacks = ["dev", "ipv6", "natinstance", "eic", "ssm"]
    expected = [round(estimate(stack_runs(s)).monthly, 2) for s in stacks]
    costs = dict(zip(stacks, expected, strict=True))
    assert quoted == expected, f"README quotes {quoted}, the plans cost {costs}"
