"""File ▸ Export Snapshot… (Ctrl+E) and File ▸ Import Snapshot… (Ctrl+I).

``app.build_main_window`` builds :class:`SnapshotActions` once and sends the window's
``snapshotRequested`` (a dropped or reloaded ``.lpsnap``) to :func:`import_snapshot`. Each
flow is a small job object living on the UI thread: it shows the dialogs, runs the core
(``core.snapshot``, ``core.project``) on ``window.runner`` and shows the outcome. Nothing here decides anything the CLI would decide differently.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStyle

from lockpickle_gui.core.errors import LockpickleError, UnpicklableState, VerificationFailed
from lockpickle_gui.core.modelio.verdict import Verdict, explain_verification, format_difference
from lockpickle_gui.core.text import format_size
from lockpickle_gui.gui import file_places, snapshot_summary
from lockpickle_gui.gui.export_dialog import (
    SNAPSHOT_FILTER,
    BlockedStateDialog,
    ExportOptionsDialog,
    default_snapshot_name,
    with_snapshot_suffix,
)
from lockpickle_gui.gui.progress_job import ProgressJob
from lockpickle_gui.gui.trust_dialog import TrustDialog

VERIFY_KEY = "snapshot.export_verify"  # the export options last chosen (settings.json)
ON_BLOCKED_KEY = "snapshot.export_on_blocked"


class SnapshotActions:
    """File ▸ Import/Export Snapshot (Ctrl+I/Ctrl+E, export also on the toolbar) and the jobs
    running now (each job's dialogs and slots live until it finishes).
    ``app.build_main_window`` builds it and connects the window's requests to it."""

    def __init__(self, window):
        self.window = window
        self.jobs: set[ProgressJob] = set()
        self.import_action = QAction("&Import Snapshot…", window)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.setObjectName("action_import_snapshot")
        self.import_action.setStatusTip(
            "Open a .lpsnap: see what it would run, then trust and load it"
        )
        self.import_action.triggered.connect(lambda: import_snapshot(window))
        self.export_action = QAction("&Export Snapshot…", window)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setObjectName("action_export_snapshot")
        self.export_action.setStatusTip("Save the current project, locks and all, as a .lpsnap")
        self.export_action.triggered.connect(lambda: export_snapshot(window))
        self.export_action.setIcon(
            window.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
        )
        menu = window.menus["File"]
        # beside Export Report…, above Quit
        menu.insertActions(
            window.actions["export_report"], [self.import_action, self.export_action]
        )
        window.addActions(
            [self.import_action, self.export_action]
        )  # shortcuts without the menu bar
        window.toolbar.addAction(self.export_action)
        self.project_changed(window.current_project)

    def project_changed(self, project) -> None:
        self.export_action.setEnabled(project is not None)


def export_snapshot(window, project=None) -> ExportJob | None:
    """Start the export flow for ``project`` (default: the window's current project)."""
    project = project if project is not None else window.current_project
    if project is None:
        window.status("Open a project first: there is nothing to export.", timeout_ms=4000)
        return None
    job = ExportJob(window, project)
    job.start()
    return job


def import_snapshot(window, path=None) -> ImportJob | None:
    """Start the import flow: ask for a file unless ``path`` is given (a drop, a recent file)."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(
            window, "Import Snapshot", str(file_places.save_folder(window)), SNAPSHOT_FILTER
        )
        if not path:
            return None
    job = ImportJob(window, Path(path))
    job.start()
    return job


class ExportJob(ProgressJob):
    """Save dialog → options → save_snapshot on a worker → blocked-state choice → result."""

    failure_title = "Export failed"
    cancelled_message = "Export cancelled: nothing was written."

    def __init__(self, window, project):
        super().__init__(window, window.snapshots.jobs)
        self.project = project
        self.path: Path | None = None
        self.options: ExportOptionsDialog | None = None
        self.blocked_dialog: BlockedStateDialog | None = None
        self.on_blocked = "ask"

    def start(self) -> None:
        if getattr(self.project, "config_only", False):  # before asking where to save
            try:
                self.project.snapshot_parts()
            except LockpickleError as error:
                self.window.show_error("Nothing to export yet", error)
                self._finish(None)
                return
        default = file_places.save_folder(self.window, self.project) / default_snapshot_name(
            self.project.name
        )
        chosen, _ = QFileDialog.getSaveFileName(
            self.window, "Export Snapshot", str(default), SNAPSHOT_FILTER
        )
        if not chosen:
            self._finish(None)
            return
        code_files = len(getattr(self.project, "code_files", None) or {})
        settings = self.window.settings
        self.options = ExportOptionsDialog(
            self.window,
            project_name=self.project.name,
            path=with_snapshot_suffix(chosen),
            code_files=code_files,
            verify=bool(settings.get(VERIFY_KEY, True)),
            on_blocked=settings.get(ON_BLOCKED_KEY, "ask")
            if settings.get(ON_BLOCKED_KEY) in ("ask", "drop", "error")
            else "ask",
        )
        self.options.accepted.connect(self._options_accepted)
        self.options.rejected.connect(self._options_rejected)
        self.options.open()

    @Slot()
    def _options_accepted(self) -> None:
        self.path = self.options.path
        self.on_blocked = self.options.on_blocked
        self.window.settings.set(VERIFY_KEY, self.options.verify)
        self.window.settings.set(ON_BLOCKED_KEY, self.on_blocked)
        file_places.remember_save_folder(self.window, self.path)
        self._start_save("error" if self.on_blocked == "ask" else self.on_blocked)

    @Slot()
    def _options_rejected(self) -> None:
        self._finish(None)

    def _start_save(self, on_blocked: str) -> None:
        # A project bundles its code files; its runtime object alone does not.
        target = self.project if self.options.bundle_code else self.project.runtime
        self._run_with_progress(
            f"Exporting {self.project.name}…",
            save_and_record,
            target,
            self.path,
            project=self.project,
            library_folder=self.window.settings.dirs.data,
            verify=self.options.verify,
            on_blocked=on_blocked,
        )

    @Slot(object)
    def _worker_finished(self, manifest) -> None:
        self._close_progress()
        size = self.path.stat().st_size if self.path.exists() else 0
        dropped = (manifest or {}).get("dropped") or []
        lines = [f"Size: {format_size(size)}"]
        verification = (manifest or {}).get("verification") or {}
        samples = sum(
            m.get("samples", 0) for m in verification.get("models", []) if isinstance(m, dict)
        )
        if verification:
            lines.append(
                f"Verification stored: {samples} sample(s), tolerance "
                f"{format_difference(verification.get('tolerance'))}"
            )
        else:
            lines.append("No verification stored.")
        if dropped:
            lines.append(
                f"{len(dropped)} blocked object(s) stored as None: "
                + ", ".join(
                    str(d.get("path", d)) if isinstance(d, dict) else str(d) for d in dropped
                )
            )
        self.window.status(f"Exported {self.path} ({format_size(size)})", timeout_ms=8000)
        self._show_message(
            QMessageBox.Icon.Information,
            "Snapshot exported",
            f"Saved {self.path}",
            "\n".join(lines),
            folder=self.path.parent,
        )
        self._finish(manifest)

    @Slot(object, str)
    def _failed(self, error, details: str) -> None:
        self._close_progress()
        if isinstance(error, UnpicklableState) and error.blocked and self.on_blocked == "ask":
            self.blocked_dialog = BlockedStateDialog(
                self.window, blocked=error.blocked, message=str(error)
            )
            self.blocked_dialog.accepted.connect(self._drop_blocked)
            self.blocked_dialog.rejected.connect(self._blocked_refused)
            self.blocked_dialog.open()
            return
        if isinstance(error, UnpicklableState) and error.blocked:  # "Stop with an error"
            paths = "\n".join(f"  {path} ({kind})" for path, kind in error.blocked)
            self.window.show_error(
                self.failure_title,
                f"Nothing was written: these objects cannot be restored in another process:\n"
                f"{paths}\nClose them in your program first, or choose “Drop it” (or “Ask "
                "me”) under “State that cannot be restored” in the export options.",
                f"{error}\n\n{details}",
                expected=True,
            )
            self._finish(None)
            return
        super()._failed(error, details)

    @Slot()
    def _blocked_refused(self) -> None:
        self._cancelled()

    @Slot()
    def _drop_blocked(self) -> None:
        self.on_blocked = "drop"
        self._start_save("drop")


class ImportJob(ProgressJob):
    """manifest view on a worker → trust dialog (types, code to read) → import_snapshot on a
    worker (check, load with that trust, verify) → verdict."""

    failure_title = "Import failed"
    cancelled_message = "Import cancelled: nothing was loaded."

    def __init__(self, window, path: Path):
        super().__init__(window, window.snapshots.jobs)
        self.path = path
        self.manifest: dict | None = None
        self.trust_dialog: TrustDialog | None = None
        self.project = None
        self.verification = None

    def start(self) -> None:
        from lockpickle_gui.core.snapshot.view import manifest_view

        self.window.status(f"Reading {self.path.name}…", timeout_ms=3000)
        # the manifest and state.json, checked on the worker; nothing imported, no model built
        self._start(manifest_view, self.path, with_progress=False)

    @Slot(object)
    def _worker_finished(self, result) -> None:
        if self.manifest is None:
            self._manifest_read(result)
        else:
            self._loaded(result)

    def _manifest_read(self, view) -> None:
        self.manifest = view
        self.trust_dialog = TrustDialog(self.window, path=self.path, view=view)
        self.trust_dialog.accepted.connect(self._trusted)
        self.trust_dialog.rejected.connect(self._refused)
        self.trust_dialog.open()

    @Slot()
    def _refused(self) -> None:
        self.window.status(
            f"Import cancelled: nothing from {self.path.name} was loaded.", timeout_ms=5000
        )
        self._finish(None)

    @Slot()
    def _trusted(self) -> None:
        trust = tuple(self.trust_dialog.modules)
        self._run_with_progress(
            f"Loading {self.path.name}…",
            load_and_verify,
            self.path,
            trust=trust,
            trust_bundled_code=self.trust_dialog.trust_bundled_code,
            library_folder=self.window.settings.dirs.data,
        )

    def _loaded(self, result) -> None:
        self._close_progress()
        self.project, self.verification = result
        title, text, icon = verdict_text(self.verification)
        verdict = str(getattr(getattr(self.verification, "verdict", None), "value", "mismatch"))
        trusted = list(self.trust_dialog.modules) + (
            ["the bundled code"] if self.trust_dialog.trust_bundled_code else []
        )
        facts = snapshot_summary.summary(self.project.manifest, verdict, text, trusted)
        self.window.add_loaded_project(self.project, snapshot=facts)
        self.window.status(f"Loaded {self.path.name}: {text}", timeout_ms=8000)
        self._show_message(icon, title, f"Loaded {self.path}", text)
        self._finish(self.project)


def save_and_record(target, path, *, project, library_folder, progress, **options):
    """Worker body: save the snapshot, then record it in the snapshot library."""
    from lockpickle_gui.core.library import record_export
    from lockpickle_gui.core.snapshot import save_snapshot

    manifest = save_snapshot(target, path, progress=progress, **options)
    record_export(path, project=project, folder=library_folder)  # a failure only logs
    return manifest


def load_and_verify(path, *, trust, trust_bundled_code, progress, library_folder=None):
    """Worker body: open the snapshot as a project, then re-run its stored verification,
    and record both in the snapshot library (in ``library_folder``, when given).

    A failed verification is a verdict to show, not an error: it is returned, not raised.
    """
    from lockpickle_gui.core.project import import_snapshot

    imported = import_snapshot(
        path, trust=trust, trust_bundled_code=trust_bundled_code, progress=progress
    )
    project, verification = imported.project, imported.verification
    if library_folder is not None:
        from lockpickle_gui.core.library import record_import

        record_import(path, verification, folder=library_folder)  # a failure only logs
    progress(1.0, "Done")
    return project, verification


def verdict_text(verification) -> tuple[str, str, QMessageBox.Icon]:
    """(title, sentence, icon) for a VerificationResult or a VerificationFailed."""
    if isinstance(verification, VerificationFailed):
        return "Verification failed", str(verification), QMessageBox.Icon.Warning
    verdict = getattr(verification, "verdict", Verdict.NO_DATA)
    sentence = explain_verification(
        verdict,
        getattr(verification, "max_abs_diff", None),
        getattr(verification, "tolerance", None),
    )
    text = f"Verification: {verdict} — {sentence}."
    if verdict.holds:
        return "Snapshot verified", text, QMessageBox.Icon.Information
    if verdict is Verdict.MISMATCH:
        return "Verification failed", text, QMessageBox.Icon.Warning
    return "Snapshot loaded", text, QMessageBox.Icon.Information
