"""The compare view shows the Bundled code section: a project exported from two folders is
identical, the same project with a line added to service.py is not, and the changed file
is the one highlighted row."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("pytestqt")

from models import mlp, save
from projects import service_project

from lockpickle_gui.core.library.diff import diff_snapshots
from lockpickle_gui.gui.compare_view import CompareView


def test_compare_view_shows_bundled_code(qtbot, tmp_path, keras):
    from lockpickle_gui.core.project import open_project

    folder = service_project(tmp_path / "one", mlp())
    shutil.copytree(folder, tmp_path / "two")
    edited = tmp_path / "two" / "service.py"
    first = save(open_project(folder), tmp_path / "one.lpsnap")
    copied = save(open_project(tmp_path / "two"), tmp_path / "copied.lpsnap")
    edited.write_text(edited.read_text() + "\nTIMEOUT_S = 5\n")
    changed = save(open_project(tmp_path / "two"), tmp_path / "edited.lpsnap")

    same = CompareView(None, diff_snapshots(first, copied))
    qtbot.addWidget(same)
    assert same.report.identical and same.highlighted_rows() == []
    view = CompareView(None, diff_snapshots(first, changed))
    qtbot.addWidget(view)
    assert view.highlighted_rows() == [("code", "~ code/service.py")]
    tops = [view.tree.topLevelItem(i) for i in range(view.tree.topLevelItemCount())]
    (code,) = [top for top in tops if top.text(0) == "Bundled code"]
    assert code.isExpanded() and code.text(3) == "1 changed"
    row = code.child(0)
    assert row.text(1).startswith("sha256 ") and row.text(1) != row.text(2)
    assert row.text(3) == "2 lines added, 0 removed"
    assert "Bundled code: 1 changed" in view.summary.text()
