"""Take docs/screenshots/library.png and compare.png (the README's snapshot library section).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/library_screenshots.py

Exports the bundled demo projects (and a retrained, re-locked anomaly service) into a
temporary folder, records them in a temporary library, then grabs the Library panel and a
compare view with ``widget.grab().save(...)``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
WORK = Path(tempfile.mkdtemp(prefix="lockpickle-demo-"))
os.environ["LOCKPICKLE_GUI_SETTINGS_DIR"] = str(WORK / "user")
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lockpickle_gui.core import library as lib  # noqa: E402
from lockpickle_gui.core.library.diff import diff_snapshots  # noqa: E402
from lockpickle_gui.core.project import open_project  # noqa: E402
from lockpickle_gui.core.snapshot import save_snapshot  # noqa: E402

EXAMPLES = ROOT / "resources" / "examples"


def export(project, name: str) -> Path:
    folder = WORK / "exports" / project.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.lpsnap"
    save_snapshot(project, path, on_blocked="drop")
    lib.record_export(path, project=project)
    return path


def main() -> int:
    service = open_project(EXAMPLES / "anomaly_service")
    baseline = export(service, "anomaly-service-baseline")
    detector = service.models["detector"]
    rng = np.random.default_rng(1)
    detector.set_weights(
        [w + rng.normal(0, 0.02, w.shape).astype(w.dtype) for w in detector.get_weights()]
    )
    service.runtime.slots = threading.BoundedSemaphore(2)  # fewer batches in flight
    retrained = export(service, "anomaly-service-retrained")
    for name in ("single_lock", "lock_pool", "locked_layer"):
        project = open_project(EXAMPLES / name)
        export(project, f"{project.name}-v1")
    gone = export(open_project(EXAMPLES / "single_lock"), "single-lock-old")
    with lib.Library() as library:
        base = library.entry(str(baseline))
        library.tag([base.id], ["baseline", "production"])
        library.set_note(base.id, "Shipped to the plant gateway in January.")
        later = library.entry(str(retrained))
        library.tag([later.id], ["candidate"])
        library.set_note(later.id, "Retrained on February readings; 2 batch slots.")
        for entry in library.entries():
            if entry.project != "lock-pool":
                lib.reverify(library, entry.id, trust_bundled_code=True)
    gone.unlink()  # moved or deleted since: shown as missing

    from lockpickle_gui.gui.app import build_main_window
    from lockpickle_gui.gui.compare_view import CompareView
    from lockpickle_gui.gui.scripted_runs import wait_until

    window = build_main_window(restore_layout=False)
    from PySide6.QtWidgets import QApplication

    qt = QApplication.instance()
    panel = window.library_panel
    wait_until(qt, lambda: panel.library is not None and not panel.tasks.busy, 60)
    window.library_dock.setFloating(True)
    window.library_dock.resize(1500, 520)
    window.library_dock.show()
    panel.select([panel.library.entry(str(baseline)).id])
    wait_until(qt, lambda: False, 0.5)
    panel.grab().save(str(OUT / "library.png"))

    report = diff_snapshots(baseline, retrained)
    view = CompareView(window, report)
    view.tree.expandAll()  # unchanged sections too: both sides, the changes highlighted
    view.resize(1300, 700)
    view.show()
    for column, width in ((0, 300), (1, 330), (2, 330)):
        view.tree.setColumnWidth(column, width)
    wait_until(qt, lambda: False, 0.5)
    view.grab().save(str(OUT / "compare.png"))
    print(f"Saved {OUT / 'library.png'} and {OUT / 'compare.png'} ({report.summary()})")
    view.close()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
