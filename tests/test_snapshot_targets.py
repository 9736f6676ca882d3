"""Where a snapshot is written: progress is reported and a cancel leaves the old file; a bad
target fails before any work; a file that is not a snapshot is never overwritten; a writer
killed mid-write leaves the old file, and its temporary is cleaned by the next write."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import craft
import pytest
from models import Box

import lockpickle_gui as lp
from lockpickle_gui.core.atomic import UnwritableTarget
from lockpickle_gui.core.errors import Cancelled, SnapshotError


def test_progress_reports_and_cancel_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.lpsnap"
    calls = []
    lp.save_snapshot(Box(lock=threading.Lock()), target, progress=lambda f, m: calls.append((f, m)))
    assert calls[0][0] == 0.0 and calls[-1][0] == 1.0
    assert [f for f, _ in calls] == sorted(f for f, _ in calls)
    before = target.read_bytes()

    def cancel_when_writing(fraction, message):
        if message.startswith("Writing"):
            raise Cancelled()

    with pytest.raises(Cancelled):
        lp.save_snapshot(Box(other=1), target, progress=cancel_when_writing)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.lpsnap"]


def test_a_folder_target_fails_before_any_work(tmp_path, tiny_model):
    messages: list[str] = []
    with pytest.raises(UnwritableTarget, match="which is a folder"):
        lp.save_snapshot(tiny_model, tmp_path, progress=lambda f, m: messages.append(m))
    assert messages == []  # not even the inspection started
    with pytest.raises(UnwritableTarget, match="does not exist"):
        lp.save_snapshot(
            tiny_model, tmp_path / "missing" / "m.lpsnap", progress=lambda f, m: messages.append(m)
        )
    assert messages == []


def test_an_existing_file_that_is_not_a_snapshot_is_never_overwritten(tmp_path, tiny_model):
    model_file = tmp_path / "m.keras"
    tiny_model.save(model_file)
    before = model_file.read_bytes()
    with pytest.raises(SnapshotError) as caught:
        lp.save_snapshot(tiny_model, model_file)
    text = str(caught.value)
    assert str(model_file) in text and "not a lockpickle snapshot" in text
    assert "m.lpsnap" in text and "delete" in text
    assert model_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]
    notes = tmp_path / "notes.lpsnap"
    notes.write_text("my notes")
    with pytest.raises(SnapshotError, match="not a lockpickle snapshot"):
        lp.save_snapshot({"n": 1}, notes)
    assert notes.read_text() == "my notes"


def test_an_existing_snapshot_is_replaced(tmp_path):
    target = tmp_path / "s.lpsnap"
    lp.save_snapshot({"n": 1}, target)
    lp.save_snapshot({"n": 2}, target)
    assert lp.load_snapshot(target) == {"n": 2}


def test_a_foreign_zip_with_a_manifest_is_never_overwritten(tmp_path):
    foreign = tmp_path / "data.lpsnap"
    craft.write(
        foreign, [("manifest.json", b'{"mine": true}'), ("notes.txt", b"keep me")], comment=b""
    )
    before = foreign.read_bytes()
    with pytest.raises(SnapshotError, match="not a lockpickle snapshot"):
        lp.save_snapshot({"n": 1}, foreign)
    assert foreign.read_bytes() == before
    # our own format fields but members it does not list: not a complete snapshot either
    good = tmp_path / "good2.lpsnap"
    lp.save_snapshot({"n": 1}, good)
    craft.write(foreign, list(craft.members_of(good).items()) + [("extra.txt", b"x")])
    before = foreign.read_bytes()
    with pytest.raises(SnapshotError, match="not a lockpickle snapshot"):
        lp.save_snapshot({"n": 2}, foreign)
    assert foreign.read_bytes() == before


CHILD = textwrap.dedent("""
    import sys, threading, time
    from pathlib import Path
    import lockpickle_gui as lp

    target, marker = Path(sys.argv[1]), Path(sys.argv[2])

    def progress(fraction, message):
        if message.startswith("Writing the state"):  # inside the write: the temporary exists
            marker.write_text("writing")
            time.sleep(120)

    lp.save_snapshot({"new": True, "lock": threading.Lock()}, target, progress=progress)
""")


def test_kill_mid_export_keeps_old_file_and_stale_temporary_is_cleaned(tmp_path):
    good = tmp_path / "good.lpsnap"
    lp.save_snapshot({"lock": threading.Lock(), "numbers": [1, 2, 3]}, good)
    before = good.read_bytes()
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(good), str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the child never reached the write"
        temporaries = [p for p in good.parent.iterdir() if p.name.endswith(".tmp")]
        assert len(temporaries) == 1 and str(child.pid) in temporaries[0].name
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert good.read_bytes() == before
    assert lp.read_manifest(good)["format"] == "lockpickle-snapshot"
    assert temporaries[0].exists()  # a killed writer cannot clean up...
    lp.save_snapshot({"again": True}, good)  # ...the next write to that file does
    assert not temporaries[0].exists()
    assert lp.load_snapshot(good) == {"again": True}
