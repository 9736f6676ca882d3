"""The Library's details pane follows the catalog: a removed snapshot's details do not stay
on show, and a tag given to the selected one appears there at once."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from models import mlp, save, service

TIMEOUT_MS = 60_000


def test_details_follow_remove_and_tags(qtbot, make_window, settings_dir, tmp_path, keras):
    path = save(service(mlp()), tmp_path / "one.lpsnap")
    window = make_window(settings_dir)
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.library is not None and not panel.tasks.busy, timeout=TIMEOUT_MS)
    from lockpickle_gui.core import library as lib

    lib.add_paths(panel.library, [path])
    panel.refresh()
    (entry,) = panel.library.entries(lib.Filters())
    panel.view.selectionModel().select(
        panel.model.index_of(entry.id),
        panel.view.selectionModel().SelectionFlag.Select
        | panel.view.selectionModel().SelectionFlag.Rows,
    )
    assert "one.lpsnap" in panel.details.toPlainText()
    panel.library.tag([entry.id], ["baseline"])
    panel.refresh()
    assert "baseline" in panel.details.toPlainText()  # was: the tags of before
    panel.library.remove([entry.id])
    panel.refresh()
    assert panel.selected() == []
    assert "one.lpsnap" not in panel.details.toPlainText()  # was: the removed one's details
