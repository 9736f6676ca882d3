"""Every lock-like object is a row under its owner, with its badge: the filter, Find and
"Only rows with locks" reach each one (before: one badge on root, and filtering for
"Condition" or "executor" found only root). Unticking the box keeps what was expanded."""

from __future__ import annotations

from gui_helpers import wait_projects
from PySide6.QtCore import QModelIndex, Qt

from lockpickle_gui import resources
from lockpickle_gui.core.inspect.report import LEVEL_WORDS, level_of
from lockpickle_gui.gui import tree_model
from lockpickle_gui.gui.tree_model import NODE_ROLE


def visible(proxy, parent=QModelIndex()):
    found = []
    for row in range(proxy.rowCount(parent)):
        index = proxy.index(row, 0, parent)
        found.append(index.data(NODE_ROLE).path)
        found += visible(proxy, index)
    return found


def proxy_index(panel, path):
    return panel.proxy.mapFromSource(panel.model.index_of(panel.model.find(path)))


def test_the_demo_lists_its_six_primitives_as_rows(qtbot, window):
    window.open_paths([resources.examples_dir() / "anomaly_service"])
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    locks = [
        "root.state_lock",
        "root.work_ready",
        "root.stopping",
        "root.slots",
        "root.pending",
        "root.executor",
    ]
    for path in locks:
        row = proxy_index(panel, path)
        assert row.isValid() and row.parent() == panel.proxy.index(0, 0), path
        assert (
            not row.siblingAtColumn(tree_model.NAME).data(Qt.ItemDataRole.DecorationRole).isNull()
        )
    executor = panel.model.find("root.executor").annotations[0]
    snapshot = proxy_index(panel, "root.executor").siblingAtColumn(tree_model.SNAPSHOT).data()
    assert snapshot == LEVEL_WORDS[level_of(executor)]

    panel.filter_edit.setText("Condition")
    assert visible(panel.proxy) == ["root", "root.work_ready"]
    panel.filter_edit.setText("executor")
    assert visible(panel.proxy) == ["root", "root.executor"]
    panel.filter_edit.clear()

    models = proxy_index(panel, "root.models")
    panel.view.collapse(models)  # the user's own expansion state
    assert panel.view.isExpanded(proxy_index(panel, "root.detector"))
    panel.only_locks.setChecked(True)
    assert sorted(visible(panel.proxy)) == sorted(["root", *locks])
    panel.only_locks.setChecked(False)
    assert not panel.view.isExpanded(proxy_index(panel, "root.models"))  # still collapsed
    assert panel.view.isExpanded(proxy_index(panel, "root.detector"))  # still open


def test_a_lock_its_class_pickles_says_handled_by_the_class(qtbot, window, tmp_path, tiny_model):
    folder = tmp_path / "managed"
    folder.mkdir()
    tiny_model.save(folder / "model.keras")
    (folder / "service.py").write_text(
        "import threading\n"
        "class LockManager:\n"
        "    def __init__(self, count):\n"
        "        self.count = count\n"
        "        self.locks = [threading.Lock() for _ in range(count)]\n"
        "    def __reduce__(self):\n"
        "        return (LockManager, (self.count,))\n"
        "class Service:\n"
        "    def __init__(self, model):\n"
        "        self.model = model\n"
        "        self.manager = LockManager(1)\n"
        "def build(models):\n"
        "    return Service(models['m'])\n"
    )
    (folder / "lockpickle.toml").write_text(
        '[[models]]\nname = "m"\npath = "model.keras"\n[code]\nmodules = ["service.py"]\n'
        '[runtime]\nfactory = "service:build"\n'
    )
    window.open_paths([folder])
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    row = proxy_index(panel, "root.manager.locks[0]")
    assert row.isValid()
    assert row.siblingAtColumn(tree_model.SNAPSHOT).data() == "handled by the class"
    assert "LockManager.__reduce__" in row.siblingAtColumn(tree_model.SNAPSHOT).data(
        Qt.ItemDataRole.ToolTipRole
    )
