"""Export the drawn graph as SVG (one QSvgGenerator pass) or PNG.

A PNG of NASNetMobile at full size is 3,400 × 18,400 pixels (250 MB in memory): the image
is capped at :data:`MAX_PIXELS`, rendered in strips, one per event-loop turn, and encoded
on a worker thread (``QImage.save`` releases the GIL), so the window keeps answering. Both
are encoded in memory and written atomically (``core.atomic``): a failed write leaves no
half file and is said, with the reason, never reported as saved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QIODevice, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from lockpickle_gui.core.atomic import atomic_write, check_writable

MAX_PIXELS = 40_000_000
STRIP = 1000  # image rows rendered per event-loop turn
MARGIN = 20.0


def export(panel: Any, path: str | Path, kind: str) -> None:
    """Write ``panel``'s scene to ``path``; ``panel.exported`` (what happened) tells the end."""
    target = Path(path)
    try:
        check_writable(target)  # a wrong folder fails now, not after rendering
    except OSError as error:
        _failed(panel, target, error)
        return
    source = panel.bbox.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    if kind == "svg":
        data = svg_bytes(panel.scene, source, target.stem)
        _write(panel, target, lambda: data)
    else:
        render_png(panel, source, lambda image: _write(panel, target, lambda: png_bytes(image)))


def svg_bytes(scene: Any, source: QRectF, title: str) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(title)
    painter = QPainter(generator)
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()
    return bytes(buffer.data())


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"the {image.width()} × {image.height()} image could not be encoded")
    return bytes(buffer.data())


def png_scale(source: QRectF) -> float:
    return min(1.0, math.sqrt(MAX_PIXELS / max(source.width() * source.height(), 1.0)))


def render_png(panel: Any, source: QRectF, then: Callable[[QImage], None]) -> None:
    """Render ``source`` into an image a strip per event-loop turn, then call ``then``."""
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
        then(image)

    strip(0)


def _write_file(path: Path, produce: Callable[[], bytes]) -> Path:
    data = produce()
    with atomic_write(path) as handle:
        handle.write(data)
    return path


def _write(panel: Any, path: Path, produce: Callable[[], bytes]) -> None:
    """Encode and write on a worker thread (here, for a panel outside the main window)."""
    from lockpickle_gui.gui.workers import Worker

    runner = getattr(panel.window(), "runner", None)
    if runner is None:
        try:
            _write_file(path, produce)
        except OSError as error:
            _failed(panel, path, error)
        else:
            _done(panel, f"Saved {path.name}")
        return
    worker = Worker(_write_file, path, produce, with_progress=False)
    worker.signals.returned.connect(lambda written: _done(panel, f"Saved {written.name}"))
    worker.signals.errored.connect(lambda error, details: _failed(panel, path, error, details))
    runner.start(worker)


def _failed(panel: Any, path: Path, error: BaseException, details: str = "") -> None:
    _done(panel, f"Could not write {path.name}: {error}")
    show_error = getattr(panel.window(), "show_error", None)
    if show_error is not None:
        show_error(f"Could not export the graph to {path.name}", error, details)


def _done(panel: Any, message: str) -> None:
    panel.message.setText(message)
    panel.exported.emit(message)
