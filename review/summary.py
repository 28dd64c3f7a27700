"""The review as Markdown for a pull request's summary (``$GITHUB_STEP_SUMMARY``): the verdict,
the reachability matrix, the monthly bill, a link to the picture and the findings.

Works on the review's JSON document (``ReviewReport.to_dict()``). The matrix is the document's
``reachability`` (the reachability model's, per server: ``ingressFromInternet`` and ``egress``);
when the document has none, the caller passes the plan's own reading (``diagram.plan_reachability``)
and the table says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _ports(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def reachability_table(reach: Mapping[str, Any]) -> list[str]:
    out = [
        "| server | reachable from the internet | way out (IPv4 / IPv6) |",
        "| --- | --- | --- |",
    ]
    for server, entry in sorted(reach.items()):
        paths = entry.get("ingressFromInternet") or []
        ins = (
            "<br>".join(
                f"{p.get('protocol', 'tcp')} {_ports(p.get('ports'))} from "
                f"{', '.join(p.get('sources') or [])} via {p.get('via', '?')}"
                for p in paths
            )
            or "nothing"
        )
        egress = entry.get("egress")
        out_way = f"{egress.get('ipv4', '?')} / {egress.get('ipv6', '?')}" if egress else "—"
        out.append(f"| `{_cell(server)}` | {_cell(ins)} | {_cell(out_way)} |")
    return out


def bill_table(cost: Mapping[str, Any]) -> list[str]:
    if "items" not in cost:
        return [f"No bill: {cost.get('error', 'not available')}"]
    table = cost.get("priceTable", {})
    out = [
        f"Estimated **${cost['monthlyUsd']:.2f} / month** ({cost['region']}, on-demand, "
        f"{cost['currency']}; `{table.get('file', '?')}` as of {table.get('asOf', '?')}).",
        "",
        "| item | quantity | unit price | per month |",
        "| --- | --- | --- | --- |",
    ]
    for i in cost["items"]:
        note = f" ({i['assumption']})" if i.get("assumption") else ""
        out.append(
            f"| {_cell(i['label'])}{_cell(note)} | {i['quantity']:g} {i['unit']} | "
            f"${i['unitPrice']:g} | ${i['monthlyUsd']:.2f} |"
        )
    for u in cost.get("unpriced") or []:
        out.append(f"| not priced: {_cell(u)} | | | |")
    out.append(f"| **total** | | | **${cost['monthlyUsd']:.2f}** |")
    return out


_SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "+-"}  # display order


def steps_section(doc: Mapping[str, Any]) -> list[str]:
    """The steps of a preview against old state (``--baseline``, ``--mode deployed``): a count
    per operation as ``pulumi preview`` prints it and one line per resource that changes."""
    label = doc.get("stepsOf", "")
    if label != "baseline" and not str(label).startswith("deployed"):
        return []
    steps = doc.get("steps") or []
    counts: dict[str, int] = {}
    for st in steps:
        counts[st["op"]] = counts.get(st["op"], 0) + 1
    what = "the deployed state of the baseline" if label == "baseline" else (
        f"its own {str(label).split('-', 1)[-1]} deployed state (a no-op change)"
    )
    parts = [f"{_SYMBOL[op]} {counts[op]} to {op}" for op in _SYMBOL if counts.get(op)]
    parts.append(f"{counts.get('same', 0)} unchanged")
    out = ["", f"### Steps against {what}", "", "; ".join(parts) + "."]
    changed = [st for st in steps if st["op"] != "same"]
    if changed:
        out.append("")
        out += [
            f"- `{_SYMBOL[st['op']]}` {st['op']} `{_cell(st['urn'].rsplit('::', 1)[-1])}`"
            + (f" ({', '.join(st.get('replaces') or st.get('diffs') or [])})"
               if st.get("diffs") else "")
            for st in changed
        ]
    return out


def markdown(
    doc: Mapping[str, Any],
    *,
    fallback_reachability: Mapping[str, Any] | None = None,
    picture: str = "",
) -> str:
    """``doc`` is the review's JSON document; ``picture`` a Markdown link or image to the
    network picture (e.g. the artifact's URL in CI)."""
    summary = doc.get("summary", {})
    verdict = "FAIL" if doc.get("exitCode") else "OK"
    out = [
        f"## Review of stack `{doc.get('stack')}`: {verdict}",
        "",
        f"{summary.get('mandatory', 0)} mandatory, {summary.get('advisory', 0)} advisory, "
        f"{summary.get('cantRun', 0)} can't-run; modes {', '.join(doc.get('modes', []))}; "
        f"policy pack `{doc.get('pack', {}).get('name', '?')}`.",
        "",
        "### Reachability",
        "",
    ]
    reach = doc.get("reachability")
    if reach:
        out += reachability_table(reach)
    elif fallback_reachability is not None:
        out += ["From the plan's direct paths (the review carries no reachability model):", ""]
        out += reachability_table(fallback_reachability)
    else:
        out.append("Not available.")
    out += steps_section(doc)
    out += ["", "### Monthly bill", ""]
    out += bill_table(doc.get("cost", {}))
    levels = ("mandatory", "advisory")
    findings = [d for d in doc.get("diagnostics", []) if d.get("level") in levels]
    if findings:
        out += ["", "### Findings", ""]
        for d in findings:
            modes = "+".join(d.get("modes", []))
            first = (d.get("message") or "").splitlines()
            text = first[-1] if first else ""
            out.append(f"- **{d['level']}** `{d['policy']}` [{modes}]: {_cell(text)}")
    out += ["", "### Picture", "", picture or "`make diagram` draws it.", ""]
    return "\n".join(out)
