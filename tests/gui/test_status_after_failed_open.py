"""After a failed open the status bar says so; it does not stay on "Opening x…"."""

from __future__ import annotations

from gui_helpers import LOAD_TIMEOUT_MS, error_dialogs


def test_a_failed_open_leaves_no_progress_message(qtbot, window, tmp_path):
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"PK\x03\x04 this is not a model" * 10)
    window.open_paths([garbage])
    qtbot.waitUntil(
        lambda: bool(error_dialogs()) and not window.loader.busy, timeout=LOAD_TIMEOUT_MS
    )
    message = window.statusBar().currentMessage()
    assert "Opening" not in message and "Loading" not in message
    assert message == "Could not open garbage.keras"
    assert window.progress_bar.isHidden()
