"""Time to first window of ``lockpickle-gui`` in a fresh process, while TensorFlow still loads.

Each run starts ``python -m lockpickle_gui --timings`` (offscreen Qt, a throwaway settings
folder). The app prints the wall-clock time at which its window was exposed and at which
TensorFlow finished importing on its worker thread; this script subtracts the moment it
launched the process. Side by side: a bare ``python -c "import tensorflow"`` in a fresh
process, the cost the window no longer waits for.

Goal: first window ≤ 1 s, and well before TensorFlow is ready.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def _env(settings_dir: str) -> dict:
    return dict(
        os.environ,
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        TF_CPP_MIN_LOG_LEVEL="2",
        LOCKPICKLE_GUI_SETTINGS_DIR=settings_dir,
    )


def one_gui_run(settings_dir: str) -> tuple[float, float]:
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "lockpickle_gui", "--timings"],
        env=_env(settings_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    marks = {}
    for line in done.stdout.splitlines():
        name, _, rest = line.partition(" ")
        if name in ("window_shown", "tensorflow_ready"):
            marks[name] = float(rest.split()[0])
    if len(marks) != 2:
        raise RuntimeError(f"unexpected output:\n{done.stdout}\n{done.stderr}")
    return marks["window_shown"] - started, marks["tensorflow_ready"] - started


def one_tensorflow_import(settings_dir: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import tensorflow"],
        env=_env(settings_dir),
        capture_output=True,
        check=True,
        timeout=300,
    )
    return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory() as settings_dir:
        one_gui_run(settings_dir)  # warm the OS file cache once; not counted
        window, ready, bare = [], [], []
        for _ in range(RUNS):
            shown, tf_ready = one_gui_run(settings_dir)
            window.append(shown)
            ready.append(tf_ready)
            bare.append(one_tensorflow_import(settings_dir))

    def row(label, values):
        print(
            f"{label:<44} median {statistics.median(values):6.2f} s   "
            f"min {min(values):5.2f}   max {max(values):5.2f}"
        )

    print(f"lockpickle-gui startup, {RUNS} fresh processes each (offscreen Qt)")
    row("first window on screen", window)
    row("TensorFlow ready in the app (worker thread)", ready)
    row("bare `python -c 'import tensorflow'`", bare)
    median_window = statistics.median(window)
    print(
        f"window first by {statistics.median(ready) - median_window:.2f} s; "
        f"goal first window <= 1 s: {'met' if median_window <= 1.0 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
