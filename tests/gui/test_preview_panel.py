"""The threaded preview panel in the real window: run, live figures, cancel, window close.

``window`` comes from tests/gui/conftest.py (closed and joined at teardown).
"""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("pytestqt")

from gui_helpers import error_dialogs
from PySide6.QtCore import Qt

RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def panel(window, tiny_model, tmp_path):
    from lockpickle_gui.core.project import open_project

    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    assert not window.preview.run_action.isEnabled()  # nothing to run yet
    window.add_loaded_project(open_project(path))
    panel = window.preview.panel  # the project's own panel
    assert panel.project is window.current_project
    assert window.preview.run_action.isEnabled()
    assert panel.run_button.isEnabled()
    return panel


def configure(panel, *, requests, clients=2, workers=2, max_batch=8):
    form = panel.form
    form.requests.setValue(requests)
    form.clients.setValue(clients)
    form.workers.setValue(workers)
    form.max_batch.setValue(max_batch)
    form.max_delay.setValue(1.0)


def test_a_run_shows_figures_outputs_and_verdict(qtbot, panel):
    configure(panel, requests=48)
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run_button.click()
        assert panel.state == "running" and not panel.run_button.isEnabled()
        assert panel.cancel_button.isEnabled() and not panel.form.isEnabled()
    result = done.args[0]
    assert result is not None and panel.state == "done"
    assert panel.tiles.text("completed") == "48 / 48"
    assert panel.tiles.text("throughput") != "—" and panel.tiles.text("p99") != "—"
    assert sum(panel.histogram.counts) == 48
    assert panel.throughput.points  # at least one point of the series
    assert panel.results.rowCount() == 10
    # tiny_model's 3 outputs are not probabilities: shape and min/mean/max
    assert all(text.startswith("shape (3,), min ") for text in panel.results.texts())
    assert panel.verdict.verdict in ("identical", "within tolerance")
    assert panel.progress.value() == 1000
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_ctrl_enter_runs_and_escape_cancels(qtbot, window, panel):
    configure(panel, requests=1_000_000, clients=2, max_batch=1)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    panel.form.requests.setFocus()
    qtbot.keyClick(panel.form.requests, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert panel.state == "running"
    # wait until live figures arrive (the client threads are sending), then cancel
    qtbot.waitUntil(lambda: panel.tiles.text("completed") != "—", timeout=RUN_TIMEOUT_MS)
    assert panel.throughput.points and sum(panel.histogram.counts) > 0
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        qtbot.keyClick(panel.form.workers, Qt.Key.Key_Escape)
        assert panel.state == "cancelling"
    assert done.args[0] is None and panel.state == "cancelled"
    assert panel.progress.format() == "cancelled" and panel.run_button.isEnabled()
    assert not any(t.name.startswith("lockpickle-preview") for t in threading.enumerate())


def test_closing_the_window_during_a_run_stops_the_pool(qtbot, window, panel):
    configure(panel, requests=1_000_000, max_batch=1)
    panel.run()
    qtbot.waitUntil(
        lambda: panel.progress.value() > 0 or panel.tiles.text("completed") != "—",
        timeout=RUN_TIMEOUT_MS,
    )
    window.close()  # MainWindow.closeEvent: runner.shutdown() cancels and waits
    assert not window.runner.busy
    # the conftest fixture fails this test if a pool or client thread is left running


def test_samples_from_a_npy_file_and_a_missing_file(qtbot, panel, tmp_path):
    import numpy as np

    samples = tmp_path / "samples.npy"
    np.save(samples, np.random.default_rng(0).normal(size=(5, 4)).astype("float32"))
    configure(panel, requests=20)
    panel.form.set_source("file")
    panel.form.path_edit.setText(str(samples))
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run()
    assert done.args[0] is not None and panel.tiles.text("completed") == "20 / 20"
    assert panel.results.rowCount() == 5  # one row per distinct sample

    panel.form.path_edit.setText(str(tmp_path / "missing.npy"))
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run()
    assert done.args[0] is None and panel.state == "failed"
    [dialog] = error_dialogs()  # the real, non-blocking error box
    assert "missing.npy" in dialog.informativeText()
    assert panel.run_button.isEnabled()
    dialog.close()


def test_class_scores_show_as_top_k(qtbot, window, tmp_path):
    from models import classifier

    from lockpickle_gui.core.project import open_project

    classifier().save(tmp_path / "classifier.keras")
    window.add_loaded_project(open_project(tmp_path / "classifier.keras"))
    panel = window.preview.panel
    configure(panel, requests=12)
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS):
        panel.run()
    texts = panel.results.texts()
    assert len(texts) == 10 and all(
        text.startswith("class ") and text.count("class ") == 3 for text in texts
    )


def test_a_folder_of_images_as_inputs(qtbot, window, tmp_path):
    from models import image_classifier
    from PySide6.QtGui import QColor, QImage

    from lockpickle_gui.core.project import open_project

    images = tmp_path / "images"
    images.mkdir()
    for index, colour in enumerate(("red", "green", "blue")):
        picture = QImage(12, 10, QImage.Format.Format_RGB32)  # resized to 8x8 by the core
        picture.fill(QColor(colour))
        assert picture.save(str(images / f"{index}.png"))
    image_classifier().save(tmp_path / "vision.keras")  # image (8, 8, 3) -> 4 class scores
    window.add_loaded_project(open_project(tmp_path / "vision.keras"))
    panel = window.preview.panel
    configure(panel, requests=9)
    panel.form.set_source("folder")
    panel.form.path_edit.setText(str(images))
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS) as done:
        panel.run()
    assert done.args[0] is not None, panel.message.text()
    assert panel.results.rowCount() == 3 and all(
        t.startswith("class ") for t in panel.results.texts()
    )
