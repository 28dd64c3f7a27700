"""The deployed-state model's machinery: a Read table per type, and the world it reads from.

A ``ReadSpec`` is what one terraform-provider-aws Read function writes for one resource type:
its id, the values it reads back from AWS (``read``: a function of a ``Ctx``), the optional
attributes it sets to their zero value when AWS returns nothing (``zero``), the always-present
ones it legitimately leaves null (``null_ok``, each seen null in a real state), the Terraform
schema defaults (``defaults``: in the stored outputs; the stored inputs stay the checked inputs
as ``review.mocks`` models Check, which fills fewer of them -- adding them there would make
every diff against the export see a change the program did not make), and the ``__meta`` it
stores. The table
modules (``review.deployed_ec2`` and the others) register one per type with ``@read(...)``,
citing the Go file and function they follow.

``World`` holds one run's resources in registration order (the engine's creation order for
every dependency pair) and what has been computed for them so far. ``Ctx.visible`` is the
heart of the two shapes: right after ``pulumi up`` a resource's outputs are what its own Create
read back, so it sees only the resources created before it; after ``pulumi refresh`` every
resource is read again and sees all of them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import deployed_ids as ids
from .mocks import ACCOUNT_ID, DEFAULT_REGION
from .plan import RecordedResource

# Type tokens the tables share (each table module names its own others)
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
EIP = "aws:ec2/eip:Eip"
ENI = "aws:ec2/networkInterface:NetworkInterface"
INSTANCE = "aws:ec2/instance:Instance"
NAT = "aws:ec2/natGateway:NatGateway"


class Shape(enum.StrEnum):
    """Which stored state: right after ``pulumi up`` or after ``pulumi refresh``."""

    FRESH = "fresh"
    REFRESHED = "refreshed"

    @classmethod
    def parse(cls, value: Shape | str) -> Shape:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"shape must be one of {', '.join(s.value for s in cls)}, not {value!r}"
            ) from None


@dataclass
class Ref:
    """A resource as another resource's Read sees it."""

    res: RecordedResource
    index: int
    id: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return self.res.urn

    @property
    def type(self) -> str:
        return self.res.type

    def get(self, key: str, default: Any = None) -> Any:
        v = self.outputs.get(key) if self.outputs else None
        if v is None:
            v = self.inputs.get(key)
        return default if v is None else v


class World:
    """One run's resources (default providers included) and their deployed ids and values."""

    def __init__(self, resources: Iterable[RecordedResource], region: str) -> None:
        self.refs: list[Ref] = [Ref(r, i) for i, r in enumerate(resources)]
        self.by_urn = {r.urn: r for r in self.refs}
        self.region = region

    def of_type(self, *types: str) -> list[Ref]:
        return [r for r in self.refs if r.type in types]

    def by_id(self, types: Iterable[str], value: Any) -> Ref | None:
        if not isinstance(value, str) or not value:
            return None
        wanted = set(types)
        for r in self.refs:
            if r.type in wanted and r.id == value:
                return r
        return None


@dataclass
class Ctx:
    """What a Read function sees: the resource, its deployed inputs, and the world."""

    world: World
    ref: Ref
    shape: Shape
    mock: dict[str, Any]  # the recorded (mock) outputs, for values they already model well
    defaults: dict[str, Any] = field(default_factory=dict)  # the type's schema defaults

    @property
    def inputs(self) -> dict[str, Any]:
        return self.ref.inputs

    @property
    def urn(self) -> str:
        return self.ref.urn

    @property
    def name(self) -> str:
        return self.ref.res.name

    @property
    def id(self) -> str:
        return self.ref.id

    @property
    def region(self) -> str:
        r = self.inputs.get("region")
        return r if isinstance(r, str) and r else self.world.region

    account = ACCOUNT_ID

    def get(self, key: str, default: Any = None) -> Any:
        """An input, else the schema default the state holds for it, else ``default``."""
        v = self.inputs.get(key)
        if v is None:
            v = self.defaults.get(key)
        return default if v is None else v

    def sub(self, prefix: str, role: str) -> str:
        return ids.aws_id(prefix, self.urn, role)

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        return ids.arn(service, resource, region=self.region if regional else "")

    def visible(self, *types: str) -> list[Ref]:
        """Resources of these types this resource's Read sees (see the module docstring)."""
        mine = self.ref.index
        return [
            r
            for r in self.world.of_type(*types)
            if r.urn != self.urn and (self.shape is Shape.REFRESHED or r.index < mine)
        ]

    def find(self, types: Iterable[str] | str, value: Any) -> Ref | None:
        return self.world.by_id([types] if isinstance(types, str) else types, value)

    def tags_all(self) -> dict[str, str]:
        """``tags_all``: the provider's ``default_tags`` overlaid by ``tags``
        (``internal/tags/key_value_tags.go``, ``DefaultConfig.MergeTags``)."""
        prov = self.world.by_urn.get(self.ref.res.provider.rsplit("::", 1)[0])
        defaults: dict[str, str] = {}
        if prov is not None:
            raw = prov.inputs.get("defaultTags")
            if isinstance(raw, str) and raw:
                import json

                raw = json.loads(raw)
            if isinstance(raw, dict) and isinstance(raw.get("tags"), dict):
                defaults = dict(raw["tags"])
        tags = self.inputs.get("tags") or {}
        return {**defaults, **{k: v for k, v in tags.items() if v is not None}}


ReadFn = Callable[[Ctx], dict[str, Any]]
IdFn = Callable[[Ctx], str]


@dataclass(frozen=True)
class ReadSpec:
    token: str
    source: str  # "internal/service/ec2/vpc_subnet.go resourceSubnetRead"
    read: ReadFn
    id: IdFn
    framework: bool = False  # a Plugin Framework resource: unset nested values are null
    zero: frozenset[str] = frozenset()
    null_ok: frozenset[str] = frozenset()
    defaults: dict[str, Any] = field(default_factory=dict)
    schema_version: int = 0
    timeouts: dict[str, int] | None = None  # minutes, as the schema's Timeouts declare them
    fresh_differs: frozenset[str] = frozenset()  # outputs a refresh may change (mirrors)
    # every always-present output the table does not set is Read's zero value (a Read that
    # d.Sets each attribute from the API answer, AWS answering nothing for the rest)
    zero_rest: bool = False


SPECS: dict[str, ReadSpec] = {}


def read(
    *tokens: str,
    source: str,
    id: IdFn | str,
    framework: bool = False,
    zero: Iterable[str] = (),
    null_ok: Iterable[str] = (),
    defaults: dict[str, Any] | None = None,
    schema_version: int = 0,
    timeouts: dict[str, int] | None = None,
    fresh_differs: Iterable[str] = (),
    zero_rest: bool = False,
) -> Callable[[ReadFn], ReadFn]:
    """Register ``fn`` as the Read table of ``tokens``. ``id`` is a function of the Ctx or
    an EC2 id prefix (``"subnet"`` -> ``subnet-0...`` from the URN)."""

    def id_fn(prefix: str) -> IdFn:
        return lambda c: ids.aws_id(prefix, c.urn)

    def register(fn: ReadFn) -> ReadFn:
        for token in tokens:
            if token in SPECS:
                raise ValueError(f"two Read tables for {token}")
            SPECS[token] = ReadSpec(
                token=token,
                source=source,
                read=fn,
                id=id_fn(id) if isinstance(id, str) else id,
                framework=framework,
                zero=frozenset(zero),
                null_ok=frozenset(null_ok),
                defaults=dict(defaults or {}),
                schema_version=schema_version,
                timeouts=timeouts,
                fresh_differs=frozenset(fresh_differs),
                zero_rest=zero_rest,
            )
        return fn

    return register


DEFAULT_WORLD_REGION = DEFAULT_REGION
