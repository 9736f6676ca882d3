"""What ``save_snapshot`` may be given besides a plain object graph: an object that hands
over its parts itself (a :class:`SnapshotSource`, such as an opened model project).

A project gives the object its program runs (the root), the code it imported -- the very
sources that ran, kept in memory when they were imported, never read again from disk at
export -- and its preview inputs (the verification's samples). The writer asks for these
through the protocol, so it needs to know nothing about projects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class BundledCode:
    """A project's own modules: ``sources`` maps module name -> the source text that ran,
    imported under ``package`` (``lpproject_<name>_<8 hex>``)."""

    package: str
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SnapshotParts:
    root: Any
    code: BundledCode | None = None
    preview_inputs: Any = None  # a path to .npy/.npz inputs, or None
    # {"name", "source"} of the project it came from (the snapshot library groups by it)
    project: dict[str, str | None] | None = None


@runtime_checkable
class SnapshotSource(Protocol):
    def snapshot_parts(self) -> SnapshotParts: ...


def parts_of(obj: Any) -> SnapshotParts:
    if isinstance(obj, SnapshotSource) and not isinstance(obj, type):
        parts = obj.snapshot_parts()
        if isinstance(parts, SnapshotParts):
            return parts
    return SnapshotParts(obj)
