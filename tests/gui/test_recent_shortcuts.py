"""Ctrl+1…9 keep opening recent projects after a project was opened.

Each open rebuilds File ▸ Open Recent; the old actions stayed on the window, so every
Ctrl+N was bound twice and Qt refused the key ("Ambiguous shortcut overload: Ctrl+2").
"""

from __future__ import annotations

from gui_helpers import open_active, wait_projects
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

from lockpickle_gui.core.settings import Settings


def test_ctrl_2_opens_the_second_recent_project_after_an_open(
    qtbot, make_window, settings_dir, tiny_model, tmp_path
):
    paths = []
    for name in ("first", "second", "third"):
        paths.append(tmp_path / f"{name}.keras")
        tiny_model.save(paths[-1])
    settings = Settings(settings_dir)
    for path in (paths[1], paths[0]):  # most recent first: first, second
        settings.add_recent(path)
    settings.save()
    window = make_window(settings_dir)
    open_active(qtbot, window, [paths[2]])  # rebuilds the recent list: third, first, second

    bound = [
        action
        for action in window.findChildren(QAction)
        if QKeySequence("Ctrl+2") in action.shortcuts() and action.parent() is not None
    ]
    assert [action.toolTip() for action in bound] == [str(paths[0].resolve())]
    QTest.keySequence(window, QKeySequence("Ctrl+2"))
    wait_projects(qtbot, window, 2)
    assert window.current_project.name == "first"
