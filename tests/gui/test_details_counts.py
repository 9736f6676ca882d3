"""Details' tab counts belong to the row shown: "Weights (2)" of a Dense layer does not stay
on the tab once another row (or none) is selected."""

from __future__ import annotations

from gui_helpers import wait_projects

from lockpickle_gui.gui.details_panel import WEIGHTS_TAB


def test_the_weights_count_follows_the_selection(qtbot, window, model_file):
    window.open_paths([model_file])
    wait_projects(qtbot, window, 1)
    details = window.details
    panel = window.current_tab.panel
    assert panel.select_path("root.layers[0]")
    qtbot.waitUntil(lambda: details.details is not None, timeout=10_000)
    assert details.tabs.tabText(WEIGHTS_TAB) == "Weights (2)"
    panel.view.clearSelection()
    assert details.node is None
    assert details.tabs.tabText(WEIGHTS_TAB) == "Weights"  # was: still "Weights (2)"
    assert panel.select_path("root")
    assert details.tabs.tabText(WEIGHTS_TAB) == "Weights"  # not the layer's while reading
