"""The GUI tree says where the inspector's depth limit cut a branch (Snapshot column, tooltip)."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeView

from lockpickle_gui.core.inspect import inspect
from lockpickle_gui.gui import tree_model
from lockpickle_gui.gui.tree_model import LayerTreeModel


class Link:
    def __init__(self, nxt=None):
        self.next = nxt


def test_cut_branch_shows_not_walked_in_the_snapshot_column(qapp):
    tail = Link()
    tail.lock = threading.Lock()
    for _ in range(100):
        tail = Link(tail)
    tree = inspect(tail)
    model = LayerTreeModel(tree)
    view = QTreeView()
    view.setModel(model)
    view.expandAll()
    view.show()
    cut = next(node for node in tree.walk() if node.truncated)
    cell = model.index_of(cut, tree_model.SNAPSHOT)
    assert view.visualRect(cell).isValid()
    assert cell.data() == "not walked (depth limit 64)"
    tip = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "--max-depth" in tip and "not looked at" in tip
    assert model.index_of(tree, tree_model.SNAPSHOT).data() == ""  # other rows unchanged
    view.close()
