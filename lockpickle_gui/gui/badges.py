"""Icons and colours of the tree: lock badges by level, node icons by role.

The SVGs live in ``resources/icons`` (see :mod:`lockpickle_gui.resources`); the levels and
their words come from :mod:`lockpickle_gui.core.inspect.report`, so screen and saved report agree.
"""

from __future__ import annotations

import functools
import logging

from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

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


def level_text_colour(level: str) -> QColor:
    return QColor(LEVEL_TEXT_COLOURS[level])


MUTED = QColor("#8a8f98")  # "3 below", shared rows
