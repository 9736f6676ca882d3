"""Damaged, foreign and hostile .lpsnap files are refused with the first fault of the
reader's documented check order, as the right LockpickleError."""

from __future__ import annotations

import json
import threading
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


def with_manifest(members: dict[str, bytes], **changes) -> list[tuple[str, bytes]]:
    """``members`` with their manifest changed (member hashes left as they were)."""
    return list(craft.resealed(members, **changes).items())


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
    path = craft.write(tmp_path / "x.lpsnap", [("state.json", b"{}")])
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
    members = list(craft.members_of(good).items()) + [(name, b"print('hi')")]
    path = craft.write(tmp_path / "bad.lpsnap", members)
    with pytest.raises(CorruptSnapshot, match=message):
        lp.load_snapshot(path)


def test_duplicate_member(good, tmp_path):
    members = craft.members_of(good)
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
    members = craft.members_of(good)
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
    members = dict(craft.members_of(good), **{"manifest.json": b"{not json"})
    path = craft.write(tmp_path / "x.lpsnap", list(members.items()))
    with pytest.raises(CorruptSnapshot, match="JSON"):
        lp.read_manifest(path)


def test_unsupported_version_says_which_are(good, tmp_path):
    path = craft.write(
        tmp_path / "v.lpsnap", with_manifest(craft.members_of(good), format_version=99)
    )
    with pytest.raises(UnsupportedVersion, match=r"\(2\).*format_version 99"):
        lp.read_manifest(path)


def test_format_1_pickles_are_refused_with_what_to_do(good, tmp_path):
    v1 = {"format": "lockpickle-snapshot", "format_version": 1, "members": {"state.pkl": "0" * 64}}
    path = craft.write(
        tmp_path / "v1.lpsnap", [("manifest.json", json.dumps(v1).encode()), ("state.pkl", b"x")]
    )
    for call in (lp.read_manifest, lp.load_snapshot, lp.untrusted_types):
        with pytest.raises(UnsupportedVersion) as caught:
            call(path)
        text = str(caught.value)
        assert "format_version 1" in text and "pickle" in text and "Export it again" in text


def test_a_format_2_archive_without_the_magic_comment_is_refused(good, tmp_path):
    path = craft.write(tmp_path / "nomagic.lpsnap", craft.members_of(good), comment=b"")
    with pytest.raises(CorruptSnapshot, match="archive comment"):
        lp.read_manifest(path)


def test_wrong_format_name_and_broken_schema(good, tmp_path):
    path = craft.write(tmp_path / "f.lpsnap", with_manifest(craft.members_of(good), format="other"))
    with pytest.raises(NotASnapshot, match="'other'"):
        lp.read_manifest(path)
    path = craft.write(
        tmp_path / "s.lpsnap", with_manifest(craft.members_of(good), primitives="many")
    )
    with pytest.raises(CorruptSnapshot, match="primitives"):
        lp.read_manifest(path)


def test_sha256_mismatch(good, tmp_path):
    members = craft.members_of(good)
    state = members["state.json"]
    members["state.json"] = state[:-2] + bytes([state[-2] ^ 1]) + state[-1:]  # one bit flipped
    path = craft.write(tmp_path / "x.lpsnap", list(members.items()))
    lp.read_manifest(path)  # the manifest itself is fine: read_manifest reads only that
    with pytest.raises(CorruptSnapshot, match="state.json to have the sha256"):
        lp.load_snapshot(path)


def test_checks_run_in_order(good, tmp_path):
    """A file with several faults reports the first one of the documented order: the
    manifest's format and version first (an old or newer file gets that answer), then member
    names, then the manifest's fields, then the hashes."""
    members = craft.members_of(good)
    members["state.json"] = b"tampered"  # hash fault (last)
    bad_version = with_manifest(members, format_version=3)
    path = craft.write(tmp_path / "a.lpsnap", bad_version + [("../x", b"")])
    with pytest.raises(UnsupportedVersion):
        lp.load_snapshot(path)
    path = craft.write(
        tmp_path / "b.lpsnap", with_manifest(members, primitives=1) + [("../x", b"")]
    )
    with pytest.raises(CorruptSnapshot, match="climbs out"):
        lp.load_snapshot(path)
    path = craft.write(tmp_path / "c.lpsnap", with_manifest(members, primitives=1))
    with pytest.raises(CorruptSnapshot, match="primitives"):
        lp.load_snapshot(path)
    path = craft.write(tmp_path / "d.lpsnap", list(members.items()))
    with pytest.raises(CorruptSnapshot, match="sha256"):
        lp.load_snapshot(path)


def test_a_keras_file_is_not_a_snapshot(model_file, run_cli):
    from lockpickle_gui.core.errors import NotASnapshot

    with pytest.raises(NotASnapshot) as caught:
        lp.read_manifest(model_file)
    text = str(caught.value)
    assert str(model_file) in text and "not a lockpickle snapshot" in text
    assert "manifest.json" in text and "lockpickle inspect" in text
    assert "unexpected member" not in text and "export the snapshot again" not in text
    code, _, err = run_cli("info", model_file)
    assert code == 2 and "not a lockpickle snapshot" in err
