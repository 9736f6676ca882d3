"""What a comparison of two snapshots says: sections of rows, each row the same, added,
removed or changed, with both sides' values and the details of a change.

Every row is kept, changed or not, so the app can show both snapshots side by side with the
changed rows highlighted; the CLI prints the changed ones. ``to_dict`` is the JSON form.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

MAX_DETAILS = 12  # config changes listed per row; the rest is counted


class Status(str, enum.Enum):
    SAME = "same"
    ADDED = "added"  # only in B
    REMOVED = "removed"  # only in A
    CHANGED = "changed"

    def __str__(self) -> str:
        return self.value


@dataclass
class DiffRow:
    item: str  # what the row is about: "keras", "root.lock", "hidden", "hidden/vars/0"
    status: Status
    a: str = ""  # A's value, as people read it ("" when absent)
    b: str = ""
    details: list[str] = field(default_factory=list)  # e.g. "units: 8 -> 16"
    numbers: dict[str, float] = field(default_factory=dict)  # max_abs, rel_norm

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"item": self.item, "status": self.status.value}
        data.update(a=self.a, b=self.b)
        if self.details:
            data["details"] = self.details
        if self.numbers:  # JSON has no infinity (outputs of another shape): "inf"
            data["numbers"] = {
                k: v if math.isfinite(v) else str(v) for k, v in self.numbers.items()
            }
        return data


@dataclass
class DiffSection:
    key: (
        str  # "versions", "types", "code", "primitives", "dropped", "models", "layers:<model>", ...
    )
    title: str  # "Versions", "Layers of scorer", ...
    rows: list[DiffRow] = field(default_factory=list)
    note: str = ""  # why something was not compared

    @property
    def changed(self) -> list[DiffRow]:
        return [row for row in self.rows if row.status is not Status.SAME]

    @property
    def identical(self) -> bool:
        return not self.changed

    def counts(self) -> dict[str, int]:
        found = {status.value: 0 for status in Status}
        for row in self.rows:
            found[row.status.value] += 1
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "identical": self.identical,
            "counts": self.counts(),
            "note": self.note,
            "rows": [row.to_dict() for row in self.rows],
        }


@dataclass
class DiffReport:
    a: str  # labels: the files' paths, or "<project> (open project)"
    b: str
    sections: list[DiffSection] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return all(section.identical for section in self.sections)

    def section(self, key: str) -> DiffSection | None:
        return next((s for s in self.sections if s.key == key), None)

    def summary(self) -> str:
        """One line: "identical", or what differs, section by section."""
        if self.identical:
            return (
                "identical: no difference in versions, types, bundled code, primitives, "
                "models or outputs"
            )
        parts = []
        for section in self.sections:
            counts = {k: v for k, v in section.counts().items() if k != "same" and v}
            if counts:
                listed = ", ".join(f"{n} {status}" for status, n in counts.items())
                parts.append(f"{section.title}: {listed}")
        return "different: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "identical": self.identical,
            "summary": self.summary(),
            "sections": [section.to_dict() for section in self.sections],
        }


def compare_values(item: str, a: Any, b: Any, text: str | None = None) -> DiffRow:
    """A row for one value on each side (None: absent on that side)."""
    shown_a = "" if a is None else str(a)
    shown_b = "" if b is None else str(b)
    if a is None and b is not None:
        status = Status.ADDED
    elif b is None and a is not None:
        status = Status.REMOVED
    else:
        status = Status.SAME if a == b else Status.CHANGED
    return DiffRow(item, status, shown_a if text is None else text, shown_b)


def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested config as ``{"a.b[0].c": leaf}``, so two configs compare key by key."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flat(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for index, inner in enumerate(value):
            out.update(flat(inner, f"{prefix}[{index}]"))
        return out or {prefix: []}
    return {prefix: value}


def dict_changes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """``"key: old -> new"`` for every key whose flattened value differs (at most
    :data:`MAX_DETAILS`, then a count)."""
    left, right = flat(a), flat(b)
    changes = []
    for key in sorted(set(left) | set(right)):
        if key not in right:
            changes.append(f"{key}: {_short(left[key])} -> (none)")
        elif key not in left:
            changes.append(f"{key}: (none) -> {_short(right[key])}")
        elif left[key] != right[key]:
            changes.append(f"{key}: {_short(left[key])} -> {_short(right[key])}")
    if len(changes) > MAX_DETAILS:
        changes = [*changes[:MAX_DETAILS], f"… {len(changes) - MAX_DETAILS} more"]
    return changes


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
