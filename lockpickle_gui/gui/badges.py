"""Icons and colours of the tree: lock badges by level, node icons by role.

The SVGs live in ``resources/icons`` (see :mod:`lockpickle_gui.resources`); the levels and
their words come from :mod:`lockpickle_gui.core.inspect.report`, so screen and saved report agree.
"""

from __future__ import annotations

import functools
import logging

from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from lockpickle_gui import resources
from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.inspect.report import LEVEL_COLOURS, LEVEL_TEXT_COLOURS

log = logging.getLogger(__name__)

ROLE_ICONS = {"model": "model", "layer": "layer", "object": "object", "attribute": "object"}


@functools.cache
def _svg_icon(name: str) -> QIcon:
    try:
        return QIcon(str(resources.icon_path(name)))
    except LockpickleError as error:  # an incomplete install: show a plain dot, say why in the log
        log.warning("Icon %s is missing (%s); drawing a plain one.", name, error)
        return _dot_icon(LEVEL_COLOURS.get(name.removeprefix("lock-"), "#7a7a7a"))


def _dot_icon(colour: str) -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(QColor(colour).darker(140))
    painter.drawEllipse(2, 2, 12, 12)
    painter.end()
    return QIcon(pixmap)


def lock_icon(level: str) -> QIcon:
    """``level`` is one of core.report.LEVELS: block, held, keep, recreate."""
    return _svg_icon(f"lock-{level}")


def role_icon(role: str) -> QIcon:
    return _svg_icon(ROLE_ICONS.get(role, "object"))


def app_icon() -> QIcon:
    return _svg_icon(resources.APP_ICON.removesuffix(".svg"))


def level_colour(level: str) -> QColor:
    """A badge's fill (the same in light and dark palettes: white text sits on it)."""
    return QColor(LEVEL_COLOURS[level])


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the palette (the application's by default) is a dark theme."""
    palette = palette if palette is not None else QApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def level_text_colour(level: str, palette: QPalette | None = None) -> QColor:
    """A level's colour as text on the palette's background: the dark shades on a light
    theme, lightened fills on a dark one (a dark red on near-black cannot be read)."""
    if is_dark(palette):
        return QColor(LEVEL_COLOURS[level]).lighter(135)
    return QColor(LEVEL_TEXT_COLOURS[level])


def tinted(accent: QColor, palette: QPalette | None = None, share: float = 0.22) -> QColor:
    """The palette's base colour with a share of ``accent`` mixed in: a box background that
    reads as the accent in light and dark themes alike."""
    palette = palette if palette is not None else QApplication.palette()
    base = palette.color(QPalette.ColorRole.Base)
    return QColor(
        round(base.red() * (1 - share) + accent.red() * share),
        round(base.green() * (1 - share) + accent.green() * share),
        round(base.blue() * (1 - share) + accent.blue() * share),
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21; 4.5 reads as body text)."""

    def luminance(colour: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(colour.redF())
            + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


MUTED = QColor("#8a8f98")  # "3 below", shared rows
