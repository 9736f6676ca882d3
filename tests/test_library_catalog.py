"""The snapshot library's catalog: recording, listing and filtering, tags and notes, moved
and vanished files, a deleted or damaged database rebuilt, schema versions."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from models import mlp, save, service

from lockpickle_gui.core import library as lib
from lockpickle_gui.core.library import db
from lockpickle_gui.core.library.entries import Filters, VerdictFilter
from lockpickle_gui.core.library.scan import file_sha256


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """One small real snapshot (a model, a lock, a condition on it, an event)."""
    folder = tmp_path_factory.mktemp("library_snapshot")
    return save(service(mlp()), folder / "scorer-2025-01-31.lpsnap")


@pytest.fixture
def library(tmp_path):
    with lib.Library(tmp_path / "data") as opened:
        yield opened


def copy(snapshot, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(snapshot, target)
    return target


def test_a_recorded_snapshot_lists_what_its_manifest_says(library, snapshot, tmp_path):
    facts, summary = lib.read_snapshot(snapshot)
    entry_id = library.record(facts, summary, "export")
    (entry,) = library.entries()
    assert entry.id == entry_id and entry.path == str(snapshot.resolve())
    assert entry.name == "scorer-2025-01-31.lpsnap"
    assert entry.project == "scorer"  # the manifest names none: the file name without date
    assert entry.model_text == "scorer (Sequential)" and entry.params == 8 * 4 + 8 + 3 * 8 + 3
    assert entry.primitive_count == 3 and entry.size == snapshot.stat().st_size
    assert entry.sha256 == file_sha256(snapshot) and not entry.missing
    details = library.details(entry_id)
    assert {p["kind"] for p in details.primitives} == {"Lock", "Condition", "Event"}
    assert details.versions["keras"] and details.producer == "lockpickle_gui"
    assert details.has_verification and details.required_types == []
    assert [event.kind for event in details.history] == ["exported"]


def test_listing_filters_and_sorts(library, snapshot, tmp_path):
    paths = [copy(snapshot, tmp_path / "files" / f"{name}.lpsnap") for name in "abc"]
    ids = [
        library.record(*lib.read_snapshot(p), "add", project=f"p{i % 2}")
        for i, p in enumerate(paths)
    ]
    library.tag(ids[:2], ["baseline"])
    library.tag([ids[2]], ["prod"])
    library.set_note(ids[1], "Trained on the March data")
    library.set_verdict(ids[0], "identical")
    assert [e.project for e in library.entries()] == ["p0", "p0", "p1"]  # grouped by project
    assert {e.id for e in library.entries(Filters(tag="baseline"))} == set(ids[:2])
    assert [e.id for e in library.entries(Filters(search="march"))] == [ids[1]]
    assert [e.id for e in library.entries(Filters(search="prod"))] == [ids[2]]  # tags too
    assert [e.id for e in library.entries(Filters(project="p1"))] == [ids[1]]
    only = Filters(verdict=VerdictFilter.IDENTICAL)
    assert [e.id for e in library.entries(only)] == [ids[0]]
    unverified = library.entries(Filters(verdict=VerdictFilter.UNVERIFIED))
    assert {e.id for e in unverified} == set(ids[1:])
    by_name = library.entries(Filters(sort="name", descending=False, project="p0"))
    assert [e.name for e in by_name] == ["a.lpsnap", "c.lpsnap"]
    assert library.projects() == ["p0", "p1"] and library.tags() == ["baseline", "prod"]
    library.tag([ids[0]], ["baseline"], remove=True)
    assert library.entry(ids[0]).tags == []
    with pytest.raises(lib.LibraryError, match="Expected a tag with some text"):
        library.tag([ids[0]], ["  "])
    with pytest.raises(lib.LibraryError, match="does not hold"):
        library.entry(999)


def test_a_moved_file_keeps_its_entry_and_a_vanished_one_is_shown_missing(
    library, snapshot, tmp_path
):
    folder = tmp_path / "snaps"
    moved = copy(snapshot, folder / "one.lpsnap")
    gone = copy(snapshot, tmp_path / "elsewhere" / "two.lpsnap")
    library.add_folder(folder)
    lib.scan(library)
    second = library.record(*lib.read_snapshot(gone), "add")
    (first,) = [e for e in library.entries() if e.name == "one.lpsnap"]
    library.tag([first.id], ["keep"])
    library.set_note(first.id, "the good one")
    # both copies share their content; moving one must not be mistaken for the other
    (folder / "deeper").mkdir()
    moved.rename(folder / "deeper" / "renamed.lpsnap")
    gone.unlink()
    report = lib.scan(library)  # every recorded file: the folder's and the one outside
    assert report.missing == [str(gone.resolve())] and report.recorded == 1
    again = library.entry(first.id)
    assert again.path == str((folder / "deeper" / "renamed.lpsnap").resolve())
    assert again.tags == ["keep"] and again.note == "the good one" and not again.missing
    assert [e.kind for e in library.details(first.id).history][-1] == "moved"
    assert library.refresh_missing() == {}  # the scan marked it already
    (missing,) = library.entries(Filters(missing=True))
    assert missing.id == second and missing.name == "two.lpsnap"  # shown, not dropped
    assert len(library.entries()) == 2


def test_a_deleted_database_is_rebuilt_from_the_files(tmp_path, snapshot):
    data = tmp_path / "data"
    folder = tmp_path / "snaps"
    inside = copy(snapshot, folder / "inside.lpsnap")
    outside = copy(snapshot, tmp_path / "exports" / "outside-2025-02-01.lpsnap")
    lost = copy(snapshot, tmp_path / "exports" / "lost.lpsnap")
    with lib.Library(data) as library:
        lib.add_paths(library, [folder, outside, lost])
        library.tag([str(outside)], ["prod"])
        library.set_note(str(inside), "first export")
        library.set_verdict(str(inside), "identical", "max abs diff 0")
        before = {e.path: e for e in library.entries()}
    (data / db.DB_FILE).unlink()
    lost.unlink()
    with lib.Library(data) as library:
        assert library.needs_rebuild and library.entries() == []
        report = lib.rebuild(library)
        assert not library.needs_rebuild
        after = {e.path: e for e in library.entries()}
        assert set(after) == set(before)
        assert after[str(outside.resolve())].tags == ["prod"]
        assert after[str(inside.resolve())].note == "first export"
        assert after[str(inside.resolve())].verdict == "identical"
        assert after[str(lost.resolve())].missing and report.missing == [str(lost.resolve())]
        assert library.folders() == [str(folder.resolve())]
    with lib.Library(data) as library:  # the roots were rewritten from the rebuilt catalog
        assert not library.needs_rebuild and len(library.entries()) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_database_is_moved_aside_and_rebuilt(tmp_path, snapshot, damage):
    data = tmp_path / "data"
    folder = tmp_path / "snaps"
    copy(snapshot, folder / "a.lpsnap")
    with lib.Library(data) as library:
        lib.add_paths(library, [folder])
        library.tag([1], ["baseline"])
    path = data / db.DB_FILE
    if damage == "garbage":
        path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    else:
        path.write_bytes(path.read_bytes()[:2048])
    with lib.Library(data) as library:  # opens at once: nothing waits for the rebuild
        assert library.recovered_from is not None and library.recovered_from.exists()
        assert library.recovered_from.name.startswith("library.sqlite.corrupt-")
        assert library.needs_rebuild
        lib.rebuild(library)
        (entry,) = library.entries()
        assert entry.name == "a.lpsnap" and entry.tags == ["baseline"]


def test_schema_is_migrated_forward_and_a_newer_one_is_refused(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    sqlite3.connect(old / db.DB_FILE).close()  # an empty file: schema version 0
    with lib.Library(old) as library:
        assert library.entries() == []
    conn = sqlite3.connect(old / db.DB_FILE)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(lib.LibraryError, match="written by a newer lockpickle"):
        lib.Library(old)
    assert (old / db.DB_FILE).exists()  # left alone for the newer version


def test_remove_forgets_and_optionally_deletes_the_file(library, snapshot, tmp_path):
    keep = copy(snapshot, tmp_path / "k.lpsnap")
    drop = copy(snapshot, tmp_path / "d.lpsnap")
    ids = [library.record(*lib.read_snapshot(p), "add") for p in (keep, drop)]
    assert library.remove([ids[0]]) == [] and keep.exists()
    assert library.remove([str(drop)], delete_files=True) == [str(drop.resolve())]
    assert not drop.exists() and library.entries() == []


def test_cli_export_import_and_verify_are_recorded(tmp_path, private_user_folders):
    """`lockpickle export` / `import` / `verify` record into the user's library."""
    from lockpickle_gui.cli import main

    folder = tmp_path / "project"
    folder.mkdir()
    mlp().save(folder / "model.keras")
    (folder / "lockpickle.toml").write_text(
        '[project]\nname = "cli-recorded"\n[[models]]\nname = "scorer"\npath = "model.keras"\n'
    )
    out = tmp_path / "out.lpsnap"
    assert main(["export", str(folder), "-o", str(out)]) == 0
    with lib.Library() as library:  # the default folder: $LOCKPICKLE_GUI_SETTINGS_DIR/data
        assert library.folder == private_user_folders / "data"
        (entry,) = library.entries()
        assert entry.project == "cli-recorded" and entry.origin == "export"
        assert library.details(entry.id).source_path == str(folder.resolve())
    assert main(["import", str(out)]) == 0
    assert main(["verify", str(out)]) == 0
    with lib.Library() as library:
        (entry,) = library.entries()
        kinds = [event.kind for event in library.details(entry.id).history]
        assert entry.verdict == "identical"
        assert kinds == ["exported", "imported", "verified", "verified"]


def test_recording_never_fails_an_export(tmp_path, snapshot, caplog):
    """A library that cannot be written is a warning; the export has succeeded anyway."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    assert lib.record_export(snapshot, folder=blocked) is None
    assert "Could not record" in caplog.text


def test_a_version_1_catalog_with_entries_is_migrated_keeping_them(tmp_path, snapshot):
    """Schema 1 kept the long JSON beside each entry; schema 2 moves it and adds the
    listing's columns. Entries, tags and details survive the migration."""
    import json

    folder = tmp_path / "v1"
    folder.mkdir()
    conn = sqlite3.connect(folder / db.DB_FILE, isolation_level=None)
    for statement in db._statements(db.MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO snapshots (path, content_id, project, models, model_text, versions, "
        "primitives, required_types, origin, added_at, note) VALUES (?, 'c1', 'old', ?, "
        "'scorer (Sequential)', '{\"keras\": \"3.15.1\"}', ?, '[\"myapp.Service\"]', 'export', "
        "'2025-01-01T00:00:00Z', 'kept')",
        [
            str(snapshot),
            json.dumps([{"name": "scorer", "class": "Sequential", "params": 67}]),
            json.dumps([{"path": "root.lock", "kind": "Lock"}]),
        ],
    )
    conn.execute("INSERT INTO tags VALUES (1, 'zeta'), (1, 'alpha')")
    conn.close()
    with lib.Library(folder) as library:
        (entry,) = library.entries()
        assert entry.name == snapshot.name and entry.tags == ["alpha", "zeta"]
        assert entry.note == "kept" and [e.id for e in library.entries(Filters(search="ZETA"))] == [
            1
        ]
        details = library.details(1)
        assert details.models[0]["name"] == "scorer" and details.versions == {"keras": "3.15.1"}
        assert details.primitives == [{"path": "root.lock", "kind": "Lock"}]
        assert details.required_types == ["myapp.Service"]
        library.tag([1], ["beta"])  # the migrated triggers keep the listing current
        assert library.entries(Filters(search="beta"))[0].tags == ["alpha", "beta", "zeta"]


def test_listing_sees_changes_by_another_connection(library, snapshot, tmp_path):
    """The listing cache reads again what another connection (the CLI) changed."""
    ids = [
        library.record(*lib.read_snapshot(copy(snapshot, tmp_path / f"{n}.lpsnap")), "add")
        for n in "ab"
    ]
    assert [e.tags for e in library.entries()] == [[], []]
    with lib.Library(library.folder) as other:
        other.tag([ids[0]], ["from-elsewhere"])
        other.remove([ids[1]])
        third = other.record(*lib.read_snapshot(copy(snapshot, tmp_path / "c.lpsnap")), "add")
    listed = {e.id: e for e in library.entries()}
    assert set(listed) == {ids[0], third} and listed[ids[0]].tags == ["from-elsewhere"]


def test_the_roots_file_is_written_when_the_catalog_closes(tmp_path, snapshot):
    """Tagging must stay instant in a large library: library-roots.json is brought up to
    date on close (or by the app, on a worker), not on every change."""
    import json

    data = tmp_path / "data"
    with lib.Library(data) as library:
        entry_id = library.record(*lib.read_snapshot(snapshot), "add")
        library.tag([entry_id], ["prod"])
        assert library.roots_pending and not (data / "library-roots.json").exists()
    roots = json.loads((data / "library-roots.json").read_text())
    assert roots["annotations"][0]["tags"] == ["prod"]
    with lib.Library(data) as library:
        assert not library.roots_pending
        library.set_note(entry_id, "noted")
        assert library.flush_roots() and not library.flush_roots()  # nothing left to write
    assert (
        json.loads((data / "library-roots.json").read_text())["annotations"][0]["note"] == "noted"
    )
