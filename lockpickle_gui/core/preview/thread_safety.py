"""The thread-safety check: does the model answer the same through the pool as alone?

:func:`check_thread_safety` runs the samples once sequentially (the model called on one
sample at a time, eagerly) and once through an :class:`InferencePool` from several client
threads, then compares (``modelio.verdict``): ``identical`` (bit for bit), ``within
tolerance`` (batching changes float rounding by about 1e-6: expected, not a thread-safety
problem) or ``mismatch`` (with the worst sample). It also lists the layers that keep a
Lock/RLock/Condition (found by ``core.inspect``): if their ``call()`` takes it, the pool's
workers run one at a time. :func:`~.run.run_preview` reuses the pieces for its verdict.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.inspect import inspect
from lockpickle_gui.core.modelio.inputs import Sample, as_samples
from lockpickle_gui.core.modelio.signature import ModelSignature, flatten, model_call, output_names
from lockpickle_gui.core.modelio.verdict import Verdict, compare_outputs
from lockpickle_gui.core.preview.pool import InferencePool
from lockpickle_gui.core.tf_runtime import import_tensorflow

DEFAULT_TOLERANCE = 1e-5
MAX_CLIENTS = 1024
LOCK_KINDS = ("Lock", "RLock", "Condition")
ROUNDING_NOTE = (
    "Batching changes float rounding by about 1e-6; that is expected, not a thread-safety problem."
)


class LockedLayer(TypedDict):
    """A lock found in a layer (or the model), as :func:`find_lock_layers` lists it."""

    layer: str  # the layer's path ("root.layers[2]")
    path: str  # the lock's path
    kind: str  # "Lock", "RLock" or "Condition"
    state: str  # as the inspector describes it ("unlocked", "held by ...")


@dataclass
class ThreadSafetyReport:
    verdict: Verdict
    max_abs_diff: float
    worst_index: int | None  # the sample with the largest difference
    worst_output: str | None  # which output of it
    tolerance: float
    samples: int
    lock_layers: list[str] = field(default_factory=list)  # layer paths ("root.layers[2]")
    locks: list[LockedLayer] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "max_abs_diff": self.max_abs_diff,
            "worst_index": self.worst_index,
            "worst_output": self.worst_output,
            "tolerance": self.tolerance,
            "samples": self.samples,
            "lock_layers": list(self.lock_layers),
            "locks": [dict(lock) for lock in self.locks],
            "message": self.message,
        }


# ------------------------------------------------------------------ sequential and pooled


def reference_outputs(
    model: Any, signature: ModelSignature, samples: list[Sample]
) -> list[list[np.ndarray]]:
    """The model called on one sample at a time, eagerly: flat outputs per sample."""
    tf = import_tensorflow()
    call = model_call(model, signature)
    reference: list[list[np.ndarray]] = []
    for sample in samples:
        leaves = [tf.convert_to_tensor(leaf[None]) for leaf in signature.prepare(sample)]
        flat, _ = flatten(call(*leaves))
        reference.append([np.asarray(leaf)[0] for leaf in flat])
    return reference


def pooled_pass(pool: InferencePool, samples: list[Sample], clients: int) -> list[Any]:
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


def find_lock_layers(model: Any) -> list[LockedLayer]:
    """Layers (and the model) keeping a Lock/RLock/Condition, themselves or in plain
    attributes below them: ``[{"layer", "path", "kind", "state"}]`` in tree order."""
    found: list[LockedLayer] = []
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


def safety_report(
    verdict: Verdict,
    max_diff: float,
    worst_index: int | None,
    worst_output: str | None,
    tolerance: float,
    samples: int,
    locks: list[LockedLayer],
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
    **pool_kw: Any,
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
    return safety_report(
        verdict, diff, index, output, tolerance, len(samples), find_lock_layers(model), setting
    )
