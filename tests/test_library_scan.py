"""Scanning folders into the library (manifests only) and two processes writing at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest
from models import mlp, save, service

from lockpickle_gui.core import library as lib
from lockpickle_gui.core.library.scan import file_sha256


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scan_snapshot")
    return save(service(mlp()), folder / "scorer.lpsnap")


def test_scan_reads_snapshots_and_reports_what_is_not_one(tmp_path, snapshot, tiny_model):
    folder = tmp_path / "mixed"
    (folder / "nested" / "deeper").mkdir(parents=True)
    shutil.copyfile(snapshot, folder / "good.lpsnap")
    shutil.copyfile(snapshot, folder / "nested" / "deeper" / "GOOD2.LPSNAP")
    tiny_model.save(folder / "model.keras")  # a foreign ZIP under its own name: not looked at
    tiny_model.save(folder / "renamed-keras.keras")
    os.replace(folder / "renamed-keras.keras", folder / "foreign.lpsnap")  # a ZIP, no manifest
    with zipfile.ZipFile(folder / "notes.lpsnap", "w") as archive:
        archive.writestr("readme.txt", "hello")
    (folder / "garbage.lpsnap").write_bytes(os.urandom(4096))
    (folder / "empty.lpsnap").write_bytes(b"")
    truncated = snapshot.read_bytes()
    (folder / "truncated.lpsnap").write_bytes(truncated[: len(truncated) // 2])
    (folder / "readme.txt").write_text("not a snapshot, not looked at")
    (folder / ".hidden.lpsnap").write_bytes(b"an interrupted write's temporary")
    with lib.Library(tmp_path / "data") as library:
        report = lib.add_paths(library, [folder])
        assert report.found == 2 and report.recorded == 2
        problems = {os.path.basename(p.path): p.message for p in report.problems}
        assert set(problems) == {
            "foreign.lpsnap",
            "notes.lpsnap",
            "garbage.lpsnap",
            "empty.lpsnap",
            "truncated.lpsnap",
        }
        assert "ZIP archive without one" in problems["foreign.lpsnap"]
        assert "not a ZIP archive" in problems["garbage.lpsnap"]
        assert sorted(e.name for e in library.entries()) == ["GOOD2.LPSNAP", "good.lpsnap"]
        again = lib.scan(library)  # unchanged files are not read again
        assert again.unchanged == 2 and again.recorded == 0 and len(again.problems) == 5


def test_a_plain_scan_looks_at_every_recorded_file(tmp_path, snapshot):
    """Without folders, a scan looks at the files recorded outside the added folders too
    (an export's): changed ones are read again, vanished ones are missing, moved ones are
    found in a folder; and a file check tells the app (data_version) when it changed."""
    folder = tmp_path / "watched"
    folder.mkdir()
    loose = tmp_path / "exports" / "one.lpsnap"
    loose.parent.mkdir()
    shutil.copyfile(snapshot, loose)
    other = save(service(mlp(seed=1)), tmp_path / "other.lpsnap")
    with lib.Library(tmp_path / "data") as library:
        library.add_folder(folder)
        entry_id = library.record(*lib.read_snapshot(loose), "export")
        report = lib.scan(library)
        assert (report.found, report.unchanged, report.missing) == (1, 1, [])
        shutil.copyfile(other, loose)  # another export over it
        report = lib.scan(library)
        assert report.recorded == 1
        assert library.entry(entry_id).sha256 == file_sha256(other)
        content = loose.read_bytes()
        loose.unlink()
        assert lib.scan(library).missing == [str(loose.resolve())]
        assert library.entry(entry_id).missing and library.count() == 1
        moved = folder / "moved.lpsnap"
        moved.write_bytes(content)
        report = lib.scan(library)
        assert report.missing == [] and library.count() == 1
        assert library.entry(entry_id).path == str(moved.resolve())
        assert not library.entry(entry_id).missing
        # what the CLI and the app do between scans: a stat of every file
        version = library.data_version()
        moved.unlink()
        assert library.refresh_missing() == {entry_id: True}
        assert library.data_version() != version
        version = library.data_version()
        assert library.refresh_missing() == {} and library.data_version() == version


def test_scanning_never_loads_a_model_or_imports_keras(tmp_path, snapshot):
    """The scan reads manifests only: a fresh process scans without importing Keras."""
    folder = tmp_path / "snaps"
    folder.mkdir()
    for index in range(3):
        shutil.copyfile(snapshot, folder / f"s{index}.lpsnap")
    code = textwrap.dedent(
        f"""
        import sys
        from lockpickle_gui.core import library as lib
        with lib.Library({str(tmp_path / "data")!r}) as library:
            report = lib.add_paths(library, [{str(folder)!r}])
        heavy = sorted(m for m in ("keras", "tensorflow", "h5py") if m in sys.modules)
        print(report.recorded, heavy)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split("\n")[0] == "3 []"


WRITER = """
import sys, time
from pathlib import Path
from lockpickle_gui.core import library as lib
from lockpickle_gui.core.library.scan import file_sha256

data, folder, name, start = sys.argv[1:5]
while not Path(start).exists():  # both processes begin together
    time.sleep(0.001)
with lib.Library(data) as library:
    for path in sorted(Path(folder).glob("*.lpsnap")):
        entry_id = library.record(*lib.read_snapshot(path), "add")
        library.tag([entry_id], [name])
        library.set_note(entry_id, f"written by {name}")
print("ok")
"""


@pytest.mark.slow
def test_two_processes_write_the_same_library_at_once(tmp_path, snapshot):
    data = tmp_path / "data"
    start = tmp_path / "go"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    folders = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        for index in range(40):
            shutil.copyfile(snapshot, folder / f"{name}-{index}.lpsnap")
        folders.append(folder)
    lib.Library(data).close()  # created first, as the app would have
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), str(data), str(folder), folder.name, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in folders
    ]
    start.touch()
    outputs = [writer.communicate(timeout=240) for writer in writers]
    assert [w.returncode for w in writers] == [0, 0], outputs
    with lib.Library(data) as library:
        entries = library.entries()
        assert len(entries) == 80
        for entry in entries:
            owner = entry.name.split("-")[0]
            assert entry.tags == [owner] and entry.note == f"written by {owner}"
        roots = library.roots()
        assert len(roots.files) == 80 and len(roots.annotations) == 80
