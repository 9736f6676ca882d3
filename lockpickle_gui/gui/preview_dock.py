"""The "Threaded preview" dock: one :class:`~.preview_panel.PreviewPanel` per open project.

The panels sit in a stack that follows the session's current project, so switching tabs
shows that project's own settings, figures, charts, outputs and verdict (and a run keeps
going in its own panel). A reload hands the panel to the reloaded project with the values
the user typed; closing a project cancels its run and drops its panel.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QScrollArea, QStackedWidget, QStyle

from lockpickle_gui.core.session import OpenProject
from lockpickle_gui.gui.preview_panel import RUN_SHORTCUT, PreviewPanel


class PreviewDock(QDockWidget):
    def __init__(self, window: Any):
        super().__init__("Threaded preview", window)
        self.setObjectName("preview_dock")
        self.window_ = window
        self.panels: dict[OpenProject, PreviewPanel] = {}
        self.empty = PreviewPanel(window)  # shown when no project is open
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.scroll = scroll = QScrollArea()
        self._scrolled: dict[PreviewPanel, int] = {}  # each panel keeps where it was scrolled
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.setWidget(self.stack)
        scroll.setMinimumWidth(
            self.empty.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4
        )
        self.setWidget(scroll)
        self.run_action = QAction(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Run Preview", window
        )
        self.run_action.setObjectName("action_run_preview")
        self.run_action.setShortcut(QKeySequence(RUN_SHORTCUT))
        self.run_action.setToolTip("Run the threaded preview of the current project (Ctrl+Enter)")
        self.run_action.triggered.connect(self.run)
        self._follow(self.empty)

    @property
    def panel(self) -> PreviewPanel:
        """The current project's panel (the empty one without a project)."""
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, PreviewPanel) else self.empty

    def run(self) -> None:
        self.show()
        self.raise_()
        self.panel.run()

    # ------------------------------------------------------------------ session events

    def project_opened(self, entry: OpenProject) -> None:
        panel = PreviewPanel(self.window_)
        panel.set_project(entry.project)
        self.panels[entry] = panel
        self.stack.addWidget(panel)

    def project_replaced(self, old: OpenProject, new: OpenProject) -> None:
        panel = self.panels.pop(old, None)
        if panel is None:
            self.project_opened(new)
            return
        self.panels[new] = panel
        panel.adopt(new.project)

    def project_closed(self, entry: OpenProject) -> None:
        panel = self.panels.pop(entry, None)
        if panel is not None:
            panel.cancel()
            self._scrolled.pop(panel, None)
            self.stack.removeWidget(panel)
            panel.deleteLater()

    def current_changed(self, entry: OpenProject | None) -> None:
        panel = self.panels.get(entry, self.empty) if entry is not None else self.empty
        bar = self.scroll.verticalScrollBar()
        self._scrolled[self.panel] = bar.value()
        self.stack.setCurrentWidget(panel)
        bar.setValue(self._scrolled.get(panel, 0))  # a new panel starts at its top
        self._follow(panel)

    def reload_defaults(self) -> None:
        """Preferences changed: every panel that is not running takes the new values."""
        for panel in (self.empty, *self.panels.values()):
            panel.reload_defaults()

    def cancel_all(self) -> None:
        for panel in self.panels.values():
            panel.cancel()

    def _follow(self, current: PreviewPanel) -> None:
        """The toolbar's Run Preview follows the current panel's Run button."""
        for panel in (self.empty, *self.panels.values()):
            panel.run_action = self.run_action if panel is current else None
        current._update_buttons()
