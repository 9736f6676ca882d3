"""The load run that the CLI and the GUI panel call, with its thread-safety verdict.

:func:`run_preview` serves ``requests`` requests (one sample each, cycling through the
samples) from ``clients`` threads. Each client submits its share without waiting for answers
(open loop, bounded by the pool's back-pressure) unless ``in_flight`` caps its outstanding
requests (``in_flight=1``: a closed loop, which caps batches at ``clients``). The verdict
compares the first ``check_samples`` requests with a sequential pass
(:mod:`.thread_safety`).

Cancel: set the ``cancel`` event, or raise :class:`~lockpickle_gui.core.errors.Cancelled` from
``progress(fraction, message)`` (called about every 50 ms). Either way queued requests are
cancelled, the client and worker threads end (after the batch already running, if any) and
``run_preview`` raises ``Cancelled``.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import Cancelled, PreviewError
from lockpickle_gui.core.modelio.inputs import Sample, as_samples, summarize_output
from lockpickle_gui.core.modelio.signature import flatten, output_names
from lockpickle_gui.core.modelio.verdict import Verdict
from lockpickle_gui.core.preview.pool import InferencePool
from lockpickle_gui.core.preview.stats import PoolStats
from lockpickle_gui.core.preview.thread_safety import (
    DEFAULT_TOLERANCE,
    MAX_CLIENTS,
    ThreadSafetyReport,
    compare,
    find_lock_layers,
    reference_outputs,
    safety_report,
)
from lockpickle_gui.core.text import backend_workers, counted


@dataclass
class PreviewResult:
    """What :func:`run_preview` returns. ``outputs`` holds the raw outputs (no batch axis) of
    the first requests (one per distinct sample); ``summaries`` describes them for people;
    ``to_dict()`` is JSON-ready and carries the summaries, not the arrays."""

    stats: PoolStats
    safety: ThreadSafetyReport
    outputs: list[Any]  # raw outputs of requests 0, 1, ... (up to keep_outputs)
    config: dict[
        str, Any
    ]  # backend, workers, max_batch, max_delay_ms, max_queue, clients, requests
    wall_s: float
    first_error: str | None = None  # the first checked request that failed, if any

    @property
    def verdict(self) -> Verdict:
        return self.safety.verdict

    @property
    def summaries(self) -> list[dict[str, Any]]:
        return [{"sample": i, "summary": summarize_output(o)} for i, o in enumerate(self.outputs)]

    def to_dict(self, raw: bool = False) -> dict[str, Any]:
        """The issue's keys (completed, failed, throughput_rps, p50/p95/p99_ms, mean_batch,
        verdict) first; ``raw=True`` adds the pool's full statistics (latencies, series)."""
        s = self.stats
        data = {
            "completed": s.completed,
            "failed": s.failed,
            "cancelled": s.cancelled,
            "throughput_rps": s.throughput_rps,
            "p50_ms": s.p50_ms,
            "p95_ms": s.p95_ms,
            "p99_ms": s.p99_ms,
            "mean_batch": s.mean_batch,
            "verdict": self.verdict.value,
            "max_abs_diff": self.safety.max_abs_diff,
            "lock_layers": list(self.safety.lock_layers),
            "message": self.safety.message,
            "batch_sizes": {str(k): v for k, v in s.batch_sizes.items()},
            "per_worker": dict(s.per_worker),
            "wall_s": self.wall_s,
            **self.config,
            "outputs": self.summaries,
            "first_error": self.first_error,
            "safety": self.safety.to_dict(),
        }
        if raw:
            data["stats"] = s.to_dict(raw=True)
        return data


# ------------------------------------------------------------------ the load run


class _ProgressOrCancel:
    """progress() + cancel event in one call; raises Cancelled when either asks to stop."""

    def __init__(
        self, progress: Callable[[float, str], None] | None, cancel: threading.Event | None
    ):
        self.progress, self.cancel = progress, cancel

    def __call__(self, fraction: float, message: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("Preview cancelled.")
        if self.progress is not None:
            self.progress(fraction, message)


def run_preview(
    model: Any,
    samples: Any,
    *,
    workers: int = 2,
    max_batch: int = 32,
    max_delay_ms: float = 2.0,
    clients: int = 4,
    requests: int = 256,
    max_queue: int = 1024,
    in_flight: int | None = None,
    check_samples: int = 16,
    tolerance: float = DEFAULT_TOLERANCE,
    keep_outputs: int = 10,
    progress: Callable[[float, str], None] | None = None,
    cancel: threading.Event | None = None,
    on_stats: Callable[[PoolStats], None] | None = None,
    input_signature: Any = None,
    backend: str = "threads",
    ray_address: str | None = None,
) -> PreviewResult:
    """Serve ``requests`` requests from ``clients`` threads; stats + verdict (module docstring).

    ``on_stats(PoolStats)`` (optional) is called about every 0.25 s during the run, from the
    calling thread, for live charts."""
    for label, value in (
        ("clients", clients),
        ("requests", requests),
        ("check_samples", check_samples),
    ):
        if not isinstance(value, int) or value < 1:
            raise PreviewError(f"Expected {label} to be an integer >= 1. Received {value!r}.")
    if clients > MAX_CLIENTS:  # each client is a thread; the OS refuses thousands
        raise PreviewError(f"Expected at most {MAX_CLIENTS} client threads. Received {clients}.")
    report = _ProgressOrCancel(progress, cancel)
    report(0.0, "Compiling the model" if backend == "threads" else f"Starting the {backend}")
    began = time.monotonic()
    pool = InferencePool(
        model,
        workers=workers,
        max_batch=max_batch,
        max_delay_ms=max_delay_ms,
        max_queue=max_queue,
        input_signature=input_signature,
        backend=backend,
        ray_address=ray_address,
        on_start_wait=lambda: report(0.0, f"Starting {backend_workers(workers, backend)}…"),
    )
    try:
        samples = as_samples(samples, pool.signature)
        if not samples:
            raise PreviewError("Expected at least one input sample. Received none.")
        for index, sample in enumerate(samples):  # fail before any thread starts
            try:
                pool.signature.prepare(sample)
            except PreviewError as error:
                raise PreviewError(f"Sample {index} of {len(samples)}: {error}") from error
        checked = min(check_samples, len(samples), requests)
        reference: list[list[np.ndarray]] = []
        for index in range(checked):
            report(0.02 + 0.08 * index / checked, f"Sequential pass: sample {index + 1}/{checked}")
            reference += reference_outputs(model, pool.signature, [samples[index]])
        kept = _load(pool, samples, requests, clients, in_flight, checked, report, on_stats)
        report(0.99, "Comparing outputs")
        results: list[Any] = []  # an output, or the exception its request ended with
        for future in kept:
            if future.cancelled():
                results.append(PreviewError("The request was cancelled."))
            else:
                failure = future.exception()
                results.append(failure if failure is not None else future.result())
    finally:
        pool.close(wait=False)
    stats = pool.stats()
    good = next((r for r in results if not isinstance(r, BaseException)), None)
    names = output_names(flatten(good)[1]) if good is not None else []
    verdict, diff, worst_index, worst_output = compare(reference, results, names, tolerance)
    setting = (
        f"{backend_workers(workers, backend)}, {counted(clients, 'client thread')}, "
        f"max batch {max_batch}"
    )
    safety = safety_report(
        verdict,
        diff,
        worst_index,
        worst_output,
        tolerance,
        checked,
        find_lock_layers(model),
        setting,
    )
    first_error = next((str(r) for r in results if isinstance(r, BaseException)), None)
    outputs = []  # requests 0, 1, ... up to the first failure: output i is sample i's
    for result in results[:keep_outputs]:
        if isinstance(result, BaseException):
            break
        outputs.append(result)
    config = {
        "backend": backend,
        "workers": workers,
        "max_batch": max_batch,
        "max_delay_ms": max_delay_ms,
        "max_queue": max_queue,
        "clients": clients,
        "requests": requests,
    }
    report(1.0, f"{stats.completed} requests at {stats.throughput_rps:,.0f}/s: {verdict}")
    return PreviewResult(stats, safety, outputs, config, time.monotonic() - began, first_error)


def _load(
    pool: InferencePool,
    samples: list[Sample],
    requests: int,
    clients: int,
    in_flight: int | None,
    keep: int,
    report: _ProgressOrCancel,
    on_stats: Callable[[PoolStats], None] | None,
) -> list[Future[Any]]:
    """The client threads; returns the futures of the first ``keep`` requests."""
    stop, all_done = threading.Event(), threading.Event()
    counter_lock = threading.Lock()
    done = [0]
    errors: list[BaseException] = []
    kept: list[Any] = [None] * keep

    def on_done(_future: Future[Any]) -> None:
        with counter_lock:
            done[0] += 1
            if done[0] == requests:
                all_done.set()

    def client(first: int) -> None:
        outstanding: deque[Future[Any]] = deque()
        try:
            for i in range(first, requests, clients):
                while in_flight and len(outstanding) >= in_flight:
                    if outstanding[0].done():
                        outstanding.popleft()
                    elif stop.is_set():
                        return
                    else:
                        concurrent.futures.wait([outstanding[0]], timeout=0.1)
                while True:
                    if stop.is_set():
                        return
                    try:
                        future = pool.submit(samples[i % len(samples)], timeout=0.1)
                        break
                    except queue.Full:
                        continue
                future.add_done_callback(on_done)
                if i < keep:
                    kept[i] = future
                if in_flight:
                    outstanding.append(future)
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            errors.append(error)
            stop.set()
            all_done.set()

    threads = [
        threading.Thread(target=client, args=(c,), name=f"lockpickle-preview-client-{c}")
        for c in range(clients)
    ]
    for thread in threads:
        thread.start()
    started = last_stats = time.monotonic()
    try:
        while not all_done.wait(0.05):
            count, now = done[0], time.monotonic()
            rate = count / max(now - started, 1e-9)
            report(
                0.1 + 0.89 * count / requests,
                f"{count:,} of {requests:,} requests answered · {rate:,.0f}/s",
            )
            if on_stats is not None and now - last_stats >= 0.25:
                last_stats = now
                on_stats(pool.stats())
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join()
        pool.close(wait=False)
        raise
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return kept
