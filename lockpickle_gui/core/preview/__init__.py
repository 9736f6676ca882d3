"""Threaded inference preview: the public face of the pool, the verdict and the load run.

* :class:`InferencePool` (:mod:`.pool`): worker threads, dynamic batching, futures,
  back-pressure, cancel, statistics (:class:`PoolStats`, :mod:`.stats`); where a batch runs
  (threads, worker processes, Ray actors): :mod:`.runners`.
* :func:`check_thread_safety` (:mod:`.thread_safety`): sequential vs pooled outputs, and the
  layers keeping a lock; :func:`run_preview` (:mod:`.run`): the load run the CLI and the GUI
  panel call. Settings merged for both: :mod:`.defaults`.
* What a model takes, the compiled function, sample inputs and output summaries:
  ``core.modelio``.

Everything here is pure Python plus numpy; TensorFlow is imported (through
``core.tf_runtime``) only when a pool is created.
"""

from __future__ import annotations

from lockpickle_gui.core.modelio.signature import InputSpec, ModelSignature, signature_of
from lockpickle_gui.core.modelio.verdict import Verdict
from lockpickle_gui.core.preview.pool import InferencePool
from lockpickle_gui.core.preview.run import PreviewResult, run_preview
from lockpickle_gui.core.preview.stats import PoolStats
from lockpickle_gui.core.preview.thread_safety import (
    DEFAULT_TOLERANCE,
    ROUNDING_NOTE,
    ThreadSafetyReport,
    check_thread_safety,
    find_lock_layers,
)

__all__ = [
    "InferencePool",
    "PoolStats",
    "check_thread_safety",
    "ThreadSafetyReport",
    "run_preview",
    "PreviewResult",
    "find_lock_layers",
    "signature_of",
    "ModelSignature",
    "InputSpec",
    "DEFAULT_TOLERANCE",
    "ROUNDING_NOTE",
    "Verdict",
]
