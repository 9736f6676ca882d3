"""The project tabs follow the session (a mixin of :class:`~.main_window.MainWindow`).

The session decides which projects are open and which is current; the tab bar only shows it.
A tab the user clicks asks the session (``set_current``); while the bar is being changed to
follow the session, its own ``currentChanged`` is ignored, so the two never fight.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lockpickle_gui.core.session import OpenProject
from lockpickle_gui.gui import about, project_tabs
from lockpickle_gui.gui.project_tabs import ProjectTab

APP_TITLE = about.PRODUCT


class SessionTabs:
    """Needs ``self.session``, ``self.tabs``, ``self.stack``, ``self.welcome``, ``self._tabs``,
    ``self._syncing``, ``self.current_tab``, ``self.selected_node``, ``self._update_actions``,
    ``self.projectChanged`` and ``self.nodeSelected``."""

    def _new_tab(self, entry: OpenProject) -> ProjectTab:
        tab = self._tabs[entry] = project_tabs.build_tab(self, entry)
        return tab

    def _project_opened(self, entry: OpenProject) -> None:
        tab = self._new_tab(entry)
        with self._following_session():
            index = self.tabs.addTab(
                tab.view, project_tabs.icon(self, entry), project_tabs.label(entry)
            )
        self.tabs.setTabToolTip(index, project_tabs.tooltip(entry))
        self._relabel_tabs()
        self._show_tabs()

    def _project_replaced(self, old: OpenProject, new: OpenProject) -> None:
        previous = self._tabs.pop(old)
        tab = self._new_tab(new)
        index = self.tabs.indexOf(previous.view)
        with self._following_session():
            self.tabs.insertTab(
                index, tab.view, project_tabs.icon(self, new), project_tabs.label(new)
            )
            self.tabs.removeTab(index + 1)
        tab.view.setCurrentIndex(previous.view.currentIndex())
        self.tabs.setTabToolTip(index, project_tabs.tooltip(new))
        # a reload keeps what the user was looking at
        tab.panel.filter_edit.setText(previous.panel.filter_edit.text())
        tab.panel.only_locks.setChecked(previous.panel.only_locks.isChecked())
        selected = previous.panel.selected_node
        if selected is not None:
            tab.panel.select_path(selected.path)
        previous.graph.shutdown()
        previous.view.deleteLater()
        self._relabel_tabs()

    def _project_closed(self, entry: OpenProject) -> None:
        tab = self._tabs.pop(entry, None)
        if tab is not None:
            with self._following_session():
                self.tabs.removeTab(self.tabs.indexOf(tab.view))
            tab.graph.shutdown()
            tab.view.deleteLater()
            self._relabel_tabs()
        self._show_tabs()

    def _relabel_tabs(self) -> None:
        """Tabs that would read the same (two_io.keras and two_io.h5) are told apart."""
        for entry, text in project_tabs.labels(list(self._tabs)).items():
            self.tabs.setTabText(self.tabs.indexOf(self._tabs[entry].view), text)
        self._update_title()

    def _update_title(self) -> None:
        tab = self.current_tab
        shown = self.tabs.tabText(self.tabs.indexOf(tab.view)) if tab is not None else ""
        self.setWindowTitle(f"{shown} — {APP_TITLE}" if shown else APP_TITLE)

    def _current_changed(self, entry: OpenProject | None) -> None:
        tab = self._tabs.get(entry) if entry is not None else None
        if tab is not None and self.tabs.currentWidget() is not tab.view:
            self.tabs.setCurrentWidget(tab.view)
        self._show_tabs()
        project = entry.project if entry is not None else None
        self._update_title()
        self._update_actions()
        self.projectChanged.emit(project)
        self.nodeSelected.emit(self.selected_node)

    def _tab_activated(self, index: int) -> None:
        if self._syncing:  # the tab bar moved because the session changed: it decides
            return
        entry = self._entry_of(self.tabs.widget(index))
        if entry is not None:
            self.session.set_current(entry)

    @contextmanager
    def _following_session(self) -> Iterator[None]:
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _show_tabs(self) -> None:
        self.stack.setCurrentWidget(self.tabs if self.session.projects else self.welcome)

    def _entry_of(self, widget) -> OpenProject | None:
        return next((e for e, tab in self._tabs.items() if tab.view is widget), None)
