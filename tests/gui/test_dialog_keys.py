"""Enter does what a dialog's default button says: in Export Snapshot's options it exported
nothing and opened the file chooser again ("Change…" took the focus and with it Enter)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog

from lockpickle_gui.gui.export_dialog import ExportOptionsDialog


def test_enter_in_the_export_options_exports(qtbot, tmp_path, monkeypatch):
    chooser = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *args, **kwargs: (chooser.append(args), ("", ""))[1]),
    )
    dialog = ExportOptionsDialog(
        None, project_name="demo", path=tmp_path / "demo.lpsnap", code_files=2
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    focused = QApplication.focusWidget() or dialog
    qtbot.keyClick(focused, Qt.Key.Key_Return)
    assert not chooser  # was: the file chooser again
    assert dialog.result() == QDialog.DialogCode.Accepted


def _enter(qtbot, dialog) -> int:
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Return)
    return dialog.result()


def test_enter_in_the_blocked_state_dialog_cancels(qtbot):
    from lockpickle_gui.gui.export_dialog import BlockedStateDialog

    dialog = BlockedStateDialog(None, blocked=[("root.log", "file")])
    qtbot.addWidget(dialog)
    assert _enter(qtbot, dialog) == QDialog.DialogCode.Rejected  # never "drop and export"
    assert not dialog.isVisible()


def test_enter_in_the_trust_dialog_loads_nothing(qtbot, tmp_path):
    import threading

    from lockpickle_gui.core.snapshot import save_snapshot
    from lockpickle_gui.gui.trust_dialog import TrustDialog

    path = tmp_path / "s.lpsnap"
    save_snapshot({"lock": threading.Lock(), "values": [1, 2]}, path)
    dialog = TrustDialog(None, path=path)
    qtbot.addWidget(dialog)
    assert _enter(qtbot, dialog) == QDialog.DialogCode.Rejected  # Enter never runs code
    assert not dialog.isVisible()


def test_the_trust_dialog_never_says_none_when_bundled_code_needs_trust(qtbot, tmp_path):
    from lockpickle_gui.core.project import open_project
    from lockpickle_gui.core.snapshot import save_snapshot
    from lockpickle_gui.gui.actions import demo_project
    from lockpickle_gui.gui.trust_dialog import TrustDialog

    path = tmp_path / "demo.lpsnap"
    save_snapshot(open_project(demo_project()), path, verify=False)
    dialog = TrustDialog(None, path=path)
    qtbot.addWidget(dialog)
    assert dialog.trust_bundled_code  # its service and layer come from the bundled code
    heading = dialog.tree.topLevelItem(0).text(0)
    assert heading.startswith("Types loading needs you to trust")
    assert "built-in data" not in heading and "bundled code" in heading, heading
