"""Statistics of an inference pool: counters, latency percentiles, batch sizes, throughput.

The pool's workers report once per batch (not once per request) to a :class:`StatsRecorder`;
:meth:`StatsRecorder.snapshot` turns that into an immutable :class:`PoolStats` for the CLI,
the GUI's charts and the tests. Memory stays bounded: the raw latencies kept are the most
recent ``max_latencies`` and the throughput series keeps the most recent ``max_buckets``.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

MAX_LATENCIES = 20_000
BUCKET_SECONDS = 0.25
MAX_BUCKETS = 2_400  # ten minutes of 0.25 s buckets
MIN_BUCKETS = 12  # a run shorter than this many buckets gets finer ones (not a single dot)
MAX_EVENTS = 20_000  # batch completions kept for those finer buckets


@dataclass(frozen=True)
class PoolStats:
    """One look at a pool. Times in milliseconds; throughput in requests per second.

    ``throughput_rps`` is completed requests over the time from the first submission to the
    last completion. Percentiles cover the most recent ``len(latencies_ms)`` requests.
    ``throughput_series`` is ``[(seconds since the first submission, requests/s), ...]`` in
    ``bucket_s`` buckets (finer for a run shorter than ``MIN_BUCKETS`` buckets, so a
    0.2-second run still draws a line); ``rejected`` counts samples refused by ``submit`` (bad shape or
    dtype, or a full queue with ``block=False``/timeout).
    """

    submitted: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    rejected: int = 0
    queued: int = 0
    elapsed_s: float = 0.0
    throughput_rps: float = 0.0
    mean_ms: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    batches: int = 0
    mean_batch: float = 0.0
    batch_sizes: dict[int, int] = field(default_factory=dict)
    per_worker: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    throughput_series: list[tuple[float, float]] = field(default_factory=list)
    bucket_s: float = BUCKET_SECONDS

    @property
    def resolved(self) -> int:
        """Requests that ended one way or another (result, exception, cancelled)."""
        return self.completed + self.failed + self.cancelled

    def to_dict(self, raw: bool = True) -> dict[str, Any]:
        """JSON-ready; ``raw=False`` leaves out the per-request latencies and the series."""
        data = asdict(self)
        data["batch_sizes"] = {str(size): count for size, count in self.batch_sizes.items()}
        data["throughput_series"] = [list(point) for point in self.throughput_series]
        if not raw:
            del data["latencies_ms"], data["throughput_series"]
        return data


class StatsRecorder:
    """Thread-safe accumulator the pool's workers and ``submit`` report to."""

    def __init__(
        self,
        worker_names: Iterable[str],
        max_latencies: int = MAX_LATENCIES,
        bucket_s: float = BUCKET_SECONDS,
        max_buckets: int = MAX_BUCKETS,
        min_buckets: int = MIN_BUCKETS,
    ):
        self._lock = threading.Lock()
        self._bucket_s = bucket_s
        self._first_submit: float | None = None
        self._last_done: float | None = None
        self._completed = self._failed = self._cancelled = self._rejected = 0
        self._batch_sizes: Counter[int] = Counter()
        self._per_worker = dict.fromkeys(worker_names, 0)
        self._latencies: deque[float] = deque(maxlen=max_latencies)
        self._buckets: deque[list[int]] = deque(maxlen=max_buckets)  # [bucket index, completions]
        self._min_buckets = min_buckets
        self._events: deque[tuple[float, int]] = deque(maxlen=MAX_EVENTS)  # (done, completions)

    def on_submit(self, now: float) -> None:
        """Called under the pool's queue lock: no race on the first submission time."""
        if self._first_submit is None:
            self._first_submit = now

    def on_rejected(self) -> None:
        with self._lock:
            self._rejected += 1

    def on_cancelled(self, count: int) -> None:
        if count:
            with self._lock:
                self._cancelled += count

    def on_batch(self, worker: str, submitted_at: list[float], done: float, ok: bool) -> None:
        """One batch finished at ``done``: its requests' submission times and the outcome."""
        count = len(submitted_at)
        with self._lock:
            self._batch_sizes[count] += 1
            self._per_worker[worker] = self._per_worker.get(worker, 0) + count
            self._last_done = done
            if not ok:
                self._failed += count
                return
            self._completed += count
            self._latencies.extend((done - t) * 1000.0 for t in submitted_at)
            if self._first_submit is not None:
                self._events.append((done - self._first_submit, count))
                index = int((done - self._first_submit) / self._bucket_s)
                if self._buckets and self._buckets[-1][0] == index:
                    self._buckets[-1][1] += count
                else:
                    self._buckets.append([index, count])

    def snapshot(self, submitted: int, queued: int) -> PoolStats:
        with self._lock:
            latencies = list(self._latencies)
            buckets = [(index, count) for index, count in self._buckets]
            first, last = self._first_submit, self._last_done
            completed, failed = self._completed, self._failed
            cancelled, rejected = self._cancelled, self._rejected
            sizes = dict(sorted(self._batch_sizes.items()))
            per_worker = dict(self._per_worker)
            events = list(self._events) if len(self._events) < MAX_EVENTS else None
        elapsed = (last - first) if first is not None and last is not None and last > first else 0.0
        bucket_s = self._bucket_s
        if events and elapsed < bucket_s * self._min_buckets:  # a short run: finer buckets
            bucket_s = max(elapsed / self._min_buckets, 1e-3)
            fine: dict[int, int] = {}
            for offset, count in events:
                index = int(offset / bucket_s)
                fine[index] = fine.get(index, 0) + count
            buckets = sorted(fine.items())
        if latencies:
            values = np.asarray(latencies)
            p50, p95, p99 = (float(v) for v in np.percentile(values, [50, 95, 99]))
            mean = float(values.mean())
        else:
            p50 = p95 = p99 = mean = 0.0
        batches = sum(sizes.values())
        return PoolStats(
            submitted=submitted,
            completed=completed,
            failed=failed,
            cancelled=cancelled,
            rejected=rejected,
            queued=queued,
            elapsed_s=elapsed,
            throughput_rps=completed / elapsed if elapsed else 0.0,
            mean_ms=mean,
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            batches=batches,
            mean_batch=(sum(s * n for s, n in sizes.items()) / batches) if batches else 0.0,
            batch_sizes=sizes,
            per_worker=per_worker,
            latencies_ms=latencies,
            throughput_series=_series(buckets, bucket_s, elapsed),
            bucket_s=bucket_s,
        )


def _series(
    buckets: list[tuple[int, int]], bucket_s: float, elapsed: float
) -> list[tuple[float, float]]:
    """Sparse buckets -> a dense series with zeros where nothing completed.

    The last bucket is still filling (or the run ended inside it): its rate is counted over
    the part of it that has elapsed, not the whole bucket, so a chart does not show a fake
    drop at the end. A sliver under a quarter of a bucket is too noisy to show and is left out.
    """
    if not buckets:
        return []
    counts = dict(buckets)
    start, end = buckets[0][0], buckets[-1][0]
    series = [(round(i * bucket_s, 6), counts.get(i, 0) / bucket_s) for i in range(start, end)]
    last_span = min(bucket_s, elapsed - end * bucket_s)
    if last_span >= bucket_s / 4 or not series:
        series.append((round(end * bucket_s, 6), counts.get(end, 0) / max(last_span, bucket_s / 4)))
    return series
