"""What a preview run shows: figure tiles, the thread-safety verdict and the first outputs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from lockpickle_gui.core.text import escape_html
from lockpickle_gui.gui import badges
from lockpickle_gui.gui.preview_charts import SECONDS_FROM_MS
from lockpickle_gui.gui.reflow import ReflowGrid

TILES = (
    ("throughput", "throughput", "req/s"),
    ("p50", "p50 latency", ""),  # the value carries its unit: ms, or s past 10 s
    ("p95", "p95 latency", ""),
    ("p99", "p99 latency", ""),
    ("completed", "completed", ""),
    ("batch", "mean batch", ""),
)

VERDICT_ACCENTS = {  # mixed into the palette's base colour: readable in dark themes too
    "identical": "#3fa34d",
    "within tolerance": "#2f7fd0",
    "mismatch": "#d83b3b",
}


class StatTiles(QFrame):
    """Six figures in large type with a caption each; ``—`` until known."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("preview_stats")
        self.values: dict[str, QLabel] = {}
        tiles = []
        for key, caption, unit in TILES:
            tile = QFrame()
            tile.setObjectName("stat_tile")
            tile.setStyleSheet("#stat_tile { border: 1px solid palette(mid); border-radius: 5px; }")
            layout = QVBoxLayout(tile)
            layout.setContentsMargins(6, 4, 6, 4)
            layout.setSpacing(0)
            value = QLabel("—")
            value.setObjectName(f"stat_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.45)
            font.setBold(True)
            value.setFont(font)
            label = QLabel(f"{caption}{f' ({unit})' if unit else ''}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("color: palette(placeholder-text);")
            layout.addWidget(value)
            layout.addWidget(label)
            tiles.append([tile])
            self.values[key] = value
        self.grid = ReflowGrid(tiles, 3, self, stretch=(1,))
        self.grid.grid.setHorizontalSpacing(6)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 4, 0, 4)
        outer.addWidget(self.grid)

    def clear(self) -> None:
        for label in self.values.values():
            label.setText("—")

    def show_stats(self, stats, requests: int | None = None) -> None:
        """``stats``: the pool's PoolStats (or its ``to_dict()``)."""
        get = (
            stats.get
            if isinstance(stats, dict)
            else lambda key, default=None: getattr(stats, key, default)
        )
        completed = get("completed", 0) or 0
        failed = get("failed", 0) or 0
        self.values["throughput"].setText(_number(get("throughput_rps")))
        for key in ("p50", "p95", "p99"):
            self.values[key].setText(latency_text(get(f"{key}_ms")))
        total = f" / {requests:,}" if requests else ""
        self.values["completed"].setText(
            f"{completed:,}{total}" + (f"  ({failed:,} failed)" if failed else "")
        )
        self.values["batch"].setText(_number(mean_batch(get("batch_sizes"), get("mean_batch"))))

    def text(self, key: str) -> str:
        return self.values[key].text()


class VerdictBanner(QLabel):
    """The thread-safety verdict in one coloured sentence."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("preview_verdict")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict = ""
        self.show_pending(
            "Thread safety: run a preview to compare pooled outputs with sequential ones."
        )

    def show_pending(self, text: str) -> None:
        self.verdict = ""
        self._paint("pending", text)

    def show_report(self, report) -> None:
        get = (
            report.get
            if isinstance(report, dict)
            else lambda key, default=None: getattr(report, key, default)
        )
        self.verdict = str(get("verdict", ""))
        message = get("message") or ""
        diff = get("max_abs_diff")
        head = {
            "identical": "Thread-safe: identical",
            "within tolerance": "Thread-safe: within tolerance",
            "mismatch": "NOT thread-safe: mismatch",
        }.get(self.verdict, f"Thread safety: {self.verdict}")
        text = f"<b>{head}</b>"
        if diff is not None and self.verdict != "identical":
            text += f" (max difference {diff:.3g})"
        if message:  # the core's sentence; it names the layers that hold a lock
            text += f" — {escape_html(str(message))}"
        self._paint(self.verdict, text)

    def colours(self, key: str) -> tuple[QColor, QColor]:
        """(background, text) of the box for a verdict, from the current palette."""
        palette = self.palette()
        accent = VERDICT_ACCENTS.get(key)
        if accent is None:
            return palette.color(QPalette.ColorRole.AlternateBase), palette.color(
                QPalette.ColorRole.Text
            )
        return badges.tinted(QColor(accent), palette), palette.color(QPalette.ColorRole.Text)

    def _paint(self, key: str, text: str) -> None:
        background, colour = self.colours(key)
        self.setStyleSheet(
            f"QLabel#preview_verdict {{ background: {background.name()}; color: {colour.name()}; "
            "border-radius: 5px; padding: 6px; }"
        )
        self.setText(text)


class ResultsTable(QTableWidget):
    """The first outputs: request number and a summary (top-k with scores, or shape/stats)."""

    def __init__(self, parent=None):
        super().__init__(0, 2, parent)
        self.setObjectName("preview_results")
        self.setHorizontalHeaderLabels(["#", "Output"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setMinimumHeight(120)

    def show_outputs(self, summaries) -> None:
        """``summaries``: ``[(index, summary)]`` from ``core.inputs.summarize_output`` (top-k
        classes with scores, or shape and min/mean/max; a dict for several outputs)."""
        self.setRowCount(0)
        for row, (index, summary) in enumerate(summaries):
            self.insertRow(row)
            number = QTableWidgetItem(str(index))
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(row, 0, number)
            text = summary_text(summary)
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            self.setItem(row, 1, item)

    def texts(self) -> list[str]:
        return [self.item(row, 1).text() for row in range(self.rowCount())]


def summary_text(summary) -> str:
    """One line for ``core.inputs.summarize_output``'s result: its string as is, or, for a
    model with several outputs, ``name: summary`` pairs."""
    if isinstance(summary, dict):
        return "   ".join(f"{name}: {summary_text(value)}" for name, value in summary.items())
    return str(summary)


def mean_batch(histogram, given=None):
    if given is not None:
        return given
    if not histogram:
        return None
    total = sum(histogram.values())
    return sum(int(size) * count for size, count in histogram.items()) / total if total else None


def latency_text(milliseconds) -> str:
    """``4.2 ms``, ``850 ms``, ``12.3 s``: seconds from 10 s on (a cold start, a slow model)."""
    if milliseconds is None:
        return "—"
    if milliseconds >= SECONDS_FROM_MS:
        return f"{_number(milliseconds / 1000.0)} s"
    return f"{_number(milliseconds)} ms"


def _number(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"
