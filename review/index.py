"""Lookups over one recorded run: resources by type, by id and by URN, and what an input points
at (by id in an update, by property dependency in a preview). Reads ``plan`` data only; shared
by ``cost`` and ``diagram``."""

from __future__ import annotations

from typing import Any

from .plan import ProgramRun, RecordedResource


class PlanIndex:
    """Id (update mode) and URN lookups over one run's custom resources."""

    def __init__(self, run: ProgramRun) -> None:
        self.run = run
        self.resources = run.custom_resources()
        self.by_id: dict[str, RecordedResource] = {}
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[RecordedResource]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)
            rid = r.outputs.get("id")
            if isinstance(rid, str) and rid:
                self.by_id[rid] = r

    def of(self, typ: str) -> list[RecordedResource]:
        return list(self._by_type.get(typ, []))

    def ref(self, owner: RecordedResource, key: str) -> RecordedResource | None:
        """The resource an input points at: by id (update), else by its property dependency."""
        value = owner.inputs.get(key)
        if isinstance(value, str) and value in self.by_id:
            return self.by_id[value]
        deps = owner.property_dependencies.get(key, [])
        found = [self.by_urn[u] for u in deps if u in self.by_urn]
        return found[0] if len(found) == 1 else None

    def refs(self, owner: RecordedResource, key: str) -> list[RecordedResource]:
        """Every resource a list input points at (e.g. ``vpcSecurityGroupIds``)."""
        value: Any = owner.inputs.get(key)
        items = value if isinstance(value, list) else [value]
        found = [self.by_id[v] for v in items if isinstance(v, str) and v in self.by_id]
        if found:
            return found
        deps = owner.property_dependencies.get(key, [])
        return [self.by_urn[u] for u in deps if u in self.by_urn]

    def referrers(self, target: RecordedResource, typ: str, key: str) -> list[RecordedResource]:
        """Resources of ``typ`` whose input ``key`` points at ``target``."""
        return [r for r in self.of(typ) if self.ref(r, key) is target]


def tags(r: RecordedResource) -> dict[str, Any]:
    """A resource's map-form tags (an Auto Scaling group's list form is read separately)."""
    value = r.inputs.get("tags")
    return value if isinstance(value, dict) else {}
