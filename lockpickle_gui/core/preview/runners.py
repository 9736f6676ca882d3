"""What runs a batch for the inference pool: the pool's batching front (worker threads in the
caller, ``pool.py``) hands each formed batch to a runner, TF Serving-style.

* ``threads`` — :class:`ThreadRunner`: the model's one compiled function, in this process;
* ``processes`` — :class:`~.process_runner.ProcessRunner`: one worker process per pool worker;
* ``ray`` — :class:`~.ray_runner.RayRunner`: one Ray actor per pool worker.

The remote runners (:mod:`.remote`) receive the model ONCE, as a portable snapshot
(``core.transport``): fresh locks, the same weights, no code the receiver did not trust.
Each worker slot of the pool talks to its own process or actor, so the statistics'
per-worker counts are per process/actor. A runner's :meth:`abort` ends the batches running
remotely at once (the pool's ``close(wait=False)``): their futures fail with
:class:`Cancelled`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.modelio.signature import ModelSignature, compile_model
from lockpickle_gui.core.preview.batch import Outputs, run_batch, warm_up
from lockpickle_gui.core.preview.process_runner import ProcessRunner
from lockpickle_gui.core.preview.ray_runner import RayRunner

BACKENDS = ("threads", "processes", "ray")


class Runner(Protocol):
    names: list[str]  # one per worker slot, for the statistics

    def run(self, slot: int, inputs: list[np.ndarray]) -> Outputs: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


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
    """The runner of ``backend``; ``waiting`` is called while remote workers start."""
    if backend == "threads":
        return ThreadRunner(model, signature, workers, name)
    if backend == "processes":
        return ProcessRunner(model, workers, name, input_signature, waiting)
    if backend == "ray":
        return RayRunner(model, workers, name, input_signature, ray_address, waiting)
    raise PreviewError(
        f"Expected backend to be one of {', '.join(BACKENDS)}. Received {backend!r}.",
        hint='"threads" runs in this process; "processes" and "ray" ship the model to workers.',
    )
