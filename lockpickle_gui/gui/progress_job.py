"""The plumbing every long GUI flow shares (snapshot export and import): a worker on the
window's runner, a modal progress dialog whose Cancel reaches the worker, a result box."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from lockpickle_gui.gui.workers import Worker

PROGRESS_STEPS = 1000


class ProgressJob(QObject):
    """A flow on the UI thread around one worker: a progress dialog with Cancel bound to it,
    message boxes, and a ``done`` signal. ``live`` keeps the job (its dialogs and slots)
    alive until it finishes."""

    done = Signal(object)  # the outcome (manifest / project) or None when nothing happened
    failure_title = "Failed"
    cancelled_message = "Cancelled."

    def __init__(self, window, live: set):
        super().__init__(window)
        self.window = window
        self._live = live
        self.worker = None
        self.progress_dialog: QProgressDialog | None = None
        self.message_box: QMessageBox | None = None
        self.outcome = None
        live.add(self)

    def _start(self, fn, *args, with_progress: bool = True, **kwargs) -> Worker:
        """Start ``fn`` on the window's runner with this job's slots connected first (a fast
        worker could otherwise finish before anyone listens, and its result would be lost)."""
        worker = Worker(fn, *args, with_progress=with_progress, **kwargs)
        worker.signals.returned.connect(self._worker_finished)
        worker.signals.errored.connect(self._failed)
        worker.signals.aborted.connect(self._cancelled)
        if with_progress:
            worker.signals.progress.connect(self._progress)
        self.worker = worker
        return self.window.runner.start(worker)

    def _run_with_progress(self, title: str, fn, *args, **kwargs):
        dialog = QProgressDialog(title, "Cancel", 0, PROGRESS_STEPS, self.window)
        dialog.setWindowTitle(title)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        dialog.canceled.connect(self._cancel)
        self.progress_dialog = dialog
        dialog.setValue(0)
        return self._start(fn, *args, **kwargs)

    @Slot(float, str)
    def _progress(self, fraction: float, message: str) -> None:
        dialog = self.progress_dialog
        if dialog is None or dialog.wasCanceled():
            return
        if message:
            dialog.setLabelText(message)
        # last: a modal QProgressDialog.setValue() processes events, which may end this job
        dialog.setValue(int(max(0.0, min(1.0, fraction)) * PROGRESS_STEPS))

    @Slot(object)
    def _worker_finished(self, result) -> None:
        raise NotImplementedError

    @Slot(object, str)
    def _failed(self, error, details: str) -> None:
        self._close_progress()
        self.window.show_error(self.failure_title, error, details)
        self._finish(None)

    @Slot()
    def _cancelled(self) -> None:
        self.window.status(self.cancelled_message, timeout_ms=5000)
        self._finish(None)

    @Slot()
    def _cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.window.status("Cancelling…", timeout_ms=3000)

    def _close_progress(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.canceled.disconnect(self._cancel)
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None

    def _show_message(self, icon, title: str, text: str, informative: str = "", folder=None):
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("snapshot_message")
        box.setTextFormat(Qt.TextFormat.PlainText)
        if informative:
            box.setInformativeText(informative)
        if folder is not None:
            show = box.addButton("Show Folder", QMessageBox.ButtonRole.ActionRole)
            show.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_box = box

    def _finish(self, outcome) -> None:
        self._close_progress()
        self.outcome = outcome
        self._live.discard(self)
        self.done.emit(outcome)
