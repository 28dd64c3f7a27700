"""The review as Markdown for the pull request's summary (review/summary.py, `--markdown`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from review.summary import markdown

ROOT = Path(__file__).resolve().parent.parent


def test_markdown_from_the_real_review(tmp_path: Path) -> None:
    out = tmp_path / "dev.md"
    proc = subprocess.run(
        [sys.executable, "-m", "review", "--stack", "dev", "--mode", "update", "--no-plan",
         "--diagram", str(tmp_path), "--markdown", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert text.startswith("## Review of stack `dev`: OK")
    # The matrix (the network model's), one row per server, and the way out.
    assert "| `db` | nothing | nat / none |" in text
    assert "| `web` | tcp 80 from 0.0.0.0/0 via public IPv4" in text
    assert "tcp 22 from 203.0.113.0/24" in text
    # The bill, with a total that is the review's.
    assert "| NAT gateway hours | 730 h | $0.059 | $43.07 |" in text
    assert "| **total** |" in text and "Estimated **$" in text
    # The picture the same run drew.
    assert f"`{tmp_path / 'dev-network.png'}`" in text


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
