"""Run core functions off the UI thread (the superqt ``_qthreading`` pattern).

A :class:`Worker` is a ``QRunnable`` paired with a separate :class:`WorkerSignals`
``QObject``: the runnable lives on a pool thread, the signals object lives on the UI thread,
so results arrive through queued signal connections and widgets are only touched there.

Cancel is cooperative: the function receives ``progress(fraction, message)``; once
:meth:`Worker.cancel` has been called, the next ``progress`` call raises
:class:`~lockpickle_gui.core.errors.Cancelled`, which the worker reports as ``cancelled``.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from lockpickle_gui.core.errors import Cancelled

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)  # the function's return value
    failed = Signal(object, str)  # (exception, formatted traceback)
    cancelled = Signal()
    done = Signal()  # always last, whatever happened


class Worker(QRunnable):
    """Calls ``fn(*args, progress=<callback>, **kwargs)`` on a pool thread.

    Pass ``with_progress=False`` for functions that take no ``progress`` argument.
    """

    def __init__(self, fn: Callable[..., Any], *args, with_progress: bool = True, **kwargs):
        super().__init__()
        self.setAutoDelete(False)  # the Python side keeps it alive until `done`
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.with_progress = with_progress
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._on_exit: Callable[[Worker], None] | None = None

    # -- called from the UI thread
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the function has returned (for shutdown and tests)."""
        return self._finished.wait(timeout)

    # -- called on the pool thread
    def report(self, fraction: float, message: str = "") -> None:
        if self._cancel.is_set():
            raise Cancelled()
        self.signals.progress.emit(float(fraction), str(message))

    def run(self) -> None:
        try:
            if self._cancel.is_set():
                raise Cancelled()
            kwargs = dict(self.kwargs)
            if self.with_progress:
                kwargs["progress"] = self.report
            result = self.fn(*self.args, **kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as error:  # noqa: BLE001 - reported to the UI, which shows a dialog
            details = traceback.format_exc()
            log.debug("worker %r failed:\n%s", getattr(self.fn, "__name__", self.fn), details)
            self.signals.failed.emit(error, details)
        else:
            self.signals.finished.emit(result)
        finally:
            self._finished.set()
            self.signals.done.emit()
            if self._on_exit is not None:
                self._on_exit(self)


class WorkerRunner(QObject):
    """Starts workers on a private ``QThreadPool`` and keeps them alive until they finish.

    Create the :class:`Worker`, connect its signals, *then* :meth:`start` it: a worker that
    fails fast could otherwise emit before anyone listens.
    """

    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        # Keeps the Python side of each worker alive while it runs; touched from pool threads.
        self._running: set[Worker] = set()
        self._running_lock = threading.Lock()

    def start(self, worker: Worker) -> Worker:
        with self._running_lock:
            self._running.add(worker)
        worker._on_exit = self._forget
        self.pool.start(worker)
        return worker

    def _forget(self, worker: Worker) -> None:
        with self._running_lock:
            self._running.discard(worker)

    @property
    def busy(self) -> bool:
        with self._running_lock:
            return bool(self._running)

    def cancel_all(self) -> None:
        with self._running_lock:
            running = list(self._running)
        for worker in running:
            worker.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait for the pool threads (window close, test teardown)."""
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)
