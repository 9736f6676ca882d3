"""File ▸ Export Report…: the current tree as HTML + JSON (core.inspect.report) and a PNG of the view."""

from __future__ import annotations

import time

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtWidgets import QFileDialog, QWidget

from lockpickle_gui.core.inspect.report import write_report
from lockpickle_gui.gui import file_places
from lockpickle_gui.gui.workers import Worker


def png_bytes(widget: QWidget) -> bytes:
    """The widget as it looks now, PNG-encoded (written to disk atomically by the caller)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    widget.grab().save(buffer, "PNG")
    return bytes(buffer.data())


def export_report(window) -> Worker | None:
    tab = window.current_tab
    if tab is None:
        return None
    folder = file_places.save_folder(window, tab.project)
    suggested = folder / f"{tab.project.name}-report-{time.strftime('%Y%m%d')}.html"
    path, _ = QFileDialog.getSaveFileName(
        window,
        "Export report",
        str(suggested),
        "HTML report, with .json and .png beside it (*.html)",
    )
    if not path:
        return None
    file_places.remember_save_folder(window, path)
    image = png_bytes(tab.panel)
    worker = Worker(
        write_report,
        tab.tree,
        path,
        title=tab.project.name,
        source=tab.project.path,
        png=image,
        with_progress=False,
    )
    worker.signals.returned.connect(
        lambda written: window.status(
            "Report saved: " + ", ".join(p.name for p in written) + f" in {written[0].parent}",
            timeout_ms=10000,
        )
    )
    worker.signals.errored.connect(
        lambda error, details: window.show_error("Could not save the report", error, details)
    )
    window.runner.start(worker)
    return worker
