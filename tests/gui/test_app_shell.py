"""The shell around the tree: settings across windows, dialogs, report, crash hook, screenshot."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading

import pytest
from gui_helpers import LOAD_TIMEOUT_MS, error_dialogs, wait_projects
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox

from lockpickle_gui.gui.app import CrashReporter, take_screenshot


def test_settings_and_recent_projects_persist_across_windows(
    qtbot, make_window, settings_dir, model_file, service_project
):
    first = make_window(settings_dir)
    first.open_paths([model_file])
    wait_projects(qtbot, first, 1)
    first.open_paths([service_project])
    wait_projects(qtbot, first, 2)
    first.show()
    first.details_dock.hide()
    first.close()
    saved_geometry = first.settings.window_geometry

    second = make_window(settings_dir)
    recent = [
        a for a in second.recent_menu.actions() if a.objectName().startswith("action_recent_")
    ]
    assert [a.text().split()[1] for a in recent] == ["service_project", "tiny.keras"]
    assert recent[0].shortcut().toString() == "Ctrl+1"
    second.show()
    assert second.details_dock.isHidden()  # dock state restored
    # (exact sizes are up to the window system; offscreen Qt keeps the minimum width)
    assert second.settings.window_geometry == saved_geometry != ""

    recent[1].trigger()  # Ctrl+2 opens the model again
    wait_projects(qtbot, second, 1)
    assert second.current_project.name == "tiny"
    assert "tiny.keras" in second.welcome.recent_label.text()


def test_preferences_change_defaults_and_clear_recent(qtbot, make_window, settings_dir, model_file):
    window = make_window(settings_dir)
    window.open_paths([model_file])
    wait_projects(qtbot, window, 1)
    changed = []
    window.settingsChanged.connect(lambda: changed.append(True))

    window.actions["preferences"].trigger()
    dialog = window.findChild(QDialog, "preferences_dialog")
    dialog.workers.setValue(7)
    dialog.max_delay.setValue(4.5)
    dialog.clear_recent_button.click()
    dialog.accept()
    assert changed == [True]
    window.close()

    again = make_window(settings_dir)
    assert again.settings.preview_defaults["workers"] == 7
    assert again.settings.preview_defaults["max_delay_ms"] == 4.5
    assert again.settings.recent_projects == []


def test_about_lists_versions(window):
    window.actions["about"].trigger()
    box = window.findChild(QMessageBox, "about_dialog")
    text = box.text()
    for name in ("lockpickle_gui", "TensorFlow", "Keras", "Qt", "Python"):
        assert name in text
    import tensorflow

    assert tensorflow.__version__ in text
    box.close()


def test_export_report_writes_html_json_png(qtbot, window, service_project, tmp_path, monkeypatch):
    window.open_paths([service_project])
    wait_projects(qtbot, window, 1)
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )

    window.actions["export_report"].trigger()
    png = target.with_suffix(".png")
    qtbot.waitUntil(lambda: png.exists() and target.exists(), timeout=10_000)
    report = json.loads(target.with_suffix(".json").read_text())
    assert report["format"] == "lockpickle-report" and report["title"] == "service-demo"
    assert report["summary"]["annotations"] == 4 and report["summary"]["block"] == 1
    assert {a["path"] for a in report["annotations"]} >= {"root.lock", "root.log"}
    html = target.read_text()
    assert "root.model.layers[0].lock" in html and 'src="report.png"' in html
    assert png.read_bytes().startswith(b"\x89PNG")


def test_unexpected_errors_become_a_dialog_and_a_log_entry(qtbot, window, caplog):
    reporter = CrashReporter(window)
    with caplog.at_level(logging.CRITICAL):
        try:
            raise ValueError("boom in a slot")
        except ValueError as error:
            reporter.excepthook(type(error), error, error.__traceback__)
    [dialog] = error_dialogs()
    assert "ValueError: boom in a slot" in dialog.informativeText()
    assert "Traceback" in dialog.detailedText()
    assert "boom in a slot" in caplog.text

    # errors while a dialog is open are logged only; a thread's error arrives on the UI thread
    worker = threading.Thread(
        target=lambda: (_ for _ in ()).throw(RuntimeError("boom in a thread"))
    )
    previous = threading.excepthook
    threading.excepthook = reporter.threading_excepthook
    try:
        with caplog.at_level(logging.CRITICAL):
            worker.start()
            worker.join()
    finally:
        threading.excepthook = previous
    qtbot.wait(50)
    assert "boom in a thread" in caplog.text
    assert len(error_dialogs()) == 1
    dialog.close()
    qtbot.waitUntil(lambda: reporter.dialog is None)


def test_screenshot_of_a_broken_file_fails_with_a_message(qtbot, window, tmp_path, capsys):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    target = tmp_path / "shot.png"
    code = take_screenshot(QApplication.instance(), window, target, [str(broken)])
    assert code == 1 and not target.exists()
    assert "broken.keras" in capsys.readouterr().err
    assert not error_dialogs()


@pytest.mark.slow
def test_screenshot_command_saves_a_png(tmp_path, model_file):
    target = tmp_path / "shots" / "main.png"
    env = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", LOCKPICKLE_GUI_SETTINGS_DIR=str(tmp_path / "cfg")
    )
    done = subprocess.run(
        [sys.executable, "-m", "lockpickle_gui", "--screenshot", str(target), str(model_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=LOAD_TIMEOUT_MS / 1000 * 3,
    )
    assert done.returncode == 0, done.stderr
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert "Saved" in done.stdout
    # ephemeral: no recent entry, no window layout written
    saved = (
        json.loads((tmp_path / "cfg" / "settings.json").read_text())
        if (tmp_path / "cfg" / "settings.json").exists()
        else {}
    )
    assert not saved.get("recent_projects") and not saved.get("window_geometry")
    assert (tmp_path / "cfg" / "logs" / "lockpickle-gui.log").exists()


def test_version_flag(capsys):
    from lockpickle_gui import __version__
    from lockpickle_gui.gui.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_dock_title_and_window_flags(window):
    assert window.details_dock.objectName() == "details_dock"
    assert window.toolbar.objectName() == "main_toolbar"
    assert set(window.menus) == {"File", "Edit", "View", "Tools", "Help"}
    assert QApplication.instance().desktopFileName() == "io.github.lockpickle.LockpickleGui"
    assert window.testAttribute(Qt.WidgetAttribute.WA_AcceptDrops)


def test_open_asks_files_or_folder_then_opens(
    qtbot, window, model_file, service_project, monkeypatch
):
    from PySide6.QtCore import QTimer

    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(model_file)], ""))
    )
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(service_project))
    )

    def answer(label):
        box = QApplication.activeModalWidget()
        assert box.objectName() == "open_chooser"
        next(b for b in box.buttons() if b.text() == label).click()

    QTimer.singleShot(0, lambda: answer("Model Files…"))
    window.actions["open"].trigger()
    wait_projects(qtbot, window, 1)
    QTimer.singleShot(0, lambda: answer("Folder…"))
    window.actions["open"].trigger()
    wait_projects(qtbot, window, 2)
    assert window.current_project.name == "service-demo"
    assert window.settings.last_open_folder == str(service_project.parent)


def test_screenshot_of_a_snapshot_fails_at_once_instead_of_waiting_for_trust(
    qtbot, window, tmp_path, tiny_model, capsys, monkeypatch
):
    # QA: it used to wait SCREENSHOT_TIMEOUT_S (5 min) for a trust dialog nobody answers,
    # then said only "loading did not finish"
    import lockpickle_gui as lp
    from lockpickle_gui.gui import scripted_runs

    monkeypatch.setattr(
        scripted_runs, "SCREENSHOT_TIMEOUT_S", 5
    )  # a failure here takes 5 s, not 5 min
    snap = tmp_path / "tiny.lpsnap"
    lp.save_snapshot(tiny_model, snap, verify=False)
    target = tmp_path / "shot.png"
    code = take_screenshot(QApplication.instance(), window, target, [str(snap)])
    assert code == 1 and not target.exists()
    err = capsys.readouterr().err
    assert "tiny.lpsnap" in err and "trust dialog" in err
