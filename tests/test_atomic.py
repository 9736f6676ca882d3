"""core.atomic: replace-or-nothing writes, no temporaries left, stale ones cleaned."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from lockpickle_gui.core.atomic import (
    atomic_write,
    clean_stale_temporaries,
    parse_temp_name,
    pid_is_alive,
    temp_path_for,
)
from lockpickle_gui.core.errors import Cancelled


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_writes_bytes_and_text(tmp_path):
    target = tmp_path / "a.bin"
    with atomic_write(target) as handle:
        handle.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    with atomic_write(tmp_path / "a.txt", mode="w") as handle:
        handle.write("é")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "é"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "a.txt"]


def test_error_or_cancel_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "x.lpsnap"
    target.write_bytes(b"old")
    for error in (RuntimeError("boom"), Cancelled(), KeyboardInterrupt()):
        with pytest.raises(type(error)), atomic_write(target) as handle:
            handle.write(b"new, half written")
            raise error
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.lpsnap"]


def test_keeps_permissions_of_the_replaced_file(tmp_path):
    target = tmp_path / "x"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic_write(target) as handle:
        handle.write(b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_temp_names_round_trip_and_live_pids():
    temp = temp_path_for("/some/folder/model.lpsnap", pid=4242)
    assert temp.parent.as_posix() == "/some/folder"
    assert parse_temp_name(temp.name) == ("model.lpsnap", 4242)
    assert parse_temp_name("model.lpsnap") is None
    assert pid_is_alive(os.getpid())
    assert not pid_is_alive(_dead_pid())


def test_stale_temporaries_of_dead_writers_are_cleaned_next_time(tmp_path):
    target = tmp_path / "x.lpsnap"
    stale = temp_path_for(target, pid=_dead_pid())
    live = temp_path_for(target, pid=os.getpid())
    other = temp_path_for(tmp_path / "other.lpsnap", pid=_dead_pid())
    for path in (stale, live, other):
        path.write_bytes(b"partial")
    with atomic_write(target) as handle:
        handle.write(b"new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([live.name, other.name, "x.lpsnap"])
    assert clean_stale_temporaries(tmp_path) == [other]
