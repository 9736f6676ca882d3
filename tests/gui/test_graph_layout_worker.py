"""The Graph tab's layout runs in a process of its own: ``python -m`` from a venv, the app
itself with ``--layout-worker`` from a frozen bundle (which has no interpreter to give -m)."""

from __future__ import annotations

import json
import subprocess
import sys

from lockpickle_gui.gui import graph_layout_process

REQUEST = {"nodes": {"a": [80, 36], "b": [80, 36]}, "edges": [["a", "b"]]}


def test_the_app_entry_point_runs_the_layout_worker():
    script = (
        "import sys; from lockpickle_gui.gui.app import main; sys.exit(main(['--layout-worker']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(REQUEST),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["nodes"]["a"][1] < result["nodes"]["b"][1]  # top to bottom
    assert len(result["edges"]) == 1 and len(result["edges"][0]) >= 4


def test_a_frozen_bundle_starts_itself_as_the_worker(monkeypatch):
    assert graph_layout_process.layout_arguments() == ["-m", graph_layout_process.LAYOUT_MODULE]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert graph_layout_process.layout_arguments() == [graph_layout_process.LAYOUT_FLAG]
