"""The preview's charts read right: distinct axis labels (an empty chart said "1, 1, 1, 0,
0"), latencies in seconds past 10 s, and a short run's throughput is a line, not a dot."""

from __future__ import annotations

from PySide6.QtCharts import QValueAxis

from lockpickle_gui.core.preview.stats import StatsRecorder
from lockpickle_gui.gui.preview_charts import LatencyHistogram, ThroughputChart
from lockpickle_gui.gui.preview_results import StatTiles


def axis_labels(view, axis) -> list[str]:
    """The tick labels of ``axis`` as QValueAxis draws them: ``tickCount`` evenly spaced
    values from min to max, each printf-formatted with ``labelFormat``."""
    assert axis.tickType() == QValueAxis.TickType.TicksFixed
    count, low, high = axis.tickCount(), axis.min(), axis.max()
    return [
        axis.labelFormat() % (low + (high - low) * index / (count - 1)) for index in range(count)
    ]


def test_empty_charts_have_distinct_axis_labels(qtbot):
    for chart in (LatencyHistogram(), ThroughputChart()):
        qtbot.addWidget(chart)
        labels = axis_labels(chart, chart.axis_y)
        assert len(labels) == 5 and len(set(labels)) == 5, labels
        labels = axis_labels(chart, chart.axis_x)
        assert len(set(labels)) == len(labels) >= 3, labels


def test_small_counts_are_labelled_with_whole_distinct_numbers(qtbot):
    chart = LatencyHistogram()
    qtbot.addWidget(chart)
    chart.set_latencies([3.0, 3.1, 3.2])  # one bin of 2, one of 1
    labels = axis_labels(chart, chart.axis_y)
    assert len(set(labels)) == len(labels) and all(label.isdigit() for label in labels), labels


def test_latencies_past_ten_seconds_are_shown_in_seconds(qtbot):
    chart = LatencyHistogram()
    qtbot.addWidget(chart)
    chart.set_latencies([9_000.0, 12_000.0, 31_000.0])
    assert chart.axis_x.titleText() == "s per request"
    assert chart.axis_x.max() < 100  # 31 s, not 31,000
    tiles = StatTiles()
    qtbot.addWidget(tiles)
    tiles.show_stats({"p50_ms": 12_345.0, "p95_ms": 850.0, "p99_ms": 31_000.0, "completed": 3})
    assert tiles.text("p50") == "12.3 s" and tiles.text("p95") == "850 ms"
    assert tiles.text("p99") == "31.0 s"


def test_latencies_of_seconds_have_short_axis_labels(qtbot):
    """A slow model (MobileNetV2 on two workers: 2-8 s) in the narrow dock: the labels read
    "2.0 … 8.0" seconds, not "2000 … 8000" ms elided to "2…"."""
    chart = LatencyHistogram()
    qtbot.addWidget(chart)
    chart.set_latencies([2_100.0, 4_800.0, 7_725.0])
    assert chart.axis_x.titleText() == "s per request"
    labels = axis_labels(chart, chart.axis_x)
    assert all(len(label) <= 4 for label in labels), labels
    assert len(set(labels)) == len(labels), labels


def test_a_short_run_draws_a_line_across_its_duration(qtbot):
    recorder = StatsRecorder(["w0"])
    recorder.on_submit(50.0)
    for step in range(1, 41):  # 160 requests in 0.2 s: less than one 0.25 s bucket
        recorder.on_batch("w0", [50.0] * 4, done=50.0 + step * 0.005, ok=True)
    stats = recorder.snapshot(submitted=160, queued=0)
    chart = ThroughputChart()
    qtbot.addWidget(chart)
    chart.set_series(stats.throughput_series, stats.bucket_s, stats.elapsed_s)
    xs = [point.x() for point in chart.line.points()]
    assert len(chart.line.points()) >= 10
    assert min(xs) == 0.0 and max(xs) >= 0.9 * stats.elapsed_s  # spans the run


def test_a_single_bucket_is_a_step_not_a_dot(qtbot):
    chart = ThroughputChart()
    qtbot.addWidget(chart)
    chart.set_series([(0.0, 800.0)], 0.25, 0.2)
    points = chart.line.points()
    assert len(points) == 2 and points[0].y() == points[1].y() == 800.0
    assert points[1].x() - points[0].x() >= 0.2


def test_charts_stack_in_a_narrow_dock_and_sit_side_by_side_in_a_wide_one(qtbot):
    from PySide6.QtCore import Qt

    from lockpickle_gui.gui.preview_charts import ChartPair, LatencyHistogram, ThroughputChart

    pair = ChartPair(LatencyHistogram(), ThroughputChart())
    qtbot.addWidget(pair)
    pair.resize(300, 400)  # a 1024x700 window's dock: ~150 px each would draw labels as "…"
    pair.show()
    qtbot.waitUntil(lambda: pair.orientation() == Qt.Orientation.Vertical)
    assert all(pair.widget(i).width() >= 280 for i in range(2))
    pair.resize(900, 400)
    qtbot.waitUntil(lambda: pair.orientation() == Qt.Orientation.Horizontal)
