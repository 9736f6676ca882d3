"""InferencePool: concurrent requests, dynamic batching, futures, cancel and statistics.

How it works (TF Serving's batching, in one process):

* ``submit(sample)`` validates the sample against the model's inputs in the caller's thread
  (a bad sample raises :class:`PreviewError` at once and never reaches a batch), then puts
  a request on a bounded queue and returns a :class:`concurrent.futures.Future`.
* Back-pressure: when ``max_queue`` requests are waiting, ``submit`` BLOCKS until a worker
  takes some (like ``queue.Queue.put``); with ``block=False``, or when ``timeout`` seconds
  pass first, it raises :class:`queue.Full` instead (TF Serving's turn-away).
* ``workers`` threads take turns as the batcher: the one holding the collector role waits
  until ``max_batch`` requests are queued or the oldest has waited ``max_delay_ms``, takes up
  to ``max_batch`` of them, gives the role up and runs the batch while the next worker
  collects. A busy pool therefore batches more, an idle one answers after ``max_delay_ms``.
* Every batch runs through ONE concrete TensorFlow function, traced and run once on zeros in
  ``__init__`` with a batch axis of unknown size: no retrace per batch size and no race
  between concurrent first calls. Samples whose variable axes differ are batched apart.
* ``backend`` says where that function runs (``runners.py``): ``"threads"`` in this process,
  ``"processes"`` in one spawned process per worker, ``"ray"`` in one Ray actor per worker
  (``ray_address``: a cluster to use; default a running session or a new local one). The
  remote ones receive the model once, as a portable snapshot; the batching stays here, so
  the API, the statistics (per process/actor), cancel and close are the same.
* A request cancelled before its batch starts is never run
  (``Future.set_running_or_notify_cancel``). An exception inside the model fails the futures
  of that batch only (as :class:`PreviewError`, the model's exception as ``__cause__``); the
  pool keeps serving.
* ``close(wait=True)`` runs what is queued, ``close(wait=False)`` and ``cancel_pending()``
  cancel it; either way every future ends resolved and ``close`` returns only after the
  worker threads have ended. ``close`` is idempotent; the pool is a context manager.
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import Cancelled, PreviewError
from lockpickle_gui.core.modelio.signature import signature_of, unflatten
from lockpickle_gui.core.preview.runners import make_runner
from lockpickle_gui.core.preview.stats import PoolStats, StatsRecorder
from lockpickle_gui.core.text import counted

_live_pools: weakref.WeakSet[InferencePool] = weakref.WeakSet()
# Sanity bounds, checked before any thread starts: far above what helps (workers = cores),
# below what makes the OS refuse threads or a batch wait forever (inf overflows the wait).
MAX_WORKERS = 256
MAX_DELAY_MS = 60_000.0


class _Request:
    """One sample waiting for a batch: its checked inputs, its future, when it came, and the
    shape key that keeps samples of different variable-axis sizes apart (None: one shape)."""

    __slots__ = ("leaves", "future", "submitted", "key")

    def __init__(
        self,
        leaves: tuple[np.ndarray, ...],
        future: Future[Any],
        submitted: float,
        key: tuple[tuple[int, ...], ...] | None,
    ):
        self.leaves, self.future, self.submitted, self.key = leaves, future, submitted, key


class InferencePool:
    """Serve one model to many threads, batching their requests. See the module docstring.

    ``input_signature`` (keyword only) is needed only for a subclassed model whose inputs
    Keras cannot tell: a ``tf.TensorSpec`` (or list/dict of them) with the batch axis.
    """

    def __init__(
        self,
        model: Any,
        workers: int = 2,
        max_batch: int = 32,
        max_delay_ms: float = 2.0,
        max_queue: int = 1024,
        *,
        input_signature: Any = None,
        name: str = "lockpickle-preview",
        backend: str = "threads",
        ray_address: str | None = None,
        on_start_wait: Callable[[], None] | None = None,
    ):
        for label, value, low in (
            ("workers", workers, 1),
            ("max_batch", max_batch, 1),
            ("max_queue", max_queue, 1),
        ):
            if not isinstance(value, int) or value < low:
                raise PreviewError(
                    f"Expected {label} to be an integer >= {low}. Received {value!r}."
                )
        if workers > MAX_WORKERS:
            raise PreviewError(
                f"Expected at most {MAX_WORKERS} workers. Received {workers}.",
                hint="About one worker per CPU core serves best.",
            )
        if not 0 <= max_delay_ms <= MAX_DELAY_MS:  # also refuses NaN and infinity
            raise PreviewError(
                f"Expected max_delay_ms between 0 and {MAX_DELAY_MS:g}. Received {max_delay_ms!r}.",
                hint="A few ms is typical (TF Serving: 0-10).",
            )
        self.model = model
        self.workers, self.max_batch, self.max_queue = workers, max_batch, max_queue
        self.max_delay_ms = float(max_delay_ms)
        self._max_delay = self.max_delay_ms / 1000.0
        self.signature = signature_of(model, input_signature)
        self.backend = backend
        # remote workers take seconds to start (they import TensorFlow): ``on_start_wait`` is
        # called about every 50 ms meanwhile; raising Cancelled from it stops the start
        self._runner = make_runner(
            backend,
            model,
            self.signature,
            workers,
            name,
            input_signature,
            ray_address,
            on_start_wait,
        )

        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)  # the collector waits here
        self._not_full = threading.Condition(self._lock)  # blocked submitters wait here
        self._collector = threading.Lock()  # held by the worker currently forming a batch
        self._queue: deque[_Request] = deque()
        self._submitted = 0
        self._closing = False
        names = self._runner.names
        self._stats = StatsRecorder(names)
        self._threads = [
            threading.Thread(
                target=self._work, args=(slot, n), name=f"{name}-worker-{slot}", daemon=True
            )
            for slot, n in enumerate(names)
        ]
        for thread in self._threads:
            thread.start()
        _live_pools.add(self)

    # ------------------------------------------------------------------ public API
    def submit(
        self, sample: Any, *, block: bool = True, timeout: float | None = None
    ) -> Future[Any]:
        """Queue one sample (no batch axis); the future yields its output (no batch axis).

        Blocks while the queue is full; ``block=False`` or an expired ``timeout`` raises
        ``queue.Full``. Raises PreviewError for a sample of the wrong shape/dtype and after
        ``close()``.
        """
        try:
            leaves = self.signature.prepare(sample)
        except PreviewError:
            self._stats.on_rejected()
            raise
        key = self.signature.shape_key(leaves) if self.signature.variable_shape else None
        request = _Request(leaves, Future(), time.monotonic(), key)
        with self._lock:
            self._raise_if_closing()
            if len(self._queue) >= self.max_queue:
                self._wait_for_room(block, timeout)
            self._queue.append(request)
            self._submitted += 1
            self._stats.on_submit(request.submitted)
            # Wake the collector only when it has something to decide: the first request
            # (it waits for one) or a full batch (it waits for companions until a deadline).
            if len(self._queue) == 1 or len(self._queue) >= self.max_batch:
                self._not_empty.notify()
        return request.future

    def _wait_for_room(self, block: bool, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self._queue) >= self.max_queue and not self._closing:
            remaining = None if deadline is None else deadline - time.monotonic()
            if not block or (remaining is not None and remaining <= 0):
                self._stats.on_rejected()
                raise queue.Full(
                    f"The inference pool's queue is full ({counted(self.max_queue, 'request')} "
                    "waiting). "
                    "Retry later, or raise max_queue."
                )
            self._not_full.wait(remaining)
        self._raise_if_closing()

    def _raise_if_closing(self) -> None:
        if self._closing:
            raise PreviewError(
                "Expected an open inference pool. Received a request after close().",
                hint="Create a new InferencePool.",
            )

    def map(
        self, samples: Iterable[Any], progress: Callable[[float, str], None] | None = None
    ) -> list[Any]:
        """Outputs of ``samples`` in order. ``progress(fraction, message)`` after each one;
        raising :class:`Cancelled` from it (or any error) cancels this call's remaining requests."""
        samples = list(samples)
        futures: list[Future[Any]] = []
        try:
            for index, sample in enumerate(samples):
                try:
                    futures.append(self.submit(sample))
                except PreviewError as error:
                    raise PreviewError(f"Sample {index} of {len(samples)}: {error}") from error
            results = []
            for index, future in enumerate(futures):
                results.append(future.result())
                if progress is not None:
                    progress((index + 1) / len(futures), f"{index + 1}/{len(futures)} samples")
            return results
        except BaseException:
            for future in futures:
                future.cancel()  # queued ones are discarded, never run; finished ones stay
            raise

    def stats(self) -> PoolStats:
        with self._lock:
            submitted, queued = self._submitted, len(self._queue)
        return self._stats.snapshot(submitted, queued)

    def cancel_pending(self) -> int:
        """Cancel every request still waiting in the queue; returns how many."""
        with self._lock:
            pending = self._drain_locked()
        return self._cancel(pending)

    def _drain_locked(self) -> list[_Request]:
        pending = list(self._queue)
        self._queue.clear()
        self._not_full.notify_all()
        self._not_empty.notify_all()
        return pending

    def _cancel(self, pending: list[_Request]) -> int:
        cancelled = sum(1 for request in pending if request.future.cancel())
        self._stats.on_cancelled(cancelled)
        return cancelled

    def close(self, wait: bool = True) -> None:
        """Stop accepting requests; ``wait=True`` runs the queued ones first, ``wait=False``
        cancels them. Returns once the worker threads have ended (after the batches already
        running). Idempotent."""
        with self._lock:
            self._closing = True
            self._not_empty.notify_all()
            self._not_full.notify_all()
            pending = [] if wait else self._drain_locked()  # same lock: no worker takes them first
        self._cancel(pending)
        if not wait:
            self._runner.abort()  # remote batches end now (their futures: Cancelled)
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join()
        if current not in self._threads:
            self._runner.close()
        _live_pools.discard(self)

    @property
    def closed(self) -> bool:
        return self._closing

    def __enter__(self) -> InferencePool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.close(wait=exc_type is None)  # on an error nobody will read the queued results

    def __repr__(self) -> str:
        state = "closed" if self._closing else "open"
        return (
            f"<InferencePool {state} backend={self.backend} workers={self.workers} max_batch={self.max_batch} "
            f"max_delay_ms={self.max_delay_ms} max_queue={self.max_queue}>"
        )

    # ------------------------------------------------------------------ workers
    def _collect(self) -> list[_Request] | None:
        """Wait for a batch (see the module docstring); None when closing and drained."""
        with self._lock:
            while True:
                while not self._queue:
                    if self._closing:
                        return None
                    self._not_empty.wait()
                if self._max_delay > 0 and not self._closing and len(self._queue) < self.max_batch:
                    deadline = self._queue[0].submitted + self._max_delay
                    while self._queue and len(self._queue) < self.max_batch and not self._closing:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._not_empty.wait(remaining)
                    if not self._queue:  # cancel_pending() emptied it meanwhile
                        continue
                take = min(self.max_batch, len(self._queue))
                batch = [self._queue.popleft() for _ in range(take)]
                self._not_full.notify(take)
                return batch

    def _work(self, slot: int, name: str) -> None:
        while True:
            with self._collector:
                batch = self._collect()
            if batch is None:
                return
            live = [r for r in batch if r.future.set_running_or_notify_cancel()]
            self._stats.on_cancelled(len(batch) - len(live))
            if not live:
                continue
            if self.signature.variable_shape:
                groups: dict[tuple[tuple[int, ...], ...] | None, list[_Request]] = {}
                for request in live:
                    groups.setdefault(request.key, []).append(request)
                for group in groups.values():
                    self._run(group, slot, name)
            else:
                self._run(live, slot, name)

    def _run(self, batch: list[_Request], slot: int, worker: str) -> None:
        """Run one batch and resolve its futures, whatever happens."""
        count = len(batch)
        try:
            if count == 1:
                inputs = [leaf[None] for leaf in batch[0].leaves]
            else:
                inputs = [np.stack(column) for column in zip(*(r.leaves for r in batch))]
            arrays, treedef = self._runner.run(slot, inputs)
            for array in arrays:
                if array.ndim == 0 or array.shape[0] != count:
                    raise PreviewError(
                        f"Expected every model output to have the batch axis first ({count} rows). "
                        f"Received an output of shape {array.shape}.",
                        hint="The preview serves models whose outputs are one row per sample.",
                    )
            if treedef is None:
                results = list(arrays[0])
            else:
                results = [unflatten(treedef, [a[i] for a in arrays]) for i in range(count)]
        except BaseException as error:
            done = time.monotonic()
            self._stats.on_batch(worker, [r.submitted for r in batch], done, ok=False)
            for request in batch:
                request.future.set_exception(_batch_error(error, count))
            if not isinstance(error, Exception):
                raise
            return
        done = time.monotonic()
        self._stats.on_batch(worker, [r.submitted for r in batch], done, ok=True)
        for request, result in zip(batch, results):
            request.future.set_result(result)


def _batch_error(error: BaseException, count: int) -> BaseException:
    """A fresh error per future (one exception object raised in many threads would share and
    grow one traceback)."""
    if isinstance(error, (PreviewError, Cancelled)):
        fresh = type(error)(str(error))
    else:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        fresh = PreviewError(
            f"The model raised {type(error).__name__} while running a batch of {count} "
            f"request(s): {first_line}",
            hint="The other requests were not affected; the exception is chained as __cause__.",
        )
    fresh.__cause__ = error
    return fresh


@atexit.register
def _close_live_pools() -> None:
    """Stop forgotten pools before the interpreter (and TensorFlow) tears down."""
    for pool in list(_live_pools):
        pool.close(wait=False)
