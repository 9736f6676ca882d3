"""The Qt binding the app runs on keeps Python's reference counts right.

PySide6 6.12.0 on CPython 3.11 released a reference to ``None`` on every void-returning
call; the interpreter aborts ("none_dealloc") once a long session has made enough calls.
pyproject.toml excludes it; this test fails on any binding with the same fault.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsRectItem

CALLS = 2000


def test_void_calls_keep_the_reference_count_of_none(qapp):
    image = QImage(16, 16, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    pen, rect = QPen(QColor("#555")), QRectF(0, 0, 4, 4)
    item, timer = QGraphicsRectItem(0, 0, 1, 1), QTimer()
    try:
        before = sys.getrefcount(None)
        for _ in range(CALLS):
            painter.setPen(pen)
            painter.drawRect(rect)
            item.setPos(1, 1)
            timer.setInterval(5)
        lost = before - sys.getrefcount(None)
    finally:
        painter.end()
    # CPython >= 3.12: None is immortal and its count does not move at all.
    assert lost < CALLS, f"{lost} references to None lost in {4 * CALLS} calls"
