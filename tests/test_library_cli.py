"""`lockpickle library list|show|add|scan|verify|tag|note|rm`, run in-process through
cli.main against the private library of each test (tests/conftest.py)."""

from __future__ import annotations

import json
import shutil

import pytest
from models import Settings, mlp, save, service


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("library_cli")
    model = mlp()
    trusted = service(model)
    trusted["settings"] = Settings()  # loading needs `--trust models`
    return {
        "plain": save(service(model), folder / "plain-2025-03-01.lpsnap"),
        "needs_trust": save(trusted, folder / "custom-2025-03-02.lpsnap"),
    }


@pytest.fixture
def library(run_cli):
    """``lockpickle library ARGS...``: (exit status, stdout, stderr)."""
    return lambda *args: run_cli("library", *args)


@pytest.fixture
def library_json(library):
    """``lockpickle library ARGS... --json``, which must succeed: its output, parsed."""

    def run(*args):
        code, out, err = library(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    return run


def test_add_list_tag_note_show_and_remove(library, library_json, snapshots, tmp_path):
    code, out, _ = library("list")
    assert code == 0 and "The library is empty" in out
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copyfile(snapshots["plain"], folder / "copy.lpsnap")
    (folder / "junk.lpsnap").write_text("junk")
    report = library_json("add", folder, snapshots["needs_trust"])
    assert report["found"] == 2 and [p["path"] for p in report["problems"]] == [
        str((folder / "junk.lpsnap").resolve())
    ]
    entries = library_json("list")["entries"]
    assert sorted(e["project"] for e in entries) == ["copy", "custom"]
    custom = next(e for e in entries if e["project"] == "custom")
    assert library_json("tag", custom["id"], "prod", "v2")["tags"] == ["prod", "v2"]
    assert library_json("note", custom["id"], "the March model")["note"] == "the March model"
    assert [e["id"] for e in library_json("list", "--tag", "prod")["entries"]] == [custom["id"]]
    assert library_json("list", "--search", "march")["entries"][0]["id"] == custom["id"]
    details = library_json("show", custom["id"])
    assert details["required_types"] == ["models.Settings"]
    assert [h["kind"] for h in details["history"]] == ["added", "tagged", "note"]
    code, out, _ = library("list")
    assert "custom (1)" in out and "[prod, v2]" in out and "note: the March model" in out
    removed = library_json("rm", str(folder / "copy.lpsnap"), "--delete-file")
    assert removed["deleted_files"] == [str((folder / "copy.lpsnap").resolve())]
    assert not (folder / "copy.lpsnap").exists()
    assert [e["id"] for e in library_json("list")["entries"]] == [custom["id"]]


def test_scan_shows_moved_and_missing_files(library, library_json, snapshots, tmp_path):
    folder = tmp_path / "watched"
    folder.mkdir()
    first = folder / "a.lpsnap"
    shutil.copyfile(snapshots["plain"], first)
    library_json("add", folder)
    first.unlink()
    report = library_json("scan")
    assert report["missing"] == [str(first.resolve())]
    (entry,) = library_json("list", "--missing")["entries"]
    assert entry["missing"] is True
    code, out, _ = library("list")
    assert "MISSING" in out


def test_verify_records_verdicts_and_needs_trust_when_loading_does(
    library, library_json, snapshots
):
    library_json("add", snapshots["plain"], snapshots["needs_trust"])
    code, out, _ = library("verify", "--all", "--json")
    results = {r["path"]: r for r in json.loads(out)["results"]}
    assert code == 1  # one of them could not be loaded without trust
    assert results[str(snapshots["plain"].resolve())]["verdict"] == "identical"
    assert "--trust" in results[str(snapshots["needs_trust"].resolve())]["error"]
    code, out, _ = library("verify", snapshots["needs_trust"], "--trust", "models")
    assert code == 0 and "identical" in out
    verdicts = {e["name"]: e["verdict"] for e in library_json("list")["entries"]}
    assert set(verdicts.values()) == {"identical"}
    filtered = library_json("list", "--verdict", "unverified")["entries"]
    assert filtered == []


def test_bad_references_are_one_clear_error(library, library_json):
    code, _, err = library("tag", "42", "prod")
    assert code == 2 and "does not hold" in err and "lockpickle library list" in err
    code, _, err = library("verify")
    assert code == 2 and "--all" in err


def test_a_deleted_export_is_missing_without_a_scan(run_cli, library, library_json, tmp_path):
    """`lockpickle export` records the file; once it is deleted, list, show and a plain
    scan (every recorded file, not only the added folders) say it is missing."""
    project = tmp_path / "project"
    project.mkdir()
    mlp().save(project / "model.keras")
    (project / "lockpickle.toml").write_text(
        '[project]\nname = "demo"\n[[models]]\nname = "scorer"\npath = "model.keras"\n'
    )
    out = tmp_path / "x.lpsnap"
    code, _, err = run_cli("export", project, "-o", out)
    assert code == 0, err
    content = out.read_bytes()
    (entry,) = library_json("list")["entries"]
    assert entry["missing"] is False and library_json("list", "--missing")["entries"] == []
    out.unlink()
    (gone,) = library_json("list", "--missing")["entries"]
    assert gone["id"] == entry["id"]
    assert library_json("show", entry["id"])["missing"] is True
    assert "MISSING" in library("list")[1] and "MISSING" in library("show", entry["id"])[1]
    assert library_json("scan")["missing"] == [str(out.resolve())]
    out.write_bytes(content)  # restored
    assert library_json("list", "--missing")["entries"] == []
    assert library_json("show", entry["id"])["missing"] is False
    report = library_json("scan")  # read again: it was missing, and it was rewritten
    assert report["missing"] == [] and report["found"] == report["recorded"] == 1
    assert library_json("scan")["unchanged"] == 1  # then only a stat
