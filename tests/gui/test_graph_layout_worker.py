"""The Graph tab's layout runs in a process of its own: ``python -m`` from a venv, the app
itself with ``--layout-worker`` from a frozen bundle (which has no interpreter to give -m)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

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


WINDOW_SCRIPT = textwrap.dedent(
    """
    import os, sys, tempfile
    from PySide6.QtWidgets import QApplication
    from lockpickle_gui.gui.actions import demo_project
    from lockpickle_gui.gui.app import build_main_window
    from lockpickle_gui.gui.scripted_runs import wait_until

    window = build_main_window(tempfile.mkdtemp(), restore_layout=False)
    app = QApplication.instance()
    window.open_paths([demo_project()])
    assert wait_until(app, lambda: len(window.projects) == 1 and not window.loader.busy, 120)
    tab = window.current_tab
    tab.view.setCurrentWidget(tab.graph)
    tab.graph.ensure_drawn()
    wait_until(app, lambda: tab.graph.state in ("done", "failed"), 120)
    print("graph", tab.graph.state, "pygraphviz" in sys.modules, flush=True)
    os._exit(0)
    """
)


def test_the_window_never_loads_graphviz_itself():
    # Graphviz's wheel vendors libxcb and friends; loaded into the GUI process next to the
    # system libxcb that Qt's xcb plugin uses, they crashed the frozen app on any X11 display.
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", WINDOW_SCRIPT],
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "graph done False" in done.stdout, done.stdout + done.stderr[-3000:]
