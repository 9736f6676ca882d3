"""Details of one inspected object for the GUI's details panel: config, weights, value.

Slow parts (reading weights, min/mean/max over millions of values) run on a worker thread:
the GUI calls :func:`node_details` off the UI thread and shows the result. numpy and Keras
are imported inside functions only.
"""

from __future__ import annotations

import json
import os
import reprlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.atomic import atomic_write
from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.progress import Progress
from lockpickle_gui.core.tf_runtime import is_keras_layer

_REPR = reprlib.Repr()
_REPR.maxstring = 300
_REPR.maxother = 300
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 12


@dataclass(frozen=True)
class WeightInfo:
    name: str
    shape: tuple[int, ...]
    dtype: str
    minimum: float | None
    mean: float | None
    maximum: float | None
    array: Any = field(repr=False, compare=False)  # numpy array, for "Save as .npy…"


@dataclass(frozen=True)
class NodeDetails:
    config_json: str  # the layer's get_config() as indented JSON; '' for non-layers
    config_error: str  # why the config could not be read ('' when it could)
    weights: list[WeightInfo]
    value: str  # a short repr for plain attributes; '' for layers and models


def node_details(obj: Any, name: str = "value", *, progress: Progress | None = None) -> NodeDetails:
    """Everything the details panel shows about ``obj`` beyond the tree node itself."""
    if is_keras_layer(obj):
        config_json, config_error = layer_config_json(obj)
        return NodeDetails(config_json, config_error, keras_weights(obj, progress=progress), "")
    weights = []
    if _is_numeric_array(obj):
        weights.append(_weight_info(name, obj))
    return NodeDetails("", "", weights, _REPR.repr(obj))


def layer_config_json(layer: Any) -> tuple[str, str]:
    """(formatted JSON of ``layer.get_config()``, '') or ('', why it failed)."""
    try:
        config = layer.get_config()
    except Exception as error:  # noqa: BLE001 - custom layers often leave get_config unimplemented
        return "", f"{type(layer).__name__}.get_config() failed: {type(error).__name__}: {error}"
    return json.dumps(config, indent=2, sort_keys=False, default=_json_fallback), ""


def keras_weights(layer: Any, *, progress: Progress | None = None) -> list[WeightInfo]:
    """Name (the variable's path), shape, dtype and min/mean/max of every weight of ``layer``."""
    import numpy as np

    variables = list(layer.weights)
    infos = []
    for index, variable in enumerate(variables):
        if progress is not None:
            progress(index / max(len(variables), 1), f"Reading {variable.path}")
        infos.append(_weight_info(variable.path, np.asarray(variable.numpy())))
    return infos


def save_npy(array: Any, path: str | os.PathLike[str]) -> Path:
    """Save one array as ``.npy`` atomically (never with pickled objects)."""
    import numpy as np

    target = Path(path)
    if target.suffix.lower() != ".npy":
        target = target.with_name(target.name + ".npy")
    array = np.asarray(array)
    if array.dtype == object:
        raise LockpickleError(
            f"Expected a numeric array. Received: an object array for {target}.",
            path=target,
            hint="Only numeric weights can be saved as .npy.",
        )
    with atomic_write(target) as handle:
        np.save(handle, array, allow_pickle=False)
    return target


def _weight_info(name: str, array: Any) -> WeightInfo:
    import numpy as np

    array = np.asarray(array)
    if array.size and (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        values = array.astype(np.float64, copy=False)
        stats: tuple[float | None, float | None, float | None] = (
            float(np.min(values)),
            float(np.mean(values)),
            float(np.max(values)),
        )
    else:
        stats = (None, None, None)
    return WeightInfo(name, tuple(array.shape), str(array.dtype), *stats, array=array)


def _is_numeric_array(obj: Any) -> bool:
    numpy = sys.modules.get("numpy")  # an array exists only if numpy is imported already
    return numpy is not None and isinstance(obj, numpy.ndarray) and obj.dtype != object


def _json_fallback(value: Any) -> Any:
    for attr in ("tolist", "item"):  # numpy scalars and arrays
        if hasattr(value, attr):
            return getattr(value, attr)()
    return repr(value)
