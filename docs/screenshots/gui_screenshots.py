"""Take the README's pictures of the main window, the preview, the graph view and 1024×700.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/gui_screenshots.py

Builds the real window (``build_main_window``) in a temporary settings folder, opens the
demo project and two models made here (a two-input/two-output Functional model with
branches and a nested Sequential, and MobileNetV2 with weights=None), waits for loading,
layout and runs, and saves ``window.grab()`` as PNG: main.png, preview.png,
graph_branching.png, graph_mobilenetv2.png, main_1024x700.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
WORK = Path(tempfile.mkdtemp(prefix="lockpickle-shots-"))
os.environ["LOCKPICKLE_GUI_SETTINGS_DIR"] = str(WORK / "user")
sys.path.insert(0, str(ROOT))

DEMO = ROOT / "resources" / "examples" / "anomaly_service"


def models() -> dict[str, Path]:
    from lockpickle_gui.core.tf_runtime import import_keras

    keras = import_keras()
    sys.path.insert(0, str(ROOT / "tests"))
    from models import branching  # the tests' two-input, two-output model with a nested one

    paths = {"branching": WORK / "branching.keras", "mobilenetv2": WORK / "mobilenetv2.keras"}
    branching().save(paths["branching"])
    keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3)).save(paths["mobilenetv2"])
    return paths


def save(window, name: str) -> None:
    from lockpickle_gui.gui.report_export import png_bytes

    (OUT / name).write_bytes(png_bytes(window))
    print("saved", OUT / name)


def main() -> int:
    from lockpickle_gui.gui.app import build_main_window, make_application
    from lockpickle_gui.gui.scripted_runs import wait_until

    paths = models()
    app = make_application()
    window = build_main_window(restore_layout=False)
    window.library_dock.hide()  # the pictures are about the project; the Library has its own
    window.resize(1440, 860)
    window.show()
    wait_until(app, lambda: window.loader.tensorflow_state == "ready", 120)

    def open_one(path: Path):
        window.open_paths([path])
        wait_until(
            app, lambda: window.session.find(path) is not None and not window.loader.busy, 300
        )
        return window.current_tab

    def settle(seconds: float = 0.4) -> None:
        wait_until(app, lambda: False, seconds)

    tab = open_one(DEMO)
    tab.panel.select_path("root.work_ready")
    wait_until(app, lambda: window.details.details is not None, 30)
    settle()
    save(window, "main.png")

    window.preview.show()
    window.preview.raise_()
    panel = window.preview.panel
    panel.form.requests.setValue(20_000)
    done = []
    panel.finished.connect(done.append)
    panel.run()
    wait_until(app, lambda: bool(done), 300)
    settle()
    save(window, "preview.png")
    window.details_dock.raise_()

    for name in ("branching", "mobilenetv2"):
        tab = open_one(paths[name])
        laid = []
        tab.graph.laidOut.connect(lambda: laid.append(True))
        tab.view.setCurrentWidget(tab.graph)
        wait_until(app, lambda: bool(laid), 120)
        if name == "branching":
            with_inner = []
            tab.graph.laidOut.connect(lambda: with_inner.append(True))
            tab.graph.toggle("trunk")  # expanded: its own layers in a frame
            wait_until(app, lambda: bool(with_inner), 120)
            tab.panel.select_path(tab.graph.paths["cat"])
            tab.graph.fit()
        else:  # an inverted residual block: the skip connection around it
            tab.graph.find_edit.setText("block_2_add")
            tab.graph.find_next()
            tab.graph.view.scale(0.8, 0.8)
            tab.graph.view.centerOn(tab.graph.items["block_2_add"])
        settle()
        save(window, f"graph_{name}.png")

    window.session.set_current(window.session.find(DEMO))
    window.resize(1024, 700)
    settle(0.8)
    save(window, "main_1024x700.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
