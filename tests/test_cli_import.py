"""`lockpickle import SNAP`: check, load with trust, verify, show the restored locks."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from lockpickle_gui import cli
from lockpickle_gui.core.snapshot import save_snapshot

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def test_import_loads_verifies_and_shows_fresh_locks(tmp_path, tiny_model, capsys):
    lock = threading.Lock()
    state = {"model": tiny_model, "lock": lock, "alias": lock, "ready": threading.Event()}
    state["ready"].set()
    snap = tmp_path / "state.lpsnap"
    with lock:  # held at export: comes back free
        save_snapshot(state, snap)

    assert cli.main(["import", str(snap)]) == 0
    out = capsys.readouterr().out
    assert "! root['lock']: Lock, unlocked -> recreate" in out
    assert "root['ready']: Event, set -> keep" in out
    assert out.strip().endswith(f"bit for bit ({snap}).")

    assert cli.main(["import", str(snap), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verification"]["holds"] is True
    assert {n["path"] for n in data["tree"]["annotations"]} >= {"root['lock']", "root['ready']"}


def test_import_refuses_bundled_code_until_trusted(tmp_path, capsys):
    from lockpickle_gui.core.project import open_project

    snap = tmp_path / "single.lpsnap"
    save_snapshot(open_project(EXAMPLES / "single_lock"), snap)

    assert cli.main(["import", str(snap)]) == cli.EXIT_ERROR
    assert "--trust-bundled-code" in capsys.readouterr().err

    assert cli.main(["import", str(snap), "--trust-bundled-code"]) == 0
    assert "identical" in capsys.readouterr().out
