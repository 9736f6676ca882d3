"""Damaged and hostile .lpsnap files, in the reader's check order, and atomic writes under
kill -9. No Keras here (fast)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.errors import (
    CorruptSnapshot,
    NotASnapshot,
    UnsupportedVersion,
    UntrustedCode,
)


@pytest.fixture
def good(tmp_path) -> Path:
    target = tmp_path / "good.lpsnap"
    lp.save_snapshot({"lock": threading.Lock(), "numbers": [1, 2, 3]}, target)
    return target


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rewrite(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """Write ``members`` (in order, stored) as a new archive at ``path``."""
    path.unlink(missing_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def with_manifest(members: dict[str, bytes], **changes) -> list[tuple[str, bytes]]:
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    rebuilt = dict(members, **{"manifest.json": json.dumps(manifest).encode()})
    return list(rebuilt.items())


def resealed(members: dict[str, bytes], name: str, data: bytes) -> list[tuple[str, bytes]]:
    """Replace one member and record its new sha256: the archive is consistent again."""
    manifest = json.loads(members["manifest.json"])
    manifest["members"][name] = hashlib.sha256(data).hexdigest()
    return list(
        dict(members, **{name: data, "manifest.json": json.dumps(manifest).encode()}).items()
    )


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
    path = rewrite(tmp_path / "x.lpsnap", [("state.pkl", pickle.dumps(1))])
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
    entries = list(members.items()) + [("state.pkl", pickle.dumps("replaced"))]
    path = tmp_path / "dup.lpsnap"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            if name == "state.pkl" and name in archive.namelist():
                with pytest.warns(UserWarning, match="Duplicate name"):
                    archive.writestr(name, data)
            else:
                archive.writestr(name, data)
    with pytest.raises(CorruptSnapshot, match="'state.pkl' twice"):
        lp.load_snapshot(path)


def test_zip_bomb_ratio(good, tmp_path):
    members = members_of(good)
    path = tmp_path / "bomb.lpsnap"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("arrays/0.npy", b"\0" * (8 << 20), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(CorruptSnapshot, match="zip bomb"):
        lp.read_manifest(path)


def test_bad_json_manifest(good, tmp_path):
    members = dict(members_of(good), **{"manifest.json": b"{not json"})
    path = rewrite(tmp_path / "x.lpsnap", list(members.items()))
    with pytest.raises(CorruptSnapshot, match="JSON"):
        lp.read_manifest(path)


def test_unsupported_version_says_which_are(good, tmp_path):
    path = rewrite(tmp_path / "v.lpsnap", with_manifest(members_of(good), format_version=99))
    with pytest.raises(UnsupportedVersion, match=r"format_version 99.*\(1\)|\(1\).*99"):
        lp.read_manifest(path)


def test_wrong_format_name_and_broken_schema(good, tmp_path):
    path = rewrite(tmp_path / "f.lpsnap", with_manifest(members_of(good), format="other"))
    with pytest.raises(NotASnapshot, match="'other'"):
        lp.read_manifest(path)
    path = rewrite(tmp_path / "s.lpsnap", with_manifest(members_of(good), primitives="many"))
    with pytest.raises(CorruptSnapshot, match="'primitives'"):
        lp.read_manifest(path)


def test_sha256_mismatch(good, tmp_path):
    members = members_of(good)
    state = members["state.pkl"]
    members["state.pkl"] = state[:-2] + bytes([state[-2] ^ 1]) + state[-1:]  # one bit flipped
    path = rewrite(tmp_path / "x.lpsnap", list(members.items()))
    lp.read_manifest(path)  # the manifest itself is fine: read_manifest reads only that
    with pytest.raises(CorruptSnapshot, match="state.pkl to have the sha256"):
        lp.load_snapshot(path)


def test_checks_run_in_order(good, tmp_path):
    """A file with several faults reports the first one of the documented order."""
    members = members_of(good)
    members["state.pkl"] = b"tampered"  # hash fault (check 5)
    bad_version = with_manifest(members, format_version=2)  # version fault (check 4)
    path = rewrite(tmp_path / "a.lpsnap", bad_version)
    with pytest.raises(UnsupportedVersion):
        lp.load_snapshot(path)
    path = rewrite(tmp_path / "b.lpsnap", bad_version + [("../x", b"")])  # name fault (2)
    with pytest.raises(CorruptSnapshot, match="climbs out"):
        lp.load_snapshot(path)


# --------------------------------------------------------------------------- hostile pickles


class _Canary:
    """Pickles as a call that would create a file when unpickled."""

    def __init__(self, call, argument):
        self.call, self.argument = call, argument

    def __reduce__(self):
        return self.call, (self.argument,)


@pytest.mark.parametrize("call_name", ["exec", "system", "open"])
def test_malicious_pickle_never_runs(good, tmp_path, call_name):
    canary = tmp_path / "canary"
    call, argument = {
        "exec": (exec, f"open({str(canary)!r}, 'w').close()"),
        "system": (os.system, f"touch {canary}"),
        "open": (open, str(canary)),
    }[call_name]
    state = pickle.dumps(_Canary(call, argument), protocol=5)
    path = rewrite(tmp_path / "evil.lpsnap", resealed(members_of(good), "state.pkl", state))
    with pytest.raises(UntrustedCode) as caught:
        lp.load_snapshot(path)
    assert not canary.exists()
    assert caught.value.name == call_name and caught.value.module in (
        "builtins",
        "posix",
        "nt",
        "io",
    )
    assert f"{caught.value.module}.{call_name}" in str(caught.value)
    with pytest.raises(UntrustedCode):  # even trusting this test module changes nothing
        lp.load_snapshot(path, trust=[__name__])
    assert not canary.exists()


def test_forged_persistent_id_is_refused(good, tmp_path):
    class Forger(pickle.Pickler):
        def persistent_id(self, obj):
            return ("keras", 7) if obj == "model" else None

    import io

    buffer = io.BytesIO()
    Forger(buffer, protocol=5).dump({"m": "model"})
    Forger(buffer, protocol=5).dump([])
    path = rewrite(
        tmp_path / "pid.lpsnap", resealed(members_of(good), "state.pkl", buffer.getvalue())
    )
    with pytest.raises(CorruptSnapshot, match="persistent|model, array or primitive"):
        lp.load_snapshot(path)


# --------------------------------------------------------------------------- kill -9

CHILD = textwrap.dedent("""
    import sys, threading, time
    from pathlib import Path
    import lockpickle_gui as lp

    target, marker = Path(sys.argv[1]), Path(sys.argv[2])

    def progress(fraction, message):
        if message.startswith("Writing arrays"):  # inside the write: the temporary exists
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
