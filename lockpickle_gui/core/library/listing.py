"""The listing's rows in memory: what makes filtering a 10,000-entry library take
milliseconds.

A listing asks SQLite only for the *ids* that match, in order (a filter and a sort over
narrow rows); the rows themselves come from this cache, filled once and then kept current
by reading only what changed: every change to an entry, whichever process or connection
makes it, bumps its ``rev`` (a trigger, see :mod:`.db`), so the cache reads the rows with
a ``rev`` above the highest it has seen. It looks when another connection has committed
(SQLite's ``PRAGMA data_version`` changed) or this one has written (:meth:`touch`).
"""

from __future__ import annotations

import sqlite3

from lockpickle_gui.core.library.entries import LISTING_COLUMNS, LibraryEntry


class ListingCache:
    def __init__(self) -> None:
        self.rows: dict[int, LibraryEntry] | None = None
        self.version: int | None = None  # data_version when last brought up to date
        self.rev = -1  # the highest rev read
        self.dirty = False  # this connection wrote since

    def touch(self) -> None:
        self.dirty = True

    def clear(self) -> None:
        self.rows = None

    def current(self, conn: sqlite3.Connection) -> dict[int, LibraryEntry]:
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        if self.rows is not None and version == self.version and not self.dirty:
            return self.rows
        rows = {} if self.rows is None else self.rows
        since = -1 if self.rows is None else self.rev
        for row in conn.execute(
            f"SELECT {LISTING_COLUMNS}, s.rev FROM snapshots s WHERE s.rev > ?", [since]
        ):
            rows[row[0]] = LibraryEntry._make(row[:-1])
            self.rev = max(self.rev, row[-1])
        count = int(conn.execute("SELECT count(*) FROM snapshots").fetchone()[0])
        if count != len(rows):  # entries were removed
            kept = {entry_id for (entry_id,) in conn.execute("SELECT id FROM snapshots")}
            rows = {entry_id: row for entry_id, row in rows.items() if entry_id in kept}
        self.rows, self.version, self.dirty = rows, version, False
        return rows
