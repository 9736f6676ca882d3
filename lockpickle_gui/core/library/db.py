"""The catalog's SQLite file: connection settings, the schema and its forward migrations.

One file, ``library.sqlite`` in the user data folder, shared by the app and the CLI, maybe
at the same moment: WAL mode (readers never wait for the writer), a busy timeout (a writer
waits its turn instead of failing), and every change in one ``BEGIN IMMEDIATE`` transaction.
The schema version is SQLite's ``user_version``; :data:`MIGRATIONS` takes any older file
forward, one step at a time, each step in its own transaction. A file this version cannot
use — not a database, damaged, or written by a newer version — is never silently
overwritten: a damaged one is moved aside (``library.sqlite.corrupt-<time>``) and a fresh
catalog is rebuilt from the snapshot files; a newer one is left alone and refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path

from lockpickle_gui.core.errors import LockpickleError

log = logging.getLogger(__name__)

DB_FILE = "library.sqlite"
BUSY_TIMEOUT_MS = 15_000
SCHEMA_VERSION = 2

# MIGRATIONS[n] takes a catalog from schema version n to n + 1. Never edit a step that has
# shipped: add the next one (ALTER TABLE ... ADD COLUMN, CREATE INDEX, ...).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        content_id TEXT NOT NULL,
        sha256 TEXT,
        size INTEGER,
        mtime_ns INTEGER,
        created_utc TEXT NOT NULL DEFAULT '',
        format_version INTEGER,
        producer TEXT NOT NULL DEFAULT '',
        producer_version TEXT NOT NULL DEFAULT '',
        versions TEXT NOT NULL DEFAULT '{}',
        project TEXT NOT NULL DEFAULT '',
        source_path TEXT,
        root_type TEXT NOT NULL DEFAULT '',
        models TEXT NOT NULL DEFAULT '[]',
        model_text TEXT NOT NULL DEFAULT '',
        model_count INTEGER NOT NULL DEFAULT 0,
        params INTEGER NOT NULL DEFAULT 0,
        primitives TEXT NOT NULL DEFAULT '[]',
        primitive_count INTEGER NOT NULL DEFAULT 0,
        dropped TEXT NOT NULL DEFAULT '[]',
        dropped_count INTEGER NOT NULL DEFAULT 0,
        required_types TEXT NOT NULL DEFAULT '[]',
        has_verification INTEGER NOT NULL DEFAULT 0,
        verdict TEXT,
        verified_at TEXT,
        verify_detail TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL,
        added_at TEXT NOT NULL,
        missing INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX snapshots_by_project ON snapshots (project, created_utc);
    CREATE INDEX snapshots_by_content ON snapshots (content_id);
    CREATE TABLE tags (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (snapshot_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX tags_by_tag ON tags (tag);
    CREATE TABLE folders (
        path TEXT PRIMARY KEY,
        added_at TEXT NOT NULL,
        scanned_at TEXT
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_by_snapshot ON events (snapshot_id, id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: listing 10,000 entries must take milliseconds. The long JSON (models, primitives,
    # ...) moves to its own table, read only for the one entry shown in detail; the file
    # name, the tags and the text a search looks through (kept by triggers) are stored
    # beside each entry instead of computed per row; ``rev`` (a trigger bumps it on every
    # change, whoever makes it) lets a listing read again only the rows that changed. The
    # old columns stay (SQLite before 3.35 cannot drop columns), emptied.
    """
    CREATE TABLE snapshot_details (
        id INTEGER PRIMARY KEY REFERENCES snapshots (id) ON DELETE CASCADE,
        versions TEXT NOT NULL DEFAULT '{}',
        models TEXT NOT NULL DEFAULT '[]',
        primitives TEXT NOT NULL DEFAULT '[]',
        dropped TEXT NOT NULL DEFAULT '[]',
        required_types TEXT NOT NULL DEFAULT '[]'
    );
    INSERT INTO snapshot_details (id, versions, models, primitives, dropped, required_types)
        SELECT id, versions, models, primitives, dropped, required_types FROM snapshots;
    UPDATE snapshots SET versions = '{}', models = '[]', primitives = '[]', dropped = '[]',
        required_types = '[]';
    ALTER TABLE snapshots ADD COLUMN name TEXT NOT NULL DEFAULT '';
    UPDATE snapshots SET name = replace(path, rtrim(path, replace(replace(path, '\\', '/'),
        '/', '')), '');
    ALTER TABLE snapshots ADD COLUMN tag_text TEXT NOT NULL DEFAULT '';
    UPDATE snapshots SET tag_text = coalesce((SELECT group_concat(tag, char(31)) FROM
        (SELECT tag FROM tags WHERE snapshot_id = snapshots.id ORDER BY tag)), '');
    CREATE INDEX snapshots_by_project_name ON snapshots (project COLLATE NOCASE, created_utc);
    ALTER TABLE snapshots ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
    UPDATE snapshots SET search_text = lower(path || char(10) || project || char(10) ||
        model_text || char(10) || note || char(10) || tag_text);
    CREATE TRIGGER snapshots_search_text AFTER UPDATE OF path, project, model_text, note,
        tag_text ON snapshots BEGIN
        UPDATE snapshots SET search_text = lower(NEW.path || char(10) || NEW.project ||
            char(10) || NEW.model_text || char(10) || NEW.note || char(10) || NEW.tag_text)
        WHERE id = NEW.id;
    END;
    ALTER TABLE snapshots ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX snapshots_by_rev ON snapshots (rev);
    CREATE TRIGGER snapshots_rev AFTER UPDATE OF path, name, project, created_utc, size,
        sha256, model_text, model_count, params, primitive_count, dropped_count, verdict,
        verified_at, note, missing, origin, tag_text ON snapshots BEGIN
        UPDATE snapshots SET rev = (SELECT max(rev) FROM snapshots) + 1 WHERE id = NEW.id;
    END;
    CREATE TRIGGER snapshots_rev_new AFTER INSERT ON snapshots BEGIN
        UPDATE snapshots SET rev = (SELECT max(rev) FROM snapshots) + 1 WHERE id = NEW.id;
    END;
    CREATE TRIGGER snapshots_search_text_new AFTER INSERT ON snapshots BEGIN
        UPDATE snapshots SET search_text = lower(NEW.path || char(10) || NEW.project ||
            char(10) || NEW.model_text || char(10) || NEW.note || char(10) || NEW.tag_text)
        WHERE id = NEW.id;
    END;
    """,
]

# SQLite result codes meaning "this file is not a usable database"
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_CORRUPT_WORDS = ("malformed", "not a database", "file is encrypted", "corrupt")


class LibraryError(LockpickleError):
    """The snapshot library could not be opened or changed."""


def utc_now() -> str:
    """``2025-01-31T12:00:00Z``: the form manifests use for ``created_utc``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def is_corruption(error: BaseException) -> bool:
    """True for errors that mean the file is damaged (not "locked", not "no such table")."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return (code & 0xFF) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    return any(word in str(error).lower() for word in _CORRUPT_WORDS)


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the catalog's settings; the schema is checked and migrated.

    Raises ``sqlite3.DatabaseError`` (see :func:`is_corruption`) for a damaged file and
    :class:`LibraryError` for one written by a newer version.
    """
    conn = sqlite3.connect(
        os.fspath(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
        check_same_thread=False,  # one connection per Library, guarded by its lock
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # WAL: the app can read while the CLI writes. NORMAL is safe in WAL mode (a power
        # cut may lose the last commits of an index that can be rebuilt, never corrupt it).
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        check = conn.execute("PRAGMA quick_check(1)").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({check})")
        migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`; returns the version found."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise LibraryError(
            f"Expected a snapshot library of schema version {SCHEMA_VERSION} or older. "
            f"Received: {path}, of schema version {found}, written by a newer lockpickle.",
            path=path,
            hint="Upgrade lockpickle_gui, or point LOCKPICKLE_GUI_SETTINGS_DIR at another "
            "folder to use a separate library.",
        )
    for version in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # another process may have migrated while we waited for the write lock
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current == version:
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("Snapshot library %s: schema %d -> %d", path, version, version + 1)
    return found


def _statements(script: str) -> list[str]:
    """The statements of a migration, one by one (executescript would COMMIT our
    transaction); SQLite itself says where each ends (a trigger holds semicolons)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [statement for statement in [*statements, current.strip()] if statement]


def move_aside(path: Path, reason: str) -> Path | None:
    """Rename a damaged catalog (and its -wal/-shm files) out of the way; never delete it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise LibraryError(
            f"Expected to move the damaged snapshot library aside. Received: {error} "
            f"(it is damaged: {reason}).",
            path=path,
            hint="Delete or rename the file yourself; the library is rebuilt from the "
            "snapshot files.",
        ) from error
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.replace(f"{path}{suffix}", f"{aside}{suffix}")
    log.warning(
        "The snapshot library %s was damaged (%s); it was moved to %s and is rebuilt from "
        "the snapshot files.",
        path,
        reason,
        aside,
    )
    return aside
