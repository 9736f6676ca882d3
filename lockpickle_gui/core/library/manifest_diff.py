"""The parts of a comparison that two manifests answer alone: versions, the types loading
needs, the primitives (kind, sharing, kept state) and the objects dropped at export.

Manifests of other format versions may lack fields or name them differently: everything is
read with defaults (see :mod:`.summary` for the type list of either version).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockpickle_gui.core.library.diff_report import (
    DiffRow,
    DiffSection,
    Status,
    compare_values,
    dict_changes,
)
from lockpickle_gui.core.library.summary import VERSION_KEYS, required_types

Manifest = Mapping[str, Any]


def versions_section(a: Manifest, b: Manifest) -> DiffSection:
    """Format, producer and library versions (not the creation time: every export has one)."""
    rows = [
        compare_values("format version", a.get("format_version"), b.get("format_version")),
        compare_values("lockpickle", _producer(a), _producer(b)),
    ]
    rows += [compare_values(key, a.get(key), b.get(key)) for key in VERSION_KEYS]
    rows.append(compare_values("root type", a.get("root"), b.get("root")))
    section = DiffSection("versions", "Versions", [r for r in rows if r.a or r.b])
    created = (a.get("created_utc"), b.get("created_utc"))
    section.note = f"created {created[0] or '?'} and {created[1] or '?'}"
    return section


def types_section(a: Manifest, b: Manifest) -> DiffSection:
    """What loading needs trusted: a type (or module) added is what a reviewer looks at."""
    left, right = set(required_types(a)), set(required_types(b))
    rows = [
        DiffRow(
            name,
            Status.SAME
            if name in left and name in right
            else Status.ADDED
            if name in right
            else Status.REMOVED,
            "needed" if name in left else "",
            "needed" if name in right else "",
        )
        for name in sorted(left | right)
    ]
    return DiffSection("types", "Required types", rows)


def primitives_section(a: Manifest, b: Manifest) -> DiffSection:
    """Lock-like objects by path: kind, sharing (aliases, the lock a Condition uses), kept
    state (an Event's flag, a Semaphore's value, a Queue's items)."""
    left, right = _primitives(a), _primitives(b)
    rows = []
    for path in _ordered(left, right):
        one, two = left.get(path), right.get(path)
        if one is None or two is None:
            status = Status.ADDED if one is None else Status.REMOVED
            rows.append(DiffRow(path, status, _describe(one), _describe(two)))
            continue
        details = []
        if one["kind"] != two["kind"]:
            details.append(f"kind: {one['kind']} -> {two['kind']}")
        details += _set_changes("shared with", one["also_at"], two["also_at"])
        details += [f"uses {c}" for c in dict_changes(one["uses"], two["uses"])]
        details += [f"state {c}" for c in dict_changes(one["params"], two["params"])]
        status = Status.CHANGED if details else Status.SAME
        if one["held"] != two["held"]:  # a fact about the moment of export, not a change
            details.append(f"held at export: {one['held']} -> {two['held']}")
        rows.append(DiffRow(path, status, _describe(one), _describe(two), details))
    return DiffSection("primitives", "Primitives", rows)


def dropped_section(a: Manifest, b: Manifest) -> DiffSection:
    """Objects a snapshot could not restore and stored as None."""
    left, right = _dropped(a), _dropped(b)
    rows = [compare_values(path, left.get(path), right.get(path)) for path in _ordered(left, right)]
    return DiffSection("dropped", "Dropped at export", rows)


# ---------------------------------------------------------------------------- helpers


def _producer(manifest: Manifest) -> str | None:
    producer = manifest.get("producer")
    if not isinstance(producer, Mapping):
        return None
    return " ".join(str(v) for v in (producer.get("name"), producer.get("version")) if v) or None


def _primitives(manifest: Manifest) -> dict[str, dict[str, Any]]:
    entries = [e for e in manifest.get("primitives") or [] if isinstance(e, Mapping)]
    paths = {e.get("id"): str(e.get("path", "")) for e in entries if e.get("id") is not None}
    found = {}
    for entry in entries:
        uses = entry.get("uses")
        uses = uses if isinstance(uses, Mapping) else {}
        found[str(entry.get("path", ""))] = {
            "kind": str(entry.get("kind", "")),
            "also_at": sorted(str(p) for p in entry.get("also_at") or []),
            "uses": {
                str(name): paths.get(used.get("id"), used.get("kind"))
                if isinstance(used, Mapping)
                else str(used)
                for name, used in uses.items()
            },
            "params": dict(entry.get("params") or {}),
            "held": bool(entry.get("held_at_export")),
            "restore": str(entry.get("restore", "")),
        }
    return found


def _dropped(manifest: Manifest) -> dict[str, str]:
    return {
        str(d.get("path", "")): str(d.get("kind", ""))
        for d in manifest.get("dropped") or []
        if isinstance(d, Mapping)
    }


def _ordered(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[str]:
    """A's order, then what only B has."""
    return [*left, *(key for key in right if key not in left)]


def _describe(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return ""
    parts = [entry["kind"]]
    parts += [f"{k}={v}" for k, v in entry["params"].items()]
    parts += [f"{name}: {used}" for name, used in entry["uses"].items()]
    if entry["also_at"]:
        parts.append(f"also at {', '.join(entry['also_at'])}")
    return ", ".join(parts)


def _set_changes(label: str, left: list[str], right: list[str]) -> list[str]:
    added = [p for p in right if p not in left]
    removed = [p for p in left if p not in right]
    changes = [f"{label}: + {p}" for p in added]
    return changes + [f"{label}: - {p}" for p in removed]
