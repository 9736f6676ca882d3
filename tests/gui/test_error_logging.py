"""Expected errors (a broken file dropped) are logged as one WARNING paragraph, the traceback
only at DEBUG; unexpected exceptions keep ERROR with their traceback."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from gui_helpers import LOAD_TIMEOUT_MS, drop_paths, error_dialogs
from PySide6.QtWidgets import QApplication

from lockpickle_gui.gui.app import take_screenshot


def records(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == level and r.name.startswith("lockpickle_gui")]


def test_broken_file_dropped_logs_one_warning_paragraph(qtbot, window, tmp_path, caplog):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"this is not a zip archive")
    with caplog.at_level(logging.DEBUG, logger="lockpickle_gui"):
        drop_paths(window, [broken])
        qtbot.waitUntil(lambda: bool(error_dialogs()), timeout=LOAD_TIMEOUT_MS)
    assert records(caplog, logging.ERROR) == [] and records(caplog, logging.CRITICAL) == []
    [warning] = [r for r in records(caplog, logging.WARNING) if "broken.keras" in r.getMessage()]
    text = warning.getMessage()
    assert text.startswith("Could not open broken.keras: ") and "\n" not in text
    assert "Traceback" not in text
    [debug] = [
        r for r in records(caplog, logging.DEBUG) if "Could not open broken.keras" in r.getMessage()
    ]
    assert "Traceback" in debug.getMessage()  # the details are still there, one level down
    error_dialogs()[0].close()


def test_several_expected_failures_warn_and_an_unexpected_one_is_an_error(
    qtbot, window, tmp_path, caplog
):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with caplog.at_level(logging.DEBUG, logger="lockpickle_gui"):
        window.open_paths([broken, notes])
        qtbot.waitUntil(lambda: bool(error_dialogs()), timeout=LOAD_TIMEOUT_MS)
    assert records(caplog, logging.ERROR) == []
    assert any(
        r.getMessage().startswith("Could not open 2 items: ")
        for r in records(caplog, logging.WARNING)
    )
    error_dialogs()[0].close()
    caplog.clear()

    window.suppress_error_dialogs = True
    try:
        {}["missing"]
    except KeyError as error:  # a bug, not the user's file: ERROR with the traceback
        with caplog.at_level(logging.DEBUG, logger="lockpickle_gui"):
            window.show_error("Could not read details", error)
    [entry] = records(caplog, logging.ERROR)
    assert "KeyError: 'missing'" in entry.getMessage() and "Traceback" in entry.getMessage()
    assert records(caplog, logging.WARNING) == []


def test_screenshot_of_a_broken_file_logs_no_traceback(window, tmp_path, caplog, capsys):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    with caplog.at_level(logging.INFO, logger="lockpickle_gui"):
        code = take_screenshot(
            QApplication.instance(), window, tmp_path / "shot.png", [str(broken)]
        )
    assert code == 1 and "broken.keras" in capsys.readouterr().err
    assert records(caplog, logging.ERROR) == []
    assert all("Traceback" not in r.getMessage() for r in caplog.records)


@pytest.mark.slow
def test_screenshot_command_console_has_no_traceback(tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    env = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", LOCKPICKLE_GUI_SETTINGS_DIR=str(tmp_path / "cfg")
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lockpickle_gui",
            "--screenshot",
            str(tmp_path / "shot.png"),
            str(broken),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=LOAD_TIMEOUT_MS / 1000 * 3,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "lockpickle-gui: ERROR" not in done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("lockpickle-gui: ")]
    assert any(
        line.startswith("lockpickle-gui: WARNING: Could not open broken.keras: ") for line in ours
    ), done.stderr
    log_text = (tmp_path / "cfg" / "logs" / "lockpickle-gui.log").read_text()
    assert "WARNING" in log_text and "Traceback" not in log_text
