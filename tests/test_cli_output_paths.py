"""QA: bad output paths and non-snapshots given to the CLI fail at once, in one paragraph.

Each case runs ``lockpickle`` in-process (cli.main): exit status 2, a message naming the
path and the fix, no "unexpected ...: this is a bug" wording, and no file left behind.
"""

from __future__ import annotations

import os

import pytest

from lockpickle_gui.core.atomic import UnwritableTarget, atomic_write, check_writable
from lockpickle_gui.core.errors import LockpickleError


def _refused(run_cli, *args) -> str:
    code, out, err = run_cli(*args)
    assert code == 2, (out, err)
    assert "bug in lockpickle" not in err and "Traceback" not in err
    assert err.count("\n") == 1  # one paragraph
    return err


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _read_only_folder(tmp_path):
    """A folder this process cannot create files in (a chmod 555 folder, or /sys for root)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, "/sys"):
        try:
            with open(os.path.join(candidate, ".probe"), "wb"):
                pass
        except OSError:
            return candidate
        os.unlink(os.path.join(candidate, ".probe"))
    pytest.skip("no read-only folder available to this user")


def test_export_to_a_folder_a_missing_folder_or_a_file_as_folder(model_file, tmp_path, run_cli):
    before = _files(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    err = _refused(run_cli, "export", str(model_file), "-o", str(out_dir))
    assert str(out_dir) in err and "is a folder" in err
    err = _refused(run_cli, "export", str(model_file), "-o", str(tmp_path / "nope" / "a.lpsnap"))
    assert "does not exist" in err and "Create the folder" in err
    err = _refused(run_cli, "export", str(model_file), "-o", str(model_file / "a.lpsnap"))
    assert "is a file" in err
    assert _files(tmp_path) == sorted(before + ["out"])


def test_export_to_a_read_only_folder(model_file, tmp_path, run_cli):
    folder = _read_only_folder(tmp_path)
    err = _refused(run_cli, "export", str(model_file), "-o", os.path.join(folder, "a.lpsnap"))
    assert "write in" in err and str(folder) in err


def test_export_never_overwrites_the_input_model(model_file, run_cli):
    original = model_file.read_bytes()
    err = _refused(run_cli, "export", str(model_file), "-o", str(model_file))
    assert ".lpsnap" in err and str(model_file.with_suffix(".lpsnap")) in err
    assert model_file.read_bytes() == original


def test_import_of_a_model_file_or_a_folder_talks_about_snapshots(model_file, tmp_path, run_cli):
    err = _refused(run_cli, "import", str(tmp_path))
    assert "Expected a .lpsnap file" in err
    err = _refused(run_cli, "import", str(tmp_path / "missing.lpsnap"))
    assert "Expected a .lpsnap file" in err


def test_atomic_write_errors_are_lockpickle_errors_and_os_errors(tmp_path):
    with pytest.raises(UnwritableTarget, match="is a folder") as caught:
        with atomic_write(tmp_path) as handle:
            handle.write(b"x")
    assert isinstance(caught.value, LockpickleError) and isinstance(caught.value, OSError)
    with pytest.raises(UnwritableTarget, match="names no file"):
        check_writable("")
    assert _files(tmp_path) == []
