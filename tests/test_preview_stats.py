"""The pool's figures: batch sizes, counts that add up, latency percentiles, a throughput series
with honest buckets, all JSON-ready."""

from __future__ import annotations

import json

import numpy as np

from lockpickle_gui.core.preview import InferencePool
from lockpickle_gui.core.preview.stats import StatsRecorder


def test_max_batch_one_serves_requests_one_by_one(tiny_model):
    samples = list(np.random.default_rng(4).standard_normal((25, 4)).astype("float32"))
    with InferencePool(tiny_model, workers=2, max_batch=1) as pool:
        pool.map(samples)
        stats = pool.stats()
    assert stats.batch_sizes == {1: 25} and stats.mean_batch == 1.0


def test_stats_are_consistent_and_json_ready(tiny_model):
    samples = list(np.random.default_rng(5).standard_normal((64, 4)).astype("float32"))
    with InferencePool(tiny_model, workers=2, max_batch=16, max_delay_ms=1.0) as pool:
        pool.map(samples)
        stats = pool.stats()
    assert (stats.submitted, stats.completed, stats.queued, stats.resolved) == (64, 64, 0, 64)
    assert len(stats.latencies_ms) == 64 and all(v >= 0 for v in stats.latencies_ms)
    assert 0 <= stats.p50_ms <= stats.p95_ms <= stats.p99_ms
    assert stats.throughput_rps > 0 and stats.throughput_series
    assert sum(size * n for size, n in stats.batch_sizes.items()) == 64
    data = json.loads(json.dumps(stats.to_dict()))
    assert data["completed"] == 64 and "latencies_ms" not in stats.to_dict(raw=False)


def test_throughput_series_counts_the_last_bucket_over_its_elapsed_part():
    recorder = StatsRecorder(["w0"], bucket_s=1.0, min_buckets=1)  # no finer buckets
    recorder.on_submit(100.0)
    recorder.on_batch("w0", [100.0] * 10, done=100.5, ok=True)  # bucket 0: 10 requests
    recorder.on_batch("w0", [100.0] * 5, done=101.5, ok=True)  # bucket 1, half elapsed: 5
    series = recorder.snapshot(submitted=15, queued=0).throughput_series
    assert series == [(0.0, 10.0), (1.0, 10.0)]  # 5 requests in 0.5 s is 10/s, not 5/s

    recorder.on_batch("w0", [100.0], done=102.1, ok=True)  # a 0.1 s sliver of bucket 2
    series = recorder.snapshot(submitted=16, queued=0).throughput_series
    assert series == [(0.0, 10.0), (1.0, 5.0)]  # bucket 1 is whole now; the sliver waits


def test_a_short_run_gets_finer_buckets_than_one_dot():
    recorder = StatsRecorder(["w0"], bucket_s=0.25, min_buckets=12)
    recorder.on_submit(10.0)
    for step in range(1, 25):  # 24 batches of 4 over 0.12 s: half a coarse bucket
        recorder.on_batch("w0", [10.0] * 4, done=10.0 + step * 0.005, ok=True)
    stats = recorder.snapshot(submitted=96, queued=0)
    assert stats.bucket_s < 0.25 and len(stats.throughput_series) >= 10
    assert all(rps > 0 for _, rps in stats.throughput_series)
