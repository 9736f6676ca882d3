"""The Library panel's parts: the filter bar, the task row (progress and Cancel of its one
background job), the small dialogs (tags, note, remove) and the details text.

Each dialog is opened with ``open()`` (never a blocking ``exec``): the panel connects to
``accepted`` and calls the core with what was entered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.core.library import EntryDetails, Filters, LibraryEntry, VerdictFilter
from lockpickle_gui.core.text import escape_html
from lockpickle_gui.gui.workers import CLOSE_WAIT_MS, Worker

ALL = "All"
SEARCH_DELAY_MS = 150


class FilterBar(QWidget):
    """Search words, project, tag, verdict, missing only: a core ``Filters``."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.search = QLineEdit(placeholderText="Search names, projects, models, tags, notes…")
        self.search.setObjectName("library_search")
        self.search.setClearButtonEnabled(True)
        self.project_box = self._combo("library_project")
        self.tag_box = self._combo("library_tag")
        self.verdict_box = self._combo("library_verdict")
        self.verdict_box.addItems([v.value for v in VerdictFilter])
        self.missing_box = QCheckBox("Missing only")
        self.missing_box.setObjectName("library_missing")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 1)
        for label, box in (
            ("Project", self.project_box),
            ("Tag", self.tag_box),
            ("Verdict", self.verdict_box),
        ):
            layout.addWidget(QLabel(label))
            layout.addWidget(box)
        layout.addWidget(self.missing_box)
        self._typing = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._typing.timeout.connect(self.changed)
        self.search.textChanged.connect(lambda text: self._typing.start())
        for box in (self.project_box, self.tag_box, self.verdict_box):
            box.currentIndexChanged.connect(lambda index: self.changed.emit())
        self.missing_box.toggled.connect(lambda checked: self.changed.emit())

    @staticmethod
    def _combo(name: str) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        box.addItem(ALL)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return box

    def filters(self, sort: str, descending: bool) -> Filters:
        def chosen(box: QComboBox) -> str | None:
            return None if box.currentText() == ALL else box.currentText()

        verdict = chosen(self.verdict_box)
        return Filters(
            search=self.search.text(),
            project=chosen(self.project_box),
            tag=chosen(self.tag_box),
            verdict=None if verdict is None else VerdictFilter(verdict),
            missing=True if self.missing_box.isChecked() else None,
            sort=sort,
            descending=descending,
        )

    def set_choices(self, projects: list[str], tags: list[str]) -> None:
        """Offer what the catalog holds now; keep what was chosen."""
        for box, values in ((self.project_box, projects), (self.tag_box, tags)):
            wanted = [ALL, *values]
            if [box.itemText(i) for i in range(box.count())] == wanted:
                continue
            current = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems(wanted)
            box.setCurrentIndex(max(0, box.findText(current)))
            box.blockSignals(False)


class TaskRow(QWidget):
    """A status line, a progress bar and Cancel for one background job at a time."""

    # the worker's (superqt) names, with the job's name first
    returned = Signal(str, object)  # (job name, result)
    errored = Signal(str, object, str)  # (job name, error, traceback)
    finished = Signal(str)  # (job name) last, whatever happened

    def __init__(self, runner: Any):
        super().__init__()
        self.runner = runner
        self.worker: Worker | None = None
        self.name = ""
        self.label = QLabel("Opening the library…")
        self.label.setObjectName("library_status")
        self.progress = QProgressBar(maximumWidth=220, textVisible=False)
        self.progress.setRange(0, 1000)
        self.cancel_button = QToolButton(text="Cancel", autoRaise=True)
        self.cancel_button.setObjectName("library_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        self._show(False, False)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def start(self, name: str, fn: Any, *args: Any, cancellable: bool = True) -> bool:
        """Run ``fn(*args, progress=...)`` on the runner; False when a job is running."""
        if self.worker is not None:
            return False
        worker = Worker(fn, *args)
        worker.signals.progress.connect(self._progress)
        worker.signals.returned.connect(lambda result: self.returned.emit(name, result))
        worker.signals.errored.connect(lambda error, text: self.errored.emit(name, error, text))
        worker.signals.aborted.connect(lambda: self.label.setText("Cancelled."))
        worker.signals.finished.connect(self._done)
        self.worker, self.name = worker, name
        self._show(True, cancellable)
        self.runner.start(worker)
        return True

    @Slot(float, str)
    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.label.setText(message)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.label.setText("Cancelling…")

    def stop(self) -> None:
        """Cancel the job and give it as long as closing the window waits for any work
        (loading a model cannot be interrupted: the runner leaves it behind)."""
        worker = self.worker
        if worker is not None:
            worker.cancel()
            worker.wait(CLOSE_WAIT_MS / 1000)

    @Slot()
    def _done(self) -> None:
        name, self.worker, self.name = self.name, None, ""
        self._show(False, False)
        self.finished.emit(name)

    def _show(self, busy: bool, cancellable: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.cancel_button.setVisible(busy and cancellable)


class TagDialog(QDialog):
    """Tags shared by the selected snapshots, edited as a comma-separated list."""

    def __init__(self, parent: Any, entries: list[LibraryEntry], known: list[str]):
        super().__init__(parent)
        self.setObjectName("library_tag_dialog")
        self.setWindowTitle("Tags")
        self.common = sorted(set.intersection(*(set(e.tags) for e in entries))) if entries else []
        self.edit = QLineEdit(", ".join(self.common))
        self.edit.setObjectName("library_tags_edit")
        self.edit.setPlaceholderText("baseline, production, …")
        hint = f"Known tags: {', '.join(known)}" if known else "Separate tags with commas."
        count = f"{len(entries)} snapshots" if len(entries) != 1 else entries[0].name
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Tags of {count}:"))
        layout.addWidget(self.edit)
        layout.addWidget(QLabel(hint, wordWrap=True))
        layout.addWidget(buttons)
        self.resize(420, self.sizeHint().height())

    def changes(self) -> tuple[list[str], list[str]]:
        """(tags to add, tags to remove) compared with the tags the snapshots shared."""
        wanted = [t.strip() for t in self.edit.text().split(",") if t.strip()]
        return [t for t in wanted if t not in self.common], [
            t for t in self.common if t not in wanted
        ]


class NoteDialog(QDialog):
    def __init__(self, parent: Any, entry: LibraryEntry):
        super().__init__(parent)
        self.setObjectName("library_note_dialog")
        self.setWindowTitle(f"Note on {entry.name}")
        self.edit = QPlainTextEdit(entry.note)
        self.edit.setObjectName("library_note_edit")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(buttons)
        self.resize(460, 220)

    @property
    def text(self) -> str:
        return self.edit.toPlainText()


class RemoveDialog(QMessageBox):
    """Remove from the library, and (ticked) delete the files too: the confirmation."""

    def __init__(self, parent: Any, entries: list[LibraryEntry]):
        names = entries[0].name if len(entries) == 1 else f"{len(entries)} snapshots"
        super().__init__(
            QMessageBox.Icon.Question,
            "Remove from Library",
            f"Remove {names} from the library?",
            QMessageBox.StandardButton.Cancel,
            parent,
        )
        self.setObjectName("library_remove_dialog")
        self.entries = entries
        self.remove_button = self.addButton("Remove", QMessageBox.ButtonRole.AcceptRole)
        self.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.delete_box = QCheckBox("Also delete the file(s) from disk (cannot be undone)")
        self.delete_box.toggled.connect(self._delete_toggled)
        self.setCheckBox(self.delete_box)
        self.setInformativeText(self._info(False))

    def _info(self, delete: bool) -> str:
        listed = "\n".join(e.path for e in self.entries[:8])
        if len(self.entries) > 8:
            listed += f"\n… and {len(self.entries) - 8} more"
        if delete:
            return f"These files will be DELETED:\n{listed}"
        return f"The files stay where they are:\n{listed}"

    def _delete_toggled(self, checked: bool) -> None:
        self.setInformativeText(self._info(checked))
        self.remove_button.setText("Remove and Delete" if checked else "Remove")

    @property
    def delete_files(self) -> bool:
        return self.delete_box.isChecked()


def details_html(details: EntryDetails) -> str:
    """Everything the catalog knows about one snapshot, for the panel's details pane."""
    entry = details.entry
    rows = [
        ("File", entry.path + ("  (missing)" if entry.missing else "")),
        ("sha256", entry.sha256 or "not computed"),
        ("Project", entry.project + (f" — {details.source_path}" if details.source_path else "")),
        ("Created", entry.created_utc),
        (
            "Made with",
            f"{details.producer} {details.producer_version}, format "
            f"{details.format_version}; "
            + ", ".join(f"{k} {v}" for k, v in details.versions.items()),
        ),
        (
            "Models",
            "; ".join(
                f"{m['name']} ({str(m['class']).rpartition('.')[2]}, {m['params']:,} params)"
                for m in details.models
            )
            or "none",
        ),
        (
            "Primitives",
            ", ".join(f"{p['path']} ({p['kind']})" for p in details.primitives) or "none",
        ),
        ("Dropped", ", ".join(f"{d['path']} ({d['kind']})" for d in details.dropped) or "none"),
        ("Required types", ", ".join(details.required_types) or "none"),
        (
            "Verification",
            (entry.verdict or "not re-run yet")
            + (f" on {entry.verified_at}" if entry.verified_at else "")
            + (f" ({details.verify_detail})" if details.verify_detail else ""),
        ),
        ("Tags", ", ".join(entry.tags) or "none"),
        ("Note", entry.note or "none"),
    ]
    table = "".join(
        f"<tr><td><b>{escape_html(k)}</b></td><td>{escape_html(v)}</td></tr>" for k, v in rows
    )
    history = "".join(
        f"<li>{escape_html(e.at.replace('T', ' ').rstrip('Z'))} — {escape_html(e.kind)}"
        f"{' — ' + escape_html(e.detail) if e.detail else ''}</li>"
        for e in reversed(details.history)
    )
    return f"<table cellspacing='4'>{table}</table><p><b>History</b></p><ul>{history}</ul>"


def ask_trust(
    window: Any,
    entries: list[LibraryEntry],
    needs_trust: set[int],
    then: Callable[[list[tuple[int, tuple[str, ...], bool]]], object],
) -> None:
    """Show the import's trust dialog for each entry in ``needs_trust``, one after another
    (non-blocking); then call ``then(plan)`` with ``(id, trusted modules, trust bundled
    code)`` of every entry to verify (refused ones are left out). Trust given once covers
    the other snapshots that need exactly the same: the same types and the same bundled
    code files, sha256 for sha256 (ten exports of one project ask once, not ten times)."""
    from lockpickle_gui.core.snapshot import read_manifest
    from lockpickle_gui.gui.trust_dialog import TrustDialog

    plan: list[tuple[int, tuple[str, ...], bool]] = []
    waiting = list(entries)
    open_dialogs: list[Any] = []  # alive while shown
    granted: set[tuple[Any, ...]] = set()  # what was trusted: (package, code, types)

    def needs(dialog: Any) -> tuple[Any, ...]:
        return (dialog.view.code_package, tuple(dialog.code), tuple(dialog.modules))

    def next_one() -> None:
        while waiting:
            entry = waiting.pop(0)
            if entry.id not in needs_trust:
                plan.append((entry.id, (), False))
                continue
            try:
                manifest = read_manifest(entry.path)
                dialog = TrustDialog(window, path=Path(entry.path), manifest=manifest)
            except Exception as error:  # noqa: BLE001 - shown; the others go on
                window.show_error(f"Cannot verify {entry.name}", error)
                continue
            if needs(dialog) in granted:
                plan.append((entry.id, tuple(dialog.modules), bool(dialog.trust_bundled_code)))
                dialog.deleteLater()
                continue
            open_dialogs.append(dialog)

            def trusted(dialog: Any = dialog, entry: LibraryEntry = entry) -> None:
                granted.add(needs(dialog))
                plan.append((entry.id, tuple(dialog.modules), bool(dialog.trust_bundled_code)))

            dialog.accepted.connect(trusted)
            dialog.finished.connect(lambda result, d=dialog: (open_dialogs.remove(d), next_one()))
            dialog.open()
            return
        then(plan)

    next_one()


def problems_box(parent: Any, problems: list[Any]) -> QMessageBox:
    """The files a scan skipped, and why (not snapshots, damaged); not modal."""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "Some files are not snapshots",
        f"{len(problems)} file(s) ending in .lpsnap could not be read as snapshots; "
        "they were skipped.",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("library_scan_problems")
    box.setDetailedText("\n\n".join(f"{p.path}\n{p.message}" for p in problems))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box
