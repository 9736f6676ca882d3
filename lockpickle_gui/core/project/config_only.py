"""A ``.keras`` archive read as data when its model cannot be built (custom code missing).

Netron opens any model file without running it; so does this: ``config.json`` is read as
JSON and ``model.weights.h5`` with h5py for the shapes of the weights only. No class is
imported, no Keras object is made, nothing from the file runs. The result is a project with
no live model but with a tree (layers, output shapes, parameter counts) and a layer graph,
the classes that could not be resolved marked on their rows, and what Keras said kept for
the details. The archive is checked first: member count, sizes and compression ratios are
bounded (a zip bomb is refused, not unpacked).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.inspect.structure import LayerGraph, graph_of_config
from lockpickle_gui.core.inspect.tree import Annotation, Node

MAX_MEMBERS = 10_000
MAX_CONFIG_BYTES = 64 * 1024 * 1024
MAX_WEIGHTS_BYTES = 4 * 1024**3
MAX_RATIO = 200  # uncompressed / compressed, for a deflated member
CONFIG, WEIGHTS = "config.json", "model.weights.h5"
KERAS_MODULES = ("keras", "tf_keras", "keras_hub", "keras_cv", "keras_nlp")
MISSING_KIND = "missing code"


@dataclass
class Unresolved:
    class_name: str
    registered_name: str | None
    module: str | None
    layers: list[str] = field(default_factory=list)

    def words(self) -> str:
        registered = (
            f"registered as “{self.registered_name}”" if self.registered_name else "not registered"
        )
        return f"{self.class_name} ({registered}, module {self.module or '?'})"


@dataclass
class ConfigOnlyModel:
    """What the archive says without running it."""

    name: str
    class_name: str
    config: dict[str, Any]
    graph: LayerGraph
    unresolved: list[Unresolved]


def _refuse(path: Path, what: str) -> ProjectError:
    return ProjectError(
        f"Expected a .keras archive of reasonable size. Received: {path}, {what}.",
        path=path,
        hint="Open a file saved by Keras with model.save(); this one is refused unread.",
    )


def _checked(archive: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _refuse(path, f"which has {len(members):,} members")
    found = {}
    for info in members:
        limit = MAX_CONFIG_BYTES if info.filename != WEIGHTS else MAX_WEIGHTS_BYTES
        if info.file_size > limit:
            raise _refuse(path, f"whose {info.filename} unpacks to {info.file_size:,} bytes")
        if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise _refuse(
                path,
                f"whose {info.filename} expands {info.file_size // max(info.compress_size, 1):,} times",
            )
        found[info.filename] = info
    return found


def read_archive(path: str | Path) -> ConfigOnlyModel:
    """The model described by a ``.keras`` archive, read as data (module docstring)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = _checked(archive, path)
            if CONFIG not in members:
                raise ProjectError(
                    f"Expected a .keras archive with {CONFIG}. Received: {path}, without one.",
                    path=path,
                    hint="Save the model again with model.save('model.keras').",
                )
            data = json.loads(archive.read(CONFIG).decode("utf-8"))
            shapes = _weight_shapes(archive, members.get(WEIGHTS))
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError) as error:
        raise ProjectError(
            f"Expected a readable .keras archive. Received: {path} ({error}).",
            path=path,
            hint="Save the model again with model.save('model.keras').",
        ) from None
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict):
        raise ProjectError(
            f"Expected a model config in {path}'s {CONFIG}. Received: {type(config).__name__}.",
            path=path,
            hint="Save the model again with model.save('model.keras').",
        )
    name = str(config.get("name") or path.stem)
    graph = graph_of_config(config, name)
    by_node = _weights_by_node(config, shapes)
    for node_id, node in graph.nodes.items():
        found = by_node.get(node_id)
        node.params = sum(math.prod(s) for s in found) if found is not None else None
    return ConfigOnlyModel(
        name, str(data.get("class_name", "?")), config, graph, unresolved_classes(data)
    )


def unresolved_classes(data: dict[str, Any]) -> list[Unresolved]:
    """Classes of the config that are not Keras' own (the ones whose code is missing)."""
    found: dict[tuple[str, str | None], Unresolved] = {}

    def walk(entry: Any, layer: str) -> None:
        if isinstance(entry, dict):
            module = entry.get("module")
            custom = module is None or str(module).partition(".")[0] not in KERAS_MODULES
            if "class_name" in entry and "registered_name" in entry and custom:
                key = (str(entry["class_name"]), entry.get("registered_name"))
                record = found.setdefault(key, Unresolved(key[0], key[1], module and str(module)))
                own = str(entry.get("name") or layer)
                if own and own not in record.layers:
                    record.layers.append(own)
            name = entry.get("name") if "inbound_nodes" in entry or "class_name" in entry else None
            for value in entry.values():
                walk(value, str(name or layer))
        elif isinstance(entry, list):
            for value in entry:
                walk(value, layer)

    walk(data, "")
    return list(found.values())


def _weight_shapes(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo | None
) -> dict[str, tuple[int, ...]]:
    """``{"layers/dense/vars/0": (8, 16), ...}``: the shapes of the weights, values unread."""
    if info is None:
        return {}
    import h5py

    shapes: dict[str, tuple[int, ...]] = {}
    with tempfile.TemporaryDirectory(prefix="lockpickle-weights-") as folder:
        copy = Path(folder) / WEIGHTS
        with archive.open(info) as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        with h5py.File(copy, "r") as handle:
            handle.visititems(
                lambda name, item: (
                    shapes.__setitem__(name, tuple(int(d) for d in item.shape))
                    if isinstance(item, h5py.Dataset)
                    else None
                )
            )
    return shapes


def _snake(name: str) -> str:
    """Keras' own ``to_snake_case``: how the weights file names a layer's group."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _weights_by_node(
    config: dict[str, Any], shapes: dict[str, tuple[int, ...]]
) -> dict[str, list[tuple[int, ...]]]:
    """Graph node id -> the shapes of its weights. The file names each layer's group after
    its class (``dense``, ``dense_1``...) in the order of the config's layers."""
    found: dict[str, list[tuple[int, ...]]] = {}

    def walk(layers: list[Any], group: str, prefix: str) -> None:
        used: dict[str, int] = {}
        for entry in layers:
            if not isinstance(entry, dict):
                continue
            base = _snake(str(entry.get("class_name", "")))
            count = used.get(base, 0)
            used[base] = count + 1
            key = f"{group}/{base}" if count == 0 else f"{group}/{base}_{count}"
            name = str(entry.get("name") or (entry.get("config") or {}).get("name") or "?")
            node_id = f"{prefix}/{name}" if prefix else name
            found[node_id] = [s for path, s in shapes.items() if path.startswith(key + "/")]
            inner = (entry.get("config") or {}).get("layers")
            if isinstance(inner, list):
                walk(inner, f"{key}/layers", node_id)

    walk(config.get("layers") or [], "layers", "")
    return found


def config_tree(model: ConfigOnlyModel) -> Node:
    """The inspector's tree for a config-only model: the model, then its layers (nested
    models with theirs), output shapes and parameter counts; unresolved classes marked."""
    graph = model.graph
    total = sum(n.params or 0 for n in graph.nodes.values() if n.parent is None)
    root = Node("root", "root", f"{model.class_name} (config only)", "model")
    root.keras = {
        "class": model.class_name,
        "output_shape": None,
        "params": total,
        "trainable": None,
        "dtype": None,
    }
    missing = {(u.class_name): u for u in model.unresolved}
    rows: dict[str | None, Node] = {None: root}
    counters: dict[str | None, int] = {}
    for node_id, node in graph.nodes.items():
        parent = rows[node.parent]
        index = counters.get(node.parent, 0)
        counters[node.parent] = index + 1
        row = Node(
            node.name,
            f"{parent.path}.layers[{index}]",
            node.class_name,
            "model" if node.container else "layer",
            parent=parent,
        )
        shapes = node.output_shapes
        row.keras = {
            "class": node.class_name,
            "output_shape": [list(s) for s in shapes]
            if len(shapes) > 1
            else (list(shapes[0]) if shapes else None),
            "params": node.params,
            "trainable": None,
            "dtype": None,
        }
        if node.class_name in missing:
            unresolved = missing[node.class_name]
            row.annotations.append(
                Annotation(
                    row.path,
                    MISSING_KIND,
                    "class not found",
                    False,
                    "block",
                    f"{unresolved.words()}: its code is not loaded, so this layer is shown from the file's config only. Locate code… opens it with the .py file that defines it.",
                )
            )
        parent.children.append(row)
        rows[node_id] = row
    return root
