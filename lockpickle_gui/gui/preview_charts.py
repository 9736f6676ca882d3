"""The preview panel's two charts (QtCharts): a latency histogram and throughput over time.

They only draw what they are given; the figures come from ``core.preview``'s statistics.
"""

from __future__ import annotations

from PySide6.QtCharts import QAreaSeries, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen

HISTOGRAM_BINS = 24
MARKED_POINTS = 40  # throughput series this short get a dot per point
ACCENT = QColor("#2f7fd8")
ACCENT_FILL = QColor(47, 127, 216, 90)


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
        self.axis_x.setLabelFormat("%.4g")
        self.axis_x.setTickCount(5)
        self.axis_y = QValueAxis()
        self.axis_y.setTitleText(y_title)
        self.axis_y.setLabelFormat("%.0f")
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
    """How many requests took how long: a step-shaped histogram of latencies in ms."""

    def __init__(self, parent=None):
        super().__init__("Latency", "ms per request", "requests", parent)
        self.outline = QLineSeries()
        self.area = QAreaSeries(self.outline)
        self.area.setBrush(ACCENT_FILL)
        self.area.setPen(QPen(ACCENT, 1.5))
        self._attach(self.area)
        self.counts: list[int] = []
        self.clear()

    def clear(self) -> None:
        self.counts = []
        self.outline.clear()
        self.axis_x.setRange(0, 10)
        self.axis_y.setRange(0, 1)

    def set_latencies(self, latencies_ms) -> None:
        values = [float(v) for v in latencies_ms]
        if not values:
            self.clear()
            return
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
        self.axis_x.setRange(low, low + HISTOGRAM_BINS * width)
        self.axis_x.applyNiceNumbers()
        self.axis_y.setRange(0, max(counts) * 1.1)
        self.axis_y.applyNiceNumbers()


class ThroughputChart(_Chart):
    """Requests per second as the run goes (one point per poll of the pool's statistics)."""

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
        self.axis_x.setRange(0, 1)
        self.axis_y.setRange(0, 1)

    def set_series(self, series) -> None:
        """``series``: ``[(seconds since the first request, requests/s), ...]`` (PoolStats'
        ``throughput_series``)."""
        self.points = [(float(t), float(rps)) for t, rps in series]
        self.line.replace([QPointF(t, rps) for t, rps in self.points])
        self.line.setPointsVisible(len(self.points) <= MARKED_POINTS)  # a short run: one dot
        end = self.points[-1][0] if self.points else 1.0
        top = max((rps for _, rps in self.points), default=1.0)
        self.axis_x.setRange(0, max(1.0, end))
        self.axis_x.applyNiceNumbers()
        self.axis_y.setRange(0, max(1.0, top * 1.15))
        self.axis_y.applyNiceNumbers()
