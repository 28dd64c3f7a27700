"""Server and Bastion components alone: security groups, hardening, user data (mocks)."""

from __future__ import annotations

import re

import pytest
import yaml

from components.bastion import Bastion, BastionArgs, render_ssh_config
from components.errors import ConfigError
from components.server import IngressRule, Server, ServerArgs
from components.settings import DB_SERVICE, WEB_SERVICE
from components.tags import Tier
from tests.conftest import RecordingMocks, build, resolve

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBsYWNlaG9sZGVyLXJlcGxhY2Utd2l0aC15b3VyLWtl t@example"


def server_args(**changes: object) -> ServerArgs:
    base: dict[str, object] = dict(
        prefix="jdoe",
        tier=Tier.PUBLIC,
        subnet_id="subnet-web",
        vpc_id="vpc-1",
        ami_id="ami-1",
        ssh_public_key=KEY,
        service=WEB_SERVICE,
    )
    base.update(changes)
    return ServerArgs(**base)  # type: ignore[arg-type]


def bastion_args(servers: list[Server], **changes: object) -> BastionArgs:
    base: dict[str, object] = dict(
        prefix="jdoe",
        subnet_id="subnet-mgmt",
        vpc_id="vpc-1",
        vpc_cidr="192.168.10.0/24",
        ami_id="ami-1",
        ssh_public_key=KEY,
        office_cidrs=["203.0.113.0/24", "2001:db8::/32"],
        region="ap-northeast-2",
        servers=[s.ssh_target() for s in servers],
    )
    base.update(changes)
    return BastionArgs(**base)  # type: ignore[arg-type]


def _cloud_config(text: str) -> dict:
    assert text.startswith("#cloud-config\n")
    return yaml.safe_load(text)


def _files(doc: dict) -> dict[str, str]:
    return {f["path"]: f["content"] for f in doc.get("write_files", [])}


def test_public_server_ingress_is_one_rule_per_source_and_hardened(mocks: RecordingMocks) -> None:
    web = build(
        lambda: Server(
            "web",
            server_args(
                public_ip=True,
                ingress=[IngressRule.internet(80, "http"), IngressRule.internet(443, "https")],
            ),
        )
    )
    (sg,) = mocks.of_type(":SecurityGroup")
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs  # no inline rules
    assert sg.inputs["tags"] == {"Name": "jdoe-web-sg", "Tier": "public", "Role": "web"}
    rules = {r.name: r.inputs for r in mocks.of_type(":SecurityGroupIngressRule")}
    assert set(rules) == {"web-in-80-ipv4", "web-in-80-ipv6", "web-in-443-ipv4", "web-in-443-ipv6"}
    assert rules["web-in-443-ipv6"]["cidrIpv6"] == "::/0"
    assert rules["web-in-80-ipv4"]["cidrIpv4"] == "0.0.0.0/0"
    assert all(r["securityGroupId"] == sg.outputs["id"] for r in rules.values())
    assert all(r["fromPort"] == r["toPort"] and r["ipProtocol"] == "tcp" for r in rules.values())

    (inst,) = mocks.of_type(":Instance")
    assert inst.inputs["metadataOptions"]["httpTokens"] == "required"
    assert inst.inputs["rootBlockDevice"]["encrypted"] is True
    assert inst.inputs["associatePublicIpAddress"] is True
    assert inst.inputs["vpcSecurityGroupIds"] == [sg.outputs["id"]]
    assert inst.inputs["tags"]["Tier"] == "public"
    assert "keyName" not in inst.inputs  # the admin key comes through cloud-init
    doc = _cloud_config(inst.inputs["userData"])
    assert KEY in doc["ssh_authorized_keys"]
    restart = _files(doc)["/etc/systemd/system/nginx.service.d/restart.conf"]
    assert "Restart=on-failure" in restart
    assert any("enable" in str(c) and "nginx" in str(c) for c in doc["runcmd"])
    assert resolve(web.private_ip) == inst.outputs["privateIp"]


def test_private_server_has_no_public_ip_and_admits_only_its_peer(mocks: RecordingMocks) -> None:
    build(
        lambda: Server(
            "db",
            server_args(
                tier=Tier.PRIVATE,
                service=DB_SERVICE,
                ingress=[IngressRule.from_group("sg-web", 3306, "mysql from web")],
            ),
        )
    )
    (inst,) = mocks.of_type(":Instance")
    assert inst.inputs["associatePublicIpAddress"] is False
    assert inst.outputs.get("publicIp", "") == ""
    (rule,) = mocks.of_type(":SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == "sg-web"
    assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (3306, 3306)


@pytest.mark.parametrize(
    ("changes", "setting", "words"),
    [
        ({"tier": Tier.PRIVATE, "public_ip": True}, "publicIp", "must not have a public IP"),
        (
            {"ingress": [IngressRule.internet(22, "ssh")]},
            "ingress[0]",
            "only from the bastion",
        ),
        (
            {"ingress": [IngressRule.internet(1, "all", to_port=65535)]},
            "ingress[0]",
            "only from the bastion",
        ),
        (
            {"tier": Tier.PRIVATE, "ingress": [IngressRule.internet(80, "http")]},
            "ingress[0]",
            "not reachable from the internet",
        ),
        ({"ingress": [IngressRule.internet(0, "zero")]}, "ingress[0]", "port range"),
        ({"ssh_public_key": ""}, "sshPublicKey", "ssh-keygen"),
        (
            {"ssh_public_key": "-----BEGIN OPENSSH PRIVATE KEY-----"},
            "sshPublicKey",
            "private key",
        ),
        ({"ssh_public_key": "ssh-rsa AAAA"}, "sshPublicKey", "not a valid ssh-rsa key"),
        (
            {"ssh_public_key": KEY.replace("ssh-ed25519", "ssh-rsa", 1)},
            "sshPublicKey",
            "not a valid ssh-rsa key",
        ),
        (
            {"ssh_public_key": "ssh-dss AAAAB3NzaC1kc3M="},
            "sshPublicKey",
            "EC2 does not import ssh-dss keys",
        ),
    ],
)
def test_bad_server_args_are_refused(changes: dict, setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        server_args(**changes)
    assert err.value.setting == setting
    assert words in str(err.value)
    # In code terms: the args class and the Python field name, never a stack file.
    assert str(err.value).startswith("ServerArgs.") and "Pulumi." not in str(err.value)


def test_bastion_admits_ssh_only_from_the_office_and_opens_the_servers(
    mocks: RecordingMocks,
) -> None:
    def program() -> tuple[Bastion, Server, Server]:
        web = Server("web", server_args(public_ip=True, ingress=[IngressRule.internet(80, "http")]))
        db = Server("db", server_args(tier=Tier.PRIVATE, service=DB_SERVICE))
        return Bastion("bastion", bastion_args([web, db])), web, db

    bastion, _web, _db = build(program)
    sgs = {r.name: r for r in mocks.of_type(":SecurityGroup")}
    bastion_sg = sgs["bastion-sg"]
    assert bastion_sg.inputs["tags"] == {
        "Name": "jdoe-bastion-sg",
        "Tier": "management",
        "Role": "bastion",
    }
    ingress = {r.name: r.inputs for r in mocks.of_type(":SecurityGroupIngressRule")}
    office = {n: r for n, r in ingress.items() if r["securityGroupId"] == bastion_sg.outputs["id"]}
    assert {(r.get("cidrIpv4"), r.get("cidrIpv6")) for r in office.values()} == {
        (None, "2001:db8::/32"),
        ("203.0.113.0/24", None),
    }
    assert all(
        (r["fromPort"], r["toPort"], r["ipProtocol"]) == (22, 22, "tcp") for r in office.values()
    )
    # SSH into each server: one rule, from the bastion's group only.
    for server in ("web", "db"):
        rule = ingress[f"bastion-ssh-to-{server}"]
        assert rule["securityGroupId"] == sgs[f"{server}-sg"].outputs["id"]
        assert rule["referencedSecurityGroupId"] == bastion_sg.outputs["id"]
        assert (rule["fromPort"], rule["toPort"]) == (22, 22)
    ssh_rules = [r for r in ingress.values() if r["fromPort"] <= 22 <= r["toPort"]]
    assert len(ssh_rules) == 4  # two office rules + one per server, nothing else

    instances = {r.name: r for r in mocks.of_type(":Instance")}
    inst = instances["bastion-instance"]
    assert inst.inputs["metadataOptions"]["httpTokens"] == "required"
    assert inst.inputs["rootBlockDevice"]["encrypted"] is True
    (key,) = mocks.of_type(":KeyPair")
    assert key.inputs["publicKey"] == KEY
    assert inst.inputs["keyName"] == key.outputs["keyName"]
    (eip,) = mocks.of_type(":Eip")
    assert eip.inputs["instance"] == inst.outputs["id"]

    # User data: hosts entries carry the servers' private IPs (lesson 2), audit log (lesson 4).
    web_ip = instances["web-instance"].outputs["privateIp"]
    db_ip = instances["db-instance"].outputs["privateIp"]
    assert web_ip != db_ip
    doc = _cloud_config(inst.inputs["userData"])
    text = inst.inputs["userData"]
    assert f"{web_ip} web" in text and f"{db_ip} db" in text
    files = _files(doc)
    ssh_config = next(c for p, c in files.items() if p.endswith("/.ssh/config"))
    assert re.search(rf"^Host web\b.*\n\s+HostName {re.escape(web_ip)}$", ssh_config, re.M)
    assert re.search(rf"^Host db\b.*\n\s+HostName {re.escape(db_ip)}$", ssh_config, re.M)
    profile = next(c for p, c in files.items() if p.startswith("/etc/profile.d/"))
    assert "TMOUT=600" in profile and "HISTTIMEFORMAT" in profile
    assert "logger -p local0" in profile
    assert any("local0" in c and "/var/log/" in c for c in files.values())

    # Outputs: EIP and an ssh config reaching servers by private IP through the bastion.
    public_ip = resolve(bastion.public_ip)
    assert public_ip == eip.outputs["publicIp"]
    config = resolve(bastion.ssh_config)
    assert f"Host jdoe-web\n    HostName {web_ip}" in config
    assert "ProxyJump jdoe-bastion" in config
    assert f"HostName {public_ip}" in config


@pytest.mark.parametrize(
    ("changes", "setting", "words"),
    [
        ({"office_cidrs": ["0.0.0.0/0"]}, "officeCidrs[0]", "whole internet"),
        ({"office_cidrs": ["::/0"]}, "officeCidrs[0]", "whole internet"),
        ({"office_cidrs": []}, "officeCidrs", "at least one"),
        ({"office_cidrs": "203.0.113.0/24"}, "officeCidrs", "list"),
        ({"office_cidrs": ["203.0.113.300/32"]}, "officeCidrs[0]", "not a valid CIDR"),
        ({"ssh_public_key": None}, "sshPublicKey", "no SSH public key"),
        ({"idle_timeout_seconds": 5}, "idleTimeoutSeconds", "60 to 3600"),
    ],
)
def test_bad_bastion_args_are_refused(
    mocks: RecordingMocks, changes: dict, setting: str, words: str
) -> None:
    with pytest.raises(ConfigError) as err:
        build(lambda: Bastion("bastion", bastion_args([], **changes)))
    assert err.value.setting == setting
    assert words in str(err.value)
    assert str(err.value).startswith("BastionArgs.") and "pulumi config" not in str(err.value)
    assert mocks.registered == []  # refused before anything is registered


def test_ssh_config_renders_proxyjump_per_server() -> None:
    text = render_ssh_config("jdoe", "203.0.113.5", {"web": "192.168.10.10"})
    assert text.splitlines()[1:3] == ["Host jdoe-bastion", "    HostName 203.0.113.5"]
    assert "Host jdoe-web\n    HostName 192.168.10.10" in text
    assert text.count("ProxyJump jdoe-bastion") == 1
