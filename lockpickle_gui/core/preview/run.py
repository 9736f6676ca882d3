"""The thread-safety verdict and the load run that the CLI and the GUI panel call.

:func:`check_thread_safety` runs the samples once sequentially (the model called on one
sample at a time, eagerly) and once through an :class:`InferencePool` from several client
threads, then compares: ``identical`` (bit for bit), ``within tolerance`` (batching changes
float rounding by about 1e-6: expected, not a thread-safety problem) or ``mismatch`` (with the
worst sample). It also lists the layers that keep a Lock/RLock/Condition (found by
``core.inspect``): if their ``call()`` takes it, the pool's workers run one at a time.

:func:`run_preview` serves ``requests`` requests (one sample each, cycling through the
samples) from ``clients`` threads. Each client submits its share without waiting for answers
(open loop, bounded by the pool's back-pressure) unless ``in_flight`` caps its outstanding
requests (``in_flight=1``: a closed loop, which caps batches at ``clients``). The verdict
compares the first ``check_samples`` requests with a sequential pass.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import Cancelled, PreviewError
from lockpickle_gui.core.inspect import inspect
from lockpickle_gui.core.modelio.inputs import as_samples, summarize_output
from lockpickle_gui.core.modelio.signature import ModelSignature, flatten, model_call, output_names
from lockpickle_gui.core.modelio.verdict import Verdict, compare_outputs
from lockpickle_gui.core.preview.pool import InferencePool
from lockpickle_gui.core.preview.stats import PoolStats
from lockpickle_gui.core.tf_runtime import import_tensorflow

DEFAULT_TOLERANCE = 1e-5
MAX_CLIENTS = 1024
LOCK_KINDS = ("Lock", "RLock", "Condition")
ROUNDING_NOTE = (
    "Batching changes float rounding by about 1e-6; that is expected, not a thread-safety problem."
)


@dataclass
class ThreadSafetyReport:
    verdict: Verdict
    max_abs_diff: float
    worst_index: int | None  # the sample with the largest difference
    worst_output: str | None  # which output of it
    tolerance: float
    samples: int
    lock_layers: list[str] = field(default_factory=list)  # layer paths ("root.layers[2]")
    locks: list[dict] = field(default_factory=list)  # {"layer","path","kind","state"}
    message: str = ""

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict.value,
            "max_abs_diff": self.max_abs_diff,
            "worst_index": self.worst_index,
            "worst_output": self.worst_output,
            "tolerance": self.tolerance,
            "samples": self.samples,
            "lock_layers": list(self.lock_layers),
            "locks": [dict(x) for x in self.locks],
            "message": self.message,
        }


@dataclass
class PreviewResult:
    """What :func:`run_preview` returns. ``outputs`` holds the raw outputs (no batch axis) of
    the first requests (one per distinct sample); ``summaries`` describes them for people;
    ``to_dict()`` is JSON-ready and carries the summaries, not the arrays."""

    stats: PoolStats
    safety: ThreadSafetyReport
    outputs: list[Any]  # raw outputs of requests 0, 1, ... (up to keep_outputs)
    config: dict  # workers, max_batch, max_delay_ms, max_queue, clients, requests
    wall_s: float
    first_error: str | None = None  # the first checked request that failed, if any

    @property
    def verdict(self) -> Verdict:
        return self.safety.verdict

    @property
    def summaries(self) -> list[dict]:
        return [{"sample": i, "summary": summarize_output(o)} for i, o in enumerate(self.outputs)]

    def to_dict(self, raw: bool = False) -> dict:
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


# ------------------------------------------------------------------ sequential and pooled


def reference_outputs(
    model: Any, signature: ModelSignature, samples: list
) -> list[list[np.ndarray]]:
    """The model called on one sample at a time, eagerly: flat outputs per sample."""
    tf = import_tensorflow()
    call = model_call(model, signature)
    reference = []
    for sample in samples:
        leaves = [tf.convert_to_tensor(leaf[None]) for leaf in signature.prepare(sample)]
        flat, _ = flatten(call(*leaves))
        reference.append([np.asarray(leaf)[0] for leaf in flat])
    return reference


def pooled_pass(pool: InferencePool, samples: list, clients: int) -> list[Any]:
    """Every sample once, from ``clients`` threads started together; results in order."""
    results: list[Any] = [None] * len(samples)
    errors: list[BaseException] = []
    start = threading.Barrier(clients)

    def client(first: int) -> None:
        try:
            start.wait()
            mine = [(i, pool.submit(samples[i])) for i in range(first, len(samples), clients)]
            for i, future in mine:
                results[i] = future.result()
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread below
            errors.append(error)

    threads = [
        threading.Thread(target=client, args=(c,), name=f"lockpickle-check-client-{c}")
        for c in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def compare(
    reference: list[list[np.ndarray]],
    pooled: list[Any],
    names: list[str],
    tolerance: float = DEFAULT_TOLERANCE,
) -> tuple[Verdict, float, int | None, str | None]:
    """(verdict, max abs difference, worst sample index, worst output name)."""
    results = []
    for expected, result in zip(reference, pooled):
        got = None if isinstance(result, BaseException) else flatten(result)[0]
        results.append(compare_outputs(expected, got, rtol=tolerance))
    verdict = Verdict.worst(r.verdict for r in results) if results else Verdict.IDENTICAL
    worst_index = max(
        (i for i, r in enumerate(results) if r.max_abs_diff > 0.0),
        key=lambda i: results[i].max_abs_diff,
        default=None,
    )
    if worst_index is None:
        return verdict, 0.0, None, None
    worst = results[worst_index]
    position = worst.worst or 0
    name = names[position] if position < len(names) else f"output {position}"
    return verdict, worst.max_abs_diff, worst_index, name


def find_lock_layers(model: Any) -> list[dict]:
    """Layers (and the model) keeping a Lock/RLock/Condition, themselves or in plain
    attributes below them: ``[{"layer", "path", "kind", "state"}]`` in tree order."""
    found = []
    for node in inspect(model).walk():
        if node.role not in ("model", "layer") or node.shared_with is not None:
            continue
        stack = [node]
        while stack:
            current = stack.pop()
            found.extend(
                {"layer": node.path, "path": a.path, "kind": a.kind, "state": a.state}
                for a in current.annotations
                if a.kind in LOCK_KINDS
            )
            stack.extend(c for c in reversed(current.children) if c.role not in ("model", "layer"))
    return found


def _safety_report(
    verdict: Verdict,
    max_diff: float,
    worst_index: int | None,
    worst_output: str | None,
    tolerance: float,
    samples: int,
    locks: list[dict],
    setting: str,
) -> ThreadSafetyReport:
    verdict = Verdict(verdict)
    if verdict is Verdict.IDENTICAL:
        message = (
            f"Identical: the {samples} samples gave bit-identical outputs sequentially and "
            f"through the pool ({setting})."
        )
    elif verdict is Verdict.WITHIN_TOLERANCE:
        message = (
            f"Within tolerance: max abs difference {max_diff:.3g} (tolerance {tolerance:g}) "
            f"over {samples} samples ({setting}). {ROUNDING_NOTE}"
        )
    else:
        message = (
            f"Mismatch: sample {worst_index}, output '{worst_output}', differs by {max_diff:.3g} "
            f"(tolerance {tolerance:g}) between the sequential pass and the pool ({setting}). "
            "The model answers differently under concurrency: look for state shared between "
            "calls (counters, caches, random generators) in custom layers."
        )
    layers = list(dict.fromkeys(lock["layer"] for lock in locks))
    if layers:
        message += (
            f" {len(layers)} layer(s) keep a lock ({', '.join(layers)}): if call() takes it, "
            "the pool's workers run one at a time there."
        )
    return ThreadSafetyReport(
        verdict, max_diff, worst_index, worst_output, tolerance, samples, layers, locks, message
    )


def check_thread_safety(
    model: Any,
    samples: Any,
    workers: int = 2,
    clients: int = 4,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    **pool_kw,
) -> ThreadSafetyReport:
    """Sequential pass vs pooled pass from ``clients`` threads (see the module docstring).
    ``pool_kw``: max_batch, max_delay_ms, max_queue, input_signature."""
    if not isinstance(clients, int) or not 1 <= clients <= MAX_CLIENTS:
        raise PreviewError(
            f"Expected clients to be an integer from 1 to {MAX_CLIENTS}. Received {clients!r}."
        )
    with InferencePool(model, workers=workers, **pool_kw) as pool:
        samples = as_samples(samples, pool.signature)
        if not samples:
            raise PreviewError("Expected at least one sample to check. Received none.")
        reference = reference_outputs(model, pool.signature, samples)
        pooled = pooled_pass(pool, samples, max(1, min(clients, len(samples))))
        names = output_names(flatten(pooled[0])[1])
        setting = f"{workers} workers, {clients} client threads, max batch {pool.max_batch}"
    verdict, diff, index, output = compare(reference, pooled, names, tolerance)
    return _safety_report(
        verdict, diff, index, output, tolerance, len(samples), find_lock_layers(model), setting
    )


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
        on_start_wait=lambda: report(0.0, f"Starting {workers} {_unit(backend)}…"),
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
        reference = []
        for index in range(checked):
            report(0.02 + 0.08 * index / checked, f"Sequential pass: sample {index + 1}/{checked}")
            reference += reference_outputs(model, pool.signature, [samples[index]])
        kept = _load(pool, samples, requests, clients, in_flight, checked, report, on_stats)
        report(0.99, "Comparing outputs")
        results = []
        for future in kept:
            if future.cancelled():
                results.append(PreviewError("The request was cancelled."))
            else:
                error = future.exception()
                results.append(error if error is not None else future.result())
    finally:
        pool.close(wait=False)
    stats = pool.stats()
    good = next((r for r in results if not isinstance(r, BaseException)), None)
    names = output_names(flatten(good)[1]) if good is not None else []
    verdict, diff, index, output = compare(reference, results, names, tolerance)
    setting = f"{workers} {_unit(backend)}, {clients} client threads, max batch {max_batch}"
    safety = _safety_report(
        verdict, diff, index, output, tolerance, checked, find_lock_layers(model), setting
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


def _unit(backend: str) -> str:
    return {"processes": "worker processes", "ray": "Ray actors"}.get(backend, "workers")


def _load(
    pool: InferencePool,
    samples: list,
    requests: int,
    clients: int,
    in_flight: int | None,
    keep: int,
    report: _ProgressOrCancel,
    on_stats: Callable[[PoolStats], None] | None,
) -> list:
    """The client threads; returns the futures of the first ``keep`` requests."""
    stop, all_done = threading.Event(), threading.Event()
    counter_lock = threading.Lock()
    done = [0]
    errors: list[BaseException] = []
    kept: list[Any] = [None] * keep

    def on_done(_future) -> None:
        with counter_lock:
            done[0] += 1
            if done[0] == requests:
                all_done.set()

    def client(first: int) -> None:
        outstanding: deque = deque()
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
            report(0.1 + 0.89 * count / requests, f"{count}/{requests} requests, {rate:,.0f}/s")
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
