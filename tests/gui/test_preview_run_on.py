"""The preview panel's "Run on" choice: this process, N worker processes, or Ray, with the
per-worker counts after a run (of a project whose model needs its own code), and a cancel that
also stops workers while they start."""

from __future__ import annotations

import threading

import pytest
from gui_helpers import wait_projects
from helpers import child_pids

pytest.importorskip("pytestqt")

RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def panel(window, tiny_model, tmp_path):
    from lockpickle_gui.core.project import open_project

    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    window.add_loaded_project(open_project(path))
    return window.preview.panel  # the project's own panel


def test_run_on_offers_this_process_n_processes_and_ray(panel):
    form = panel.form
    labels = [form.backend_combo.itemText(i) for i in range(form.backend_combo.count())]
    assert labels[0] == "this process" and labels[1] == "2 processes"
    form.workers.setValue(3)
    assert form.backend_combo.itemText(1) == "3 processes"
    assert form.options().backend == "threads" and not form.ray_address.isVisibleTo(form)
    form.set_backend("ray")
    assert form.ray_address.isVisibleTo(form)
    form.ray_address.setText(" ray://head:10001 ")
    options = form.options()
    assert (options.backend, options.ray_address) == ("ray", "ray://head:10001")
    ray_item = form.backend_combo.model().item(2)
    import importlib.util

    installed = importlib.util.find_spec("ray") is not None
    assert ray_item.isEnabled() == installed
    if not installed:
        assert "pip install 'lockpickle-gui[ray]'" in ray_item.toolTip()


@pytest.mark.slow
def test_the_demo_runs_on_worker_processes_with_per_process_counts(qtbot, window):
    """The demo's model needs the project's own code (a custom layer in layers.py, imported
    under a private lpproject_... package no other process can import): the workers get the
    sources that ran with the model."""
    from lockpickle_gui.gui.actions import demo_project

    window.open_paths([demo_project()])
    wait_projects(qtbot, window, 1)
    panel = window.preview.panel
    panel.form.requests.setValue(64)
    panel.form.workers.setValue(2)
    panel.form.set_backend("processes")
    before = child_pids()
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run_button.click()
    result = done.args[0]
    assert result is not None, panel.message.text()  # was: No module named 'lpproject_…'
    assert panel.state == "done"
    assert result.stats.completed == 64 and len(result.stats.per_worker) == 2
    text = panel.message.text()
    assert "Per worker:" in text and text.count("-process-") == 2 and "(pid " in text
    assert panel.verdict.verdict in ("identical", "within tolerance")
    qtbot.waitUntil(lambda: not (child_pids() - before), timeout=30_000)


@pytest.mark.slow
def test_cancel_while_worker_processes_start(qtbot, panel):
    form = panel.form
    form.requests.setValue(1_000_000)
    form.set_backend("processes")
    before = child_pids()
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run_button.click()
        qtbot.waitUntil(lambda: "Starting" in panel.message.text(), timeout=60_000)
        panel.cancel()
        assert panel.state == "cancelling"
    assert done.args[0] is None and panel.state == "cancelled"
    qtbot.waitUntil(lambda: not (child_pids() - before), timeout=30_000)
    assert not any(t.name.startswith("lockpickle-preview") for t in threading.enumerate())
