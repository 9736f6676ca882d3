"""The preview panel in real use: a run started from the keyboard while a setting has focus
still cancels with Esc (the form is disabled during a run, and the focus went nowhere), and
the mouse wheel scrolls the dock instead of changing the setting under the pointer."""

from __future__ import annotations

from gui_helpers import wait_projects
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

RUN_TIMEOUT_MS = 120_000


def _demo_panel(qtbot, window):
    from lockpickle_gui.gui.actions import demo_project

    window.resize(1024, 700)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.open_paths([demo_project()])
    wait_projects(qtbot, window, 1)
    window.preview.show()
    window.preview.raise_()
    return window.preview.panel


def test_esc_cancels_a_run_started_while_a_setting_had_focus(qtbot, window):
    panel = _demo_panel(qtbot, window)
    panel.form.requests.setValue(5_000_000)
    panel.form.requests.setFocus()
    qtbot.waitUntil(panel.form.requests.hasFocus)
    window.preview.run_action.trigger()  # Ctrl+Enter
    assert panel.state == "running"
    focused = QApplication.focusWidget()
    assert focused is not None and panel.isAncestorOf(focused)  # was: None, Esc went nowhere
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS):
        qtbot.keyClick(focused, Qt.Key.Key_Escape)
        assert panel.state == "cancelling"
    assert panel.state == "cancelled"
    focused = QApplication.focusWidget()
    assert focused is not None and panel.isAncestorOf(focused) and focused.isEnabled()


def test_the_wheel_over_a_setting_scrolls_the_dock_and_keeps_the_value(qtbot, window):
    panel = _demo_panel(qtbot, window)
    spin = panel.form.clients
    before = spin.value()
    window.details.setFocus()
    where = QPointF(spin.rect().center())
    wheel = QWheelEvent(
        where,
        QPointF(spin.mapToGlobal(where.toPoint())),
        QPoint(0, 0),
        QPoint(0, -120),  # one notch down
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(spin, wheel)
    assert spin.value() == before  # was: 4 -> 3 per notch while scrolling past it
    # not taken: Qt hands a spontaneous wheel event on to the parents (the dock scrolls)
    assert not wheel.isAccepted()
    spin.setFocus()  # clicked into: now the wheel is the user's way to change it
    qtbot.waitUntil(spin.hasFocus)
    QApplication.sendEvent(spin, wheel)
    assert spin.value() == before - 1
