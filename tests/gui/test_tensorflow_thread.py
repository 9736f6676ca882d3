"""TensorFlow is imported on a thread of its own, never on the worker pool.

pybind11 (TensorFlow's bindings) remembers the Python thread state of the thread that first
loads it. A pool thread's state is made and deleted around each job by PySide, so a later job
on that thread ran with a new state while pybind11 still held the old, deleted one: the first
function traced there (the preview compiling the model) waited for the GIL its own thread
held, and the whole app froze — opening the demo and pressing Run Preview at once did it
every time. The check runs the app in a fresh process, where TensorFlow is not imported yet
(in this test process the fixtures imported it on the main thread, which hides the bug).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, tempfile
    from PySide6.QtWidgets import QApplication
    from lockpickle_gui.gui.actions import demo_project
    from lockpickle_gui.gui.app import build_main_window
    from lockpickle_gui.gui.scripted_runs import wait_until

    window = build_main_window(tempfile.mkdtemp(), restore_layout=False)
    app = QApplication.instance()
    window.runner.pool.setMaxThreadCount(1)  # every job on one pool thread: no lucky escape
    window.resize(942, 644)
    window.show()  # as the app runs: painting, timers, the Library dock opening its catalog
    window.open_paths([demo_project()])
    assert wait_until(app, lambda: len(window.projects) == 1 and not window.loader.busy, 120)
    panel = window.preview.panel
    panel.form.requests.setValue(32)
    panel.run()  # on the pool: it compiles (traces) the model first
    wait_until(app, lambda: panel.state in ("done", "failed"), 120)
    print("preview", panel.state, flush=True)
    os._exit(0)
    """
)


@pytest.mark.slow
def test_open_the_demo_and_run_the_preview_at_once_in_a_fresh_app():
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            env=environ,
            capture_output=True,
            text=True,
            timeout=180,  # a deadlock never ends: this bounds it
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the app froze: the preview's tracing waited for the GIL its thread held")
    assert "preview done" in done.stdout, done.stdout + done.stderr[-3000:]
