"""Small things a session trips on: Esc clears the filter and an empty result says so,
Ctrl+PgUp/PgDn switch tabs, a drop target shows while dragging, Help lists the shortcuts,
one product name, a blocked export in the app's words, colours readable on a dark theme."""

from __future__ import annotations

from gui_helpers import open_active
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QKeySequence, QPalette, QTextDocument
from PySide6.QtGui import Qt as gui_qt  # mightBeRichText lives in QtGui
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget

from lockpickle_gui.core.inspect.report import LEVELS
from lockpickle_gui.gui import about, badges, shortcuts
from lockpickle_gui.gui.export_dialog import BlockedStateDialog
from lockpickle_gui.gui.preview_results import VerdictBanner


def test_esc_clears_the_filter_and_no_match_is_said(qtbot, window, model_file):
    open_active(qtbot, window, [model_file])
    panel = window.current_tab.panel
    panel.filter_edit.setFocus()
    qtbot.keyClicks(panel.filter_edit, "zzz")
    assert panel.proxy.rowCount() == 0
    assert panel.no_match.isVisible() and panel.no_match.text() == "No row matches “zzz”."
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    assert panel.filter_edit.text() == "" and not panel.no_match.isVisible()


def test_a_selected_row_stays_selected_through_filtering(qtbot, window, model_file):
    open_active(qtbot, window, [model_file])
    panel = window.current_tab.panel
    layer = next(node for node in panel.tree.walk() if node.role == "layer")
    assert panel.select_path(layer.path)
    panel.filter_edit.setFocus()
    qtbot.keyClicks(panel.filter_edit, layer.name)  # the row matches: it stays selected
    assert panel.selected_node is layer
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    qtbot.keyClicks(panel.filter_edit, "zzz")  # hidden by the filter: nothing selected
    assert panel.selected_node is None
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)  # shown again: selected, in Details
    assert panel.selected_node is layer and window.details.path_edit.text() == layer.path


def test_ctrl_page_keys_switch_tabs_and_titles_elide_in_the_middle(
    qtbot, window, tiny_model, tmp_path
):
    paths = [tmp_path / "first.keras", tmp_path / "second.keras"]
    for path in paths:
        tiny_model.save(path)
    open_active(qtbot, window, paths)
    start = window.tabs.currentIndex()
    QTest.keySequence(window, QKeySequence("Ctrl+PgDown"))
    assert window.tabs.currentIndex() == (start + 1) % 2
    QTest.keySequence(window, QKeySequence("Ctrl+PgUp"))
    assert window.tabs.currentIndex() == start
    assert window.tabs.elideMode() == Qt.TextElideMode.ElideMiddle
    assert window.tabs.tabToolTip(0).endswith(".keras")  # the full path on hover


def test_a_drop_target_shows_while_files_are_dragged_over(qtbot, window, model_file):
    window.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(model_file))])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert window.drop_target.isVisible() and "Drop to open" in window.drop_target.text()
    from PySide6.QtGui import QDragLeaveEvent

    QApplication.sendEvent(window, QDragLeaveEvent())
    assert not window.drop_target.isVisible()


def test_help_lists_the_shortcuts_and_about_uses_one_name(qtbot, window):
    dialog = shortcuts.show_shortcuts(window)
    table = dialog.findChild(QTableWidget, "shortcuts_table")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["F5"] == "Reload" and rows["Ctrl+O"] == "Open"
    assert rows["Ctrl+PgDown"] == "Next Project" and "Ctrl+Return" in rows
    assert rows["F1"] == "Keyboard Shortcuts"
    dialog.close()
    box = about.show_about(window)
    assert (
        box.windowTitle() == f"About {about.PRODUCT}" and f"<h3>{about.PRODUCT}</h3>" in box.text()
    )
    assert window.windowTitle() == about.PRODUCT
    assert window.actions["about"].text().replace("&", "") == f"About {about.PRODUCT}"
    box.close()


def test_the_blocked_export_dialog_speaks_to_an_app_user(qtbot, window):
    message = 'Cannot export root.log: file. Pass on_blocked="drop" (--on-blocked drop).'
    dialog = BlockedStateDialog(window, blocked=[("root.log", "file")], message=message)
    qtbot.addWidget(dialog)
    words = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "on_blocked" not in words and "--on-blocked" not in words
    assert "Drop them and export" in words and "Cancel" in words
    assert dialog.blocked_paths() == ["root.log"]


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def test_badges_and_the_verdict_box_are_readable_on_a_dark_theme(qtbot):
    light = QApplication.palette()
    QApplication.setPalette(dark_palette())
    try:
        base = QApplication.palette().color(QPalette.ColorRole.Base)
        for level in LEVELS:
            assert badges.contrast(badges.level_text_colour(level), base) >= 4.5, level
        banner = VerdictBanner()
        qtbot.addWidget(banner)
        for verdict in ("identical", "within tolerance", "mismatch"):
            banner.show_report({"verdict": verdict, "max_abs_diff": 0.0})
            background, text = banner.colours(verdict)
            assert background.lightness() < 128  # a dark box on a dark theme
            assert badges.contrast(background, text) >= 4.5
            assert background.name() in banner.styleSheet()
    finally:
        QApplication.setPalette(light)


def test_an_error_message_with_quotes_reads_as_written(qtbot, window):
    from lockpickle_gui.gui.dialogs import make_error_box

    box = make_error_box(window, "Could not open x.keras", "Save it with model.save('m.keras').")
    qtbot.addWidget(box)
    box.show()
    label = box.findChild(QLabel, "qt_msgbox_informativelabel")
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and gui_qt.mightBeRichText(label.text())
    )
    document = QTextDocument()
    document.setHtml(label.text())
    shown = document.toPlainText() if rich else label.text()
    assert shown == "Save it with model.save('m.keras')."  # not &#x27; or &#39;


def test_the_verdict_names_the_lock_holding_layers_once(qtbot):
    banner = VerdictBanner()
    qtbot.addWidget(banner)
    banner.show_report(
        {
            "verdict": "identical",
            "message": "Identical: the 16 samples gave bit-identical outputs. 1 layer(s) keep a "
            "lock (root.layers[0]): if call() takes it, the pool's workers run one at a time.",
            "lock_layers": ["root.layers[0]"],
        }
    )
    assert banner.text().count("root.layers[0]") == 1


def test_an_error_box_shows_a_readable_stretch_of_its_details(qtbot):
    from PySide6.QtWidgets import QTextEdit

    from lockpickle_gui.gui.dialogs import make_error_box

    traceback = "".join(f'  File "x.py", line {n}, in f\n' for n in range(40))
    box = make_error_box(None, "Could not open x.keras", ValueError("bad"), traceback)
    qtbot.addWidget(box)
    details = box.findChild(QTextEdit)
    lines = details.minimumHeight() // details.fontMetrics().lineSpacing()
    assert traceback.splitlines()[0] in details.toPlainText() and lines >= 10
