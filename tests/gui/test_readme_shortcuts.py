"""The README's shortcut table, read from README.md itself, checked with real key presses:
each key reaches the action the table names (with the layer tree focused, as after opening),
and the caveat under the table holds (in the filter box Ctrl+Shift+Left/Right edit text)."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import open_active
from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

README = Path(__file__).resolve().parents[2] / "README.md"

# README wording -> the action's objectName
ACTIONS = {
    "Open files or a folder": "action_open",
    "Open a folder": "action_open_folder",
    "Open a recent project": "action_recent_1",
    "Reload the project from disk": "action_reload",
    "Close the project": "action_close_project",
    "Export snapshot": "action_export_snapshot",
    "Import snapshot": "action_import_snapshot",
    "Filter by name, class or kind": "action_find",
    "Expand all": "action_expand_all",
    "Collapse all": "action_collapse_all",
    "Copy the selected row's path": "action_copy_path",
    "Export report": "action_export_report",
    "Quit": "action_quit",
    "Run the preview": "action_run_preview",
    "Next project": "action_next_project",
    "Previous project": "action_previous_project",
    "List the keyboard shortcuts": "action_shortcuts",
}


def readme_table() -> dict[str, str]:
    """key -> action wording, from the table in 'The desktop app'. A row "Ctrl+Shift+Right /
    Left | Expand / collapse all" stands for two keys sharing modifiers and a last word."""
    section = README.read_text().split("## The desktop app", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    table = {}
    for row in rows[1:]:  # skip the header
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        for keys, words in zip(cells[0::2], cells[1::2]):
            keys = keys.replace("…9", "")  # Ctrl+1…9: Ctrl+1 stands for them
            if not keys:
                continue
            if " / " not in keys:
                table[keys] = words
                continue
            first_key, second_key = keys.split(" / ")
            if "+" not in second_key:
                second_key = first_key.rsplit("+", 1)[0] + "+" + second_key
            first_words, second_words = words.split(" / ")
            shared = second_words.split(" ", 1)[1]
            table[first_key] = f"{first_words} {shared}"
            table[second_key] = second_words[0].upper() + second_words[1:]
    return table


def test_readme_table_parses_to_the_documented_actions():
    table = readme_table()
    assert set(table.values()) == set(ACTIONS), table
    assert table["Ctrl+Shift+Left"] == "Collapse all" and table["Ctrl+I"] == "Import snapshot"


def test_every_readme_shortcut_reaches_its_action(qtbot, window, model_file):
    open_active(qtbot, window, [model_file])  # a recent project (Ctrl+1) and a tree to focus
    window.current_tab.panel.view.setFocus()
    qtbot.waitUntil(lambda: window.current_tab.panel.view.hasFocus())
    actions = {a.objectName(): a for a in window.findChildren(QAction) if a.objectName()}
    fired: list[str] = []
    for name in set(ACTIONS.values()):  # count the trigger instead of opening dialogs/quitting
        action = actions[name]
        action.triggered.disconnect()
        action.triggered.connect(lambda checked=False, n=name: fired.append(n))
    for key, words in readme_table().items():
        fired.clear()
        QTest.keySequence(window.focusWidget(), QKeySequence(key))
        assert fired == [ACTIONS[words]], f"{key} ({words}) triggered {fired}"


def test_in_the_filter_box_only_word_selection_keys_stay_with_the_text(qtbot, window, model_file):
    open_active(qtbot, window, [model_file])
    edit = window.current_tab.panel.filter_edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    actions = {a.objectName(): a for a in window.findChildren(QAction) if a.objectName()}
    fired: list[str] = []
    for name in set(ACTIONS.values()):
        actions[name].triggered.disconnect()
        actions[name].triggered.connect(lambda checked=False, n=name: fired.append(n))
    for key, words in readme_table().items():
        fired.clear()
        QTest.keySequence(edit, QKeySequence(key))
        expected = [] if key in ("Ctrl+Shift+Right", "Ctrl+Shift+Left") else [ACTIONS[words]]
        assert fired == expected, f"{key} ({words}) in the filter box triggered {fired}"


class _TakesCtrlE(QObject):
    """What QLineEdit does on X11, where Ctrl+E is its "end of line" key (offscreen has no
    such binding): it claims the key before any window shortcut sees it."""

    def eventFilter(self, watched, event):
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and event.keyCombination()
            == QKeyCombination(Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_E)
        ):
            event.accept()
            return True
        return False


def test_ctrl_e_exports_from_a_text_field_that_claims_it_and_ctrl_f4_closes(
    qtbot, window, model_file
):
    open_active(qtbot, window, [model_file])
    edit = window.current_tab.panel.filter_edit  # where the focus is after opening
    claims = _TakesCtrlE(edit)
    edit.installEventFilter(claims)
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    actions = {a.objectName(): a for a in window.findChildren(QAction) if a.objectName()}
    fired: list[str] = []
    for name in ("action_export_snapshot", "action_close_project"):
        actions[name].triggered.disconnect()
        actions[name].triggered.connect(lambda checked=False, n=name: fired.append(n))
    QTest.keySequence(edit, QKeySequence("Ctrl+E"))
    assert fired == ["action_export_snapshot"]
    fired.clear()
    QTest.keySequence(window.current_tab.panel.view, QKeySequence("Ctrl+F4"))
    assert fired == ["action_close_project"]
