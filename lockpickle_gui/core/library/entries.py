"""What a library listing returns: light rows, the filters that select them, full details.

:class:`LibraryEntry` is a NamedTuple made straight from a SQL row (listing 10,000 of them
must stay well under 50 ms); :class:`EntryDetails` adds what only one selected entry needs
(models, primitives, types, history).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

TAG_SEPARATOR = "\x1f"  # joins a row's tags in SQL; no tag may contain it


class VerdictFilter(str, enum.Enum):
    """The verdict filter's choices: the verification verdicts plus "never verified"."""

    IDENTICAL = "identical"
    WITHIN_TOLERANCE = "within tolerance"
    MISMATCH = "mismatch"
    NO_DATA = "no data"
    UNVERIFIED = "unverified"


# Columns a listing may be sorted by (inside each project, which always comes first).
SORT_COLUMNS = {
    "created": "created_utc",
    "name": "name",
    "size": "size",
    "models": "model_text",
    "params": "params",
    "primitives": "primitive_count",
    "verdict": "verdict",
    "verified": "verified_at",
    "path": "path",
}


class LibraryEntry(NamedTuple):
    """One snapshot in a listing (see :data:`LISTING_COLUMNS` for the SQL behind it)."""

    id: int
    path: str
    name: str
    project: str
    created_utc: str
    size: int | None
    sha256: str | None
    model_text: str
    model_count: int
    params: int
    primitive_count: int
    dropped_count: int
    verdict: str | None
    verified_at: str | None
    note: str
    missing_flag: int  # the SQL column as it comes (0/1); read `missing`
    origin: str
    tag_text: str

    @property
    def missing(self) -> bool:
        """Whether the file was gone at the last scan."""
        return bool(self.missing_flag)

    @property
    def tags(self) -> list[str]:
        return self.tag_text.split(TAG_SEPARATOR) if self.tag_text else []

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON data: ``missing`` a bool, ``verdict`` "unverified" (like the text
        listing and the ``--verdict`` filter) when it was never verified, ``tags`` a list."""
        data = {
            ("missing" if key == "missing_flag" else key): value
            for key, value in self._asdict().items()
            if key != "tag_text"
        }
        data["missing"] = self.missing
        data["verdict"] = self.verdict or VerdictFilter.UNVERIFIED.value
        data["tags"] = self.tags
        return data


LISTING_COLUMNS = (
    "s.id, s.path, s.name, s.project, s.created_utc, s.size, s.sha256, s.model_text, "
    "s.model_count, s.params, s.primitive_count, s.dropped_count, s.verdict, s.verified_at, "
    "s.note, s.missing, s.origin, s.tag_text"
)


@dataclass(frozen=True)
class Filters:
    """Which entries a listing shows. Empty/None fields do not filter."""

    search: str = ""  # words, each found in the file name, path, project, models, note or tags
    project: str | None = None
    tag: str | None = None
    verdict: VerdictFilter | None = None
    missing: bool | None = None  # True: only missing files, False: only present ones
    sort: str = "created"
    descending: bool = True


@dataclass(frozen=True)
class Event:
    at: str
    kind: str  # exported | imported | added | scanned | moved | replaced | verified | tagged | note
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"at": self.at, "kind": self.kind, "detail": self.detail}


@dataclass(frozen=True)
class EntryDetails:
    """Everything the catalog knows about one snapshot."""

    entry: LibraryEntry
    content_id: str
    format_version: int | None
    producer: str
    producer_version: str
    versions: dict[str, str]
    source_path: str | None
    root_type: str
    models: list[dict[str, Any]]
    primitives: list[dict[str, str]]
    dropped: list[dict[str, str]]
    required_types: list[str]
    has_verification: bool
    verify_detail: str
    added_at: str
    history: list[Event] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.entry.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.entry.to_dict(),
            "content_id": self.content_id,
            "format_version": self.format_version,
            "producer": self.producer,
            "producer_version": self.producer_version,
            "versions": self.versions,
            "source_path": self.source_path,
            "root_type": self.root_type,
            "models": self.models,
            "primitives": self.primitives,
            "dropped": self.dropped,
            "required_types": self.required_types,
            "has_verification": self.has_verification,
            "verify_detail": self.verify_detail,
            "added_at": self.added_at,
            "history": [event.to_dict() for event in self.history],
        }
