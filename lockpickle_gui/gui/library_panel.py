"""The Library panel: every snapshot exported, imported or found in a folder, by project.

A dock over :mod:`lockpickle_gui.core.library` (the catalog the CLI's ``lockpickle library``
uses too). The catalog opens on a worker (rebuilt there if its database was lost); listing,
filtering and sorting are core queries (milliseconds, even for 10,000 entries); scans,
re-verification and comparisons run on workers with progress and Cancel. Changes made
elsewhere (an export, the CLI) show up within :data:`POLL_MS`: the panel watches SQLite's
``data_version``. Opening goes through the import flow (``snapshot_actions``): its trust
dialog first, then loading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFileDialog,
    QMenu,
    QSplitter,
    QTextBrowser,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.core.library import Filters, LibraryEntry
from lockpickle_gui.gui import compare_view, library_tasks, snapshot_actions
from lockpickle_gui.gui.library_model import COLUMN_WIDTHS, CREATED, LibraryModel
from lockpickle_gui.gui.library_widgets import (
    FilterBar,
    NoteDialog,
    RemoveDialog,
    TagDialog,
    TaskRow,
    ask_trust,
    details_html,
    problems_box,
)
from lockpickle_gui.gui.workers import Worker

POLL_MS = 2000
ROOTS_EVERY_POLLS = 15  # library-roots.json is brought up to date every 30 s, on a worker
FILES_EVERY_POLLS = 5  # every file is looked at (a stat) every 10 s, on a worker
# key -> (text, tip, method); the toolbar and the context menu show them
ACTIONS = {
    "add_folder": ("Add Folder…", "Add a folder and scan it for snapshots", "add_folder"),
    "rescan": ("Rescan", "Look through the library's folders again", "rescan"),
    "open": ("Open", "Open through the trust dialog (or double-click)", "open_selected"),
    "show": ("Show in Folder", "Open the folder holding the file", "show_in_folder"),
    "verify": ("Re-verify", "Load and re-run the stored verification", "reverify"),
    "tag": ("Tags…", "Edit the tags of the selected snapshots", "edit_tags"),
    "note": ("Note…", "Write a note on the selected snapshot", "edit_note"),
    "compare": ("Compare", "Compare the two selected snapshots", "compare"),
    "compare_project": (
        "Compare with Project",
        "Compare with the open project",
        "compare_with_project",
    ),
    "remove": ("Remove…", "Remove from the library (optionally delete the files)", "remove"),
}


def build(window: Any) -> tuple[QDockWidget, LibraryPanel]:
    """The Library dock and its panel; ``app.build_main_window`` docks and wires them."""
    panel = LibraryPanel(window, window.settings.dirs.data)
    dock = QDockWidget("Library", window)
    dock.setObjectName("library_dock")
    dock.setWidget(panel)
    return dock, panel


class LibraryPanel(QWidget):
    refreshed = Signal()  # the listing was read again
    taskDone = Signal(str, object)  # (job name, its result or None), after the refresh

    def __init__(self, window: Any, folder: Path):
        super().__init__()
        self.setObjectName("library_panel")
        self.window = window
        self.folder = folder
        self.library: Any = None  # core.library.Library, once opened on a worker
        self.filters = Filters()
        self._version: int | None = None
        self._results: dict[str, Any] = {}  # what each running job returned
        self._told = library_tasks.ToldOnce()  # scan problems already shown in a box
        self._polls = 0
        self._dialogs: list[Any] = []  # dialogs open right now (kept alive)

        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self.refresh)
        self.tasks = TaskRow(window.runner)
        self.tasks.returned.connect(self._task_returned)
        self.tasks.errored.connect(self._task_failed)
        self.tasks.finished.connect(self._task_ended)

        self.toolbar = QToolBar()
        self.actions: dict[str, QAction] = {}
        for key, (text, tip, method) in ACTIONS.items():
            slot = getattr(self, method)
            action = QAction(text, self)
            action.setObjectName(f"library_{key}")
            action.setToolTip(tip)
            action.triggered.connect(lambda checked=False, slot=slot: slot())
            self.toolbar.addAction(action)
            self.actions[key] = action

        self.model = LibraryModel(self)
        self.model.sortRequested.connect(self._sort)
        self.view = QTreeView()
        self.view.setObjectName("library_view")
        self.view.setModel(self.model)
        self.view.setUniformRowHeights(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSortingEnabled(True)
        self.view.header().setSortIndicator(CREATED, Qt.SortOrder.DescendingOrder)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(lambda index: self.open_selected())
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        for column, width in enumerate(COLUMN_WIDTHS):
            self.view.setColumnWidth(column, width)
        self.details = QTextBrowser()
        self.details.setObjectName("library_details")
        splitter = QSplitter()
        splitter.addWidget(self.view)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.toolbar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.tasks)

        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._poll_changes)
        self.update_actions()
        from lockpickle_gui.core.library import open_ready

        self.tasks.start("open", open_ready, folder, cancellable=False)

    # ------------------------------------------------------------------ listing

    def refresh(self) -> None:
        """Query the catalog with the current filters; keep the selection."""
        if self.library is None:
            return
        keep = {entry.id for entry in self.selected()}
        self._version = self.library.data_version()
        self.filters = self.filter_bar.filters(self.filters.sort, self.filters.descending)
        entries = self.library.entries(self.filters)
        self.model.set_entries(entries)
        self.model.expand_groups(self.view)
        selection = self.view.selectionModel()
        for entry_id in keep:
            index = self.model.index_of(entry_id)
            if index.isValid():
                selection.select(
                    index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows
                )
        self.filter_bar.set_choices(self.library.projects(), self.library.tags())
        missing = sum(1 for e in entries if e.missing)
        total = self.library.count()
        text = f"{len(entries)} of {total} snapshot(s) in {len(self.model.groups)} project(s)"
        if not self.tasks.busy:
            self.tasks.label.setText(text + (f" · {missing} missing" if missing else ""))
        # the model was reset: its selection changed without a signal (a removed entry's
        # details stayed on show; a tagged one's showed the old tags)
        self._selection_changed()
        self.refreshed.emit()

    @Slot(str, bool)
    def _sort(self, key: str, descending: bool) -> None:
        self.filters = Filters(**{**vars(self.filters), "sort": key, "descending": descending})
        self.refresh()

    def _poll_changes(self) -> None:
        if self.library is None:
            return
        if self.library.data_version() != self._version:
            self.refresh()  # the CLI, an export or another window changed the catalog
        self._polls += 1
        flush = self._polls % ROOTS_EVERY_POLLS == 0 and self.library.roots_pending
        if flush or self._polls % FILES_EVERY_POLLS == 0:
            self.window.runner.start(
                Worker(library_tasks.upkeep, self.library, flush, with_progress=False)
            )

    def selected(self) -> list[LibraryEntry]:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return [e for e in (self.model.entry(index) for index in rows) if e is not None]

    def select(self, entry_ids: list[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for entry_id in entry_ids:
            index = self.model.index_of(entry_id)
            selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)

    def _selection_changed(self, *args: Any) -> None:
        chosen = self.selected()
        if len(chosen) == 1 and self.library is not None:
            self.details.setHtml(details_html(self.library.details(chosen[0].id)))
        else:
            self.details.setPlainText(f"{len(chosen)} snapshots selected." if chosen else "")
        self.update_actions()

    def update_actions(self) -> None:
        chosen = self.selected()
        present = [e for e in chosen if not e.missing]
        ready = self.library is not None and not self.tasks.busy
        enabled = {
            "add_folder": ready,
            "rescan": ready,
            "open": len(present) == 1,
            "show": len(chosen) == 1,
            "verify": ready and bool(present),
            "tag": ready and bool(chosen),
            "note": ready and len(chosen) == 1,
            "compare": len(present) == 2,
            "compare_project": len(present) == 1 and self.window.current_project is not None,
            "remove": ready and bool(chosen),
        }
        for key, action in self.actions.items():
            action.setEnabled(enabled[key])

    def _context_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        for key in (
            "open",
            "show",
            "verify",
            "tag",
            "note",
            "compare",
            "compare_project",
            "remove",
        ):
            menu.addAction(self.actions[key])
        menu.popup(self.view.viewport().mapToGlobal(point))

    # ------------------------------------------------------------------ actions

    def open_selected(self) -> None:
        chosen = [e for e in self.selected() if not e.missing]
        if len(chosen) == 1:
            snapshot_actions.import_snapshot(self.window, Path(chosen[0].path))
        elif self.selected():
            self.window.status("That file is missing: rescan its folder or remove it.", 5000)

    def show_in_folder(self) -> None:
        for entry in self.selected()[:1]:
            folder = Path(entry.path).parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Add a Folder of Snapshots", str(Path.home())
        )
        if folder:
            from lockpickle_gui.core.library import add_paths

            self._start("scan", add_paths, self.library, [folder])

    def rescan(self) -> None:
        from lockpickle_gui.core.library import scan

        self._start("scan", scan, self.library)

    def reverify(self) -> None:
        """Ask trust for the snapshots that need it (the import's trust dialog), then
        re-verify them one after another on a worker."""
        from lockpickle_gui.core.library import reverify_many

        chosen = [e for e in self.selected() if not e.missing]
        needs = {e.id for e in chosen if self.library.details(e.id).required_types}
        ask_trust(
            self.window,
            chosen,
            needs,
            lambda plan: plan and self._start("verify", reverify_many, self.library, plan),
        )

    def edit_tags(self) -> None:
        chosen = self.selected()
        dialog = TagDialog(self.window, chosen, self.library.tags())

        def apply() -> None:
            added, removed = dialog.changes()
            ids = [e.id for e in chosen]
            self._guarded(
                lambda: (
                    added and self.library.tag(ids, added),
                    removed and self.library.tag(ids, removed, remove=True),
                )
            )

        self._open_dialog(dialog, apply)

    def edit_note(self) -> None:
        (entry,) = self.selected()[:1]
        dialog = NoteDialog(self.window, entry)
        self._open_dialog(
            dialog, lambda: self._guarded(lambda: self.library.set_note(entry.id, dialog.text))
        )

    def remove(self) -> None:
        chosen = self.selected()
        dialog = RemoveDialog(self.window, chosen)
        dialog.remove_button.clicked.connect(
            lambda: self._guarded(
                lambda: self.library.remove(
                    [e.id for e in chosen], delete_files=dialog.delete_files
                )
            )
        )
        self._open_dialog(dialog, None)

    def compare(self) -> None:
        first, second = [e for e in self.selected() if not e.missing][:2]
        older, newer = sorted((first, second), key=lambda e: (e.created_utc, e.id))
        compare_view.compare_snapshots(self.window, older.path, newer.path)

    def compare_with_project(self) -> None:
        (entry,) = [e for e in self.selected() if not e.missing][:1]
        compare_view.compare_with_project(self.window, entry.path, self.window.current_project)

    def _open_dialog(self, dialog: Any, on_accept: Any) -> None:
        self._dialogs.append(dialog)
        if on_accept is not None:
            dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda result: self._dialogs.remove(dialog))
        dialog.open()

    def _guarded(self, change: Any) -> None:
        """Run a catalog change on the UI thread (milliseconds); errors become a dialog."""
        from lockpickle_gui.core.errors import LockpickleError

        try:
            change()
        except (LockpickleError, OSError) as error:
            self.window.show_error("The library could not be changed", error)
        self.refresh()

    # ------------------------------------------------------------------ background work

    def _start(self, name: str, fn: Any, *args: Any) -> None:
        if not self.tasks.start(name, fn, *args):
            self.window.status("The library is busy: wait, or cancel what it is doing.", 4000)
        self.update_actions()

    @Slot(str, object)
    def _task_returned(self, name: str, result: Any) -> None:
        message = ""
        if name == "open":
            self.library = result
            self._poll.start()
        elif name == "scan":
            message = library_tasks.scan_summary(result)
            fresh = self._told.fresh(result.problems)
            if fresh:
                problems_box(self.window, fresh).open()
        elif name == "verify":
            message, failed = library_tasks.verify_summary(result)
            if failed:
                self.window.show_error(
                    f"{len(failed)} snapshot(s) could not be verified",
                    "\n".join(str(error) for error in failed),
                )
        if message:
            self.tasks.label.setText(message)
            self.window.status(message, 6000)
        self._results[name] = result

    @Slot(str, object, str)
    def _task_failed(self, name: str, error: BaseException, details: str) -> None:
        title = (
            "The snapshot library could not be opened"
            if name == "open"
            else f"Library {name} failed"
        )
        self.window.show_error(title, error, details)

    @Slot(str)
    def _task_ended(self, name: str) -> None:
        message = self.tasks.label.text()
        self.refresh()
        if name != "open":
            self.tasks.label.setText(message)  # the job's last word stays visible
        self.update_actions()
        self.taskDone.emit(name, self._results.pop(name, None))

    def shutdown(self) -> None:
        """Window closing: stop polling, cancel and wait for the task, close the catalog."""
        self._poll.stop()
        self.tasks.stop()
        if self.library is not None:
            self.library.close()
            self.library = None
