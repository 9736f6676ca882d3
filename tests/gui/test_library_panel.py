"""The Library panel and the compare view, in a real main window offscreen: listing by
project, filters and sorting, tags/note/remove dialogs, re-verify with progress and cancel,
open through the trust dialog, compare, changes made by the CLI meanwhile, a rebuild."""

from __future__ import annotations

import dataclasses
import shutil
import threading

import pytest

pytest.importorskip("pytestqt")

from models import Settings, mlp, save, service
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from lockpickle_gui.cli import main as cli
from lockpickle_gui.core import library as lib
from lockpickle_gui.core.library import db
from lockpickle_gui.gui.compare_view import CompareView
from lockpickle_gui.gui.library_model import NAME, VERDICT
from lockpickle_gui.gui.library_widgets import NoteDialog, RemoveDialog, TagDialog
from lockpickle_gui.gui.trust_dialog import TrustDialog
from lockpickle_gui.gui.workers import Worker

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def files(tmp_path_factory, keras):
    folder = tmp_path_factory.mktemp("panel_snapshots")
    model = mlp()
    custom = service(model)
    custom["settings"] = Settings()
    return {
        "base": save(service(model), folder / "base.lpsnap"),
        "relocked": save(service(model, lock="RLock"), folder / "relocked.lpsnap"),
        "custom": save(custom, folder / "custom.lpsnap"),
    }


def populate(settings_dir, tmp_path, files):
    """alpha: two snapshots (January, March), beta: one (February), as real files."""
    folder = tmp_path / "snaps"
    folder.mkdir(exist_ok=True)
    made = {}
    with lib.Library(settings_dir / "data") as library:
        for name, source, project, month in (
            ("alpha-jan", "base", "alpha", "01"),
            ("alpha-mar", "relocked", "alpha", "03"),
            ("beta-feb", "custom", "beta", "02"),
        ):
            path = folder / f"{name}.lpsnap"
            shutil.copyfile(files[source], path)
            facts, summary = lib.read_snapshot(path)
            summary = dataclasses.replace(summary, created_utc=f"2025-{month}-01T10:00:00Z")
            made[name] = library.record(facts, summary, "add", project=project)
    return made


def open_panel(qtbot, make_window, settings_dir):
    window = make_window(settings_dir)
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.library is not None and not panel.tasks.busy, timeout=TIMEOUT_MS)
    return window, panel


def names(panel):
    return [(project, [e.name for e in entries]) for project, entries in panel.model.groups]


def test_listing_is_grouped_newest_first_with_filters_and_sorting(
    qtbot, make_window, settings_dir, tmp_path, files
):
    ids = populate(settings_dir, tmp_path, files)
    with lib.Library(settings_dir / "data") as library:
        library.tag([ids["beta-feb"]], ["prod"])
        library.set_verdict(ids["alpha-jan"], "identical")
    (tmp_path / "snaps" / "alpha-mar.lpsnap").unlink()  # gone before the app starts
    window, panel = open_panel(qtbot, make_window, settings_dir)
    assert names(panel) == [
        ("alpha", ["alpha-mar.lpsnap", "alpha-jan.lpsnap"]),
        ("beta", ["beta-feb.lpsnap"]),
    ]
    missing = panel.model.index_of(ids["alpha-mar"], NAME)
    assert panel.model.data(missing) == "alpha-mar.lpsnap  (missing)"
    verdict = panel.model.index_of(ids["alpha-jan"], VERDICT)
    assert panel.model.data(verdict) == "identical"

    bar = panel.filter_bar
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT_MS):
        bar.search.setText("beta")
    assert names(panel) == [("beta", ["beta-feb.lpsnap"])]
    bar.search.clear()
    qtbot.waitUntil(lambda: panel.model.entry_count == 3)
    bar.tag_box.setCurrentText("prod")
    assert names(panel) == [("beta", ["beta-feb.lpsnap"])]
    bar.tag_box.setCurrentText("All")
    bar.verdict_box.setCurrentText("identical")
    assert names(panel) == [("alpha", ["alpha-jan.lpsnap"])]
    bar.verdict_box.setCurrentText("All")
    bar.missing_box.setChecked(True)
    assert names(panel) == [("alpha", ["alpha-mar.lpsnap"])]
    bar.missing_box.setChecked(False)
    bar.project_box.setCurrentText("beta")
    assert names(panel) == [("beta", ["beta-feb.lpsnap"])]
    bar.project_box.setCurrentText("All")
    panel.view.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)  # a header click
    assert names(panel)[0] == ("alpha", ["alpha-jan.lpsnap", "alpha-mar.lpsnap"])
    assert "3 of 3 snapshot(s) in 2 project(s) · 1 missing" in panel.tasks.label.text()


def test_changes_made_elsewhere_show_up_while_the_app_runs(
    qtbot, make_window, settings_dir, tmp_path, files, monkeypatch
):
    ids = populate(settings_dir, tmp_path, files)
    window, panel = open_panel(qtbot, make_window, settings_dir)
    monkeypatch.setenv("LOCKPICKLE_GUI_SETTINGS_DIR", str(settings_dir))
    assert cli(["library", "tag", str(ids["beta-feb"]), "from-the-cli"]) == 0
    extra = tmp_path / "exported-later.lpsnap"
    shutil.copyfile(files["base"], extra)
    lib.record_export(extra, folder=settings_dir / "data")  # what an export records
    qtbot.waitUntil(lambda: panel.model.entry_count == 4, timeout=TIMEOUT_MS)
    beta = next(e for p, entries in panel.model.groups for e in entries if e.id == ids["beta-feb"])
    assert beta.tags == ["from-the-cli"]


def test_a_file_deleted_while_the_app_runs_is_shown_missing(
    qtbot, make_window, settings_dir, tmp_path, files, monkeypatch
):
    from lockpickle_gui.gui import library_panel

    ids = populate(settings_dir, tmp_path, files)
    monkeypatch.setattr(library_panel, "FILES_EVERY_POLLS", 1)  # every poll, not every 5th
    window, panel = open_panel(qtbot, make_window, settings_dir)

    def shown_missing() -> bool:
        (entry,) = [e for _p, rows in panel.model.groups for e in rows if e.id == ids["alpha-jan"]]
        return bool(entry.missing)

    path = tmp_path / "snaps" / "alpha-jan.lpsnap"
    content = path.read_bytes()
    assert not shown_missing()
    path.unlink()
    qtbot.waitUntil(shown_missing, timeout=TIMEOUT_MS)
    path.write_bytes(content)
    qtbot.waitUntil(lambda: not shown_missing(), timeout=TIMEOUT_MS)


def visible(kind):
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[0] if found else None


def wait_visible(qtbot, kind):
    qtbot.waitUntil(lambda: visible(kind) is not None, timeout=TIMEOUT_MS)
    return visible(kind)


def test_tags_note_and_remove_with_file_deletion(qtbot, make_window, settings_dir, tmp_path, files):
    ids = populate(settings_dir, tmp_path, files)
    window, panel = open_panel(qtbot, make_window, settings_dir)
    panel.select([ids["alpha-jan"], ids["beta-feb"]])
    assert panel.actions["tag"].isEnabled() and not panel.actions["note"].isEnabled()
    panel.actions["tag"].trigger()
    dialog = wait_visible(qtbot, TagDialog)
    dialog.edit.setText("baseline, march review")
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT_MS):
        dialog.accept()
    with lib.Library(settings_dir / "data") as library:
        assert library.entry(ids["beta-feb"]).tags == ["baseline", "march review"]
    panel.select([ids["alpha-jan"]])
    panel.actions["note"].trigger()
    note = wait_visible(qtbot, NoteDialog)
    note.edit.setPlainText("The first model we shipped.")
    note.accept()
    assert "The first model we shipped." in panel.details.toPlainText()
    assert "History" in panel.details.toPlainText()

    target = tmp_path / "snaps" / "beta-feb.lpsnap"
    panel.select([ids["beta-feb"]])
    panel.actions["remove"].trigger()
    confirm = wait_visible(qtbot, RemoveDialog)
    assert "stay where they are" in confirm.informativeText()
    confirm.delete_box.setChecked(True)
    assert "DELETED" in confirm.informativeText()
    confirm.remove_button.click()
    qtbot.waitUntil(lambda: panel.model.entry_count == 2)
    assert not target.exists()


def test_reverify_in_the_background_asks_trust_and_can_be_cancelled(
    qtbot, make_window, settings_dir, tmp_path, files
):
    ids = populate(settings_dir, tmp_path, files)
    window, panel = open_panel(qtbot, make_window, settings_dir)
    # cancelled while queued behind busy runner threads: nothing is recorded
    gate = threading.Event()
    for _ in range(window.runner.pool.maxThreadCount()):
        window.runner.start(Worker(gate.wait, with_progress=False))
    panel.select([ids["alpha-jan"]])
    panel.actions["verify"].trigger()
    assert panel.tasks.busy and panel.tasks.cancel_button.isVisibleTo(panel)
    with qtbot.waitSignal(panel.taskDone, timeout=TIMEOUT_MS) as done:
        panel.tasks.cancel_button.click()
        gate.set()
    assert done.args == ["verify", None] and panel.tasks.label.text() == "Cancelled."
    assert panel.library.entry(ids["alpha-jan"]).verdict is None
    # now for real; the snapshot holding a user class asks for trust first
    panel.select([ids["alpha-jan"], ids["beta-feb"]])
    panel.actions["verify"].trigger()
    trust = wait_visible(qtbot, TrustDialog)
    assert trust.modules == ["models.Settings"]
    with qtbot.waitSignal(panel.taskDone, timeout=TIMEOUT_MS) as done:
        trust.trust_button.click()
    assert done.args[0] == "verify" and len(done.args[1]) == 2
    for entry_id in (ids["alpha-jan"], ids["beta-feb"]):
        index = panel.model.index_of(entry_id, VERDICT)
        assert panel.model.data(index) == "identical"
    assert panel.tasks.label.text() == "Re-verified: identical, identical"


def test_double_click_opens_through_the_trust_dialog(
    qtbot, make_window, settings_dir, tmp_path, files
):
    ids = populate(settings_dir, tmp_path, files)
    window, panel = open_panel(qtbot, make_window, settings_dir)
    window.show()
    index = panel.model.index_of(ids["beta-feb"], NAME)
    panel.view.scrollTo(index)
    rect = panel.view.visualRect(index)
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    trust = wait_visible(qtbot, TrustDialog)
    assert str(trust.windowTitle()) and window.current_project is None  # nothing ran yet
    trust.cancel_button.click()


def test_compare_two_snapshots_and_with_the_open_project(
    qtbot, make_window, settings_dir, tmp_path, files, keras
):
    ids = populate(settings_dir, tmp_path, files)
    window, panel = open_panel(qtbot, make_window, settings_dir)
    panel.select([ids["alpha-jan"], ids["alpha-mar"]])
    panel.actions["compare"].trigger()
    view = wait_visible(qtbot, CompareView)
    assert not view.report.identical
    highlighted = view.highlighted_rows()
    assert ("primitives", "~ root['lock']") in highlighted
    assert all(key in ("primitives",) for key, _ in highlighted)
    view.only_changes.setChecked(True)
    weights = next(
        view.tree.topLevelItem(i)
        for i in range(view.tree.topLevelItemCount())
        if view.tree.topLevelItem(i).text(0) == "Weights of scorer"
    )
    assert not weights.isExpanded() and all(
        weights.child(i).isHidden() for i in range(weights.childCount())
    )
    view.close()

    from lockpickle_gui.core.project import open_project

    model_file = tmp_path / "scorer.keras"
    mlp().save(model_file)
    project = open_project(model_file)
    window.add_loaded_project(project)
    exported = save(project, tmp_path / "from-project.lpsnap")
    entry_id = lib.record_export(exported, project=project, folder=settings_dir / "data")
    qtbot.waitUntil(lambda: panel.model.index_of(entry_id).isValid(), timeout=TIMEOUT_MS)
    panel.select([entry_id])
    assert panel.actions["compare_project"].isEnabled()
    panel.actions["compare_project"].trigger()
    qtbot.waitUntil(
        lambda: visible(CompareView) is not None and visible(CompareView) is not view,
        timeout=TIMEOUT_MS,
    )
    against = visible(CompareView)
    assert against.report.identical and against.report.b == "scorer (open project)"
    assert against.highlighted_rows() == []


def test_a_damaged_library_is_rebuilt_on_a_worker(
    qtbot, make_window, settings_dir, tmp_path, files
):
    folder = tmp_path / "watched"
    folder.mkdir()
    shutil.copyfile(files["base"], folder / "kept.lpsnap")
    with lib.Library(settings_dir / "data") as library:
        lib.add_paths(library, [folder])
        library.tag([1], ["survives"])
    (settings_dir / "data" / db.DB_FILE).write_bytes(b"\0garbage" * 1000)
    window, panel = open_panel(qtbot, make_window, settings_dir)
    assert names(panel) == [("kept", ["kept.lpsnap"])]
    assert panel.model.groups[0][1][0].tags == ["survives"]
    assert list((settings_dir / "data").glob("library.sqlite.corrupt-*"))
    assert not [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_rescan_tells_of_a_bad_file_once(qtbot, make_window, settings_dir, tmp_path):
    folder = tmp_path / "with_garbage"
    folder.mkdir()
    (folder / "broken.lpsnap").write_bytes(b"not a snapshot at all")
    window, panel = open_panel(qtbot, make_window, settings_dir)
    panel.library.add_folder(folder)

    def rescan_and_count_boxes():
        with qtbot.waitSignal(panel.taskDone, timeout=TIMEOUT_MS):
            panel.rescan()
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if w.objectName() == "library_scan_problems" and w.isVisible()
        ]
        for box in boxes:
            box.close()
        return len(boxes)

    assert rescan_and_count_boxes() == 1  # the first scan says which file and why
    assert rescan_and_count_boxes() == 0  # the same known file: the task line only
    assert "not snapshots" in panel.tasks.label.text()
