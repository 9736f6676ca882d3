"""The compare view: two snapshots (or a snapshot and the open project) side by side.

``core.library.diff`` does the comparing on a worker thread; this module only shows its
:class:`~lockpickle_gui.core.library.diff_report.DiffReport`: one section per part
(versions, required types, bundled code, primitives, and per model its layers, weights
and outputs), one row per item with A's value beside B's, changed rows highlighted,
unchanged sections collapsed. "Only differences" hides the rows that did not change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from lockpickle_gui.core.library.diff_report import DiffReport, DiffSection, Status
from lockpickle_gui.gui import window_size
from lockpickle_gui.gui.workers import Worker

HIGHLIGHT = {
    Status.ADDED: "#dff3e0",  # green: only in B
    Status.REMOVED: "#fbe0e0",  # red: only in A
    Status.CHANGED: "#fff1cc",  # amber: in both, different
}
MARKS = {Status.ADDED: "+", Status.REMOVED: "−", Status.CHANGED: "~", Status.SAME: ""}
ITEM, A, B, DIFFERENCE = range(4)


class CompareView(QDialog):
    """Non-modal; one per comparison."""

    def __init__(self, parent: Any, report: DiffReport):
        super().__init__(parent)
        self.setObjectName("compare_view")
        self.setWindowTitle(f"Compare — {Path(report.a).name} and {Path(report.b).name}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.report = report
        header = QLabel(f"<b>A</b> {report.a}<br><b>B</b> {report.b}")
        header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel(report.summary())
        self.summary.setObjectName("compare_summary")
        self.summary.setWordWrap(True)
        colour = "#2e7d32" if report.identical else "#b26a00"
        self.summary.setStyleSheet(f"color: {colour}; font-weight: bold")
        self.only_changes = QCheckBox("Only differences")
        self.only_changes.setObjectName("compare_only_changes")
        self.only_changes.toggled.connect(self._filter)
        self.tree = QTreeWidget()
        self.tree.setObjectName("compare_tree")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Item", "A", "B", "Difference"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(False)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._fill()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.only_changes)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(row)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        size = window_size.size_dialog(self, 1100, 700)
        for column, share in ((ITEM, 0.27), (A, 0.24), (B, 0.24)):  # Difference: the rest
            self.tree.setColumnWidth(column, int(size.width() * share))

    def _fill(self) -> None:
        bold = QFont()
        bold.setBold(True)
        for section in self.report.sections:
            top = QTreeWidgetItem([section.title, "", "", _section_state(section)])
            top.setFont(ITEM, bold)
            top.setData(ITEM, Qt.ItemDataRole.UserRole, section.key)
            if not section.identical:
                top.setForeground(DIFFERENCE, QBrush(QColor("#b26a00")))
            self.tree.addTopLevelItem(top)
            for row in section.rows:
                difference = "; ".join(row.details) or (
                    row.status.value if row.status is not Status.SAME else ""
                )
                item = QTreeWidgetItem(
                    [f"{MARKS[row.status]} {row.item}".strip(), row.a, row.b, difference]
                )
                item.setData(ITEM, Qt.ItemDataRole.UserRole, row.status.value)
                item.setToolTip(DIFFERENCE, "\n".join(row.details))
                colour = HIGHLIGHT.get(row.status)
                if colour is not None:
                    for column in range(4):
                        item.setBackground(column, QBrush(QColor(colour)))
                        item.setForeground(column, QBrush(QColor("#202020")))
                top.addChild(item)
            top.setExpanded(not section.identical)

    @Slot(bool)
    def _filter(self, only_changes: bool) -> None:
        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            for child in range(top.childCount()):
                item = top.child(child)
                same = item.data(ITEM, Qt.ItemDataRole.UserRole) == Status.SAME.value
                item.setHidden(only_changes and same)

    def highlighted_rows(self) -> list[tuple[str, str]]:
        """(section key, row text) of every highlighted row (what the eye is drawn to)."""
        found = []
        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            for child in range(top.childCount()):
                item = top.child(child)
                if item.data(ITEM, Qt.ItemDataRole.UserRole) != Status.SAME.value:
                    found.append((top.data(ITEM, Qt.ItemDataRole.UserRole), item.text(ITEM)))
        return found


def _section_state(section: DiffSection) -> str:
    counts = {k: v for k, v in section.counts().items() if k != "same" and v}
    if not section.rows:
        return section.note or "none in either"
    text = ", ".join(f"{n} {status}" for status, n in counts.items()) or "same"
    return f"{text}; {section.note}" if section.note and section.key != "versions" else text


# ---------------------------------------------------------------------------- running


class CompareJob(QObject):
    """Runs the comparison on the window's runner with a progress dialog (Cancel), then
    opens a :class:`CompareView`. ``done`` carries the view, or None."""

    done = Signal(object)

    def __init__(self, window: Any, title: str, fn: Any, *args: Any, **kwargs: Any):
        super().__init__(window)
        self.window = window
        self.view: CompareView | None = None
        self.progress = QProgressDialog(title, "Cancel", 0, 1000, window)
        self.progress.setObjectName("compare_progress")
        self.progress.setWindowTitle("Compare")
        self.progress.setMinimumDuration(300)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.worker = Worker(fn, *args, **kwargs)
        self.worker.signals.progress.connect(self._progress)
        self.worker.signals.returned.connect(self._finished)
        self.worker.signals.errored.connect(self._failed)
        self.worker.signals.aborted.connect(self._cancelled)
        self.progress.canceled.connect(self.worker.cancel)
        _jobs(window).add(self)
        window.runner.start(self.worker)

    @Slot(float, str)
    def _progress(self, fraction: float, message: str) -> None:
        if not self.progress.wasCanceled():
            self.progress.setLabelText(message)
            self.progress.setValue(int(fraction * 1000))

    def _end(self, view: CompareView | None) -> None:
        self.progress.canceled.disconnect(self.worker.cancel)
        self.progress.close()
        self.progress.deleteLater()
        _jobs(self.window).discard(self)
        self.done.emit(view)

    @Slot(object)
    def _finished(self, report: DiffReport) -> None:
        self.view = CompareView(self.window, report)
        self.view.show()
        self._end(self.view)

    @Slot(object, str)
    def _failed(self, error: BaseException, details: str) -> None:
        self.window.show_error("Could not compare", error, details)
        self._end(None)

    @Slot()
    def _cancelled(self) -> None:
        self.window.status("Comparison cancelled.", timeout_ms=4000)
        self._end(None)


def _jobs(window: Any) -> set[CompareJob]:
    if not hasattr(window, "_compare_jobs"):
        window._compare_jobs = set()
    jobs: set[CompareJob] = window._compare_jobs
    return jobs


def compare_snapshots(window: Any, a: str | Path, b: str | Path) -> CompareJob:
    """Compare two snapshot files in the background, then show them side by side."""
    from lockpickle_gui.core.library.diff import diff_snapshots

    return CompareJob(window, f"Comparing {Path(a).name} and {Path(b).name}…", diff_snapshots, a, b)


def compare_with_project(window: Any, snapshot: str | Path, project: Any) -> CompareJob:
    """Compare a snapshot with the open project (exported to a temporary snapshot first)."""
    from lockpickle_gui.core.library.diff import diff_against_project

    return CompareJob(
        window,
        f"Comparing {Path(snapshot).name} with {project.name}…",
        diff_against_project,
        snapshot,
        project,
        work_folder=window.settings.dirs.cache if window.settings.dirs.cache.is_dir() else None,
    )
