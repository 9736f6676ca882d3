"""The catalog's SQL pieces: the listing's WHERE clause, an entry's column values, the
content of ``library-roots.json`` — kept apart from :class:`~.catalog.Library`'s locking
and transactions."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from lockpickle_gui.core.library import db
from lockpickle_gui.core.library.entries import TAG_SEPARATOR, Filters, VerdictFilter
from lockpickle_gui.core.library.roots import Annotation, Roots
from lockpickle_gui.core.library.summary import SnapshotSummary


def normalize(path: str | os.PathLike[str]) -> str:
    """The absolute path the catalog stores (symlinks resolved, so one file is one entry)."""
    return str(Path(path).expanduser().resolve())


def reference(ref: int | str) -> tuple[str, object]:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return "id", int(ref)
    return "path", normalize(ref)


def clean_tag(tag: str) -> str:
    cleaned = " ".join(str(tag).replace(TAG_SEPARATOR, " ").split())
    if not cleaned:
        raise db.LibraryError(
            f"Expected a tag with some text. Received: {tag!r}.",
            hint="Give a word such as 'production' or 'baseline'.",
        )
    return cleaned


def vanished_twin(conn: sqlite3.Connection, content_id: str) -> tuple[int, str] | None:
    """An entry with this content whose file is gone (the file moved), if any."""
    for entry_id, path in conn.execute(
        "SELECT id, path FROM snapshots WHERE content_id = ?", [content_id]
    ):
        if not os.path.isfile(path):
            return int(entry_id), str(path)
    return None


def summary_values(
    summary: SnapshotSummary, project: str | None, source_path: str | None
) -> dict[str, object]:
    models = [m.to_dict() for m in summary.models]
    return {
        "content_id": summary.content_id,
        "created_utc": summary.created_utc,
        "format_version": summary.format_version,
        "producer": summary.producer,
        "producer_version": summary.producer_version,
        "versions": json.dumps(summary.versions),
        "project": summary.project if project is None or summary.project_named else project,
        "source_path": summary.source_path or source_path,
        "root_type": summary.root_type,
        "models": json.dumps(models),
        "model_text": ", ".join(f"{m.name} ({m.cls.rpartition('.')[2]})" for m in summary.models),
        "model_count": len(models),
        "params": summary.params,
        "primitives": json.dumps([p.to_dict() for p in summary.primitives]),
        "primitive_count": len(summary.primitives),
        "dropped": json.dumps([d.to_dict() for d in summary.dropped]),
        "dropped_count": len(summary.dropped),
        "required_types": json.dumps(list(summary.required_types)),
        "has_verification": int(summary.has_verification),
    }


def where(filters: Filters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    for word in filters.search.lower().split():
        pattern = f"%{word}%"
        clauses.append(
            "(lower(s.path) LIKE ? OR lower(s.project) LIKE ? OR lower(s.model_text) LIKE ? "
            "OR lower(s.note) LIKE ? OR EXISTS (SELECT 1 FROM tags t WHERE "
            "t.snapshot_id = s.id AND lower(t.tag) LIKE ?))"
        )
        args += [pattern] * 5
    if filters.project is not None:
        clauses.append("s.project = ?")
        args.append(filters.project)
    if filters.tag is not None:
        clauses.append("EXISTS (SELECT 1 FROM tags t WHERE t.snapshot_id = s.id AND t.tag = ?)")
        args.append(filters.tag)
    if filters.verdict is not None:
        verdict = VerdictFilter(filters.verdict)
        if verdict is VerdictFilter.UNVERIFIED:
            clauses.append("s.verdict IS NULL")
        else:
            clauses.append("s.verdict = ?")
            args.append(verdict.value)
    if filters.missing is not None:
        clauses.append("s.missing = ?")
        args.append(int(filters.missing))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def roots_of(conn: sqlite3.Connection) -> Roots:
    """The roots file's content, from the catalog (see :mod:`.roots`)."""
    folders = [r[0] for r in conn.execute("SELECT path FROM folders ORDER BY path")]
    prefixes = tuple(folder.rstrip(os.sep) + os.sep for folder in folders)
    files = [
        {"path": path, "content_id": cid}
        for path, cid in conn.execute("SELECT path, content_id FROM snapshots ORDER BY path")
        if not path.startswith(prefixes)
    ]
    annotations = [
        Annotation(
            path=path,
            content_id=cid,
            tags=sorted(tags.split(TAG_SEPARATOR)) if tags else [],
            note=note,
            verdict=verdict,
            verified_at=verified_at,
            verify_detail=detail,
        )
        for path, cid, note, verdict, verified_at, detail, tags in conn.execute(
            "SELECT path, content_id, note, verdict, verified_at, verify_detail, "
            f"(SELECT group_concat(tag, '{TAG_SEPARATOR}') FROM tags WHERE snapshot_id = s.id) "
            "FROM snapshots s WHERE note != '' OR verdict IS NOT NULL "
            "OR EXISTS (SELECT 1 FROM tags WHERE snapshot_id = s.id) ORDER BY path"
        )
    ]
    return Roots(folders=folders, files=files, annotations=annotations)
