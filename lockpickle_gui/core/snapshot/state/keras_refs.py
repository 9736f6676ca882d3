"""Writer side: which Keras objects of the state become stored models, the path from a
stored model to every other one, and the objects to set again on layers after loading.

Each Keras object met in the state that is not inside another one is stored as a model
(``models/<n>/``); every Keras node of state.json is ``(model, strict path)`` where the
path is made of public names only (``.layers[2]``, ``.blocks['q']``), so the loader can
follow it without running code the file chooses
(:func:`~lockpickle_gui.core.inspect.model_layers.resolve_layer`). A layer reachable only
through private attributes cannot be pointed at: the export says so, with its path.

Keras' save keeps what a layer's config and weights describe; a lock attached to a layer
(``model.layers[1].lock = threading.Lock()``) is not part of it. Primitives (and blocked
objects) held in *public* attributes of the stored layers are recorded as attachments and
set again, fresh and shared, after the models load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockpickle_gui.core.inspect import model_layers, primitives

if TYPE_CHECKING:
    from lockpickle_gui.core.snapshot.state.encoder import Encoder


class KerasIndex:
    """Per stored model: the public path of each layer, and every layer inside it."""

    def __init__(self) -> None:
        self.public: list[dict[int, tuple[str, Any]]] = []
        self.inside: list[set[int]] = []

    def add(self, model: Any) -> None:
        self.public.append(model_layers.public_layer_paths(model))
        self.inside.append({id(layer) for _, layer in model_layers.iter_layers(model)})

    def locate(self, obj: Any) -> tuple[int, str] | None:
        for index, paths in enumerate(self.public):
            found = paths.get(id(obj))
            if found is not None:
                return index, found[0]
        return None

    def nested(self, obj: Any) -> int | None:
        return next((i for i, ids in enumerate(self.inside) if id(obj) in ids), None)


def finish_keras(encoder: Encoder, index: KerasIndex) -> None:
    """Decide the stored models for the Keras objects met so far and fill their nodes."""
    pending, encoder.keras_pending = encoder.keras_pending, []
    if not pending:
        return
    within: dict[int, set[int]] = {
        id(obj): {id(sub) for path, sub in model_layers.iter_layers(obj) if path}
        for _, obj in pending
    }
    models = encoder.out.models
    for _node, obj in pending:
        inside_other = any(id(obj) in ids for other, ids in within.items() if other != id(obj))
        if not inside_other and index.nested(obj) is None and not any(m is obj for m in models):
            models.append(obj)
            index.add(obj)
    for node, layer in pending:
        where = index.locate(layer)
        if where is None:
            model = index.nested(layer)
            encoder.problem(
                node,
                f"this Keras layer ({getattr(layer, 'name', '?')}) is inside the stored model "
                f"{getattr(models[model], 'name', model) if model is not None else '?'} but only "
                "through private attributes: keep it in a public attribute (or .layers) so the "
                "snapshot can point at it",
            )
            encoder.nodes[node] = {"t": "object"}
            continue
        cls = type(layer)
        encoder.nodes[node] = {
            "t": "keras",
            "model": where[0],
            "path": where[1],
            "class": f"{cls.__module__}:{cls.__qualname__}",
        }


_PLAIN = (int, float, str, bool, type(None), tuple, list, dict)


def _kind(value: Any, cache: dict[type, Any]) -> Any:
    """The primitives table's row for ``value`` (None for data), one lookup per type."""
    tp = type(value)
    if tp in _PLAIN:
        return None
    if tp not in cache:
        kind = primitives.kind_of(value)
        if kind is not None and kind.name == "function":
            return None  # Keras serializes functions held by layers (activations)
        cache[tp] = kind
    return cache[tp]


def attach_layer_objects(encoder: Encoder, index: KerasIndex) -> None:
    """Record the primitives (and blocked objects) held in public layer attributes."""
    cache: dict[type, Any] = {}
    for number, model in enumerate(encoder.out.models):
        if number >= len(index.public):
            break
        model_node = encoder.memo.get(id(model))
        model_path = encoder.path(model_node) if model_node is not None else f"<model {number}>"
        for layer_path, layer in index.public[number].values():
            for name, value in list(vars(layer).items()):
                if _kind(value, cache) is None:
                    continue
                if not name[:1].isalpha():
                    if id(value) in encoder.memo:
                        encoder.out.notes.append(
                            f"{model_path}{layer_path}.{name} is a private layer attribute: it is "
                            "not set again after loading (the layer's constructor makes its own), "
                            f"so {encoder.path(encoder.memo[id(value)])} no longer shares it."
                        )
                    continue
                step = (
                    f"{model_path}{layer_path}.{name}"
                    if not model_path.startswith("<")
                    else f"<attribute {layer_path}.{name} of {model_path}>"
                )
                slot = encoder.slot(value, None, step)
                encoder.out.attachments.append(
                    {"model": number, "layer": layer_path, "attribute": name, "value": slot}
                )
