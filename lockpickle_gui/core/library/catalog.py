"""The snapshot library: a catalog of ``.lpsnap`` files in SQLite (see :mod:`.db`).

The catalog is an index and the files are the truth: entries come from manifests (read,
never loaded), a file that vanished is *missing* (shown, not dropped), and a damaged or
deleted database is replaced by an empty one flagged :attr:`Library.needs_rebuild`;
:func:`~lockpickle_gui.core.library.scan.rebuild` then refills it from the snapshot files
and ``library-roots.json`` (:mod:`.roots`). Opening never takes longer than opening SQLite,
so the app can open the library on its UI thread and rebuild on a worker.

One :class:`Library` may be used from several threads (its lock serialises them); several
processes may use the same file at once (SQLite's locking, WAL, a busy timeout).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockpickle_gui.core.library import db, sql
from lockpickle_gui.core.library.entries import (
    LISTING_COLUMNS,
    SORT_COLUMNS,
    EntryDetails,
    Filters,
    LibraryEntry,
)
from lockpickle_gui.core.library.listing import ListingCache
from lockpickle_gui.core.library.roots import ROOTS_FILE, Annotation, Roots, read_roots, write_roots
from lockpickle_gui.core.library.summary import SnapshotSummary, project_from_file_name
from lockpickle_gui.core.settings import user_dirs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileFacts:
    """What the file system says about a snapshot file when it was read."""

    path: str  # absolute
    size: int
    mtime_ns: int
    sha256: str | None


def default_folder() -> Path:
    """The user data folder (``$LOCKPICKLE_GUI_SETTINGS_DIR/data`` when that is set)."""
    return user_dirs().data


class Library:
    """The catalog in ``folder`` (default: the user data folder)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None):
        self.folder = Path(folder) if folder is not None else default_folder()
        self.path = self.folder / db.DB_FILE
        self.roots_path = self.folder / ROOTS_FILE
        self.recovered_from: Path | None = None  # a damaged catalog moved aside at open
        self._lock = threading.RLock()
        self._roots_dirty = False
        self._cache = ListingCache()
        self._rechecks = 0  # refresh_missing calls that changed something (data_version)
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise db.LibraryError(
                f"Expected a folder for the snapshot library. Received: {error}.",
                path=self.folder,
                hint="Set LOCKPICKLE_GUI_SETTINGS_DIR to a folder you may write in.",
            ) from error
        fresh = not self.path.exists()
        try:
            conn = db.connect(self.path)
        except sqlite3.DatabaseError as error:
            if not db.is_corruption(error):
                raise db.LibraryError(
                    f"Expected to open the snapshot library. Received: {error}.",
                    path=self.path,
                    hint="Close other programs using it, or check the folder's permissions.",
                ) from error
            self.recovered_from = db.move_aside(self.path, str(error))
            fresh = True
            conn = db.connect(self.path)
        if fresh and not read_roots(self.roots_path).empty:
            # a deleted or damaged catalog: refill it from the files before the roots file
            # is rewritten from this (still empty) catalog
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('rebuild_pending', '1')")
        return conn

    def close(self) -> None:
        """Write ``library-roots.json`` if changes wait for it, then close the catalog."""
        with self._lock:
            try:
                self.flush_roots()
            except (OSError, sqlite3.Error) as error:  # it is written by the next close
                log.warning("Could not write %s: %s", self.roots_path, error)
            self._conn.close()

    def flush_roots(self) -> bool:
        """Bring ``library-roots.json`` up to date with the catalog; True if it was written.

        Changes only mark it pending (in the database, so any process may write it): the
        file holds every entry outside the added folders, and rewriting it on each tag of
        a 10,000-entry library would cost a tenth of a second each time. It is written when
        a catalog is closed, and by the app every little while (on a worker).
        """
        with self._writing() as conn:
            pending = conn.execute("SELECT 1 FROM meta WHERE key = 'roots_pending'").fetchone()
            if pending is None or self._rebuild_pending(conn):
                return False
            write_roots(self.roots_path, sql.roots_of(conn))
            conn.execute("DELETE FROM meta WHERE key = 'roots_pending'")
            return True

    @property
    def roots_pending(self) -> bool:
        return bool(self._read("SELECT 1 FROM meta WHERE key = 'roots_pending'"))

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (other processes wait up to the busy timeout)."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                if self._roots_dirty:  # written by flush_roots (on close, or by the app)
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('roots_pending', '1')")
                conn.execute("COMMIT")
                self._cache.touch()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._roots_dirty = False

    def _read(self, sql: str, args: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    @staticmethod
    def _rebuild_pending(conn: sqlite3.Connection) -> bool:
        row = conn.execute("SELECT value FROM meta WHERE key = 'rebuild_pending'").fetchone()
        return bool(row and row[0] == "1")

    @property
    def needs_rebuild(self) -> bool:
        with self._lock:
            return self._rebuild_pending(self._conn)

    def rebuild_done(self) -> None:
        with self._writing() as conn:
            conn.execute("DELETE FROM meta WHERE key = 'rebuild_pending'")
            self._roots_dirty = True

    # ------------------------------------------------------------------ reading

    def entries(self, filters: Filters | None = None) -> list[LibraryEntry]:
        """Entries grouped by project (A-Z), sorted inside it (newest first by default).

        SQLite filters and orders the ids; the rows come from the listing cache."""
        filters = filters or Filters()
        clause, args = sql.where(filters)
        column = SORT_COLUMNS.get(filters.sort, "created_utc")
        order = "DESC" if filters.descending else "ASC"
        query = (
            f"SELECT s.id FROM snapshots s {clause} "
            f"ORDER BY s.project COLLATE NOCASE, s.{column} {order}, s.id {order}"
        )
        with self._lock:
            ids = self._conn.execute(query, args).fetchall()
            rows = self._cache.current(self._conn)
        return [rows[i] for (i,) in ids if i in rows]

    def data_version(self) -> int:
        """Changes when another connection (another process, a recorder) commits, or when
        :meth:`refresh_missing` found files vanished or back: the app polls it to show what
        the CLI, or the file system, did meanwhile (both counts only grow)."""
        return int(self._read("PRAGMA data_version")[0][0]) + self._rechecks

    def count(self) -> int:
        return int(self._read("SELECT count(*) FROM snapshots")[0][0])

    def entry(self, ref: int | str) -> LibraryEntry:
        """The entry with this id, or at this path. Raises LibraryError when there is none."""
        key, value = sql.reference(ref)
        rows = self._read(f"SELECT {LISTING_COLUMNS} FROM snapshots s WHERE s.{key} = ?", [value])
        if not rows:
            raise db.LibraryError(
                f"Expected a snapshot in the library. Received: {ref!r}, which it does not hold.",
                path=self.path,
                hint="`lockpickle library list` shows the ids and paths it holds.",
            )
        return LibraryEntry._make(rows[0])

    def details(self, ref: int | str) -> EntryDetails:
        entry = self.entry(ref)
        with self._lock:
            return sql.read_details(self._conn, entry)

    def projects(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT project FROM snapshots ORDER BY 1")]

    def tags(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT tag FROM tags ORDER BY 1")]

    def folders(self) -> list[str]:
        return [r[0] for r in self._read("SELECT path FROM folders ORDER BY path")]

    def known_files(self) -> dict[str, tuple[int, int | None, int | None, str, bool]]:
        """``{path: (id, size, mtime_ns, content_id, missing)}`` for every entry."""
        rows = self._read("SELECT path, id, size, mtime_ns, content_id, missing FROM snapshots")
        return {r[0]: (r[1], r[2], r[3], r[4], bool(r[5])) for r in rows}

    # ------------------------------------------------------------------ recording

    def record(
        self,
        facts: FileFacts,
        summary: SnapshotSummary,
        origin: str,
        *,
        project: str | None = None,
        source_path: str | None = None,
    ) -> int:
        """Add or update the entry for ``facts.path``; returns its id.

        A file at a known path is updated (a new export there keeps its tags and note). A
        new path whose content is an entry whose file vanished is that entry, moved. Else a
        new entry. ``project``/``source_path`` fill in what the manifest does not say.
        """
        with self._writing() as conn:
            entry_id = sql.record_entry(conn, facts, summary, origin, project, source_path)
            self._roots_dirty = True
        return entry_id

    def record_many(
        self, items: Iterable[tuple[FileFacts, SnapshotSummary]], origin: str
    ) -> list[int]:
        with self._writing() as conn:
            ids = [sql.record_entry(conn, f, s, origin, None, None) for f, s in items]
            self._roots_dirty = bool(ids)
        return ids

    def record_vanished(self, path: str, content_id: str) -> int:
        """An entry for a file known only by its path (a rebuild found it gone): missing."""
        summary = SnapshotSummary(
            content_id=content_id,
            format_version=None,
            created_utc="",
            producer="",
            producer_version="",
            versions={},
            project=project_from_file_name(path),
            source_path=None,
            root_type="",
        )
        with self._writing() as conn:
            entry_id = sql.record_entry(
                conn, FileFacts(path, 0, 0, None), summary, "add", None, None
            )
            self._roots_dirty = True
            conn.execute(
                "UPDATE snapshots SET missing = 1, size = NULL, mtime_ns = NULL WHERE id = ?",
                [entry_id],
            )
        return entry_id

    def set_verdict(self, ref: int | str, verdict: str, detail: str = "") -> None:
        entry = self.entry(ref)
        with self._writing() as conn:
            conn.execute(
                "UPDATE snapshots SET verdict = ?, verified_at = ?, verify_detail = ? WHERE id = ?",
                [verdict, db.utc_now(), detail, entry.id],
            )
            sql.add_event(conn, entry.id, "verified", f"{verdict}: {detail}" if detail else verdict)
            self._roots_dirty = True

    def set_missing(self, states: dict[int, bool]) -> None:
        with self._writing() as conn:
            conn.executemany(
                "UPDATE snapshots SET missing = ? WHERE id = ?",
                [(int(missing), entry_id) for entry_id, missing in states.items()],
            )

    def refresh_missing(self) -> dict[int, bool]:
        """Look whether every file still exists (one ``stat`` each: about 20 ms for 10,000);
        returns the entries whose missing state changed. What the CLI does before showing
        entries and the app every few seconds, on a worker; a scan reads changed files."""
        changed = {
            entry_id: not missing
            for path, (entry_id, _s, _m, _c, missing) in self.known_files().items()
            if os.path.isfile(path) == missing
        }
        if changed:
            self.set_missing(changed)
            with self._lock:
                self._rechecks += 1
        return changed

    # ------------------------------------------------------------------ user annotations

    def tag(self, refs: Iterable[int | str], tags: Iterable[str], *, remove: bool = False) -> None:
        ids = [self.entry(ref).id for ref in refs]
        cleaned = [sql.clean_tag(tag) for tag in tags]
        with self._writing() as conn:
            for entry_id in ids:
                for tag in cleaned:
                    if remove:
                        conn.execute(
                            "DELETE FROM tags WHERE snapshot_id = ? AND tag = ?", [entry_id, tag]
                        )
                    else:
                        conn.execute("INSERT OR IGNORE INTO tags VALUES (?, ?)", [entry_id, tag])
                verb = "untagged" if remove else "tagged"
                sql.add_event(conn, entry_id, verb, ", ".join(cleaned))
            sql.update_tag_text(conn, ids)
            self._roots_dirty = True

    def set_note(self, ref: int | str, note: str) -> None:
        entry = self.entry(ref)
        with self._writing() as conn:
            conn.execute("UPDATE snapshots SET note = ? WHERE id = ?", [note.strip(), entry.id])
            sql.add_event(conn, entry.id, "note", note.strip()[:80])
            self._roots_dirty = True

    def remove(self, refs: Iterable[int | str], *, delete_files: bool = False) -> list[str]:
        """Forget these entries; with ``delete_files`` also delete the files. Returns the
        files deleted."""
        entries = [self.entry(ref) for ref in refs]
        deleted = []
        with self._writing() as conn:
            for entry in entries:
                if delete_files:
                    try:
                        os.unlink(entry.path)
                        deleted.append(entry.path)
                    except FileNotFoundError:
                        pass
                    except OSError as error:
                        raise db.LibraryError(
                            f"Expected to delete {entry.path}. Received: {error.strerror}.",
                            path=entry.path,
                            hint="Check its permissions; nothing was removed from the library.",
                        ) from error
                conn.execute("DELETE FROM snapshots WHERE id = ?", [entry.id])
            self._roots_dirty = True
        return deleted

    # ------------------------------------------------------------------ folders

    def add_folder(self, folder: str | os.PathLike[str]) -> str:
        path = sql.normalize(folder)
        with self._writing() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO folders (path, added_at) VALUES (?, ?)", [path, db.utc_now()]
            )
            self._roots_dirty = True
        return path

    def mark_scanned(self, folder: str) -> None:
        with self._writing() as conn:
            conn.execute("UPDATE folders SET scanned_at = ? WHERE path = ?", [db.utc_now(), folder])

    # ------------------------------------------------------------------ roots (rebuild)

    def roots(self) -> Roots:
        """What the roots file holds now (read from the file when a rebuild is pending)."""
        if self.needs_rebuild:
            return read_roots(self.roots_path)
        with self._lock:
            return sql.roots_of(self._conn)

    def apply_annotations(self, annotations: list[Annotation]) -> None:
        """Give entries back the tags, notes and verdicts a lost catalog held (rebuild)."""
        with self._writing() as conn:
            sql.apply_annotations(conn, annotations)
            self._roots_dirty = True
