"""The review as Markdown for the pull request's summary (review/summary.py, `--markdown`)."""

from __future__ import annotations

from pathlib import Path

from review.summary import markdown

ROOT = Path(__file__).resolve().parent.parent


def test_a_failing_review_lists_its_findings_and_a_missing_bill_says_why() -> None:
    doc = {
        "stack": "x",
        "modes": ["update"],
        "exitCode": 1,
        "summary": {"mandatory": 1},
        "pack": {"name": "p"},
        "diagnostics": [
            {"policy": "bastion-audit-off-box", "level": "mandatory", "modes": ["update"],
             "message": "Bastion 'b' ships its audit log nowhere | here"},
        ],
        "cost": {"error": "no price table for region 'eu-north-1'"},
    }  # fmt: skip
    text = markdown(doc, fallback_reachability={"b": {"ingressFromInternet": []}})
    assert text.startswith("## Review of stack `x`: FAIL")
    assert "From the plan's direct paths" in text and "| `b` | nothing | — |" in text
    assert "No bill: no price table for region 'eu-north-1'" in text
    assert "**mandatory** `bastion-audit-off-box` [update]: Bastion 'b' ships" in text
    assert "nowhere \\| here" in text  # table-safe


def test_the_steps_of_a_preview_against_old_state_are_summarised() -> None:
    from review.summary import markdown

    doc = {
        "stack": "dev", "exitCode": 0, "modes": ["baseline"], "stepsOf": "baseline",
        "steps": [
            {"urn": "urn:pulumi:dev::p::aws:ec2/vpc:Vpc::vpc", "op": "same"},
            {"urn": "urn:pulumi:dev::p::aws:ec2/subnet:Subnet::a", "op": "replace",
             "diffs": ["cidrBlock"], "replaces": ["cidrBlock"]},
            {"urn": "urn:pulumi:dev::p::aws:vpc/x:Y::old", "op": "delete"},
        ],
    }
    text = markdown(doc)
    assert "### Steps against the deployed state of the baseline" in text
    assert "- 1 to delete; +- 1 to replace; 1 unchanged." in text
    assert "- `+-` replace `a` (cidrBlock)" in text and "- `-` delete `old`" in text
    assert "### Steps" not in markdown({**doc, "stepsOf": "preview"})
