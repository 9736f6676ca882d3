"""What runs a batch for the inference pool: the pool's batching front (worker threads in the
caller, ``pool.py``) hands each formed batch to a runner, TF Serving-style.

* ``threads`` — :class:`ThreadRunner`: the model's one compiled function, in this process;
* ``processes`` — :class:`~.process_runner.ProcessRunner`: one worker process per pool worker;
* ``ray`` — :class:`~.ray_runner.RayRunner`: one Ray actor per pool worker.

The remote runners receive the model ONCE, as a portable snapshot (``core.transport``): fresh
locks, the same weights, no code the receiver did not trust. Each worker slot of the pool
talks to its own process or actor, so the statistics' per-worker counts are per process/actor.
A runner's :meth:`abort` ends the batches running remotely at once (the pool's
``close(wait=False)``): their futures fail with :class:`Cancelled`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.modelio.signature import ModelSignature, compile_model, flatten
from lockpickle_gui.core.transport import LazyRef, Portable, Unavailable, portable

BACKENDS = ("threads", "processes", "ray")
Outputs = tuple[list[np.ndarray], Any]  # flat output arrays, treedef


class Runner(Protocol):
    names: list[str]  # one per worker slot, for the statistics

    def run(self, slot: int, inputs: list[np.ndarray]) -> Outputs: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


class RemoteBatchError(Exception):
    """An exception raised by the model in a worker process or actor, as its type name and
    message (the exception object itself may not survive pickling)."""

    def __init__(self, type_name: str, message: str, where: str = ""):
        super().__init__(type_name, message, where)
        self.type_name, self.message, self.where = type_name, message, where

    def __str__(self) -> str:
        return f"{self.type_name} in {self.where}: {self.message}" if self.where else self.message


def warm_up(function: Callable[..., Any], signature: ModelSignature) -> None:
    """Run one batch of zeros: kernels get initialised before the first real request."""
    try:
        function(*signature.zeros(1))
    except Exception as error:
        raise PreviewError(
            f"Expected the model to run on a batch of zeros shaped like its inputs "
            f"({signature.describe()}). It raised {type(error).__name__}: {error}",
            hint="Check the model on a sample of its input shape before previewing it.",
        ) from error


def run_batch(function: Callable[..., Any], inputs: list[np.ndarray]) -> Outputs:
    leaves, treedef = flatten(function(*inputs))
    arrays = [leaf.numpy() if hasattr(leaf, "numpy") else np.asarray(leaf) for leaf in leaves]
    return arrays, treedef


class ThreadRunner:
    """The compiled function, run by the pool's own worker threads."""

    def __init__(self, model: Any, signature: ModelSignature, workers: int, name: str):
        self.function = compile_model(model, signature)
        warm_up(self.function, signature)
        self.names = [f"{name}-worker-{i}" for i in range(workers)]

    def run(self, slot: int, inputs: list[np.ndarray]) -> Outputs:
        return run_batch(self.function, inputs)

    def abort(self) -> None:
        """A running TensorFlow call cannot be interrupted; it ends on its own (milliseconds)."""

    def close(self) -> None:
        pass


def ship(model: Any) -> Portable:
    """The model as a worker process or actor receives it: lazily, so it is rebuilt in
    :class:`ModelServer` (where a refusal is reported as the worker's start failure), not
    while the engine unpickles its arguments. A project's own code (an ``lpproject_...``
    package no other process can import) travels inside the snapshot as its bundled code."""
    return portable(model, lazy=True, label="the preview's model")


class ModelServer:
    """What a worker process or Ray actor holds: the arrived model, compiled once."""

    def __init__(self, model: Any, input_signature: Any = None):
        from lockpickle_gui.core.modelio.signature import signature_of

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
    status, first, second = reply
    if status == "ok":
        return first, second
    raise RemoteBatchError(first, second, where)


def make_runner(
    backend: str,
    model: Any,
    signature: ModelSignature,
    workers: int,
    name: str,
    input_signature: Any = None,
    ray_address: str | None = None,
    waiting: Callable[[], None] | None = None,
) -> Runner:
    if backend == "threads":
        return ThreadRunner(model, signature, workers, name)
    if backend == "processes":
        from lockpickle_gui.core.preview.process_runner import ProcessRunner

        return ProcessRunner(model, workers, name, input_signature, waiting)
    if backend == "ray":
        from lockpickle_gui.core.preview.ray_runner import RayRunner

        return RayRunner(model, workers, name, input_signature, ray_address, waiting)
    raise PreviewError(
        f"Expected backend to be one of {', '.join(BACKENDS)}. Received {backend!r}.",
        hint='"threads" runs in this process; "processes" and "ray" ship the model to workers.',
    )
