"""Helpers of the GUI tests (imported by name: tests/gui is on sys.path under pytest)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

LOAD_TIMEOUT_MS = 60_000


def drop_paths(target, paths) -> QDropEvent:
    """Deliver a real drag-enter + drop carrying file URLs, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = QPoint(target.width() // 2, target.height() // 2)
    enter = QDragEnterEvent(
        where,  # QDragEnterEvent takes a QPoint (Qt's C++ signature), QDropEvent a QPointF
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(where),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, drop)
    return drop


def wait_projects(qtbot, window, count: int) -> None:
    qtbot.waitUntil(
        lambda: len(window.projects) == count and not window.loader.busy, timeout=LOAD_TIMEOUT_MS
    )


def open_active(qtbot, window, paths) -> None:
    """Show the window, open ``paths``, wait until they are open and the window is active
    (keys go to it from then on)."""
    window.show()
    window.open_paths(list(paths))
    wait_projects(qtbot, window, len(paths))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def open_tab(qtbot, window, path):
    window.resize(1280, 800)
    window.show()
    window.open_paths([path])
    wait_projects(qtbot, window, 1)
    return window.current_tab


def show_graph(qtbot, tab):
    """Show the Graph tab and wait until it is drawn (the first time it is shown)."""
    with qtbot.waitSignal(tab.graph.laidOut, timeout=LOAD_TIMEOUT_MS):
        tab.view.setCurrentWidget(tab.graph)
    return tab


def open_graph(qtbot, window, path):
    return show_graph(qtbot, open_tab(qtbot, window, path))


def error_dialogs() -> list[QMessageBox]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "error_dialog" and w.isVisible()
    ]
