"""The Graph tab: layers laid out top to bottom by Graphviz, edges with their shapes, nested
models collapsible, lock badges, one selection with the tree and Details, zoom and fit,
Find, PNG/SVG export; and the tree's "Inputs from" column."""

from __future__ import annotations

import models
import pytest
from gui_helpers import open_graph, open_tab, show_graph
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from lockpickle_gui.gui import tree_model
from lockpickle_gui.gui.graph_items import ClusterItem, EdgeItem, NodeItem

LAYOUT_TIMEOUT_MS = 60_000


@pytest.fixture
def branching(tmp_path):
    """models.branching saved: two inputs, two outputs, a fan-out, a concatenation, a nested
    Sequential, a skip."""
    path = tmp_path / "branching.keras"
    models.branching().save(path)
    return path


def nodes(graph):
    return {i.node.name: i for i in graph.scene.items() if isinstance(i, NodeItem)}


def test_the_graph_of_a_branching_model(qtbot, window, branching):
    tab = open_graph(qtbot, window, branching)
    graph = tab.graph
    shown = nodes(graph)
    assert set(shown) == {
        "in_a", "in_b", "a_dense", "branch1", "branch2", "b_dense", "cat", "trunk", "proj",
        "skip_add", "cls", "reg",
    }  # fmt: skip
    assert shown["trunk"].collapsed  # a nested model starts as one box
    assert (
        shown["in_a"].rect.center().y()
        < shown["a_dense"].rect.center().y()
        < shown["cat"].rect.center().y()
        < shown["cls"].rect.center().y()
    )  # top to bottom
    edges = [i for i in graph.scene.items() if isinstance(i, EdgeItem)]
    assert len(edges) == 13 and "(None, 128)" in {e.label for e in edges}
    assert any(e.edge.source == "cat" and e.edge.target == "trunk" for e in edges)

    inputs = tab.panel.model.index_of(tab.panel.model.find("root.layers[6]"), tree_model.INPUTS)
    assert inputs.data() == "branch1, branch2, b_dense"  # the tree's Inputs from
    skip = tab.panel.model.find(shown["skip_add"].data(0))
    assert tab.panel.model.index_of(skip, tree_model.INPUTS).data() == "trunk, proj"

    with qtbot.waitSignal(graph.laidOut, timeout=LAYOUT_TIMEOUT_MS):
        graph.toggle("trunk")  # expand: a frame around its own layers
    shown = nodes(graph)
    assert {"s1", "s2"} <= set(shown) and "trunk" not in shown
    assert [c.node.name for c in graph.scene.items() if isinstance(c, ClusterItem)] == ["trunk"]
    with qtbot.waitSignal(graph.laidOut, timeout=LAYOUT_TIMEOUT_MS):
        graph.toggle("trunk")
    assert "trunk" in nodes(graph)


def test_selection_is_shared_with_the_tree_and_details(qtbot, window, branching):
    tab = open_graph(qtbot, window, branching)
    shown = nodes(tab.graph)
    shown["cat"].setSelected(True)  # a click in the graph
    assert tab.panel.selected_node.name == "cat"
    assert window.details.path_edit.text() == shown["cat"].data(0)
    assert tab.panel.select_path(shown["branch2"].data(0))  # a click in the tree
    assert [i.node.name for i in tab.graph.scene.selectedItems()] == ["branch2"]


def test_a_row_selected_before_the_graph_is_drawn_is_selected_in_it(qtbot, window, branching):
    tab = open_tab(qtbot, window, branching)
    cat = next(node.path for node in tab.entry.tree.walk() if node.name == "cat")
    assert tab.panel.select_path(cat)  # in the tree, before the Graph tab was ever shown
    show_graph(qtbot, tab)
    assert [i.node.name for i in tab.graph.scene.selectedItems()] == ["cat"]


def test_zoom_fit_find_and_export(qtbot, window, branching, tmp_path):
    tab = open_graph(qtbot, window, branching)
    graph = tab.graph
    graph.actual_size()
    assert graph.view.zoom_level() == 1.0
    graph.view.zoom(0.5)
    assert graph.view.zoom_level() == 0.5
    graph.fit()
    visible = graph.view.mapToScene(graph.view.viewport().rect()).boundingRect()
    assert visible.contains(graph.bbox) or graph.view.zoom_level() == 1.0

    graph.find_edit.setText("branch")
    assert graph.find_next() and [i.node.name for i in graph.scene.selectedItems()] == ["branch1"]
    assert graph.find_next() and [i.node.name for i in graph.scene.selectedItems()] == ["branch2"]
    graph.find_edit.setText("no such layer")
    assert not graph.find_next() and "No layer matches" in graph.message.text()
    window.activateWindow()
    graph.find_edit.setFocus()
    qtbot.waitUntil(graph.find_edit.hasFocus)
    QTest.keyClick(graph.find_edit, Qt.Key.Key_Escape)  # Esc clears the box and the message
    assert graph.find_edit.text() == "" and "No layer matches" not in graph.message.text()

    for suffix in ("svg", "png"):
        target = tmp_path / f"graph.{suffix}"
        with qtbot.waitSignal(graph.exported, timeout=LAYOUT_TIMEOUT_MS):
            from lockpickle_gui.gui import graph_export

            graph_export.export(graph, target, suffix)
        assert target.stat().st_size > 1000
    assert b"branch1" in (tmp_path / "graph.svg").read_bytes()
    assert not QImage(str(tmp_path / "graph.png")).isNull()


def test_boxes_of_layers_holding_locks_carry_a_badge(qtbot, window, service_project):
    tab = open_graph(qtbot, window, service_project)
    shown = nodes(tab.graph)
    assert shown["hidden"].locks == 1 and shown["hidden"].level == "recreate"  # .lock attached
    assert shown["scores"].locks == 0
    assert "1 lock-like object" in shown["hidden"].toolTip()
    assert tab.graph.message.text().startswith("3 layers")  # with its InputLayer
