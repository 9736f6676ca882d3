"""'Run on: N processes' (and Ray) with a project whose model needs the project's own code
(the demo: a custom layer in layers.py, imported under a private lpproject_... package that
no other process can import): the workers import the sources that ran, then the model."""

from __future__ import annotations

import pytest
from gui_helpers import wait_projects

RUN_TIMEOUT_MS = 180_000


@pytest.mark.slow
def test_the_demo_runs_on_worker_processes(qtbot, window):
    from lockpickle_gui.gui.actions import demo_project

    window.open_paths([demo_project()])
    wait_projects(qtbot, window, 1)
    panel = window.preview.panel
    panel.form.requests.setValue(64)
    panel.form.workers.setValue(2)
    panel.form.set_backend("processes")
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run_button.click()
    assert done.args[0] is not None, panel.message.text()  # was: No module named 'lpproject_…'
    assert panel.state == "done" and done.args[0].stats.completed == 64
    assert panel.verdict.verdict in ("identical", "within tolerance")
