"""LayerTreeModel and LockFilterProxy checked by Qt's own QAbstractItemModelTester."""

from __future__ import annotations

import threading

from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester

from lockpickle_gui.core.inspect import inspect
from lockpickle_gui.gui import tree_model
from lockpickle_gui.gui.tree_model import LEVEL_ROLE, NODE_ROLE, LayerTreeModel, LockFilterProxy

FATAL = QAbstractItemModelTester.FailureReportingMode.Fatal


class Holder:
    def __init__(self, models):
        self.models = models
        self.lock = threading.Lock()
        self.same = models[0]  # the same model twice: a stub row pointing at the first path


def test_models_pass_qt_model_tester_and_filter(qapp, tiny_model):
    tiny_model.layers[1].guard = threading.RLock()
    tree = inspect(Holder([tiny_model]))
    model = LayerTreeModel(tree)
    QAbstractItemModelTester(model, FATAL)
    proxy = LockFilterProxy()
    proxy.setSourceModel(model)
    QAbstractItemModelTester(proxy, FATAL)

    assert model.rowCount() == 1 and model.columnCount() == len(tree_model.HEADERS)
    for node in tree.walk():  # index_of and parent() agree with the tree
        index = model.index_of(node)
        assert index.data(NODE_ROLE) is node
        parent = model.parent(index)
        assert (parent.data(NODE_ROLE) if parent.isValid() else None) is node.parent
    shared = next(node for node in tree.walk() if node.shared_with)
    assert (
        model.index_of(shared, tree_model.SNAPSHOT).data() == f"same object as {shared.shared_with}"
    )

    proxy.set_filter("", only_locks=True)
    visible = []

    def collect(parent=QModelIndex()):
        for row in range(proxy.rowCount(parent)):
            index = proxy.index(row, 0, parent)
            visible.append(index.data(NODE_ROLE).path)
            collect(index)

    collect()
    assert visible[0] == "root" and visible[-1].endswith("layers[1].guard")  # a row per lock
    assert all(model.find(p).annotations or model.find(p).lock_count() for p in visible)
    guard_row = model.index_of(model.find(visible[-1]), tree_model.LOCKS)
    assert guard_row.data() == "1" and guard_row.data(LEVEL_ROLE) == "recreate"
    assert model.index_of(model.find(visible[-1])).data() == "guard"
    assert model.parent(guard_row).data(NODE_ROLE) is tree.find(visible[-2])
    proxy.set_filter("RLOCK")  # annotation kinds match, any case: the guard's own row
    visible.clear()
    collect()
    assert visible[-1].endswith("layers[1].guard")
