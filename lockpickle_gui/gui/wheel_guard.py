"""Scrolling a panel never changes a setting: a spin box or combo box takes the mouse wheel
only once it has focus (clicked or tabbed into).

Qt's default gives them the wheel whenever the pointer passes over them, so scrolling the
preview dock turned "Client threads" from 4 to 1 on the way down. An unfocused one now lets
the wheel event go to its parent, the scroll area, which scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            event.ignore()  # filtered but not accepted: Qt hands it on to the parent
            return True
        return super().eventFilter(watched, event)


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every spin box and combo box under ``root`` (built already)."""
    guard = WheelGuard(root)
    for widget in root.findChildren(QWidget):
        if isinstance(widget, (QAbstractSpinBox, QComboBox)):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no focus from the wheel
            widget.installEventFilter(guard)
    return guard
