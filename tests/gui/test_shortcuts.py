"""QA: every shortcut in the README's table is bound on the window, and Ctrl+W really works.

QKeySequence(StandardKey.Close) kept only Ctrl+F4 on Linux (no Ctrl+W) and StandardKey.Quit
has no binding on some platforms (offscreen, Windows), so Ctrl+W and Ctrl+Q did nothing.
"""

from __future__ import annotations

from gui_helpers import open_active, wait_projects
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

README_SHORTCUTS = [
    "Ctrl+O",
    "Ctrl+Shift+O",
    "Ctrl+1",
    "F5",
    "Ctrl+W",
    "Ctrl+E",
    "Ctrl+I",
    "Ctrl+F",
    "Ctrl+Shift+Right",
    "Ctrl+Shift+Left",
    "Ctrl+Shift+C",
    "Ctrl+Shift+R",
    "Ctrl+Q",
]


def _bound(window) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            found.setdefault(sequence.toString(), []).append(action.objectName() or action.text())
    return found


def test_readme_shortcuts_are_all_bound_once(qtbot, window, model_file):
    window.open_paths([model_file])  # a recent project, so Ctrl+1 exists
    wait_projects(qtbot, window, 1)
    window.actions["close_project"].trigger()
    bound = _bound(window)
    missing = [key for key in README_SHORTCUTS if key not in bound]
    assert missing == []
    assert {key: names for key, names in bound.items() if len(names) > 1} == {}


def test_ctrl_w_closes_the_project(qtbot, window, model_file):
    open_active(qtbot, window, [model_file])
    QTest.keySequence(window, QKeySequence("Ctrl+W"))
    qtbot.waitUntil(lambda: window.projects == [])
