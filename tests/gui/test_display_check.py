"""Without a display the app says so and how to fix it, instead of Qt aborting the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check is Linux-only")
def test_no_display_gives_a_clear_message_and_status_2():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    }
    done = subprocess.run(
        [sys.executable, "-m", "lockpickle_gui", "resources/examples/single_lock"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no display found" in done.stderr
    assert "QT_QPA_PLATFORM=offscreen" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_display_or_an_explicit_platform_lets_qt_try():
    from lockpickle_gui.gui.app import missing_display_problem

    assert missing_display_problem({"DISPLAY": ":0"}, "linux") == ""
    assert missing_display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") == ""
    assert missing_display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") == ""
    assert missing_display_problem({}, "darwin") == ""
    assert "no display found" in missing_display_problem({}, "linux")
