"""One `python -m review --json --diagram DIR --markdown FILE` run of the dev stack, and what each
output carries: the bill in the JSON, the picture (drawn from the same run, with the network
model's internet paths), and the pull request's Markdown summary."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("review")
    proc = subprocess.run(
        [sys.executable, "-m", "review", "--stack", "dev", "--mode", "update", "--json",
         "--diagram", str(out), "--markdown", str(out / "dev.md")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return {"dir": out, "doc": json.loads(proc.stdout), "stderr": proc.stderr}


def test_the_json_carries_the_bill(outputs: dict[str, Any]) -> None:
    cost = outputs["doc"]["cost"]
    assert set(cost) >= {"monthlyUsd", "currency", "region", "items"}
    assert cost["region"] == "ap-northeast-2" and cost["currency"] == "USD"
    assert cost["monthlyUsd"] == round(sum(i["monthlyUsd"] for i in cost["items"]), 2)
    assert {"natGateway", "instance", "publicIpv4", "ebs"} <= {i["kind"] for i in cost["items"]}
    assert cost["priceTable"]["file"] == "review/prices/ap-northeast-2.json"


def test_make_diagram_writes_svg_and_png(outputs: dict[str, Any]) -> None:
    svg, png = outputs["dir"] / "dev-network.svg", outputs["dir"] / "dev-network.png"
    assert f"wrote {svg}" in outputs["stderr"] and f"wrote {png}" in outputs["stderr"]
    assert svg.read_text().lstrip().startswith("<?xml")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The internet paths are the network model's (its "via" names the gateway).
    text = html.unescape(svg.read_text())
    assert "tcp 80 from 0.0.0.0/0" in text
    assert "via public IPv4 + internet gateway 'dev-igw'" in text


def test_the_markdown_summary(outputs: dict[str, Any]) -> None:
    text = (outputs["dir"] / "dev.md").read_text()
    assert text.startswith("## Review of stack `dev`: OK")
    # The matrix (the network model's), one row per server, and the way out.
    assert "| `db` | nothing | nat / none |" in text
    assert "| `web` | tcp 80 from 0.0.0.0/0 via public IPv4" in text
    assert "tcp 22 from 203.0.113.0/24" in text
    # The bill, with a total that is the review's.
    assert "| NAT gateway hours | 730 h | $0.059 | $43.07 |" in text
    assert f"**${outputs['doc']['cost']['monthlyUsd']:.2f}**" in text
    # The picture the same run drew.
    assert f"`{outputs['dir'] / 'dev-network.png'}`" in text
