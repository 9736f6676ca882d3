"""Help ▸ Keyboard Shortcuts (F1): every key the window answers to, read from its actions
(so the list cannot drift from what the keys do), then the keys that belong to one panel;
and the window keys that text fields must not keep for themselves."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.gui import window_size

PANEL_KEYS = (  # keys handled inside one panel, not by window actions
    ("Esc", "Clear the filter box / the graph's Find box"),
    ("Esc", "Cancel the running preview (preview panel focused)"),
    ("Enter", "Next match of the graph's Find box"),
    ("Ctrl+wheel", "Zoom the graph"),
    ("Double-click", "Expand or collapse a nested model in the graph"),
)


# Window keys a text field would otherwise keep for itself. Ctrl+E is "end of line" in Qt's
# X11 bindings (End does the same), so after opening a project, with the filter box focused,
# Ctrl+E moved the cursor instead of exporting. Keys a field needs for real editing
# (Ctrl+Shift+Left/Right select words) stay the field's.
WINDOW_KEYS_OVER_TEXT_FIELDS = (QKeySequence("Ctrl+E"),)


class WindowKeysOverTextFields(QObject):
    """An application event filter: in a text field of ``window``, the keys of
    :data:`WINDOW_KEYS_OVER_TEXT_FIELDS` are not taken by the field, so the window's action
    answers them."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(watched, QLineEdit):
            return False
        if watched.window() is not self._window or not isinstance(event, QKeyEvent):
            return False
        if QKeySequence(event.keyCombination()) in WINDOW_KEYS_OVER_TEXT_FIELDS:
            event.ignore()  # not overridden: the shortcut map goes on to the window's action
            return True
        return False


def window_shortcuts(window) -> list[tuple[str, str]]:
    """(keys, what they do) of every window action with a shortcut, sorted by keys."""
    rows = {}
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        # keep what a keyboard types: Qt also binds media keys named "Open", "Find"...
        keys = [k for k in keys if "+" in k or re.fullmatch(r"F\d+", k)]
        if keys and action.text():
            rows[" / ".join(keys)] = action.text().replace("&", "").rstrip("…").strip()
    return sorted(rows.items(), key=lambda row: (len(row[0]), row[0]))


def show_shortcuts(window) -> QDialog:
    dialog = QDialog(window)
    dialog.setObjectName("shortcuts_dialog")
    dialog.setWindowTitle("Keyboard Shortcuts")
    rows = window_shortcuts(window) + list(PANEL_KEYS)
    table = QTableWidget(len(rows), 2, dialog)
    table.setObjectName("shortcuts_table")
    table.setHorizontalHeaderLabels(["Keys", "Action"])
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    for row, (keys, words) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(keys))
        table.setItem(row, 1, QTableWidgetItem(words))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    window_size.size_dialog(dialog, 520, 560)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
