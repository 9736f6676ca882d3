"""Run core functions off the UI thread (the superqt ``_qthreading`` pattern).

A :class:`Worker` is a ``QRunnable`` paired with a separate :class:`WorkerSignals`
``QObject``: the runnable lives on a pool thread, the signals object lives on the UI thread,
so results arrive through queued signal connections and widgets are only touched there.

Cancel is cooperative: the function receives ``progress(fraction, message)``; once
:meth:`Worker.cancel` has been called, the next ``progress`` call raises
:class:`~lockpickle_gui.core.errors.Cancelled`, which the worker reports as ``aborted``.
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

CLOSE_WAIT_MS = 200  # how long closing the window waits for cancelled work to stop


class WorkerSignals(QObject):
    """superqt's names: ``returned`` carries the result, ``finished`` always comes last."""

    progress = Signal(float, str)
    returned = Signal(object)  # the function's return value
    errored = Signal(object, str)  # (exception, formatted traceback)
    aborted = Signal()  # cancelled: the function raised Cancelled
    finished = Signal()  # always last, whatever happened


class Worker(QRunnable):
    """Calls ``fn(*args, progress=<callback>, **kwargs)`` on a pool thread.

    Pass ``with_progress=False`` for functions that take no ``progress`` argument.
    """

    def __init__(self, fn: Callable[..., Any], *args, with_progress: bool = True, **kwargs):
        super().__init__()
        self.setAutoDelete(False)  # the Python side keeps it alive until `finished`
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
            self.signals.aborted.emit()
        except Exception as error:  # noqa: BLE001 - reported to the UI, which shows a dialog
            details = traceback.format_exc()
            log.debug("worker %r failed:\n%s", getattr(self.fn, "__name__", self.fn), details)
            self.signals.errored.emit(error, details)
        else:
            self.signals.returned.emit(result)
        finally:
            self._finished.set()
            self.signals.finished.emit()
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

    def shutdown(self, timeout_ms: int = CLOSE_WAIT_MS) -> bool:
        """Cancel everything and wait up to ``timeout_ms`` for it to stop; True if it did.

        Cancelled work stops at its next progress call (a preview within ~50 ms), but some
        work cannot be interrupted: TensorFlow importing, Keras loading a model or tracing
        it. Closing must not wait seconds for that, so what is still running then is left
        behind: its signals are blocked (nobody listens any more) and the thread pool is
        detached from its parent (a QThreadPool's destructor waits for its threads). The
        app's ``main`` ends the process without waiting for it (:func:`abandoned_work`).
        """
        self.cancel_all()
        if self.pool.waitForDone(timeout_ms):
            return True
        with self._running_lock:
            running = list(self._running)
        for worker in running:
            worker.signals.blockSignals(True)
        log.info("Leaving %d background task(s) to stop on their own", len(running))
        self.pool.setParent(None)
        _abandoned.append(self)
        return False

    @property
    def idle(self) -> bool:
        return self.pool.activeThreadCount() == 0 and not self.busy


def abandoned_work() -> bool:
    """Whether work left behind by :meth:`WorkerRunner.shutdown` is still running."""
    return any(not runner.idle for runner in _abandoned)


_abandoned: list[WorkerRunner] = []  # runners whose work outlived their window
