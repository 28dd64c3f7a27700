"""Every figure the README quotes comes from a command, and drifts fail here (issue 15, item 2).

Each failure says what the command prints now and how to update: `make readme-figures` prints
every current figure (tests/readme_figures.py). Timings are never taken here: the README quotes
docs/bench.json, which `make bench` writes, and this checks the quote.
"""

from __future__ import annotations

import copy
import re

import pytest

from components.network import NatStrategy, NetworkArgs, SubnetSpec, plan_network
from components.tags import Tier
from tests import readme_figures as figures

README = figures.readme()
UPDATE = "update README.md (`make readme-figures` prints the current figures)"


@pytest.mark.parametrize(
    ("command", "stack", "shown"),
    [pytest.param(*s, id=f"{s[0]}-{i}") for i, s in enumerate(figures.sample_blocks(README))],
)
def test_each_make_review_sample_is_what_make_review_prints(
    command: str, stack: str, shown: list[str]
) -> None:
    drift = figures.sample_drift(shown, figures.review_output(stack))
    assert not drift, f"`{command}` sample in the README: {drift}; {UPDATE}"


def test_the_samples_cover_the_plan_the_reachability_and_both_bills() -> None:
    samples = list(figures.sample_blocks(README))
    text = "\n".join(line for _, _, shown in samples for line in shown)
    assert re.search(r"^Plan \(preview\): \d+ resources to create$", text, re.M)
    assert "Reachability (update): from the internet, and the way out" in text
    assert {stack for _, stack, _ in samples} == {"dev", "prod"}
    assert text.count("Estimated monthly bill") == 2


def test_a_drifted_sample_is_caught_and_named() -> None:
    """The check can fail: a changed count, a line left out, a line made up."""
    printed = figures.review_output("dev")
    (plan,) = [s for c, st, s in figures.sample_blocks(README) if any("Plan (" in x for x in s)]
    count = next(x for x in plan if x.startswith("Plan ("))
    wrong = [x.replace(count, "Plan (preview): 44 resources to create") for x in plan]
    assert "44 resources" in figures.sample_drift(wrong, printed)
    assert "51" in figures.sample_drift(wrong, printed.replace("44 resources", "51 resources"))
    skipped = [x for x in plan if not x.startswith("Policy pack")]  # left out without `...`
    assert "Policy pack" in figures.sample_drift(skipped, printed)
    assert figures.sample_drift([*plan, "Summary: made up"], printed)
    row = " +   │  ├─ aws:ec2/vpc:Vpc                                             dev-vpc2"
    assert "dev-vpc2" in figures.sample_drift([*plan[:6], row], printed)  # a resource made up


def test_the_plan_tree_is_compared_whatever_the_order_of_siblings() -> None:
    """Concurrent registrations reach the engine in varying order: a reordered tree matches."""
    printed = figures.review_output("dev").splitlines()
    tree = [i for i, line in enumerate(printed) if figures.tree_row(line)]
    rows = [printed[i] for i in tree]
    assert tree == list(range(tree[0], tree[-1] + 1))  # one contiguous tree
    reordered = printed[: tree[2]] + rows[2:][::-1] + printed[tree[-1] + 1 :]  # all but 2 reversed
    (plan,) = [s for c, st, s in figures.sample_blocks(README) if any("Plan (" in x for x in s)]
    assert not figures.sample_drift(plan, "\n".join(reordered))


def test_the_component_table_lists_every_argument_in_order() -> None:
    rows = figures.component_rows(README)
    assert {"TieredNetworkArgs", "SubnetArgs", "ServerArgs", "BastionArgs", "NatInstanceArgs",
            "AccessArgs", "AuditLogArgs"} <= set(rows)  # fmt: skip
    for cls, (module, listed) in rows.items():
        fields = figures.component_fields(module, cls)
        assert listed == fields, (
            f"README's component table lists {cls}({', '.join(listed)}); components/{module}.py "
            f"has {cls}({', '.join(fields)}): {UPDATE}"
        )


def test_the_nat_instance_breakdown_adds_up_to_its_bill() -> None:
    b = figures.nat_instance_breakdown()
    assert round(b["devTotal"] - b["natGateway"] + b["natInstance"] + b["publicIpv4"] + b["ebs"],
                 2) == b["total"]  # fmt: skip
    sentence = figures.nat_instance_sentence(b)
    assert sentence in " ".join(README.split()), f"the README should say: {sentence}; {UPDATE}"


def test_the_readme_quotes_the_benchs_own_record() -> None:
    record = figures.bench()
    flat = " ".join(README.split())
    sentences = figures.bench_sentences(record)
    pack_readme = " ".join((figures.ROOT / "policies" / "README.md").read_text().split())
    pack = sentences.pop("packScale")
    assert pack in pack_readme, f"policies/README.md should quote docs/bench.json: {pack}"
    for name, sentence in sentences.items():
        assert sentence in flat, f"README should quote docs/bench.json ({name}): {sentence}"
    assert record["machine"]["cpus"] and record["scale"]["update"]["copies"]["64"]["resources"]
    # A fresh clone's `make test` is quoted once it has been measured, and only from a green run.
    assert ("A fresh clone's `make test` took" in flat) == ("firstRun" in sentences)
    if "firstRun" in sentences:
        assert record["firstRun"]["exitCode"] == 0, "quote a first run whose tests passed"


def test_a_sized_subnet_takes_the_lowest_free_block_as_the_readme_says() -> None:
    """A gap before an explicit CIDR above it is filled first ("lowest", not "after")."""
    assert "a sized subnet takes the lowest free aligned block of its size" in " ".join(
        README.split()
    )
    plan = plan_network(
        NetworkArgs(
            prefix="t",
            region="ap-northeast-2",
            vpc_cidr="192.168.10.0/24",
            availability_zones=("ap-northeast-2a",),
            subnets=(
                SubnetSpec("explicit", Tier.PUBLIC, "a", cidr="192.168.10.64/26"),
                SubnetSpec("sized", Tier.PRIVATE, "a", size=26),
                SubnetSpec("next", Tier.PRIVATE, "a", size=27),
            ),
            nat_strategy=NatStrategy.NONE,
        )
    )
    cidrs = {p.spec.name: str(p.cidr) for p in plan}
    assert cidrs == {
        "explicit": "192.168.10.64/26",
        "sized": "192.168.10.0/26",  # below the explicit one, not "after" it
        "next": "192.168.10.128/27",
    }


def test_the_first_run_sentence_states_the_boxs_speed_when_recorded() -> None:
    """A first run's CPU seconds are quoted beside the box's reference loop (review/bench.py
    reference_cpu_seconds) once the bench records it; older records quote without it."""
    record = copy.deepcopy(figures.bench())
    record["firstRun"] = {"wallSeconds": 400.0, "cpuSeconds": 800.0, "exitCode": 0, "met": False,
                          "loadAverage1mAtStart": 0.5, "pytestSummary": "5 passed in 1s"}
    plain = figures.bench_sentences(record)["firstRun"]
    assert "reference loop" not in plain and plain.endswith("the 6-minute goal missed")
    record["firstRun"]["referenceCpuSeconds"] = 0.8
    timed = figures.bench_sentences(record)["firstRun"]
    assert "reference loop at 0.80 CPU s (1000 loops' worth): the 6-minute goal missed" in timed
