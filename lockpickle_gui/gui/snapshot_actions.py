"""File ▸ Export Snapshot… (Ctrl+E) and File ▸ Import Snapshot… (Ctrl+I).

The window calls :func:`install` once; the drop handler calls :func:`import_snapshot` for
``.lpsnap`` files. Everything here drives ``lockpickle_gui.core.snapshot``; no logic of its own.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence


def install(window) -> None:
    """Add the export/import actions to the window's File menu."""
    export_action = QAction("&Export Snapshot…", window)
    export_action.setShortcut(QKeySequence("Ctrl+E"))
    export_action.setObjectName("action_export_snapshot")
    export_action.triggered.connect(lambda: export_snapshot(window))
    import_action = QAction("&Import Snapshot…", window)
    import_action.setShortcut(QKeySequence("Ctrl+I"))
    import_action.setObjectName("action_import_snapshot")
    import_action.triggered.connect(lambda: import_snapshot(window))
    menu = window.menus["File"]
    menu.addSeparator()
    menu.addAction(import_action)
    menu.addAction(export_action)
    window.export_snapshot_action = export_action
    window.import_snapshot_action = import_action


def export_snapshot(window) -> None:
    window.status("Export Snapshot: not ready yet", timeout_ms=3000)


def import_snapshot(window, path=None) -> None:
    window.status("Import Snapshot: not ready yet", timeout_ms=3000)
