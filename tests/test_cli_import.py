"""`lockpickle import SNAP`: check, load with trust, verify, show the restored locks."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from lockpickle_gui import cli
from lockpickle_gui.core.snapshot import save_snapshot

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def test_import_loads_verifies_and_shows_fresh_locks(tmp_path, tiny_model, run_cli):
    lock = threading.Lock()
    state = {"model": tiny_model, "lock": lock, "alias": lock, "ready": threading.Event()}
    state["ready"].set()
    snap = tmp_path / "state.lpsnap"
    with lock:  # held at export: comes back free
        save_snapshot(state, snap)

    code, out, _ = run_cli("import", snap)
    assert code == 0 and "! root['lock']: Lock, unlocked -> recreate" in out
    assert "root['ready']: Event, set -> keep" in out
    assert out.strip().endswith(f"bit for bit ({snap}).")

    code, out, _ = run_cli("import", snap, "--json")
    data = json.loads(out)
    assert code == 0
    assert data["verification"]["holds"] is True
    assert {n["path"] for n in data["tree"]["annotations"]} >= {"root['lock']", "root['ready']"}


def test_import_refuses_bundled_code_until_trusted(tmp_path, run_cli):
    from lockpickle_gui.core.project import open_project

    snap = tmp_path / "single.lpsnap"
    save_snapshot(open_project(EXAMPLES / "single_lock"), snap)

    code, _, err = run_cli("import", snap)
    assert code == cli.EXIT_ERROR and "--trust-bundled-code" in err
    code, out, _ = run_cli("import", snap, "--trust-bundled-code")
    assert code == 0 and "identical" in out
