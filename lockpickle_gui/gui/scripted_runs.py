"""Runs without a person at the window: ``--screenshot FILE`` (open, wait for inspection,
save a PNG) and ``--timings`` (benchmarks/bench_gui_startup.py); :func:`wait_until` serves
tests and benchmarks that drive the event loop the same way."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from lockpickle_gui.core.atomic import atomic_write

SCREENSHOT_SIZE = (1440, 860)
SCREENSHOT_TIMEOUT_S = 300


def wait_until(app: QApplication, condition, timeout_s: float) -> bool:
    """Run the event loop until ``condition()`` is true (polled every 20 ms) or time runs out."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    return bool(condition())


def take_screenshot(app: QApplication, window, target: Path, paths: list[str]) -> int:
    """Open ``paths``, wait until they are inspected, save the window as PNG. 0 = saved."""
    window.suppress_error_dialogs = True
    snapshots = [p for p in paths if Path(p).suffix.lower() == ".lpsnap"]
    if snapshots:  # they open only after the trust dialog, which nobody answers here
        print(
            f"lockpickle-gui: --screenshot: {snapshots[0]}: a .lpsnap opens only after the "
            "trust dialog, which --screenshot cannot answer. Screenshot the project it was "
            "exported from, or run `lockpickle inspect SNAP` on a terminal.",
            file=sys.stderr,
        )
        window.close()
        return 1
    failures: list = []
    batches = []
    window.loader.batchFinished.connect(
        lambda found: (failures.extend(found), batches.append(found))
    )
    window.loader.tensorflowFailed.connect(lambda error, details: failures.append(error))
    window.open_paths(paths)
    expected = 1 if paths else 0
    done = wait_until(
        app,
        lambda: (
            bool(failures)
            or (
                window.loader.tensorflow_state == "ready"
                and len(batches) >= expected
                and not window.loader.busy
            )
        ),
        SCREENSHOT_TIMEOUT_S,
    )
    if failures or not done:
        from lockpickle_gui.gui.dialogs import error_text

        reasons = [
            f"{getattr(f, 'path', '')}: {error_text(getattr(f, 'error', f))}" for f in failures
        ]
        print(
            "lockpickle-gui: --screenshot: "
            + ("; ".join(reasons) or f"loading did not finish within {SCREENSHOT_TIMEOUT_S} s"),
            file=sys.stderr,
        )
        window.close()
        return 1
    tab = window.current_tab
    if tab is not None:  # show something worth looking at: the first row with locks
        path = tab.panel.first_annotated_path()
        if path:
            tab.panel.select_path(path)
        wait_until(
            app, lambda: window.details.details is not None or window.details.node is None, 30
        )
    wait_until(app, lambda: False, 0.3)  # let layouts and repaints settle
    from lockpickle_gui.gui.report_export import png_bytes

    data = png_bytes(window)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as handle:
        handle.write(data)
    print(f"Saved {target} ({len(data) // 1024} KiB)")
    window.close()
    return 0


def report_timings(app: QApplication, window) -> int:
    """For benchmarks/bench_gui_startup.py: print when the window was up and TF ready (epoch s)."""
    wait_until(
        app,
        lambda: (
            window.isVisible()
            and window.windowHandle() is not None
            and window.windowHandle().isExposed()
        ),
        10,
    )
    print(f"window_shown {time.time():.4f}", flush=True)
    ready = wait_until(app, lambda: window.loader.tensorflow_state in ("ready", "failed"), 120)
    print(
        f"tensorflow_ready {time.time():.4f} {window.loader.tensorflow_state if ready else 'timeout'}",
        flush=True,
    )
    window.close()
    return 0
