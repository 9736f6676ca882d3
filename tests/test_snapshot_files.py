"""Damaged and hostile .lpsnap files, in the reader's check order, and atomic writes under
kill -9. No Keras here (fast)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import craft
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.errors import (
    CorruptSnapshot,
    NotASnapshot,
    UnsupportedVersion,
)


@pytest.fixture
def good(tmp_path) -> Path:
    target = tmp_path / "good.lpsnap"
    lp.save_snapshot({"lock": threading.Lock(), "numbers": [1, 2, 3]}, target)
    return target


members_of = craft.members_of


def rewrite(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """Write ``members`` (in order, stored) as a new archive at ``path``, with the magic."""
    return craft.write(path, members)


def with_manifest(members: dict[str, bytes], **changes) -> list[tuple[str, bytes]]:
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    rebuilt = dict(members, **{"manifest.json": json.dumps(manifest).encode()})
    return list(rebuilt.items())


def resealed(members: dict[str, bytes], name: str, data: bytes) -> list[tuple[str, bytes]]:
    """Replace one member and record its new sha256: the archive is consistent again."""
    return list(craft.resealed(members, {name: data}).items())


# --------------------------------------------------------------------------- check order


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.lpsnap"
    path.write_bytes(b"definitely not a zip archive")
    with pytest.raises(NotASnapshot, match="not a ZIP"):
        lp.read_manifest(path)
    with pytest.raises(NotASnapshot):
        lp.load_snapshot(path)


def test_missing_file(tmp_path):
    with pytest.raises(lp.SnapshotError, match="does not exist"):
        lp.read_manifest(tmp_path / "nope.lpsnap")


def test_zip_without_manifest_is_not_a_snapshot(tmp_path):
    path = rewrite(tmp_path / "x.lpsnap", [("state.json", b"{}")])
    with pytest.raises(NotASnapshot, match="manifest.json"):
        lp.read_manifest(path)


@pytest.mark.parametrize(
    "name, message",
    [
        ("../evil.py", r"climbs out with '\.\.'"),
        ("code/../../evil.py", r"climbs out"),
        ("/etc/evil.py", "absolute"),
        ("C:/evil.py", "absolute"),
        ("notes.txt", "unexpected member"),
    ],
)
def test_unsafe_member_names(good, tmp_path, name, message):
    members = list(members_of(good).items()) + [(name, b"print('hi')")]
    path = rewrite(tmp_path / "bad.lpsnap", members)
    with pytest.raises(CorruptSnapshot, match=message):
        lp.load_snapshot(path)


def test_duplicate_member(good, tmp_path):
    members = members_of(good)
    entries = list(members.items()) + [("state.json", b"{}")]
    path = tmp_path / "dup.lpsnap"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            if name == "state.json" and name in archive.namelist():
                with pytest.warns(UserWarning, match="Duplicate name"):
                    archive.writestr(name, data)
            else:
                archive.writestr(name, data)
    with pytest.raises(CorruptSnapshot, match="'state.json' twice"):
        lp.load_snapshot(path)


def test_zip_bomb_ratio_and_compressed_members(good, tmp_path):
    members = members_of(good)
    path = tmp_path / "bomb.lpsnap"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("code/x.py", b"#" * (8 << 20), compress_type=zipfile.ZIP_DEFLATED)
        archive.comment = craft.MAGIC
    with pytest.raises(CorruptSnapshot, match="zip bomb|at most"):
        lp.read_manifest(path)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)  # state.json too
        archive.comment = craft.MAGIC
    with pytest.raises(CorruptSnapshot, match="stored uncompressed"):
        lp.read_manifest(path)


def test_bad_json_manifest(good, tmp_path):
    members = dict(members_of(good), **{"manifest.json": b"{not json"})
    path = rewrite(tmp_path / "x.lpsnap", list(members.items()))
    with pytest.raises(CorruptSnapshot, match="JSON"):
        lp.read_manifest(path)


def test_unsupported_version_says_which_are(good, tmp_path):
    path = rewrite(tmp_path / "v.lpsnap", with_manifest(members_of(good), format_version=99))
    with pytest.raises(UnsupportedVersion, match=r"\(2\).*format_version 99"):
        lp.read_manifest(path)


def test_format_1_pickles_are_refused_with_what_to_do(good, tmp_path):
    v1 = {"format": "lockpickle-snapshot", "format_version": 1, "members": {"state.pkl": "0" * 64}}
    path = rewrite(
        tmp_path / "v1.lpsnap", [("manifest.json", json.dumps(v1).encode()), ("state.pkl", b"x")]
    )
    for call in (lp.read_manifest, lp.load_snapshot, lp.untrusted_types):
        with pytest.raises(UnsupportedVersion) as caught:
            call(path)
        text = str(caught.value)
        assert "format_version 1" in text and "pickle" in text and "Export it again" in text


def test_a_format_2_archive_without_the_magic_comment_is_refused(good, tmp_path):
    path = craft.write(tmp_path / "nomagic.lpsnap", members_of(good), comment=b"")
    with pytest.raises(CorruptSnapshot, match="archive comment"):
        lp.read_manifest(path)


def test_wrong_format_name_and_broken_schema(good, tmp_path):
    path = rewrite(tmp_path / "f.lpsnap", with_manifest(members_of(good), format="other"))
    with pytest.raises(NotASnapshot, match="'other'"):
        lp.read_manifest(path)
    path = rewrite(tmp_path / "s.lpsnap", with_manifest(members_of(good), primitives="many"))
    with pytest.raises(CorruptSnapshot, match="primitives"):
        lp.read_manifest(path)


def test_sha256_mismatch(good, tmp_path):
    members = members_of(good)
    state = members["state.json"]
    members["state.json"] = state[:-2] + bytes([state[-2] ^ 1]) + state[-1:]  # one bit flipped
    path = rewrite(tmp_path / "x.lpsnap", list(members.items()))
    lp.read_manifest(path)  # the manifest itself is fine: read_manifest reads only that
    with pytest.raises(CorruptSnapshot, match="state.json to have the sha256"):
        lp.load_snapshot(path)


def test_checks_run_in_order(good, tmp_path):
    """A file with several faults reports the first one of the documented order: the
    manifest's format and version first (an old or newer file gets that answer), then member
    names, then the manifest's fields, then the hashes."""
    members = members_of(good)
    members["state.json"] = b"tampered"  # hash fault (last)
    bad_version = with_manifest(members, format_version=3)
    path = rewrite(tmp_path / "a.lpsnap", bad_version + [("../x", b"")])
    with pytest.raises(UnsupportedVersion):
        lp.load_snapshot(path)
    path = rewrite(tmp_path / "b.lpsnap", with_manifest(members, primitives=1) + [("../x", b"")])
    with pytest.raises(CorruptSnapshot, match="climbs out"):
        lp.load_snapshot(path)
    path = rewrite(tmp_path / "c.lpsnap", with_manifest(members, primitives=1))
    with pytest.raises(CorruptSnapshot, match="primitives"):
        lp.load_snapshot(path)
    path = rewrite(tmp_path / "d.lpsnap", list(members.items()))
    with pytest.raises(CorruptSnapshot, match="sha256"):
        lp.load_snapshot(path)


# --------------------------------------------------------------------------- foreign targets


def test_a_foreign_zip_with_a_manifest_is_never_overwritten(tmp_path):
    foreign = tmp_path / "data.lpsnap"
    craft.write(
        foreign, [("manifest.json", b'{"mine": true}'), ("notes.txt", b"keep me")], comment=b""
    )
    before = foreign.read_bytes()
    with pytest.raises(lp.SnapshotError, match="not a lockpickle snapshot"):
        lp.save_snapshot({"n": 1}, foreign)
    assert foreign.read_bytes() == before
    # our own format fields but members it does not list: not a complete snapshot either
    good = tmp_path / "good2.lpsnap"
    lp.save_snapshot({"n": 1}, good)
    craft.write(foreign, list(members_of(good).items()) + [("extra.txt", b"x")])
    before = foreign.read_bytes()
    with pytest.raises(lp.SnapshotError, match="not a lockpickle snapshot"):
        lp.save_snapshot({"n": 2}, foreign)
    assert foreign.read_bytes() == before


# --------------------------------------------------------------------------- kill -9

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


def test_kill_mid_export_keeps_old_file_and_stale_temporary_is_cleaned(good, tmp_path):
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
