"""The threaded preview panel of one project: drives ``core.preview.run_preview`` off the UI thread.

Each open project has its own panel (:mod:`.preview_dock` stacks them), so a run's figures,
charts, outputs and verdict stay with the project they belong to. The run happens on ``window.runner`` (a pool thread). Live figures travel back through a
queued signal and are painted by a timer at most a few times a second, so the UI thread
never does more than redraw. Cancel (Esc, the button, window close) sets the worker's cancel
flag; the core's next progress call raises ``Cancelled`` and closes the pool. Run is
Ctrl+Return (the toolbar's Run Preview); Esc cancels while the panel has focus; F5 means
File ▸ Reload everywhere.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.core.preview.defaults import preview_settings
from lockpickle_gui.core.text import backend_workers, counted
from lockpickle_gui.gui.preview_charts import ChartPair, LatencyHistogram, ThroughputChart
from lockpickle_gui.gui.preview_form import PreviewOptions, PreviewSettingsForm
from lockpickle_gui.gui.preview_job import preview_job
from lockpickle_gui.gui.preview_results import ResultsTable, StatTiles, VerdictBanner
from lockpickle_gui.gui.wheel_guard import guard_wheel
from lockpickle_gui.gui.workers import Worker

REPAINT_MS = 150  # live figures are redrawn at most this often
RUN_SHORTCUT = "Ctrl+Return"


class _Relay(QObject):
    """Lives on the UI thread; the worker emits through it, so delivery is queued."""

    stats = Signal(object)


class PreviewPanel(QWidget):
    """Settings, Run/Cancel, live figures, charts, verdict and first outputs of one project."""

    finished = Signal(object)  # a preview_job.PanelResult, or None when cancelled or failed

    def __init__(self, window):
        super().__init__()
        self.setObjectName("preview_panel")
        self.window = window
        self.project = None
        self.worker = None
        self.result = None
        self.state = "idle"  # idle | running | cancelling | done | cancelled | failed
        self.run_action = None  # the toolbar's Run Preview, kept in step with the Run button
        self._requests = 0
        self._latest_stats = None
        self._relay = _Relay(self)
        self._relay.stats.connect(self._stats_arrived)
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setInterval(REPAINT_MS)
        self._repaint_timer.timeout.connect(self._repaint)

        self.form = PreviewSettingsForm()
        self.run_button = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Run  (Ctrl+Enter)"
        )
        self.run_button.setObjectName("preview_run")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Cancel  (Esc)"
        )
        self.cancel_button.setObjectName("preview_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("preview_progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setValue(0)
        self.progress.setFormat("ready")
        self.message = QLabel("Open a project to preview it.")
        self.message.setObjectName("preview_message")
        self.message.setWordWrap(True)
        self.tiles = StatTiles()
        self.histogram = LatencyHistogram()
        self.throughput = ThroughputChart()
        self.verdict = VerdictBanner()
        self.results = ResultsTable()

        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        self.charts = charts = ChartPair(self.histogram, self.throughput)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        # a line of its own: beside the buttons it held the dock (and the tree) 100 px wider
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.tiles)
        layout.addWidget(charts, 2)
        layout.addWidget(self.verdict)
        layout.addWidget(_caption("First outputs"))
        layout.addWidget(self.results, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        guard_wheel(self.form)  # the dock scrolls: passing over a setting must not change it
        self._update_buttons()

    # ------------------------------------------------------------------ project

    @Slot(object)
    def set_project(self, project) -> None:
        if self.project is project:
            return
        if self.is_running:
            self.cancel()
        self.project = project
        models = list(getattr(project, "models", {}) or {})
        self.form.set_models(models)
        self.reload_defaults()
        if project is None:
            self.message.setText("Open a project to preview it.")
        elif not models:
            self.message.setText(f"{project.name} has no model to preview.")
        else:
            self.message.setText(
                f"Ready: {project.name}. Press Run (Ctrl+Enter) to send requests "
                "from several client threads through the batching pool."
            )
        self._update_buttons()

    def adopt(self, project) -> None:
        """The same project, reloaded from disk: keep what the user typed in the form."""
        self.project = project
        self.form.set_models(list(getattr(project, "models", {}) or {}))
        self._update_buttons()

    @Slot()
    def reload_defaults(self) -> None:
        """Preferences, then the project's ``[preview]`` table (``core.preview.defaults``)."""
        if self.is_running:
            return
        values = preview_settings(
            preferences=self.window.settings.preview_defaults,
            project=getattr(self.project, "preview", None),
        )
        self.form.set_values(values)

    # ------------------------------------------------------------------ run / cancel

    @property
    def is_running(self) -> bool:
        return self.state in ("running", "cancelling")

    @Slot()
    def run(self) -> None:
        if self.is_running or self.project is None or not self.project.models:
            return
        options: PreviewOptions = self.form.options()
        model = self.project.models.get(options.model) or next(iter(self.project.models.values()))
        self.result = None
        self._requests = options.requests
        self._latest_stats = None
        self.tiles.clear()
        self.histogram.clear()
        self.throughput.clear()
        self.results.setRowCount(0)
        self.verdict.show_pending("Thread safety: checking after the run…")
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.message.setText(
            f"Running {counted(options.requests, 'request')} from "
            f"{counted(options.clients, 'client thread')} through "
            f"{backend_workers(options.workers, options.backend)}…"
        )
        self.state = "running"
        worker = Worker(preview_job, model, options, stats_sink=self._relay.stats.emit)
        worker.signals.progress.connect(self._progress)  # connected before it can emit
        worker.signals.returned.connect(self._finished)
        worker.signals.errored.connect(self._failed)
        worker.signals.aborted.connect(self._cancelled)
        self.worker = self.window.runner.start(worker)
        self._repaint_timer.start()
        self._update_buttons()
        # the form is disabled now, and the focus was perhaps in it: Esc must still cancel
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def cancel(self) -> None:
        if self.state != "running" or self.worker is None:
            return
        self.worker.cancel()
        self.state = "cancelling"
        self.message.setText("Cancelling: pending requests are dropped, the pool is closing…")
        self._update_buttons()

    # ------------------------------------------------------------------ worker signals

    @Slot(float, str)
    def _progress(self, fraction: float, message: str) -> None:
        if self.state == "running":
            self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
            if message:
                self.message.setText(message)

    @Slot(object)
    def _stats_arrived(self, stats) -> None:
        self._latest_stats = stats  # painted by the timer, not here: bursts cost one redraw

    @Slot()
    def _repaint(self) -> None:
        stats, self._latest_stats = self._latest_stats, None
        if stats is None:
            return
        self.tiles.show_stats(stats, self._requests)
        self.throughput.set_series(
            _get(stats, "throughput_series") or [],
            _get(stats, "bucket_s"),
            _get(stats, "elapsed_s") or 0.0,
        )
        self.histogram.set_latencies(_get(stats, "latencies_ms") or [])

    @Slot(object)
    def _finished(self, result) -> None:
        self._stop("done")
        self.result = result
        stats = result.stats
        self._latest_stats = stats
        self._repaint()
        if result.safety is not None:
            self.verdict.show_report(result.safety)
        else:
            self.verdict.show_pending("Thread safety: not checked (no outputs to compare).")
        self.results.show_outputs(result.summaries)
        self.progress.setValue(1000)
        self.progress.setFormat("done")
        rps = _get(stats, "throughput_rps")
        text = f"Done: {_get(stats, 'completed', 0):,} requests"
        text += f" at {rps:,.0f} requests/s." if rps else "."
        failed = _get(stats, "failed", 0)
        first_error = getattr(result.preview, "first_error", None)
        if failed or first_error:
            text += f" {failed:,} failed; the first error: {first_error}"
        per_worker = _get(stats, "per_worker") or {}
        if per_worker:  # per thread, process or Ray actor (named with its pid)
            text += " Per worker: " + ", ".join(f"{n}: {k:,}" for n, k in per_worker.items())
        self.message.setText(text)
        self.finished.emit(result)

    @Slot(object, str)
    def _failed(self, error, details: str) -> None:
        self._stop("failed")
        self.progress.setFormat("failed")
        self.message.setText(f"The preview failed: {error}")
        self.window.show_error("Preview failed", error, details)
        self.finished.emit(None)

    @Slot()
    def _cancelled(self) -> None:
        self._stop("cancelled")
        self._repaint()
        self.progress.setFormat("cancelled")
        self.message.setText("Cancelled: the pool was closed and no request is left running.")
        self.verdict.show_pending("Thread safety: not checked (the run was cancelled).")
        self.finished.emit(None)

    def _stop(self, state: str) -> None:
        self.state = state
        self.worker = None
        self._repaint_timer.stop()
        had_focus = self.cancel_button.hasFocus()
        self._update_buttons()
        if had_focus:  # the Cancel button is disabled now: Run (Enter) again, not nowhere
            self.run_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update_buttons(self) -> None:
        has_model = bool(self.project is not None and getattr(self.project, "models", None))
        self.run_button.setEnabled(has_model and not self.is_running)
        self.form.setEnabled(not self.is_running)
        self.cancel_button.setEnabled(self.state == "running")
        if self.run_action is not None:
            self.run_action.setEnabled(self.run_button.isEnabled())

    # ------------------------------------------------------------------ keys

    def event(self, event) -> bool:
        # Esc cancels a run while the panel has focus, ahead of window-wide shortcuts.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and event.key() == Qt.Key.Key_Escape
            and self.state == "running"
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.state == "running":
            self.cancel()
        else:
            super().keyPressEvent(event)


def _caption(text: str) -> QLabel:
    return QLabel(f"<b>{text}</b>")


def _get(stats, key, default=None):
    if isinstance(stats, dict):
        return stats.get(key, default)
    return getattr(stats, key, default)
