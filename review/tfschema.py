"""What Terraform's schema says about diffing a type: ``review/tfschema.json``, read here.

The bridge (pulumi-terraform-bridge ``pkg/tfbridge/provider.go``, ``Diff``) diffs the checked
inputs against the stored state with Terraform's schema: a changed ``ForceNew`` attribute makes
the step a replace; a ``TypeSet`` ignores order; an Optional+Computed attribute the program leaves
out keeps its stored value; ``StateFunc`` attributes are stored transformed. The JSON file holds,
per type token, what terraform-provider-aws's source says (the file is named per type). A type
that is not listed gets :data:`ADVERSARIAL`: every changed input forces replacement and every
computed output is unknown after an update (``review.steps``), the harshest reading.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parent / "tfschema.json"

# Keys the bridge keeps beside the attributes: the names Check filled from defaults, and the
# state's metadata (schema version, timeouts). They are not attributes and never diff.
RESERVED_KEYS = frozenset({"__defaults", "__meta"})


@dataclass(frozen=True)
class TypeSchema:
    token: str
    known: bool  # listed in tfschema.json (else: the adversarial reading)
    file: str = ""
    force_new: frozenset[str] = frozenset()
    force_new_if: dict[str, str] = field(default_factory=dict)
    replace_if_source_changes: tuple[str, ...] = ()
    sets: frozenset[str] = frozenset()
    computed: frozenset[str] = frozenset()
    suppressed_when_absent: frozenset[str] = frozenset()
    defaults: dict[str, Any] = field(default_factory=dict)
    state_funcs: dict[str, str] = field(default_factory=dict)
    json_docs: frozenset[str] = frozenset()
    recomputed_on_update: frozenset[str] = frozenset()
    recomputed_on_change: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def kept_when_absent(self, path: str) -> bool:
        """Leaving ``path`` out of the configuration keeps the stored value (Optional+Computed,
        or a DiffSuppressFunc that ignores it)."""
        return path in self.computed or path in self.suppressed_when_absent

    def forces_new(self, path: str, news: dict[str, Any]) -> bool:
        """Does a change at ``path`` (dotted, list indexes dropped) force replacement?

        A change at a path that contains a ForceNew attribute (a whole block added, removed or
        replaced) forces replacement too. Unknown types: every path does (adversarial)."""
        if not self.known or "*" in self.force_new:
            return True
        for forced in self.force_new | _ALL_FORCE_NEW:
            if path == forced or path.startswith(forced + ".") or forced.startswith(path + "."):
                return True
        top = path.split(".", 1)[0]
        flag = self.force_new_if.get(top)
        return flag is not None and news.get(flag) is True


@functools.cache
def _document() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


_ALL_FORCE_NEW: frozenset[str] = frozenset(_document()["all"]["forceNew"])


@functools.cache
def type_schema(token: str) -> TypeSchema:
    entry = _document()["types"].get(token)
    if entry is None:
        return TypeSchema(token, known=False)
    return TypeSchema(
        token,
        known=True,
        file=entry["file"],
        force_new=frozenset(entry.get("forceNew", ())),
        force_new_if=dict(entry.get("forceNewIf", {})),
        replace_if_source_changes=tuple(entry.get("replaceIfSourceChanges", ())),
        sets=frozenset(entry.get("sets", ())),
        computed=frozenset(entry.get("computed", ())),
        suppressed_when_absent=frozenset(entry.get("suppressedWhenAbsent", ())),
        defaults=dict(entry.get("defaults", {})),
        state_funcs=dict(entry.get("stateFuncs", {})),
        json_docs=frozenset(entry.get("json", ())),
        recomputed_on_update=frozenset(entry.get("recomputedOnUpdate", ())),
        recomputed_on_change={
            k: tuple(v) for k, v in entry.get("recomputedOnChange", {}).items()
        },
    )


def known_types() -> frozenset[str]:
    return frozenset(_document()["types"])
