"""The window fits the screen it opens on: with QT_SCALE_FACTOR=1.5 a 1600×1000 screen is
1067×667 logical pixels, and a geometry saved on a larger monitor is shrunk back onto it;
on so short a screen the Library dock starts hidden, leaving the height to the tree. Dialogs
(the 1100 px compare view) fit too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json, os, sys
    from PySide6.QtWidgets import QApplication
    from lockpickle_gui.gui.app import build_main_window

    def frame(window):
        QApplication.processEvents()
        g, a = window.frameGeometry(), window.screen().availableGeometry()
        return {"frame": [g.x(), g.y(), g.width(), g.height()],
                "available": [a.x(), a.y(), a.width(), a.height()]}

    settings = sys.argv[1]
    first = build_main_window(settings)
    first.show()
    report = {"first": frame(first), "library": first.library_dock.isVisible()}
    first.resize(2400, 1400)  # as if saved on a big monitor at scale 1
    first.move(300, 200)
    first.close()
    second = build_main_window(settings)  # restores the saved geometry
    second.show()
    report["restored"] = frame(second)
    from lockpickle_gui.core.library.diff_report import DiffReport
    from lockpickle_gui.gui.compare_view import CompareView
    compare = CompareView(second, DiffReport("a.lpsnap", "b.lpsnap"))  # 1100 px preferred
    compare.show()
    report["compare"] = frame(compare)
    print(json.dumps(report))
    sys.stdout.flush()
    os._exit(0)
""")


@pytest.mark.slow
def test_the_window_fits_a_scaled_screen_and_a_restored_geometry_is_fitted(tmp_path):
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1600, "height": 1000}]})
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=f"offscreen:configfile={config}",
        QT_SCALE_FACTOR="1.5",
        LOCKPICKLE_GUI_SETTINGS_DIR=str(tmp_path / "settings"),
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "settings")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["library"] is False  # a short screen: the tree gets the height first
    for when in ("first", "restored", "compare"):
        x, y, width, height = report[when]["frame"]
        ax, ay, available_width, available_height = report[when]["available"]
        assert available_width == 1067 and available_height == 667  # 1600×1000 / 1.5
        assert ax <= x and x + width <= ax + available_width, (when, report)
        assert ay <= y and y + height <= ay + available_height, (when, report)
