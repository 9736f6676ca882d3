"""The preview panel's two charts (QtCharts): a latency histogram and throughput over time.

They only draw what they are given; the figures come from ``core.preview``'s statistics.
Axes are labelled with round steps (0, 5, 10, 15, 20), never repeated labels such as the
"1, 1, 1, 0, 0" a 0–1 range with integer labels gives; latencies past a second are in
seconds, so a tick label never needs more than four characters (a dock's narrow chart
elided "2000" to "2…").
Throughput is drawn as steps, one per bucket of the pool's series, so a run shorter than
one bucket is still a line across its duration, not a single dot.
"""

from __future__ import annotations

import math

from PySide6.QtCharts import QAreaSeries, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget

HISTOGRAM_BINS = 24
TICKS = 5
SIDE_BY_SIDE_WIDTH = 560  # below, two charts of half the width each draw every label as "…"
SECONDS_FROM_MS = 1_000.0  # latencies from this many ms are drawn in seconds
ACCENT = QColor("#2f7fd8")
ACCENT_FILL = QColor(47, 127, 216, 90)


def nice_step(span: float, intervals: int = TICKS - 1, *, integer: bool = False) -> float:
    """The smallest round step (1, 2, 2.5 or 5 × 10^k) that covers ``span`` in ``intervals``."""
    raw = max(span, 1e-12) / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = factor * magnitude
        if step >= raw * (1 - 1e-9) and (not integer or step >= 1 and step == int(step)):
            return step
    return 10 * magnitude  # pragma: no cover - 10 always covers raw


def set_nice_range(axis: QValueAxis, low: float, high: float, *, integer: bool = False) -> None:
    """``axis`` from a round value at or below ``low`` to one at or above ``high``, with
    :data:`TICKS` labels that are all different (the format follows the step)."""
    step = nice_step(max(high - low, 1.0 if integer else 1e-9), integer=integer)
    start = math.floor(low / step) * step
    while start + step * (TICKS - 1) < high:  # the floor moved the range down
        step = nice_step(step * TICKS, integer=integer)
        start = math.floor(low / step) * step
    axis.setRange(start, start + step * (TICKS - 1))
    axis.setTickCount(TICKS)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if (step * 10) % 10 == 5 else 0)
    axis.setLabelFormat(f"%.{min(decimals, 6)}f")


class _Chart(QChartView):
    def __init__(self, title: str, x_title: str, y_title: str, parent=None):
        chart = QChart()
        chart.setTitle(title)
        chart.legend().hide()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(4)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)  # redrawn several times/s
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(170)
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        chart.setTheme(
            QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight
        )
        font = chart.titleFont()
        font.setBold(True)
        chart.setTitleFont(font)
        self.axis_x = QValueAxis()
        self.axis_x.setTitleText(x_title)
        self.axis_y = QValueAxis()
        self.axis_y.setTitleText(y_title)
        for axis in (self.axis_x, self.axis_y):
            small = axis.titleFont()
            small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
            axis.setTitleFont(small)
        chart.addAxis(self.axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.axis_y, Qt.AlignmentFlag.AlignLeft)

    def _attach(self, series) -> None:
        self.chart().addSeries(series)
        series.attachAxis(self.axis_x)
        series.attachAxis(self.axis_y)


class LatencyHistogram(_Chart):
    """How many requests took how long: a step-shaped histogram of latencies."""

    def __init__(self, parent=None):
        super().__init__("Latency", "ms per request", "requests", parent)
        self.outline = QLineSeries()
        self.area = QAreaSeries(self.outline)
        self.area.setBrush(ACCENT_FILL)
        self.area.setPen(QPen(ACCENT, 1.5))
        self._attach(self.area)
        self.counts: list[int] = []
        self.unit = "ms"
        self.clear()

    def clear(self) -> None:
        self.counts = []
        self.outline.clear()
        self._set_unit("ms")
        set_nice_range(self.axis_x, 0, 10)
        set_nice_range(self.axis_y, 0, 4, integer=True)

    def _set_unit(self, unit: str) -> None:
        self.unit = unit
        self.axis_x.setTitleText(f"{unit} per request")

    def set_latencies(self, latencies_ms) -> None:
        values = [float(v) for v in latencies_ms]
        if not values:
            self.clear()
            return
        seconds = max(values) >= SECONDS_FROM_MS
        if seconds:
            values = [v / 1000.0 for v in values]
        self._set_unit("s" if seconds else "ms")
        low, high = min(values), max(values)
        width = (high - low) / HISTOGRAM_BINS or max(high * 0.05, 1e-3)
        counts = [0] * HISTOGRAM_BINS
        for value in values:
            counts[min(int((value - low) / width), HISTOGRAM_BINS - 1)] += 1
        points = [QPointF(low, 0)]
        for i, count in enumerate(counts):
            points += [QPointF(low + i * width, count), QPointF(low + (i + 1) * width, count)]
        points.append(QPointF(low + HISTOGRAM_BINS * width, 0))
        self.outline.replace(points)
        self.counts = counts
        set_nice_range(self.axis_x, low, low + HISTOGRAM_BINS * width)
        set_nice_range(self.axis_y, 0, max(counts) * 1.05, integer=True)


class ThroughputChart(_Chart):
    """Requests per second as the run goes: one step per bucket of the pool's series."""

    def __init__(self, parent=None):
        super().__init__("Throughput", "seconds", "requests/s", parent)
        self.line = QLineSeries()
        self.line.setPen(QPen(ACCENT, 2))
        self._attach(self.line)
        self.points: list[tuple[float, float]] = []
        self.clear()

    def clear(self) -> None:
        self.points = []
        self.line.clear()
        set_nice_range(self.axis_x, 0, 1)
        set_nice_range(self.axis_y, 0, 4, integer=True)

    def set_series(self, series, bucket_s: float | None = None, elapsed_s: float = 0.0) -> None:
        """``series``: ``[(seconds since the first request, requests/s), ...]`` (PoolStats'
        ``throughput_series``), each value the rate over ``bucket_s`` seconds from its time
        (the last one up to ``elapsed_s``, when that is later)."""
        self.points = [(float(t), float(rps)) for t, rps in series]
        if not self.points:
            self.clear()
            return
        if bucket_s is None:  # without the bucket size, the spacing of the points tells it
            gaps = [b[0] - a[0] for a, b in zip(self.points, self.points[1:])]
            bucket_s = min(gaps) if gaps else max(elapsed_s, 1e-3)
        steps = []
        for index, (start, rps) in enumerate(self.points):
            last = index == len(self.points) - 1
            end = max(start + bucket_s, elapsed_s) if last else self.points[index + 1][0]
            steps += [QPointF(start, rps), QPointF(min(end, start + bucket_s), rps)]
            if not last and end > start + bucket_s:  # an idle gap: nothing completed
                steps += [QPointF(start + bucket_s, 0), QPointF(end, 0)]
        self.line.replace(steps)
        set_nice_range(self.axis_x, 0, max(steps[-1].x(), 1e-3))
        set_nice_range(self.axis_y, 0, max(rps for _, rps in self.points) * 1.1, integer=True)


class ChartPair(QSplitter):
    """Two charts side by side in a wide dock, one above the other in a narrow one (in a
    1024-pixel window each would be ~160 px wide, too narrow for its axis labels)."""

    def __init__(self, first: QWidget, second: QWidget, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.addWidget(first)
        self.addWidget(second)
        self.setChildrenCollapsible(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        wide = event.size().width() >= SIDE_BY_SIDE_WIDTH
        wanted = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.orientation() != wanted:
            self.setOrientation(wanted)
        super().resizeEvent(event)
