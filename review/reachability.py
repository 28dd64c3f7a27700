"""The reachability matrix: per server, who on the internet reaches which ports, and its way out.

Feeds the policy pack's own network model (``policies/rules/netmodel/``, pure Python) with the
recorded plan, so the review shows exactly what the pack reasons about. Imports ``plan`` (data)
only; ``report`` renders the result.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

from .mocks import UNKNOWN as WIRE_UNKNOWN
from .plan import ProgramRun

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `policies` is importable from the repository root
    sys.path.insert(0, str(_ROOT))

from policies.rules.netmodel import NetworkModel  # noqa: E402
from policies.rules.records import UNKNOWN, Record  # noqa: E402

# The SDK's secret envelope (pulumi.runtime.rpc): {"4dabf18193072939515e22adb298388d": sig, value}
_SECRET_KEY = "4dabf18193072939515e22adb298388d"


def plain(value: Any) -> Any:
    """A wire value as the pack's ``_wire.plain`` makes it: unknowns -> UNKNOWN, secrets opened."""
    if isinstance(value, str):
        return UNKNOWN if value == WIRE_UNKNOWN else value
    if isinstance(value, dict):
        if _SECRET_KEY in value:
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def records(run: ProgramRun) -> list[Record]:
    """The run's resources as the model's records: the outputs, as AnalyzeStack sends them,
    and each custom resource's checked inputs, as Analyze sent them (the pack trusts those for
    the fields a stored state also fills from elsewhere, ``records.DECLARED_FIELDS``: without
    them the model would take a group's refreshed mirror of a rule the change deletes for a
    rule)."""
    return [
        Record(
            type=r.type,
            urn=r.urn,
            name=r.name,
            props=plain(r.outputs),
            property_dependencies={k: list(v) for k, v in r.property_dependencies.items() if v},
            dependencies=list(r.dependencies),
            parent=r.parent,
            inputs=plain(r.inputs) if r.custom else None,
        )
        for r in run.resources
    ]


def matrix(run: ProgramRun) -> dict[str, dict[str, Any]]:
    """``{server: {"ingressFromInternet": [{ports, protocol, sources, via}], "egress": {ipv4,
    ipv6}}}`` keyed by the server's logical name (its component's name)."""
    model = NetworkModel(records(run))
    out: dict[str, dict[str, Any]] = {}
    for name, ifaces in sorted(model.servers().items()):
        ingress: list[dict[str, Any]] = []
        for iface in ifaces:
            merged: dict[tuple[str, str, str], list[str]] = {}
            for e in model.internet_ingress(iface):
                ports = (
                    "unknown" if e.ports is None
                    else str(e.ports[0]) if e.ports[0] == e.ports[1]
                    else f"{e.ports[0]}-{e.ports[1]}"
                )
                via = e.via + (f" [uncertain: {'; '.join(e.uncertain)}]" if e.uncertain else "")
                srcs = merged.setdefault((ports, e.protocol, via), [])
                srcs += [s for s in e.sources if s not in srcs]
            ingress += [
                {"ports": p, "protocol": proto, "sources": srcs, "via": via}
                for (p, proto, via), srcs in merged.items()
            ]
        ingress.sort(key=lambda x: (_port_key(x["ports"]), x["protocol"], x["via"]))
        eg = model.egress(ifaces[0])
        worst4 = _worst([model.egress(i).ipv4.label for i in ifaces])
        worst6 = _worst([model.egress(i).ipv6.label for i in ifaces])
        del eg
        out[name] = {"ingressFromInternet": ingress, "egress": {"ipv4": worst4, "ipv6": worst6}}
    return out


def _port_key(ports: str) -> int:
    head = ports.split("-", 1)[0]
    return int(head) if head.isdigit() else 1 << 20


_ORDER = ("igw", "unknown", "other", "nat", "egress-only", "private", "none")


def _worst(labels: list[str]) -> str:
    return min(labels, key=lambda x: _ORDER.index(x) if x in _ORDER else 2) if labels else "none"


def render(table: dict[str, dict[str, Any]], mode: str, width: int = 100) -> list[str]:
    """The matrix as text, no line wider than ``width``."""
    out = ["", f"Reachability ({mode}): from the internet, and the way out"]
    if not table:
        out.append("    (no servers)")
        return out
    col = max(len(n) for n in table) + 2
    pad = " " * (4 + col)
    for name, row in table.items():
        eg = row["egress"]
        out.append(f"    {name:<{col}}out: IPv4 {eg['ipv4']}, IPv6 {eg['ipv6']}")
        if not row["ingressFromInternet"]:
            out.append(f"{pad}in:  nothing from the internet")
        for e in row["ingressFromInternet"]:
            out.extend(
                textwrap.wrap(
                    f"in:  {e['protocol']} {e['ports']} from {', '.join(e['sources'])} via "
                    f"{e['via']}",
                    width=width,
                    initial_indent=pad,
                    subsequent_indent=pad + "     ",
                    break_on_hyphens=False,
                )
            )
    return out
