"""Export the drawn graph as SVG (one QSvgGenerator pass) or PNG.

A PNG of NASNetMobile at full size is 3,400 × 18,400 pixels (250 MB in memory): the image
is capped at :data:`MAX_PIXELS`, rendered in strips, one per event-loop turn, and encoded
on a worker thread (``QImage.save`` releases the GIL), so the window keeps answering.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

MAX_PIXELS = 40_000_000
STRIP = 1000  # image rows rendered per event-loop turn
MARGIN = 20.0


def export(panel: Any, path: str | Path, kind: str) -> None:
    """Write ``panel``'s scene to ``path``; ``panel.exported`` (path or error) tells the end."""
    source = panel.bbox.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    if kind == "svg":
        write_svg(panel.scene, source, Path(path))
        _done(panel, f"Saved {Path(path).name}")
    else:
        write_png(panel, source, Path(path))


def write_svg(scene: Any, source: QRectF, path: Path) -> None:
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(path.stem)
    painter = QPainter(generator)
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()


def png_scale(source: QRectF) -> float:
    return min(1.0, math.sqrt(MAX_PIXELS / max(source.width() * source.height(), 1.0)))


def write_png(panel: Any, source: QRectF, path: Path) -> None:
    scale = png_scale(source)
    width, height = max(1, int(source.width() * scale)), max(1, int(source.height() * scale))
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(panel.palette().color(panel.backgroundRole()))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)

    def strip(top: int) -> None:
        rows = min(STRIP, height - top)
        target = QRectF(0, top, width, rows)
        scene_rect = QRectF(source.x(), source.y() + top / scale, source.width(), rows / scale)
        panel.scene.render(painter, target, scene_rect, Qt.AspectRatioMode.IgnoreAspectRatio)
        if top + rows < height:
            QTimer.singleShot(0, lambda: strip(top + rows))
            return
        painter.end()
        _save(panel, image, path)

    strip(0)


def _save(panel: Any, image: QImage, path: Path) -> None:
    from lockpickle_gui.gui.workers import Worker

    window = panel.window()
    runner = getattr(window, "runner", None)
    if runner is None:  # a panel outside the main window (tests): save here
        ok = image.save(str(path), "PNG")
        _done(panel, f"Saved {path.name}" if ok else f"Could not write {path}")
        return
    worker = Worker(lambda: image.save(str(path), "PNG"), with_progress=False)
    worker.signals.returned.connect(
        lambda ok: _done(panel, f"Saved {path.name}" if ok else f"Could not write {path}")
    )
    runner.start(worker)


def _done(panel: Any, message: str) -> None:
    panel.message.setText(message)
    panel.exported.emit(message)
