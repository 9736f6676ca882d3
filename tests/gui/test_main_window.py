"""The real main window, offscreen: drops, the annotated tree, details, filter, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gui_helpers import LOAD_TIMEOUT_MS, drop_paths, error_dialogs, wait_projects
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from lockpickle_gui.gui import tree_model
from lockpickle_gui.gui.tree_model import LEVEL_ROLE, NODE_ROLE


def rows(view_model, parent=None):
    """(name, class, locks text) of the visible children of ``parent`` (default: top level)."""
    from PySide6.QtCore import QModelIndex

    parent = parent if parent is not None else QModelIndex()
    found = []
    for row in range(view_model.rowCount(parent)):
        cells = [
            view_model.index(row, column, parent).data()
            for column in (tree_model.NAME, tree_model.CLASS, tree_model.LOCKS)
        ]
        found.append(tuple(cells))
    return found


def all_paths(view_model, parent=None):
    from PySide6.QtCore import QModelIndex

    parent = parent if parent is not None else QModelIndex()
    paths = []
    for row in range(view_model.rowCount(parent)):
        index = view_model.index(row, 0, parent)
        paths.append(index.data(NODE_ROLE).path)
        paths += all_paths(view_model, index)
    return paths


def test_drop_model_file_shows_the_layer_tree(qtbot, window, model_file):
    drop_paths(window, [model_file])
    wait_projects(qtbot, window, 1)

    assert window.current_project.name == "tiny"
    assert window.windowTitle().startswith("tiny")
    proxy = window.current_tab.panel.proxy
    assert rows(proxy) == [("root", "Sequential", "")]
    root = proxy.index(0, 0)
    assert rows(proxy, root) == [("hidden", "Dense", ""), ("scores", "Dense", "")]
    assert proxy.index(0, tree_model.PARAMS, root).data() == "40"
    assert proxy.index(0, tree_model.SHAPE, root).data() == "(None, 8)"
    assert proxy.index(0, tree_model.PARAMS).data() == "67"
    assert window.stack.currentWidget() is window.tabs


def test_drop_project_shows_lock_badges_and_tooltips(qtbot, window, service_project):
    changed = []
    window.projectChanged.connect(changed.append)
    drop_paths(window, [service_project])
    wait_projects(qtbot, window, 1)
    assert changed == [window.current_project]

    panel = window.current_tab.panel
    model = panel.model
    root = model.index(0, 0)
    # root holds an RLock (held? no), a Condition on it, and an open file that blocks export
    assert root.data(NODE_ROLE).type.endswith("service.Service")
    locks = model.index(0, tree_model.LOCKS)
    assert locks.data().startswith("3")  # 3 on the service itself, 1 more further down
    assert "+1" in locks.data()
    assert locks.data(LEVEL_ROLE) == "block"
    assert not locks.data(Qt.ItemDataRole.DecorationRole).isNull()
    tip = locks.data(Qt.ItemDataRole.ToolTipRole)
    assert "root.lock: RLock" in tip and "root.log: file" in tip and "blocks export" in tip
    assert model.index(0, tree_model.SNAPSHOT).data() == "1 blocking · 2 recreated"

    layer = model.index_of(root.data(NODE_ROLE).find("root.model.layers[0]"), tree_model.LOCKS)
    assert layer.data() == "1"
    assert layer.data(LEVEL_ROLE) == "recreate"
    assert "root.model.layers[0].lock: Lock, unlocked" in layer.data(Qt.ItemDataRole.ToolTipRole)
    assert "4 lock-like objects" in panel.summary_label.text()


def test_select_row_shows_details_and_saves_a_weight(
    qtbot, window, model_file, tmp_path, monkeypatch
):
    window.open_paths([model_file])
    wait_projects(qtbot, window, 1)
    selected = []
    window.nodeSelected.connect(selected.append)

    assert window.current_tab.panel.select_path("root.layers[0]")
    assert selected[-1] is window.selected_node and window.selected_node.name == "hidden"
    details = window.details
    assert details.path_edit.text() == "root.layers[0]"
    assert details.fields["Type"].text() == "Dense"
    assert details.fields["Module"].text().startswith("keras")
    assert details.fields["Params"].text() == "40"
    assert details.fields["Trainable"].text() == "yes"
    qtbot.waitUntil(lambda: details.details is not None, timeout=10_000)
    assert json.loads(details.config_text.toPlainText())["units"] == 8
    assert details.weights.rowCount() == 2
    assert details.weights.item(0, 1).text() == "(4, 8)"

    target = tmp_path / "kernel.npy"
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a, **k: (str(target), "NumPy array (*.npy)")),
    )
    details.weights.selectRow(0)
    assert details.save_npy_button.isEnabled()
    details.save_npy_button.click()
    qtbot.waitUntil(target.exists, timeout=10_000)
    kernel = window.selected_node.obj.weights[0].numpy()
    np.testing.assert_array_equal(np.load(target), kernel)
    assert window.settings.last_export_folder == str(tmp_path)

    window.actions["copy_path"].trigger()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == "root.layers[0]"


def test_filter_by_text_and_only_locks(qtbot, window, service_project):
    window.open_paths([service_project])
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    everything = all_paths(panel.proxy)
    assert "root.model.layers[1]" in everything

    window.actions["find"].trigger()
    panel.filter_edit.setText("scores")
    assert all_paths(panel.proxy) == ["root", "root.model", "root.model.layers[1]"]
    panel.filter_edit.setText("condition")  # an annotation kind: the lock's own row
    assert all_paths(panel.proxy) == ["root", "root.ready"]
    panel.filter_edit.clear()
    panel.only_locks.setChecked(True)
    # each lock-like object is a row; the parents that lead to them stay
    assert all_paths(panel.proxy) == [
        "root",
        "root.lock",
        "root.ready",
        "root.log",
        "root.model",
        "root.model.layers[0]",
        "root.model.layers[0].lock",
    ]
    panel.only_locks.setChecked(False)
    assert all_paths(panel.proxy) == everything

    model_row = panel.proxy.mapFromSource(panel.model.index_of(panel.model.find("root.model")))
    window.actions["collapse_all"].trigger()
    assert panel.view.isExpanded(panel.proxy.index(0, 0))
    assert not panel.view.isExpanded(model_row)
    window.actions["expand_all"].trigger()
    assert panel.view.isExpanded(model_row)


def test_broken_and_unsupported_drops_give_one_error_dialog(qtbot, window, model_file, tmp_path):
    window.open_paths([model_file])
    wait_projects(qtbot, window, 1)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"this is not a zip archive")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")

    drop_paths(window, [notes])  # refused at once, without loading anything
    [dialog] = error_dialogs()
    assert "notes.txt" in dialog.windowTitle() and "notes.txt" in dialog.informativeText()
    dialog.close()
    qtbot.waitUntil(lambda: not error_dialogs())

    drop_paths(window, [broken, notes])
    qtbot.waitUntil(lambda: bool(error_dialogs()), timeout=LOAD_TIMEOUT_MS)
    [dialog] = error_dialogs()
    assert "2 items" in dialog.windowTitle()
    assert "broken.keras" in dialog.informativeText() and "notes.txt" in dialog.informativeText()
    assert "broken.keras" in dialog.detailedText()
    assert len(window.projects) == 1  # nothing else changed
    assert window.current_project.name == "tiny"


def test_several_at_once_reload_and_close(qtbot, window, model_file, service_project):
    drop_paths(window, [model_file, service_project])
    wait_projects(qtbot, window, 2)
    assert sorted(p.name for p in window.projects) == ["service-demo", "tiny"]
    window.open_paths([model_file])  # already open: switches to it, loads nothing
    assert window.current_project.name == "tiny" and not window.loader.busy

    old = window.current_project
    window.current_tab.panel.select_path("root.layers[1]")
    window.actions["reload"].trigger()
    qtbot.waitUntil(
        lambda: window.current_project is not old and not window.loader.busy,
        timeout=LOAD_TIMEOUT_MS,
    )
    assert [p.name for p in window.projects].count("tiny") == 1
    assert window.selected_node is not None and window.selected_node.path == "root.layers[1]"

    window.actions["close_project"].trigger()
    window.actions["close_project"].trigger()
    assert window.projects == [] and window.current_project is None
    assert window.stack.currentWidget() is window.welcome
    assert not window.actions["reload"].isEnabled()


@pytest.fixture
def loader(qapp):
    from lockpickle_gui.gui.loader import ProjectLoader
    from lockpickle_gui.gui.workers import WorkerRunner

    runner = WorkerRunner()
    loader = ProjectLoader(runner)
    loader.loaded_results, loader.batches = [], []
    loader.loaded.connect(lambda result, replaces: loader.loaded_results.append(result))
    loader.batchFinished.connect(loader.batches.append)
    yield loader
    runner.shutdown()


def test_paths_wait_for_tensorflow(qtbot, keras, loader, model_file, tmp_path):
    """Paths opened before TensorFlow is ready are queued, then opened; cancel empties the queue."""
    loader.open([tmp_path / "dropped-then-cancelled.keras"])
    assert loader.busy
    loader.cancel()
    assert not loader.busy and loader.batches == []

    loader.open([model_file])
    assert loader.busy and loader.pending_paths == {model_file} and not loader.loaded_results
    loader.start_tensorflow()
    qtbot.waitUntil(lambda: loader.batches == [[]], timeout=LOAD_TIMEOUT_MS)
    assert loader.loaded_results[0].project.name == "tiny" and not loader.busy


def test_tensorflow_import_failure_fails_the_queue(qtbot, loader, model_file, monkeypatch):
    from lockpickle_gui.core.errors import LockpickleError
    from lockpickle_gui.gui import loader as loader_module

    def broken():
        raise LockpickleError("Expected TensorFlow. Received: an import error.")

    monkeypatch.setattr(loader_module, "_import_tensorflow", broken)
    failed = []
    loader.tensorflowFailed.connect(lambda error, details: failed.append(error))
    loader.open([model_file])
    loader.start_tensorflow()
    qtbot.waitUntil(lambda: bool(loader.batches), timeout=LOAD_TIMEOUT_MS)
    [[failure]] = loader.batches
    assert failure.path == model_file and "import error" in str(failure.error)
    assert loader.tensorflow_state == "failed" and len(failed) == 1 and not loader.busy
    loader.open([model_file])  # later opens fail at once, with the same reason
    assert len(loader.batches) == 2


def test_dropped_snapshot_goes_to_the_import_dialog(window, tmp_path, monkeypatch):
    from lockpickle_gui.gui import snapshot_actions

    seen = []
    monkeypatch.setattr(
        snapshot_actions, "import_snapshot", lambda win, path: seen.append((win, path))
    )
    snap = tmp_path / "x.lpsnap"
    snap.write_bytes(b"PK")
    drop_paths(window, [snap])
    assert seen == [(window, snap)] and not window.loader.busy and not error_dialogs()
