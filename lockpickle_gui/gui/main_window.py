"""The main window: a view of the :class:`~lockpickle_gui.core.session.Session`.

The session (Qt-free) holds the open projects and the current one; this window observes it
(``opened``/``replaced``/``closed``/``current_changed``) and shows a tab per project. Opening
loads off the UI thread (:class:`~.loader.ProjectLoader`) and hands the result to
``session.add``. Panels do not install themselves: ``app.build_main_window`` builds them
and wires them to the window and the session, and assigns the ones others use to the
attributes declared here (``preview``, ``snapshots``, ``library_panel``...).

What panels may use:

``window.session``          the Session (``events``, ``projects``, ``current``)
``window.menus``            dict[str, QMenu] for "File", "Edit", "View", "Tools", "Help"
``window.toolbar``          the main QToolBar
``window.actions``          dict[str, QAction] of the shell's own actions ("open", "reload", ...)
``window.runner``           :class:`~lockpickle_gui.gui.workers.WorkerRunner` for off-thread work
``window.settings``         :class:`~lockpickle_gui.core.settings.Settings`; ``window.save_settings()``
``window.current_project``  the ModelProject of the current tab, or None (``projects``: all)
``window.projectChanged``   Signal(object): the current project changed (or None)
``window.selected_node``    the selected ``core.inspect.Node`` of the current tab, or None
``window.nodeSelected``     Signal(object): the selection changed (Node or None)
``window.settingsChanged``  Signal(): Preferences were applied (re-read preview defaults)
``window.snapshotRequested`` Signal(Path): a ``.lpsnap`` was opened or reloaded (import flow)
``window.aboutToClose``     Signal(): the window is closing; stop your work (runner shuts down next)
``window.open_paths(paths)``           open each path off the UI thread (queued while TF loads)
``window.add_loaded_project(project)`` add an already-loaded ModelProject (snapshot import)
``window.show_error(title, error, details="")``  non-blocking error dialog + log entry
``window.status(message, timeout_ms=5000)``      status bar message
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
)

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.project import detect_kind
from lockpickle_gui.core.session import OpenProject, Session, inspected
from lockpickle_gui.core.settings import Settings
from lockpickle_gui.gui import (
    actions,
    badges,
    dialogs,
    file_places,
    window_size,
)
from lockpickle_gui.gui.details_panel import DetailsPanel
from lockpickle_gui.gui.loader import Failure, ProjectLoader
from lockpickle_gui.gui.project_tabs import ProjectTab
from lockpickle_gui.gui.session_tabs import APP_TITLE, SessionTabs
from lockpickle_gui.gui.tree_panel import TreePanel
from lockpickle_gui.gui.welcome import WelcomePage
from lockpickle_gui.gui.window_chrome import WindowChrome
from lockpickle_gui.gui.workers import WorkerRunner

log = logging.getLogger(__name__)

MENU_NAMES = ("File", "Edit", "View", "Tools", "Help")


class MainWindow(SessionTabs, WindowChrome, QMainWindow):
    projectChanged = Signal(object)
    nodeSelected = Signal(object)
    settingsChanged = Signal()
    snapshotRequested = Signal(object)  # Path of a .lpsnap to import
    aboutToClose = Signal()

    def __init__(self, settings: Settings, session: Session | None = None, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.session = session if session is not None else Session()
        self.runner = WorkerRunner(self, max_threads=4)
        self.loader = ProjectLoader(self.runner, self)
        # parts that build_main_window adds (None until then; tests may build without them)
        self.preview: Any = None  # preview_dock.PreviewDock
        self.snapshots: Any = None  # snapshot_actions.SnapshotActions
        self.library_dock: Any = None
        self.library_panel: Any = None
        self.suppress_error_dialogs = False  # --screenshot: report on stderr, never block
        self.ephemeral = False  # --screenshot: leave recent projects and window layout alone
        self._tabs: dict[OpenProject, ProjectTab] = {}  # the tab of each session entry
        self._syncing = False  # the tab bar is being changed to follow the session
        self._located_code: dict[Path, tuple[str, ...]] = {}  # config-only model -> its .py
        self._locating: set[Path] = set()  # reopening with located code: say if it missed
        self._progress_message = ""
        self._closed = False
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(badges.app_icon())
        self.setAcceptDrops(True)
        self.resize(window_size.initial_size(self.screen().availableGeometry()))

        self.tabs = QTabWidget(self, documentMode=True, tabsClosable=True, movable=True)
        self.tabs.setObjectName("project_tabs")
        self.welcome = WelcomePage(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self.tabs.setElideMode(Qt.TextElideMode.ElideMiddle)  # the full path is the tab's tip
        self._build_drop_target()

        self.details = DetailsPanel(self)
        self.details_dock = QDockWidget("Details", self)
        self.details_dock.setObjectName("details_dock")
        self.details_dock.setWidget(self.details)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.details_dock)

        self.menus = {name: self.menuBar().addMenu(f"&{name}") for name in MENU_NAMES}
        self.toolbar = self.addToolBar("Main")
        self.toolbar.setObjectName("main_toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.actions: dict[str, QAction] = actions.build(self)
        self.recent_menu = actions.RecentMenu(self)
        self._build_status_bar()

        self.tabs.currentChanged.connect(self._tab_activated)
        self.tabs.tabCloseRequested.connect(lambda index: self.close_project(index))
        events = self.session.events
        events.opened.connect(self._project_opened)
        events.replaced.connect(self._project_replaced)
        events.closed.connect(self._project_closed)
        events.current_changed.connect(self._current_changed)
        self.welcome.openRequested.connect(self.open_dialog)
        self.welcome.pathRequested.connect(lambda path: self.open_paths([path]))
        self.nodeSelected.connect(self.details.show_node)
        self.loader.loaded.connect(self._loaded)
        self.loader.batchFinished.connect(self._on_batch_finished)
        self.loader.progress.connect(self._on_progress)
        self.loader.busyChanged.connect(self._on_busy)
        self.loader.tensorflowReady.connect(self._on_tensorflow_ready)
        self.loader.tensorflowFailed.connect(
            lambda error, details: self.show_error(
                "TensorFlow could not be imported", error, details
            )
        )
        self.refresh_recent()
        self._update_actions()

    def refresh_recent(self) -> None:
        """Rebuild File ▸ Open Recent and the welcome page's list from the settings."""
        recent = self.recent_menu.rebuild()
        self.welcome.set_recent(recent, actions.demo_project())

    def clear_recent(self) -> None:
        self.settings.clear_recent()
        self.save_settings()
        self.refresh_recent()

    # ------------------------------------------------------------------ public API

    @property
    def projects(self) -> list:
        return [entry.project for entry in self.session.projects]

    @property
    def current_tab(self) -> ProjectTab | None:
        entry = self.session.current
        return self._tabs.get(entry) if entry is not None else None

    @property
    def current_project(self):
        entry = self.session.current
        return entry.project if entry is not None else None

    @property
    def selected_node(self):
        tab = self.current_tab
        return tab.panel.selected_node if tab is not None else None

    def status(self, message: str, timeout_ms: int = 5000) -> None:
        self.statusBar().showMessage(message, timeout_ms)

    def log_error(
        self, title: str, error, details: str = "", *, expected: bool | None = None
    ) -> None:
        """WARNING without traceback for expected errors, ERROR with it otherwise."""
        dialogs.log_failure(log, title, error, details, expected=expected)

    def show_error(
        self, title: str, error, details: str = "", *, expected: bool | None = None
    ) -> QMessageBox | None:
        """Log the error and show it in a non-blocking dialog with copyable details."""
        self.log_error(title, error, details, expected=expected)
        if self.suppress_error_dialogs:
            return None
        box = dialogs.make_error_box(self, title, error, details)
        box.open()
        return box

    def open_paths(self, paths) -> None:
        """Open each path off the UI thread; queued until TensorFlow is imported."""
        to_load, refused = [], []
        pending = self.loader.pending_paths
        for raw in paths:
            path = Path(raw).expanduser().absolute()
            try:  # a quick look (no TensorFlow): unsupported paths are refused at once
                kind = detect_kind(path)
            except LockpickleError as error:
                refused.append(Failure(path, error, ""))
                continue
            if kind == "snapshot":  # through the trust dialog, never loaded directly
                self.snapshotRequested.emit(path)
                continue
            already = self.session.find(path)
            if already is not None:
                self.session.set_current(already)
                self.status(f"{path.name} is already open (F5 reloads it)")
            elif path not in pending and path not in to_load:
                to_load.append(path)
        self.loader.open(to_load, failures=refused)  # one dialog for everything refused or broken

    def add_loaded_project(self, project, tree=None, snapshot: dict | None = None) -> None:
        """Show a project loaded elsewhere (an imported snapshot) as the current tab, now.

        Without ``tree`` it is inspected here, on the UI thread: the walk is linear and takes
        milliseconds even for large models (loading is what is slow, and was done elsewhere).
        """
        entry = inspected(project) if tree is None else OpenProject(project, tree)
        entry.snapshot = snapshot
        self.session.add(entry)

    # ------------------------------------------------------------------ actions

    def open_dialog(self) -> None:
        self._open_chosen(dialogs.choose_paths(self, file_places.open_folder(self)))

    def open_folder_dialog(self) -> None:
        self._open_chosen(dialogs.choose_folder(self, file_places.open_folder(self)))

    def _open_chosen(self, paths: list[str]) -> None:
        if paths:
            self.settings.last_open_folder = str(Path(paths[0]).parent)
            self.open_paths(paths)

    def close_project(self, index: int | None = None) -> None:
        index = self.tabs.currentIndex() if index is None else index
        entry = self._entry_of(self.tabs.widget(index))
        if entry is not None:
            self.session.close(entry)
            self.status(f"Closed {entry.name}")

    def reload_project(self) -> None:
        entry = self.session.current
        if entry is None:
            return
        if entry.project.kind == "snapshot":  # a snapshot loads through the trust dialog again
            self.snapshotRequested.emit(entry.path)
        else:
            code = self._located_code.get(entry.path)
            self.loader.open([entry.path], replaces=entry, options={"code": code} if code else None)

    def locate_code(self, entry: OpenProject, files: list[str]) -> None:
        """Reopen a config-only model with the ``.py`` files that define its classes."""
        if not files:
            self.status("No .py file there: nothing to import.", timeout_ms=6000)
            return
        self._located_code[entry.path] = tuple(files)  # F5 reloads with it too
        self._locating.add(entry.path)
        self.loader.open([entry.path], replaces=entry, options={"code": tuple(files)})

    # ------------------------------------------------------------------ loader results

    def _loaded(self, entry: OpenProject, replaces: OpenProject | None) -> None:
        if self._closed:
            return
        still_open = replaces is not None and replaces in self.session.projects
        self.session.add(entry, replaces=replaces if still_open else None)
        if entry.project.kind != "snapshot" and not self.ephemeral:
            self.settings.add_recent(entry.path)
            self.save_settings()
            self.refresh_recent()
        self.status(
            f"Opened {entry.name} in {entry.seconds:.1f} s — "
            f"{entry.tree.lock_count()} lock-like object(s)",
            timeout_ms=8000,
        )
        if entry.path in self._locating:
            self._locating.discard(entry.path)
            if entry.project.config_only:  # the chosen code did not define what is missing
                tried = self._located_code.pop(entry.path, ())  # F5 must not retry it
                files = ", ".join(Path(f).name for f in tried)
                missing = ", ".join(u.words() for u in entry.project.unresolved)
                self.show_error(
                    "The code did not define the missing classes",
                    f"Expected {files or 'the chosen code'} to define {missing}. Received: "
                    "still missing after importing it. Choose the .py file (or the folder) "
                    "where these classes are defined and registered.",
                    expected=True,
                )

    def _on_batch_finished(self, failures: list[Failure]) -> None:
        if not failures or self._closed:
            return
        names = ", ".join(f.path.name for f in failures)
        self.status(f"Could not open {names}", timeout_ms=8000)  # not "Opening …" forever
        if len(failures) == 1:
            failure = failures[0]
            self.show_error(f"Could not open {failure.path.name}", failure.error, failure.details)
            return
        message = "\n".join(f"{f.path.name}: {dialogs.error_text(f.error)}" for f in failures)
        details = "\n\n".join(f"{f.path}\n{f.details}" for f in failures)
        self.show_error(
            f"Could not open {len(failures)} items",
            message,
            details,
            expected=all(dialogs.is_expected(f.error) for f in failures),
        )

    # ------------------------------------------------------------------ selection

    def panel_selected(self, panel: TreePanel, node) -> None:
        """A tree panel's selection moved: Details follows the current tab's."""
        tab = self.current_tab
        if tab is not None and panel is tab.panel:
            self.nodeSelected.emit(node)

    def _update_actions(self) -> None:
        has_project = self.current_tab is not None
        for key in (
            "close_project",
            "reload",
            "export_report",
            "find",
            "expand_all",
            "collapse_all",
        ):
            self.actions[key].setEnabled(has_project)

    # ------------------------------------------------------------------ layout and closing

    def save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as error:  # a full disk must not take the app down; say it, log it
            self.show_error("Could not save the settings", error)

    def shutdown(self) -> None:
        """Stop all work and wait for the worker threads (window close, test teardown)."""
        if self._closed:
            return
        self._closed = True
        self.aboutToClose.emit()
        self.loader.cancel()
        for tab in self._tabs.values():
            tab.graph.shutdown()  # a layout process is killed, not waited for
        self.runner.shutdown()  # waits a moment at most: closing never hangs on work

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed and not self.ephemeral:
            self.save_layout()
            self.save_settings()
        self.shutdown()
        super().closeEvent(event)
