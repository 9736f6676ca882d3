"""Threaded inference preview: the public face of the pool, the verdict and the load run.

* :class:`InferencePool` (``core/preview_pool.py``): worker threads, dynamic batching,
  futures, back-pressure, cancel, statistics (:class:`PoolStats`, ``core/preview_stats.py``).
* :func:`check_thread_safety` and :func:`run_preview` (``core/preview_run.py``): sequential
  vs pooled outputs, layers keeping a lock, and the load run the CLI and the GUI panel call.
* What a model takes and the compiled function: ``core/preview_spec.py``; sample inputs and
  output summaries: ``core/inputs.py``.

Everything here is pure Python plus numpy; TensorFlow is imported (through
``core.tf_runtime``) only when a pool is created.
"""

from __future__ import annotations

from lockpickle_gui.core.modelio.signature import InputSpec, ModelSignature, signature_of
from lockpickle_gui.core.modelio.verdict import Verdict
from lockpickle_gui.core.preview.pool import InferencePool
from lockpickle_gui.core.preview.run import (
    DEFAULT_TOLERANCE,
    ROUNDING_NOTE,
    PreviewResult,
    ThreadSafetyReport,
    check_thread_safety,
    find_lock_layers,
    run_preview,
)
from lockpickle_gui.core.preview.stats import PoolStats

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
