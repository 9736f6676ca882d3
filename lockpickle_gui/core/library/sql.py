"""The catalog's SQL pieces: the listing's WHERE clause, an entry's column values, the
content of ``library-roots.json`` — kept apart from :class:`~.catalog.Library`'s locking
and transactions."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from lockpickle_gui.core.library import db
from lockpickle_gui.core.library.entries import (
    TAG_SEPARATOR,
    EntryDetails,
    Event,
    Filters,
    LibraryEntry,
    VerdictFilter,
)
from lockpickle_gui.core.library.roots import Annotation, Roots
from lockpickle_gui.core.library.summary import SnapshotSummary

if TYPE_CHECKING:
    from lockpickle_gui.core.library.catalog import FileFacts

TWINS_CHECKED = 32
ORIGIN_EVENTS = {"export": "exported", "import": "imported", "add": "added", "scan": "scanned"}


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
    """An entry with this content whose file is gone (the file moved), if any.

    Entries already marked missing are looked at first, and at most
    :data:`TWINS_CHECKED` of them: a folder of a thousand copies of one snapshot must not
    cost a million file checks."""
    for entry_id, path in conn.execute(
        "SELECT id, path FROM snapshots WHERE content_id = ? ORDER BY missing DESC, id LIMIT ?",
        [content_id, TWINS_CHECKED],
    ):
        if not os.path.isfile(path):
            return int(entry_id), str(path)
    return None


DETAIL_COLUMNS = ("versions", "models", "primitives", "dropped", "required_types")


def summary_values(
    summary: SnapshotSummary, project: str | None, source_path: str | None
) -> dict[str, object]:
    """The listing's columns of an entry (the long JSON goes to :func:`detail_values`)."""
    return {
        "content_id": summary.content_id,
        "created_utc": summary.created_utc,
        "format_version": summary.format_version,
        "producer": summary.producer,
        "producer_version": summary.producer_version,
        "project": summary.project if project is None or summary.project_named else project,
        "source_path": summary.source_path or source_path,
        "root_type": summary.root_type,
        "model_text": ", ".join(f"{m.name} ({m.cls.rpartition('.')[2]})" for m in summary.models),
        "model_count": len(summary.models),
        "params": summary.params,
        "primitive_count": len(summary.primitives),
        "dropped_count": len(summary.dropped),
        "has_verification": int(summary.has_verification),
    }


def detail_values(summary: SnapshotSummary) -> list[str]:
    """:data:`DETAIL_COLUMNS` of ``snapshot_details``, as JSON."""
    return [
        json.dumps(summary.versions),
        json.dumps([m.to_dict() for m in summary.models]),
        json.dumps([p.to_dict() for p in summary.primitives]),
        json.dumps([d.to_dict() for d in summary.dropped]),
        json.dumps(list(summary.required_types)),
    ]


def file_name(path: str) -> str:
    return os.path.basename(path.replace("\\", "/"))


def update_tag_text(conn: sqlite3.Connection, entry_ids: list[int]) -> None:
    """Keep each entry's ``tag_text`` (what listings show) equal to its rows in ``tags``."""
    conn.executemany(
        "UPDATE snapshots SET tag_text = coalesce((SELECT group_concat(tag, ?) FROM "
        "(SELECT tag FROM tags WHERE snapshot_id = ? ORDER BY tag)), '') WHERE id = ?",
        [(TAG_SEPARATOR, entry_id, entry_id) for entry_id in entry_ids],
    )


def where(filters: Filters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    for word in filters.search.lower().split():
        # search_text: path, project, models, note and tags, lower-cased (kept by triggers)
        clauses.append("s.search_text LIKE ? ESCAPE '\\'")
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
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


def record_entry(
    conn: sqlite3.Connection,
    facts: FileFacts,
    summary: SnapshotSummary,
    origin: str,
    project: str | None,
    source_path: str | None,
) -> int:
    """Add or update the entry for ``facts.path`` (see :meth:`.catalog.Library.record`)."""
    values = summary_values(summary, project, source_path)
    values.update(
        path=facts.path,
        name=file_name(facts.path),
        size=facts.size,
        mtime_ns=facts.mtime_ns,
        missing=0,
    )
    if facts.sha256 is not None:
        values["sha256"] = facts.sha256
    known = conn.execute(
        "SELECT id, content_id FROM snapshots WHERE path = ?", [facts.path]
    ).fetchone()
    if known is None:
        moved = vanished_twin(conn, summary.content_id)
        if moved is not None:
            known = (moved[0], summary.content_id)
            add_event(conn, moved[0], "moved", f"from {moved[1]}")
    now = db.utc_now()
    if known is None:
        values.update(origin=origin, added_at=now)
        if facts.sha256 is None:
            values["sha256"] = None
        names = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        cursor = conn.execute(f"INSERT INTO snapshots ({names}) VALUES ({marks})", values)
        entry_id = int(cursor.lastrowid or 0)
        add_event(conn, entry_id, ORIGIN_EVENTS.get(origin, origin), facts.path)
    else:
        entry_id = int(known[0])
        if not summary.project_named and project is None:
            del values["project"]  # a guess from the file name; keep what is known
        if known[1] != summary.content_id:  # another export written over this file
            values.update(verdict=None, verified_at=None, verify_detail="")
            if facts.sha256 is None:
                values["sha256"] = None
            add_event(conn, entry_id, "replaced", f"by an export of {summary.created_utc}")
        if origin in ("export", "import"):
            add_event(conn, entry_id, ORIGIN_EVENTS[origin], facts.path)
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(
            f"UPDATE snapshots SET {assignments} WHERE id = :id", {**values, "id": entry_id}
        )
    conn.execute(
        f"INSERT OR REPLACE INTO snapshot_details (id, {', '.join(DETAIL_COLUMNS)}) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [entry_id, *detail_values(summary)],
    )
    return entry_id


def add_event(conn: sqlite3.Connection, entry_id: int, kind: str, detail: str = "") -> None:
    """One line of an entry's history."""
    conn.execute(
        "INSERT INTO events (snapshot_id, at, kind, detail) VALUES (?, ?, ?, ?)",
        [entry_id, db.utc_now(), kind, detail],
    )


def apply_annotations(conn: sqlite3.Connection, annotations: list[Annotation]) -> None:
    """Tags, notes and verdicts back on the entry at each annotation's path, else on one
    with its content that has none yet (the file moved while the catalog was lost)."""
    claimed: set[int] = set()
    annotated = {note.path for note in annotations}
    for note in annotations:
        row = conn.execute("SELECT id FROM snapshots WHERE path = ?", [note.path]).fetchone()
        if row is None:  # moved: an entry with this content that no annotation names
            row = next(
                (
                    (entry_id,)
                    for entry_id, path in conn.execute(
                        "SELECT id, path FROM snapshots WHERE content_id = ? ORDER BY id",
                        [note.content_id],
                    )
                    if path not in annotated
                ),
                None,
            )
        if row is None or row[0] in claimed:
            continue
        claimed.add(row[0])
        conn.execute(
            "UPDATE snapshots SET note = ?, verdict = ?, verified_at = ?, "
            "verify_detail = ? WHERE id = ?",
            [note.note, note.verdict, note.verified_at, note.verify_detail, row[0]],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO tags VALUES (?, ?)", [(row[0], t) for t in note.tags]
        )
    update_tag_text(conn, sorted(claimed))


def read_details(conn: sqlite3.Connection, entry: LibraryEntry) -> EntryDetails:
    """Everything recorded about one entry: its details row and its history."""
    row = conn.execute(
        "SELECT content_id, format_version, producer, producer_version, d.versions, "
        "source_path, root_type, d.models, d.primitives, d.dropped, d.required_types, "
        "has_verification, verify_detail, added_at FROM snapshots s "
        "LEFT JOIN snapshot_details d USING (id) WHERE s.id = ?",
        [entry.id],
    ).fetchone()
    history = conn.execute(
        "SELECT at, kind, detail FROM events WHERE snapshot_id = ? ORDER BY id", [entry.id]
    ).fetchall()
    return EntryDetails(
        entry=entry,
        content_id=row[0],
        format_version=row[1],
        producer=row[2],
        producer_version=row[3],
        versions=json.loads(row[4] or "{}"),
        source_path=row[5],
        root_type=row[6],
        models=json.loads(row[7] or "[]"),
        primitives=json.loads(row[8] or "[]"),
        dropped=json.loads(row[9] or "[]"),
        required_types=json.loads(row[10] or "[]"),
        has_verification=bool(row[11]),
        verify_detail=row[12],
        added_at=row[13],
        history=[Event(*event) for event in history],
    )
