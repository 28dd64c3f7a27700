"""`make diagram`: the planned network drawn from the review's recorded run (review/diagram.py).
The program runs once per stack for the session (the `stack_runs` fixture)."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest

from review.diagram import build_picture, plan_reachability, render, to_dot
from review.plan import ProgramRun

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod")


@pytest.fixture(scope="module")
def svgs(stack_runs: Any) -> dict[str, str]:
    return {
        stack: render(to_dot(build_picture(stack_runs(stack))).source, "svg").decode()
        for stack in STACKS
    }


def subnet_cidrs(run: ProgramRun) -> list[str]:
    return [r.inputs["cidrBlock"] for r in run.resources if r.type == "aws:ec2/subnet:Subnet"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_picture_names_every_subnet_cidr(stack: str, stack_runs: Any, svgs: dict) -> None:
    cidrs = subnet_cidrs(stack_runs(stack))
    assert len(cidrs) >= 4
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svgs[stack])
    for cidr in cidrs:
        ipaddress.ip_network(cidr)
        assert any(cidr in t for t in texts), f"{cidr} not drawn in the {stack} picture"


def test_a_subnet_appended_to_the_stack_appears_in_the_picture(stack_runs: Any) -> None:
    run = stack_runs(
        "dev",
        subnets='["external-a:public:a:/26", "external-c:public:c:/26", "internal:private:a:/27", '
        '"management:management:a:/27", "extra:private:c:/28"]',
    )
    svg = render(to_dot(build_picture(run)).source, "svg").decode()
    assert "192.168.10.192/28" in subnet_cidrs(run)
    assert "extra  192.168.10.192/28" in svg.replace("&#160;", " ")


def test_dev_picture_contents(stack_runs: Any) -> None:
    pic = build_picture(stack_runs("dev"))
    assert (pic.vpc_cidr, pic.region) == ("192.168.10.0/24", "ap-northeast-2")
    tiers = {s.name: (s.tier, s.az, s.route_table) for s in pic.subnets}
    assert tiers == {
        "dev-external-a": ("public", "ap-northeast-2a", "dev-public-rt"),
        "dev-external-c": ("public", "ap-northeast-2c", "dev-public-rt"),
        "dev-internal": ("private", "ap-northeast-2a", "dev-private-rt"),
        "dev-management": ("management", "ap-northeast-2a", "dev-public-rt"),
    }
    routes = {t.name: t.defaults for t in pic.route_tables}
    assert routes == {
        "dev-public-rt": [("0.0.0.0/0", "n_dev_igw")],
        "dev-private-rt": [("0.0.0.0/0", "n_dev_nat_a")],
    }
    kinds = {(g.kind, g.subnet) for g in pic.gateways}
    assert kinds == {("igw", ""), ("nat", "dev-external-a")}
    servers = {s.name: s for s in pic.servers}
    assert {n: (s.subnet, s.public) for n, s in servers.items()} == {
        "web": ("dev-external-a", "public IP"),
        "db": ("dev-internal", ""),
        "bastion": ("dev-management", "EIP"),
    }
    assert ("n_web_instance", "n_db_instance", "tcp 3306") in pic.peer_edges
    assert ("n_bastion_instance", "n_db_instance", "tcp 22") in pic.peer_edges


def test_internet_paths_from_the_plan(stack_runs: Any) -> None:
    reach = plan_reachability(build_picture(stack_runs("dev")))
    assert reach["db"] == {"ingressFromInternet": [], "egress": {"ipv4": "nat", "ipv6": "none"}}
    assert reach["web"]["egress"] == {"ipv4": "igw", "ipv6": "none"}  # no IPv6 address
    assert reach["bastion"]["ingressFromInternet"] == [
        {"ports": "22", "protocol": "tcp", "sources": ["203.0.113.0/24"], "via": "EIP"}
    ]
    web = reach["web"]["ingressFromInternet"]
    assert {(p["ports"], tuple(p["sources"]), p["via"]) for p in web} == {
        ("80", ("0.0.0.0/0",), "public IP"),
    }  # ::/0 is admitted by the group, but the web server has no IPv6 address: no path


def test_prod_bastion_is_reached_only_from_the_office_through_its_eip(stack_runs: Any) -> None:
    reach = plan_reachability(build_picture(stack_runs("prod")))
    assert reach["bastion"]["ingressFromInternet"] == [
        {"ports": "22", "protocol": "tcp", "sources": ["198.51.100.0/24"], "via": "EIP"}
    ]


def test_a_server_moved_to_a_subnet_without_an_igw_route_has_no_internet_path(
    stack_runs: Any,
) -> None:
    run = stack_runs("dev")
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "subnetId": "dev-internal-id"})
        if r.name == "web-instance"
        else r
        for r in run.resources
    ]
    reach = plan_reachability(build_picture(dataclasses.replace(run, resources=resources)))
    assert reach["web"]["ingressFromInternet"] == []
    assert reach["web"]["egress"]["ipv4"] == "nat"


def test_a_reachability_map_from_the_model_is_drawn_as_given(stack_runs: Any) -> None:
    pic = build_picture(stack_runs("dev"))
    given = {
        "db": {
            "ingressFromInternet": [
                {"ports": [3306], "protocol": "tcp", "sources": ["0.0.0.0/0"], "via": "nlb-x:3306"}
            ]
        }
    }
    source = to_dot(pic, given).source
    assert "tcp 3306 from 0.0.0.0/0\nvia nlb-x:3306" in source
    red = re.findall(r"(\w+) -> (\w+) \[[^\]]*#c53030", source)
    assert red == [("n_dev_igw", "n_db_instance")]  # the given map replaces the plan's reading


def test_the_readme_shows_the_committed_picture() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "![" in readme and "docs/dev-network.png" in readme
    assert (ROOT / "docs" / "dev-network.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "┌" not in readme  # the hand-drawn ASCII picture is gone


@pytest.mark.parametrize("stack", STACKS)
def test_the_plans_reading_agrees_with_the_network_model(stack: str, stack_runs: Any) -> None:
    """Two independent readings of the same plan: the diagram's fallback and the pack's model."""
    from review.reachability import matrix

    run = stack_runs(stack)
    ours = plan_reachability(build_picture(run))
    model = matrix(run)
    assert set(ours) == set(model)

    def paths(reach: dict) -> set:
        return {
            (server, p["ports"], p["protocol"], tuple(sorted(p["sources"])))
            for server, entry in reach.items()
            for p in entry["ingressFromInternet"]
        }

    assert paths(ours) == paths(model)
    assert {k: v["egress"] for k, v in ours.items()} == {k: v["egress"] for k, v in model.items()}


# ---- issue 15, item 4: route-table links, the NAT's way out, address families, no stale files
def edges(source: str) -> set[tuple[str, str]]:
    return {
        (a.strip('"'), b.strip('"'))
        for a, b in re.findall(r'^\s*("?[\w-]+"?) -> ("?[\w-]+"?)', source, re.M)
    }


@pytest.mark.parametrize("stack", ["dev", "prod", "natinstance"])
def test_each_subnet_is_linked_to_the_route_table_it_uses(stack: str, stack_runs: Any) -> None:
    pic = build_picture(stack_runs(stack))
    drawn = edges(to_dot(pic).source)
    for s in pic.subnets:
        link = (f"anchor_{re.sub(r'[^A-Za-z0-9]', '_', s.name)}", f"rt_{s.route_table}")
        assert link in drawn, f"{s.name} -> {s.route_table} not drawn"
    assert len({s.route_table for s in pic.subnets}) >= 2


@pytest.mark.parametrize(
    ("stack", "nats"),
    [("dev", {"n_dev_nat_a"}), ("prod", {"n_prod_nat_a", "n_prod_nat_b", "n_prod_nat_c"}),
     ("natinstance", None)],
)  # fmt: skip
def test_the_nat_to_igw_path_is_drawn(stack: str, nats: set[str] | None, stack_runs: Any) -> None:
    from review.diagram import nat_paths

    pic = build_picture(stack_runs(stack))
    (igw,) = [g.node for g in pic.gateways if g.kind == "igw"]
    expected = nats or {g.node for g in pic.gateways if g.kind == "natinstance"}
    assert expected
    paths = nat_paths(pic)
    assert {(a, b) for a, b, _ in paths} == {(n, igw) for n in expected}
    assert all("0.0.0.0/0 via" in label for _, _, label in paths)
    assert {(n, igw) for n in expected} <= edges(to_dot(pic).source)


def test_a_nat_whose_subnet_has_no_igw_route_has_no_path(stack_runs: Any) -> None:
    from review.diagram import nat_paths

    run = stack_runs("dev")
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "subnetId": "dev-internal-id"})
        if r.name == "dev-nat-a"
        else r
        for r in run.resources
    ]
    pic = build_picture(dataclasses.replace(run, resources=resources))
    assert [g.subnet for g in pic.gateways if g.kind == "nat"] == ["dev-internal"]
    assert nat_paths(pic) == []  # its table routes to the NAT itself: no way out drawn


def test_a_server_is_labelled_only_with_the_address_families_it_has(stack_runs: Any) -> None:
    from review.diagram import _server_label

    dev = {s.name: s for s in build_picture(stack_runs("dev")).servers}
    assert not dev["web"].ipv6 and any("::/0" in i.sources for i in dev["web"].ingress)
    assert "tcp/80 ← 0.0.0.0/0" in _server_label(dev["web"]).splitlines()
    assert "::/0" not in _server_label(dev["web"])
    ipv6 = {s.name: s for s in build_picture(stack_runs("ipv6")).servers}
    assert ipv6["web"].ipv6
    assert {"tcp/80 ← 0.0.0.0/0", "tcp/80 ← ::/0"} <= set(_server_label(ipv6["web"]).splitlines())


def test_a_failed_run_removes_the_old_picture_and_summary(tmp_path: Path) -> None:
    import contextlib
    import io

    from review.cli import main
    from tests.project_copy import project_copy

    project = project_copy(tmp_path, with_pack_config=False)  # the review will fail (exit 2)
    build = tmp_path / "build"
    build.mkdir()
    stale = [build / "dev-network.svg", build / "dev-network.png", build / "dev-summary.md"]
    for path in stale:
        path.write_text("an earlier run's")
    with contextlib.redirect_stderr(io.StringIO()):
        code = main(["--stack", "dev", "-C", str(project), "--diagram", str(build),
                     "--markdown", str(build / "dev-summary.md")])  # fmt: skip
    assert code == 2
    assert [p.name for p in stale if p.exists()] == []


def test_a_picture_that_fails_to_render_leaves_no_file(
    tmp_path: Path, stack_runs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from review import diagram

    def render_svg_only(source: str, fmt: str) -> bytes:
        if fmt == "png":
            raise RuntimeError("graphviz failed (png): out of memory")
        return render(source, fmt)

    monkeypatch.setattr(diagram, "render", render_svg_only)
    with pytest.raises(RuntimeError):
        diagram.write_diagram(stack_runs("dev"), tmp_path)
    assert list(tmp_path.iterdir()) == []
