"""Tree columns fit their contents: full output shapes, empty Locks columns shrink, and in a
1024×700 window Params, Locks and Snapshot stay on screen (Name gives way, elided)."""

from __future__ import annotations

from gui_helpers import wait_projects
from PySide6.QtCore import Qt

from lockpickle_gui.gui import tree_model


def _visible_span(view, column):
    header = view.header()
    left = header.sectionViewportPosition(column)
    return left, left + header.sectionSize(column)


def test_full_output_shapes_and_a_narrow_empty_locks_column(qtbot, window, keras, tmp_path):
    inputs = keras.Input((112, 112, 3), name="image")
    outputs = keras.layers.Conv2D(96, 3, padding="same", name="expand_conv")(inputs)
    path = tmp_path / "conv.keras"
    keras.Model(inputs, outputs, name="conv").save(path)
    window.resize(1280, 800)
    window.show()
    window.open_paths([path])
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    view = panel.view
    conv = panel.proxy.index(1, 0, panel.proxy.index(0, 0))
    shape = conv.siblingAtColumn(tree_model.SHAPE)
    assert shape.data() == "(None, 112, 112, 96)"
    needed = view.fontMetrics().horizontalAdvance(shape.data())
    assert view.columnWidth(tree_model.SHAPE) > needed  # not "(None, 112, 11…"
    assert "(None, 112, 112, 96)" in shape.data(Qt.ItemDataRole.ToolTipRole)
    header_needs = view.fontMetrics().horizontalAdvance("Locks")
    assert view.columnWidth(tree_model.LOCKS) < header_needs + 40  # no lock: header only


def test_at_1024x700_params_locks_and_snapshot_are_on_screen(qtbot, window, service_project):
    window.resize(1024, 700)
    window.show()
    assert window.width() == 1024 and window.height() == 700  # the minimum allows it
    window.open_paths([service_project])
    wait_projects(qtbot, window, 1)
    view = window.current_tab.panel.view
    qtbot.waitUntil(lambda: view.viewport().width() > 0)
    width = view.viewport().width()
    for column in (tree_model.PARAMS, tree_model.LOCKS):
        left, right = _visible_span(view, column)
        assert left >= 0 and right <= width, (column, left, right, width)
    left, _ = _visible_span(view, tree_model.SNAPSHOT)
    assert left + 100 <= width  # at least the start of "1 blocking · 2 recreated"
    assert view.textElideMode() == Qt.TextElideMode.ElideMiddle


def test_on_a_1024x700_screen_names_and_classes_are_whole(qtbot, window):
    """The window a 1024×700 screen gets (942×644): Name and Class are never the columns cut
    ("wo…dy", "Anom…vice"); Inputs from, Snapshot and Output shape give way first, the right
    dock keeps at most 30 % of the width, and nothing scrolls sideways."""
    from lockpickle_gui.gui import tree_columns
    from lockpickle_gui.gui.actions import demo_project

    window.resize(942, 644)
    window.show()
    window.open_paths([demo_project()])
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    view = panel.view
    qtbot.waitUntil(lambda: view.viewport().width() > 0)
    assert window.details_dock.width() < 942 // 3  # the right-hand docks give way too
    needed = tree_columns.content_widths(panel.model, view.fontMetrics(), view.indentation())
    for column in (tree_model.NAME, tree_model.CLASS, tree_model.PARAMS, tree_model.LOCKS):
        # within the cell's padding: the longest text still shows whole
        fits = needed[column] - tree_columns.PADDING // 2
        assert view.columnWidth(column) >= fits, tree_model.HEADERS[column]
    assert view.header().length() <= view.viewport().width()  # no sideways scrolling
    left, right = _visible_span(view, tree_model.SNAPSHOT)
    assert right - left >= tree_columns.FLOORS[tree_model.SNAPSHOT]


def test_a_narrow_snapshot_column_says_it_in_a_word(qtbot, window):
    """'kept (fresh object, same data)' elided to 'kept (fres…same data)' reads as noise: a
    cell too narrow for the sentence shows 'kept'; the data and the tooltip keep the sentence."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyleOptionViewItem

    from lockpickle_gui.gui.actions import demo_project

    window.resize(1280, 800)
    window.show()
    window.open_paths([demo_project()])  # anomaly_service: an Event, a Queue... are kept
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    view = panel.view
    delegate = view.itemDelegateForColumn(tree_model.SNAPSHOT)
    kept = next(
        index.siblingAtColumn(tree_model.SNAPSHOT)
        for index in _rows(panel.proxy)
        if index.siblingAtColumn(tree_model.SNAPSHOT).data() == "kept (fresh object, same data)"
    )

    def shown(width):  # the last column stretches: the cell's width is set on the option
        option = QStyleOptionViewItem()
        option.initFrom(view)
        option.rect = QRect(0, 0, width, view.visualRect(kept).height())
        delegate.initStyleOption(option, kept)
        return option.text

    assert shown(400) == "kept (fresh object, same data)"
    assert shown(60) == "kept"
    assert kept.data() == "kept (fresh object, same data)"
    assert "kept" in kept.data(Qt.ItemDataRole.ToolTipRole)


def _rows(model, parent=None):
    from PySide6.QtCore import QModelIndex

    parent = parent if parent is not None else QModelIndex()
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        yield index
        yield from _rows(model, index)


def test_a_long_module_name_in_details_does_not_squeeze_the_tree(qtbot, window):
    """The demo's custom layer lives in lpproject_anomaly_service_<hash>.layers: one word
    that cannot wrap. As the Details label's minimum width it widened the dock by ~70 px on
    selecting that row, and the tree's columns reflowed."""
    from lockpickle_gui.gui.actions import demo_project

    window.resize(942, 644)  # the window a 1024x700 screen gets
    window.show()
    window.open_paths([demo_project()])
    wait_projects(qtbot, window, 1)
    panel = window.current_tab.panel
    assert panel.select_path("root.work_ready")
    qtbot.wait(200)
    before = window.details_dock.width()
    custom = next(n for n in panel.tree.walk() if n.role == "layer" and "lpproject" in n.type)
    assert panel.select_path(custom.path)
    qtbot.wait(200)
    assert window.details_dock.width() == before
    module = window.details.fields["Module"]
    assert module.toolTip() == custom.type.rpartition(".")[0]  # whole on hover
