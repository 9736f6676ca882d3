"""Open projects off the UI thread: TensorFlow first, then one worker per path.

The window is on screen before TensorFlow has been imported.
:meth:`ProjectLoader.start_tensorflow` imports it on a thread of its own (never a pool
thread: see there); paths asked for meanwhile wait in a queue and start as soon as it is
ready. Each :meth:`ProjectLoader.open` call is a *batch* (e.g. one drop of several files):
every path loads on its own worker, and when the last one is done :attr:`batchFinished`
reports all failures at once, so a drop of five broken files gives one dialog, not five.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.session import load
from lockpickle_gui.core.tf_runtime import import_keras
from lockpickle_gui.gui.dialogs import log_failure
from lockpickle_gui.gui.workers import Worker, WorkerRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    path: Path
    error: BaseException
    details: str  # formatted traceback


@dataclass(eq=False)
class _Batch:
    remaining: int
    failures: list[Failure] = field(default_factory=list)


class ProjectLoader(QObject):
    tensorflowReady = Signal(str)  # TensorFlow's version
    tensorflowFailed = Signal(object, str)  # (error, details)
    loaded = Signal(object, object)  # (core.session.OpenProject, the entry it replaces or None)
    batchFinished = Signal(list)  # [Failure] of one open() call; [] when everything opened
    progress = Signal(float, str)
    busyChanged = Signal(bool)
    _imported = Signal(object, object, float)  # (version, (error, details), started): queued

    def __init__(self, runner: WorkerRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.tensorflow_state = "not started"  # -> "loading" -> "ready" | "failed"
        self._tensorflow_error: tuple[BaseException, str] | None = None
        self._queued: list[tuple[list[Path], Any, list[Failure], dict]] = []
        self._active: dict[Worker, Path] = {}
        self._was_busy = False
        self._import_thread: threading.Thread | None = None
        self._imported.connect(self._import_done)  # emitted on the import thread: queued

    # ------------------------------------------------------------------ state

    @property
    def busy(self) -> bool:
        return bool(self._queued) or bool(self._active)

    @property
    def pending_paths(self) -> set[Path]:
        queued = {path for paths, *_ in self._queued for path in paths}
        return queued | set(self._active.values())

    def _update_busy(self) -> None:
        busy = self.busy
        if busy != self._was_busy:
            self._was_busy = busy
            self.busyChanged.emit(busy)

    # ------------------------------------------------------------------ TensorFlow

    def start_tensorflow(self) -> None:
        """Import TensorFlow on a Python thread of its own, never on the worker pool.

        pybind11 (TensorFlow's bindings) keeps the Python thread state of the thread that
        first loads it. PySide makes and deletes a pool thread's state around each job, so a
        later job on the import's pool thread ran with a new state while pybind11 held the
        deleted one, and the first function traced there (the preview compiling its model)
        waited for a GIL its own thread held: the app froze. A ``threading`` thread keeps
        one state for its life, and pybind11's record of it ends with the thread.
        """
        if self.tensorflow_state != "not started":
            return
        self.tensorflow_state = "loading"
        started = time.perf_counter()
        self._import_thread = threading.Thread(
            target=self._import_tensorflow_thread,
            args=(started,),
            name="lockpickle-import-tensorflow",
            daemon=True,  # an import cannot be interrupted; quitting never waits for it
        )
        self._import_thread.start()

    def _import_tensorflow_thread(self, started: float) -> None:
        try:
            version = _import_tensorflow()
        except Exception as error:  # noqa: BLE001 - reported to the UI, which says it
            self._imported.emit(None, (error, traceback.format_exc()), started)
        else:
            self._imported.emit(version, None, started)

    def _import_done(self, version: str | None, failure: Any, started: float) -> None:
        if failure is not None:
            self._tensorflow_import_failed(*failure)
        else:
            self._tensorflow_loaded(str(version), started)

    def _tensorflow_loaded(self, version: str, started: float) -> None:
        log.info("TensorFlow %s imported in %.1f s", version, time.perf_counter() - started)
        self.tensorflow_state = "ready"
        self.tensorflowReady.emit(version)
        queued, self._queued = self._queued, []
        for paths, replaces, failures, options in queued:
            self._start_batch(paths, replaces, failures, options)
        self._update_busy()

    def _tensorflow_import_failed(self, error: BaseException, details: str) -> None:
        log_failure(log, "Importing TensorFlow failed", error, details)
        self.tensorflow_state = "failed"
        self._tensorflow_error = (error, details)
        self.tensorflowFailed.emit(error, details)
        queued, self._queued = self._queued, []
        for paths, _, failures, _options in queued:
            self.batchFinished.emit(failures + [Failure(path, error, details) for path in paths])
        self._update_busy()

    # ------------------------------------------------------------------ projects

    def open(
        self,
        paths: list[Path],
        replaces: Any = None,
        failures: list[Failure] = (),
        options: dict | None = None,
    ) -> None:
        """Load each path; ``replaces`` travels with the result (the window uses it for Reload).

        ``failures`` (paths refused before loading) are reported with this batch's own.
        ``options`` go to ``core.session.load`` (and so to ``open_project``); a ``.keras``
        whose code is missing opens config-only unless they say otherwise.
        """
        options = {"config_only_fallback": True, **(options or {})}
        paths = [Path(p) for p in paths]
        failures = list(failures)
        if not paths:
            if failures:
                self.batchFinished.emit(failures)
            return
        if self.tensorflow_state == "failed":
            error, details = self._tensorflow_error  # type: ignore[misc]
            self.batchFinished.emit(failures + [Failure(path, error, details) for path in paths])
        elif self.tensorflow_state != "ready":
            self._queued.append((paths, replaces, failures, options))
            self.progress.emit(0.0, f"Loading TensorFlow… ({len(self.pending_paths)} waiting)")
        else:
            self._start_batch(paths, replaces, failures, options)
        self._update_busy()

    def _start_batch(
        self, paths: list[Path], replaces: Any, failures: list[Failure], options: dict
    ) -> None:
        batch = _Batch(len(paths), failures)
        for path in paths:
            self._start_worker(Worker(load, path, **options), path, batch, replaces)

    def _start_worker(self, worker: Worker, path: Path, batch: _Batch, replaces: Any) -> None:
        worker.signals.progress.connect(self.progress)
        worker.signals.returned.connect(lambda result: self.loaded.emit(result, replaces))
        worker.signals.errored.connect(
            lambda error, details: batch.failures.append(Failure(path, error, details))
        )
        worker.signals.finished.connect(lambda: self._worker_done(worker, batch))
        self._active[worker] = path
        self.progress.emit(0.0, f"Opening {path.name}…")
        self.runner.start(worker)

    def _worker_done(self, worker: Worker, batch: _Batch) -> None:
        self._active.pop(worker, None)
        batch.remaining -= 1
        if batch.remaining == 0:
            self.batchFinished.emit(batch.failures)
        self._update_busy()

    def cancel(self) -> None:
        """Stop every load (cooperatively) and forget the queued ones."""
        queued, self._queued = self._queued, []
        for worker in list(self._active):
            worker.cancel()
        if queued:
            log.info("Cancelled %d queued path(s)", sum(len(paths) for paths, *_ in queued))
        self._update_busy()


def _import_tensorflow() -> str:
    keras = import_keras()
    import tensorflow

    if not hasattr(keras, "Model"):
        raise LockpickleError(
            "Expected Keras 3 with the TensorFlow backend. Received: a keras "
            "module without keras.Model.",
            hint="Reinstall tensorflow and keras.",
        )
    return tensorflow.__version__
