"""Save dialogs start somewhere sensible and a failed write is said: the graph export
proposed the app's working directory (a source checkout) and reported "Saved x.svg" for an
SVG it could not write; the weights, report and snapshot dialogs each had their own rules."""

from __future__ import annotations

import os

from gui_helpers import error_dialogs, open_graph, wait_projects
from PySide6.QtWidgets import QFileDialog

from lockpickle_gui.gui import graph_export

LAYOUT_TIMEOUT_MS = 60_000


def test_the_graph_export_starts_in_the_projects_folder_then_the_last_one(
    qtbot, window, model_file, tmp_path, monkeypatch
):
    tab = open_graph(qtbot, window, model_file)
    out = tmp_path / "exports"
    out.mkdir()
    proposed = []

    def fake(parent, caption, start, filters):
        proposed.append(start)
        return str(out / "g.svg"), "SVG image (*.svg)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    with qtbot.waitSignal(tab.graph.exported, timeout=LAYOUT_TIMEOUT_MS):
        tab.graph.export()
    assert os.path.dirname(proposed[0]) == str(model_file.parent)  # was: the working directory
    assert (out / "g.svg").stat().st_size > 500
    assert window.settings.last_export_folder == str(out)
    with qtbot.waitSignal(tab.graph.exported, timeout=LAYOUT_TIMEOUT_MS):
        tab.graph.export()
    assert os.path.dirname(proposed[1]) == str(out)


def test_a_graph_that_cannot_be_written_is_not_reported_saved(qtbot, window, model_file, tmp_path):
    tab = open_graph(qtbot, window, model_file)
    for suffix in ("svg", "png"):
        target = tmp_path / "missing" / f"g.{suffix}"
        with qtbot.waitSignal(tab.graph.exported, timeout=LAYOUT_TIMEOUT_MS) as said:
            graph_export.export(tab.graph, target, suffix)
        assert said.args[0].startswith("Could not write"), said.args[0]  # was: "Saved g.svg"
        assert not target.exists()
        qtbot.waitUntil(lambda: bool(error_dialogs()))
        for box in error_dialogs():
            box.close()


def test_the_weight_dialog_starts_in_the_projects_folder(qtbot, window, model_file, monkeypatch):
    window.open_paths([model_file])
    wait_projects(qtbot, window, 1)
    assert window.current_tab.panel.select_path("root.layers[0]")
    details = window.details
    qtbot.waitUntil(lambda: details.details is not None, timeout=10_000)
    proposed = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda parent, caption, start, filters: (proposed.append(start), ("", ""))[1]),
    )
    details.weights.selectRow(0)
    details.save_npy_button.click()
    assert os.path.dirname(proposed[0]) == str(model_file.parent)  # was: the home folder


def test_open_starts_beside_the_current_project(qtbot, window, model_file, monkeypatch):
    from lockpickle_gui.gui import dialogs

    window.open_paths([model_file])  # as from the command line: no folder remembered yet
    wait_projects(qtbot, window, 1)
    started = []
    monkeypatch.setattr(dialogs, "choose_paths", lambda parent, start: started.append(start) or [])
    window.actions["open"].trigger()
    assert str(started[0]) == str(model_file.parent)  # was: the home folder


def test_saving_from_the_demo_never_proposes_the_apps_own_folder(qtbot, window):
    from pathlib import Path

    from lockpickle_gui import resources
    from lockpickle_gui.gui import file_places
    from lockpickle_gui.gui.actions import demo_project

    window.open_paths([demo_project()])
    wait_projects(qtbot, window, 1)
    window.settings.last_export_folder = ""
    folder = file_places.save_folder(window)
    demos = resources.examples_dir().resolve()
    assert folder.resolve() != demos and demos not in folder.resolve().parents
    assert folder == Path.home()
