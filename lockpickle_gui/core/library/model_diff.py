"""Comparing two stored Keras models from their files: layers from ``config.json``, weights
from the stored variables (``.npy`` members, or a ``.keras`` member's HDF5 file). No model
is built, no layer class imported, nothing run.

Keras names a layer's weights in its state walk after its *class* and its rank among layers
of that class (``layers/dense_1/vars/0``), not after the layer's name (saving_lib does so
because names are not reproducible). Walking the config's layer list the same way gives
each layer's place in the file, so weights are compared by layer *name*: inserting a layer
does not make every later Dense look changed. Weights no layer claims (a subclassed
model's, the optimizer's) are compared by their place in the file. Class names from the
snapshot's bundled code are read as :func:`.code_diff.normalise_names` spells them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.library.code_diff import code_package, normalise_names
from lockpickle_gui.core.library.diff_report import DiffRow, DiffSection, Status, dict_changes
from lockpickle_gui.core.library.snapshot_files import OpenSnapshot, WeightRef

_VOLATILE = frozenset({"shared_object_id"})  # differs between two saves of one model


@dataclass(frozen=True)
class LayerInfo:
    path: str  # the layer's name, inside its parent models': "block/inner"
    cls: str
    config: dict[str, Any]  # without its name and nested layers; with "inbound" connections
    h5: str  # where its weights lie in the HDF5 file: "layers/sequential/layers/dense"


@dataclass(frozen=True)
class WeightInfo:
    dataset: str  # path in the HDF5 file
    shape: tuple[int, ...]
    dtype: str

    def describe(self) -> str:
        return f"{self.shape} {self.dtype}"


@dataclass
class StoredModel:
    """One model of one snapshot: its layers, and its weights (read on demand)."""

    name: str
    cls: str
    params: int | None
    layers: dict[str, LayerInfo] = field(default_factory=dict)
    weights: dict[str, WeightInfo] = field(default_factory=dict)
    refs: dict[str, WeightRef] = field(default_factory=dict)  # by weight name in the file

    def read(self, key: str) -> Any:
        return self.refs[self.weights[key].dataset].read()


def snake_case(name: str) -> str:
    """Keras' ``naming.to_snake_case`` (the HDF5 group name of a layer class)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def layers_of(config: Mapping[str, Any]) -> list[LayerInfo]:
    """Every layer in a model's ``config.json``, nested models' layers included."""
    found: list[LayerInfo] = []

    def walk(model: Mapping[str, Any], path: str, h5: str) -> None:
        inner = model.get("config")
        listed = inner.get("layers") if isinstance(inner, Mapping) else None
        used: dict[str, int] = {}
        for layer in listed if isinstance(listed, list) else []:
            if not isinstance(layer, Mapping):
                continue
            cls = str(layer.get("class_name", "?"))
            settings = layer.get("config")
            settings = settings if isinstance(settings, Mapping) else {}
            name = str(settings.get("name") or layer.get("name") or cls)
            key = snake_case(cls)
            if key in used:
                used[key] += 1
                key = f"{key}_{used[key]}"
            else:
                used[key] = 0
            cleaned = _clean({k: v for k, v in settings.items() if k not in ("name", "layers")})
            if "inbound_nodes" in layer:
                cleaned["inbound"] = _inbound(layer["inbound_nodes"])
            if isinstance(layer.get("build_config"), Mapping):
                cleaned["build_config"] = _clean(layer["build_config"])
            found.append(LayerInfo(f"{path}{name}", cls, cleaned, f"{h5}layers/{key}"))
            if isinstance(settings.get("layers"), list):
                walk(layer, f"{path}{name}/", f"{h5}layers/{key}/")

    walk(config, "", "")
    return found


@contextmanager
def stored_model(snapshot: OpenSnapshot, index: int) -> Iterator[StoredModel]:
    """Model ``index`` of an open snapshot, its weights file open while the block runs."""
    entry = snapshot.manifest["models"][index]
    params = entry.get("params")
    with snapshot.model_files(index) as (config_bytes, refs):
        config = normalise_names(json.loads(config_bytes), code_package(snapshot.manifest))
        model = StoredModel(
            name=str(entry.get("name", index)),
            cls=str(config.get("class_name") or entry.get("class", "?")),
            params=params if type(params) is int else None,
        )
        model.layers = {layer.path: layer for layer in layers_of(config)}
        model.refs = refs
        model.weights = _weights(refs, model.layers)
        yield model


def layers_section(a: StoredModel, b: StoredModel, title: str) -> DiffSection:
    rows = []
    for path in _ordered(a.layers, b.layers):
        one, two = a.layers.get(path), b.layers.get(path)
        if one is None or two is None:
            status = Status.ADDED if one is None else Status.REMOVED
            rows.append(DiffRow(path, status, one.cls if one else "", two.cls if two else ""))
            continue
        details = [f"class: {one.cls} -> {two.cls}"] if one.cls != two.cls else []
        details += dict_changes(one.config, two.config)
        status = Status.CHANGED if details else Status.SAME
        rows.append(DiffRow(path, status, one.cls, two.cls, details))
    return DiffSection(f"layers:{title}", f"Layers of {title}", rows)


def weights_section(a: StoredModel, b: StoredModel, title: str) -> DiffSection:
    """Per weight: identical, or the largest absolute difference and the relative norm
    ``|a - b| / max(|a|, |b|)``."""
    import numpy as np

    rows = []
    for key in _ordered(a.weights, b.weights):
        one, two = a.weights.get(key), b.weights.get(key)
        if one is None or two is None:
            status = Status.ADDED if one is None else Status.REMOVED
            rows.append(
                DiffRow(key, status, one.describe() if one else "", two.describe() if two else "")
            )
            continue
        row = DiffRow(key, Status.SAME, one.describe(), two.describe())
        rows.append(row)
        if (one.shape, one.dtype) != (two.shape, two.dtype):
            row.status = Status.CHANGED
            row.details.append(f"shape/dtype: {one.describe()} -> {two.describe()}")
            continue
        left, right = np.asarray(a.read(key)), np.asarray(b.read(key))
        floating = left.dtype.kind in "fc"
        if np.array_equal(left, right, equal_nan=floating):
            row.details.append("identical")
            continue
        row.status = Status.CHANGED
        if left.dtype.kind not in "fciub":
            row.details.append("values differ")
            continue
        if not floating or left.dtype.itemsize < 4:
            left, right = left.astype(np.float64), right.astype(np.float64)
        gap = np.subtract(left, right)
        max_abs = float(np.max(np.abs(gap))) if gap.size else 0.0
        # relative to the larger of the two: a zero-initialised bias that moved is 1.0
        norm = max(float(np.linalg.norm(left)), float(np.linalg.norm(right)))
        relative = float(np.linalg.norm(gap)) / norm if norm else 0.0
        row.numbers = {"max_abs": max_abs, "rel_norm": relative}
        row.details.append(f"max abs diff {max_abs:.3g}, relative norm {relative:.3g}")
    return DiffSection(f"weights:{title}", f"Weights of {title}", rows)


# ---------------------------------------------------------------------------- helpers


def _weights(
    refs: Mapping[str, WeightRef], layers: Mapping[str, LayerInfo]
) -> dict[str, WeightInfo]:
    """Every stored weight, named ``<layer path>/<place inside the layer>``."""
    owners = {layer.h5: layer.path for layer in layers.values()}
    found: dict[str, WeightInfo] = {}
    for name, ref in refs.items():
        parts = name.split("/")
        for cut in range(len(parts) - 1, 0, -1):
            owner = owners.get("/".join(parts[:cut]))
            if owner is not None:
                key = f"{owner}/{'/'.join(parts[cut:])}"
                break
        else:
            key = f"(optimizer)/{name[10:]}" if name.startswith("optimizer/") else f"(model)/{name}"
        found[key] = WeightInfo(name, ref.shape, ref.dtype)
    return found


def _clean(value: Any) -> Any:
    """A config without the keys that differ between two saves of the same model."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _inbound(nodes: Any) -> list[str]:
    """``["hidden[0][0]", ...]``: the layers (node, tensor) a Functional layer is called on."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            history = value.get("keras_history")
            if isinstance(history, list) and len(history) == 3:
                found.append(f"{history[0]}[{history[1]}][{history[2]}]")
                return
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(nodes)
    return found


def _ordered(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[str]:
    return [*left, *(key for key in right if key not in left)]
