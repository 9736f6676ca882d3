"""The main window's size on whatever screen it opens: never larger than the screen.

A 1280×800 window is right on a desktop monitor, but with ``QT_SCALE_FACTOR=1.5`` a
1600×1000 screen is 1067×667 logical pixels, and a geometry saved on a large monitor may be
restored on a laptop. Both are fitted into the screen's available area (minus room for the
window frame, which the window system adds around it).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

PREFERRED = QSize(1280, 800)
SCREEN_SHARE = 0.92  # a window that fills the screen exactly hides the desktop's panels
FRAME_ALLOWANCE = QSize(16, 40)  # title bar and borders the window system adds


def initial_size(available: QRect, preferred: QSize = PREFERRED) -> QSize:
    """``preferred`` (the main window's by default), shrunk to fit ``available`` (a screen's
    available geometry)."""
    return QSize(
        min(preferred.width(), int(available.width() * SCREEN_SHARE)),
        min(preferred.height(), int(available.height() * SCREEN_SHARE)),
    )


def size_dialog(dialog: QWidget, width: int, height: int) -> QSize:
    """Resize ``dialog`` to ``width`` × ``height``, or less on a screen too small for that
    (the compare view's 1100 px on a 1024 px screen hid its Close button); the size given."""
    screen = dialog.screen()
    size = QSize(width, height)
    if screen is not None:
        size = initial_size(screen.availableGeometry(), size)
    dialog.resize(size)
    return size


def fit_on_screen(window: QWidget) -> None:
    """Shrink and move ``window`` so that it, with its frame, lies inside its screen."""
    screen = window.screen()
    if screen is None:
        return
    available = screen.availableGeometry()
    width = min(window.width(), available.width() - FRAME_ALLOWANCE.width())
    height = min(window.height(), available.height() - FRAME_ALLOWANCE.height())
    width = max(width, window.minimumWidth())
    height = max(height, window.minimumHeight())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    frame = window.frameGeometry()
    x = min(max(frame.x(), available.left()), available.right() + 1 - frame.width())
    y = min(max(frame.y(), available.top()), available.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, available.left()), max(y, available.top()))
