"""A SavedModel folder shows its signatures with their input and output specs in Details."""

from __future__ import annotations

import pytest
from gui_helpers import wait_projects
from PySide6.QtWidgets import QToolButton

from lockpickle_gui.gui.details_panel import SIGNATURES_TAB


@pytest.mark.slow
def test_selecting_a_savedmodel_shows_its_signatures(qtbot, window, tiny_model, tmp_path):
    folder = tmp_path / "exported"
    tiny_model.export(str(folder), verbose=False)
    window.open_paths([folder])
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    assert panel.select_path("root")
    details = window.details
    assert details.tabs.isTabVisible(SIGNATURES_TAB)
    assert details.tabs.currentIndex() == SIGNATURES_TAB
    rows = {}
    for i in range(details.signatures.topLevelItemCount()):
        signature = details.signatures.topLevelItem(i)
        for j in range(signature.childCount()):
            side = signature.child(j)
            for k in range(side.childCount()):
                rows[(signature.text(0), side.text(0), side.child(k).text(0))] = side.child(k).text(
                    1
                )
    inputs = [spec for (sig, side, _), spec in rows.items() if side == "inputs"]
    outputs = [spec for (sig, side, _), spec in rows.items() if side == "outputs"]
    assert "float32[None, 4]" in inputs and "float32[None, 3]" in outputs, rows
    # a SavedModel has no layer graph: the Graph tab's tools are off, not silently inert
    graph = window.current_tab.graph
    assert "No layer graph" in graph.message.text()
    assert not graph.findChild(QToolButton, "graph_export").isEnabled()
    assert not graph.find_edit.isEnabled()
