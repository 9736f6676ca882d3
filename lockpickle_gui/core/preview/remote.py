"""What the ``processes`` and ``ray`` runners share: the server each worker holds, and the
batch exchange that :meth:`RemoteRunner.abort` can end at once.

A remote worker writes its temporary files into a private folder (:func:`use_temp_folder`)
that is removed when its runner closes: TensorFlow's autograph leaves a generated module
per traced function in the temp folder and deletes it only in an ``atexit`` handler, which
a worker terminated (a cancel, ``close(wait=False)``: what the app and the CLI do), killed
after its grace period, crashed, or a killed actor never runs.

A remote worker receives the model once (:func:`ship`: lazily, so a refusal is reported as
the worker's start failure), compiles it in a :class:`ModelServer` and answers batches
with a reply :func:`unpack` reads. :class:`RemoteRunner` polls for each answer every
``POLL_S`` seconds, so a batch running remotely when the pool closes ends with
:class:`~lockpickle_gui.core.errors.Cancelled`; a worker that is gone fails that batch only.
"""

from __future__ import annotations

import abc
import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import Cancelled, PreviewError
from lockpickle_gui.core.modelio.signature import compile_model, signature_of
from lockpickle_gui.core.preview.batch import Outputs, run_batch, warm_up
from lockpickle_gui.core.transport import LazyRef, Portable, Unavailable, portable

POLL_S = 0.05
START_TIMEOUT_S = 300.0
CLOSED_BEFORE = "The pool was closed before this batch ran."
CLOSED_WHILE = "The pool was closed while this batch ran."
TEMP_PREFIX = "lockpickle-preview-"


def make_temp_folder() -> str:
    """A private folder for a runner's or an actor's temporary files (in the temp folder)."""
    return tempfile.mkdtemp(prefix=TEMP_PREFIX)


def use_temp_folder(folder: str, *, environment: bool = True) -> None:
    """In a worker, before TensorFlow traces anything: its temporary files go to ``folder``
    (Python's ``tempfile``; with ``environment`` also ``TMPDIR``, for native code and
    subprocesses)."""
    tempfile.tempdir = folder
    if environment:
        os.environ["TMPDIR"] = folder


class RemoteBatchError(Exception):
    """An exception raised by the model in a worker process or actor, as its type name and
    message (the exception object itself may not survive pickling)."""

    def __init__(self, type_name: str, message: str, where: str = ""):
        super().__init__(type_name, message, where)
        self.type_name, self.message, self.where = type_name, message, where

    def __str__(self) -> str:
        return f"{self.type_name} in {self.where}: {self.message}" if self.where else self.message


def ship(model: Any) -> Portable:
    """The model as a worker process or actor receives it: lazily, so it is rebuilt in
    :class:`ModelServer` (where a refusal is reported as the worker's start failure), not
    while the engine unpickles its arguments. A project's own code (an ``lpproject_...``
    package no other process can import) travels inside the snapshot as its bundled code."""
    return portable(model, lazy=True, label="the preview's model")


class ModelServer:
    """What a worker process or Ray actor holds: the arrived model, compiled once."""

    def __init__(self, model: Any, input_signature: Any = None):
        if isinstance(model, LazyRef):
            model = model.get()
        if isinstance(model, Unavailable):  # refused on arrival: raise why, with its type
            model.reraise()
        self.model = model
        self.signature = signature_of(model, input_signature)
        self.function = compile_model(model, self.signature)
        warm_up(self.function, self.signature)
        self.pid = os.getpid()

    def ready(self) -> int:
        return self.pid

    def run(self, inputs: list[np.ndarray]) -> tuple[str, Any, Any]:
        """("ok", arrays, treedef) or ("error", type name, message): never raises, so one bad
        batch does not end the worker."""
        try:
            arrays, treedef = run_batch(self.function, inputs)
        except Exception as error:  # noqa: BLE001 - sent back to the pool as this batch's failure
            return "error", type(error).__name__, str(error).strip()
        return "ok", arrays, treedef


def unpack(reply: tuple[str, Any, Any], where: str) -> Outputs:
    """The outputs in a server's reply, or its failure raised as a RemoteBatchError."""
    status, first, second = reply
    if status == "ok":
        return first, second
    raise RemoteBatchError(first, second, where)


class RemoteRunner(abc.ABC):
    """A runner whose workers live elsewhere: one per pool slot, each answering one batch
    at a time. Subclasses say how to send a batch, whether its answer has come (waiting at
    most ``POLL_S``), how to receive it, which errors mean the worker is gone
    (``LOST``) and what to say then."""

    LOST: tuple[type[BaseException], ...] = (Exception,)
    names: list[str]

    def __init__(self) -> None:
        self._aborted = threading.Event()

    def _start(self, name: str, unit: str, start: Callable[[], list[int]]) -> None:
        """Start the workers (``start`` returns their pids) and name them; a failure or a
        cancel meanwhile ends what did start before it propagates."""
        try:
            pids = start()
        except BaseException:
            self.abort()
            self.close()
            raise
        self.names = [f"{name}-{unit}-{i} (pid {pid})" for i, pid in enumerate(pids)]

    @abc.abstractmethod
    def abort(self) -> None:
        """End every worker now (a batch running there: Cancelled)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop the workers; none is left behind."""

    def run(self, slot: int, inputs: list[np.ndarray]) -> Outputs:
        if self._aborted.is_set():
            raise Cancelled(CLOSED_BEFORE)
        try:
            pending = self._send(slot, inputs)
            while not self._answered(slot, pending):
                if self._aborted.is_set():
                    raise Cancelled(CLOSED_WHILE)
            reply = self._receive(slot, pending)
        except self.LOST as error:
            if self._aborted.is_set():
                raise Cancelled(CLOSED_WHILE) from None
            raise self._lost(slot, error) from None
        return unpack(reply, self._where(slot))

    @abc.abstractmethod
    def _send(self, slot: int, inputs: list[np.ndarray]) -> Any:
        """See the class docstring."""

    @abc.abstractmethod
    def _answered(self, slot: int, pending: Any) -> bool:
        """See the class docstring."""

    @abc.abstractmethod
    def _receive(self, slot: int, pending: Any) -> tuple[str, Any, Any]:
        """See the class docstring."""

    @abc.abstractmethod
    def _lost(self, slot: int, error: BaseException) -> PreviewError:
        """See the class docstring."""

    @abc.abstractmethod
    def _where(self, slot: int) -> str:
        """See the class docstring."""
