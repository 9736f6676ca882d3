"""The threaded preview panel: a dock that runs the model through core.preview's pool."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel


def install(window) -> QDockWidget:
    """Add the preview dock (and its View menu toggle) to the window."""
    dock = QDockWidget("Threaded preview", window)
    dock.setObjectName("preview_dock")
    dock.setWidget(QLabel("Open a project to preview it."))
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    view_menu = window.menus.get("View")
    if view_menu is not None:
        view_menu.addAction(dock.toggleViewAction())
    window.preview_dock = dock
    return dock
