"""Re-verifying several snapshots of one project asks for trust once: the same types and
the same bundled code, sha256 for sha256, are covered by the first answer; a snapshot that
needs something else still asks."""

from __future__ import annotations

import shutil

from PySide6.QtWidgets import QApplication

from lockpickle_gui.gui.library_widgets import ask_trust
from lockpickle_gui.gui.trust_dialog import TrustDialog


class _Entry:
    def __init__(self, entry_id, path):
        self.id, self.path, self.name = entry_id, str(path), path.name


def _trust_dialogs():
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, TrustDialog) and w.isVisible()
    ]


def test_the_same_bundled_code_is_trusted_once(qtbot, window, tmp_path, service_project):
    from lockpickle_gui.core.project import open_project
    from lockpickle_gui.core.snapshot import save_snapshot
    from lockpickle_gui.gui.actions import demo_project

    first = tmp_path / "a.lpsnap"
    save_snapshot(open_project(demo_project()), first, verify=False)
    copy = tmp_path / "b.lpsnap"
    shutil.copy(first, copy)
    other = tmp_path / "c.lpsnap"
    save_snapshot(open_project(service_project), other, verify=False, on_blocked="drop")
    entries = [_Entry(1, first), _Entry(2, copy), _Entry(3, other)]
    plans = []
    ask_trust(window, entries, {1, 2, 3}, plans.append)
    qtbot.waitUntil(lambda: len(_trust_dialogs()) == 1)
    _trust_dialogs()[0].trust_button.click()  # a.lpsnap
    qtbot.waitUntil(lambda: len(_trust_dialogs()) == 1)  # c.lpsnap: other code, asks
    shown = _trust_dialogs()[0]
    assert shown.path == other  # b.lpsnap was covered by the answer for a.lpsnap
    shown.trust_button.click()
    qtbot.waitUntil(lambda: bool(plans))
    assert [entry_id for entry_id, _, bundled in plans[0] if bundled] == [1, 2, 3]
