"""The preview panel's "Run on" choice: this process, N worker processes, or Ray, with the
per-worker counts after a run and a cancel that also stops workers while they start."""

from __future__ import annotations

import os
import threading

import pytest

pytest.importorskip("pytestqt")

RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def panel(window, tiny_model, tmp_path):
    from lockpickle_gui.core.project import open_project

    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    window.add_loaded_project(open_project(path))
    return window.preview.panel  # the project's own panel


def child_pids():
    """This process' live children, except multiprocessing's resource tracker (one per
    program, alive until it exits, by design)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as file:
                    fields = file.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.add(int(entry))
    return {pid for pid in found if not _is_resource_tracker(pid)}


def _is_resource_tracker(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return b"resource_tracker" in file.read()
    except OSError:
        return False


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
def test_a_run_on_worker_processes_shows_per_process_counts(qtbot, panel):
    form = panel.form
    form.requests.setValue(64)
    form.workers.setValue(2)
    form.set_backend("processes")
    before = child_pids()
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run_button.click()
    result = done.args[0]
    assert result is not None and panel.state == "done"
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
