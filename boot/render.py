"""Each server's user data as the program renders it: the shipped stack run under Pulumi's mocks
(review.engine.run_program, as tests/conftest.py's StackRuns does), with the boot test's own
public key as ``sshPublicKey`` so that a real ssh login into the booted guest works.

One value is AWS's to give and the mocks can't know: the data volume's id (the mocks answer
``db-data-id``). It is replaced by an id of EBS's shape, the one the qemu tier's NVMe disk
carries as its serial, exactly where the rendered document has it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from review.engine import run_program
from review.stack_config import load_project, load_stack_config

#: The program whose user data is booted: this checkout, or BOOT_PROGRAM=<another checkout>
#: (e.g. a worktree of an earlier commit, to show a check failing before a fix).
ROOT = Path(os.environ.get("BOOT_PROGRAM") or Path(__file__).resolve().parent.parent).resolve()
INSTANCE = "aws:ec2/instance:Instance"
VOLUME = "aws:ebs/volume:Volume"
KEY_PAIR = "aws:ec2/keyPair:KeyPair"
#: The data volume's id in the boot test (EBS's shape: vol- and 17 hex digits).
VOLUME_ID = "vol-0b007e57da7a0001f"


@dataclass(frozen=True)
class Server:
    name: str  # web, db, bastion
    hostname: str
    user_data: str
    private_ip: str
    key_pair: str | None  # the EC2 key pair's public key (served as meta-data public-keys)
    data_volume_id: str | None


def servers(stack: str, public_key: str, **overrides: str) -> dict[str, Server]:
    """The stack's instances by name (``web``, ``db``, ``bastion``)."""
    project = load_project(ROOT)
    config = load_stack_config(ROOT, stack)
    config.update({f"{project.name}:{k}": v for k, v in overrides.items()})
    config[f"{project.name}:sshPublicKey"] = public_key
    run = run_program(project.main, config=config, mode="update", stack=stack, project=project.name)
    prefix = config[f"{project.name}:prefix"]
    volumes = {r.outputs["id"] for r in run.resources if r.type == VOLUME}
    keys = {
        r.outputs["keyName"]: r.outputs["publicKey"] for r in run.resources if r.type == KEY_PAIR
    }
    out: dict[str, Server] = {}
    for r in run.resources:
        if r.type != INSTANCE:
            continue
        name = r.name.removesuffix("-instance")
        text = r.inputs["userData"]
        volume = None
        for mock_id in volumes:
            if f" {mock_id} " in text:
                text = text.replace(f" {mock_id} ", f" {VOLUME_ID} ")
                volume = VOLUME_ID
        out[name] = Server(
            name=name,
            hostname=f"{prefix}-{name}",
            user_data=text,
            private_ip=r.outputs["privateIp"],
            key_pair=keys.get(r.outputs.get("keyName", "")),
            data_volume_id=volume,
        )
    return out
