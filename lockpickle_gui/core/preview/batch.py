"""One batch through a model's compiled function, wherever it runs (this process, a worker
process, a Ray actor): the warm-up on zeros, and the call that turns outputs into arrays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.modelio.signature import ModelSignature, TreeDef, flatten

Outputs = tuple[list[np.ndarray], TreeDef]  # flat output arrays, and how they nest


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
    """The outputs of one batch as numpy arrays (tensors converted), and their structure."""
    leaves, treedef = flatten(function(*inputs))
    arrays = [leaf.numpy() if hasattr(leaf, "numpy") else np.asarray(leaf) for leaf in leaves]
    return arrays, treedef
