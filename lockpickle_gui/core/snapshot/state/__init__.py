"""state.json, format 2: the object graph around the models stored as data, so loading runs
no pickle VM. Schema: ``schema.py``; writing: ``encoder.py`` (+ ``values.py``,
``keras_refs.py``); reading: ``validate.py`` then ``builder.py`` (+ ``create.py``).

    encode_state(root, on_blocked=...) -> EncodedState        (writer)
    parse_state(data, path) -> Document                        (reader: checks, imports nothing)
    untrusted_names(document, policy) -> ["module:Qualname"]   (reader: what trust is missing)
    build_state(document, policy, ...) -> root                 (reader: after trust was decided)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.inspect import model_layers
from lockpickle_gui.core.inspect.paths import parse_strict
from lockpickle_gui.core.snapshot import safejson, trust
from lockpickle_gui.core.snapshot.budgets import DEFAULT, Budgets
from lockpickle_gui.core.snapshot.state.builder import Builder, untrusted_names
from lockpickle_gui.core.snapshot.state.encoder import (
    DroppedRecord,
    EncodedState,
    Encoder,
    PrimitiveRecord,
)
from lockpickle_gui.core.snapshot.state.keras_refs import (
    KerasIndex,
    attach_layer_objects,
    finish_keras,
)
from lockpickle_gui.core.snapshot.state.validate import REEXPORT, Document, validate_state

__all__ = [
    "Document",
    "DroppedRecord",
    "EncodedState",
    "PrimitiveRecord",
    "build_state",
    "encode_state",
    "parse_state",
    "untrusted_names",
]


def encode_state(root: Any, *, on_blocked: str, budgets: Budgets = DEFAULT) -> EncodedState:
    """Walk ``root``: the state document, its arrays and blobs, the Keras models to store,
    the primitives, dropped objects and problems met (the writer decides what to raise)."""
    encoder = Encoder(on_blocked=on_blocked, budgets=budgets)
    keras_index = KerasIndex()
    root_slot = encoder.run(root)
    finish_keras(encoder, keras_index)
    attach_layer_objects(encoder, keras_index)
    encoder.drain()
    finish_keras(encoder, keras_index)  # attached objects may hold Keras objects too
    encoder.out.doc = encoder.document(root_slot)
    encoder.out.path_of = encoder.path
    return encoder.out


def parse_state(data: bytes | memoryview, path: Any, budgets: Budgets = DEFAULT) -> Document:
    """Parse and check state.json completely; nothing is imported."""
    return validate_state(
        safejson.loads(data, "state.json", path, budgets), budgets, len(data), path
    )


def build_state(
    document: Document,
    policy: trust.TrustPolicy,
    *,
    path: Any,
    models: list[Any],
    array: Callable[[int], Any],
    blob: Callable[[int], bytes],
) -> tuple[Any, list[tuple[str, str]]]:
    """(root object, dropped (path, kind)) after the layer attachments were set again.

    The caller has refused an untrusted document already (:func:`untrusted_names`); the
    check runs again here, so this function alone never imports an untrusted name.
    """
    missing = untrusted_names(document, policy)
    if missing:
        raise trust.untrusted_code(missing, path, policy)
    builder = Builder(document, policy, path=path, models=models, array=array, blob=blob)
    builder.resolve_types()
    root = builder.build()
    for entry in document.raw["attached"]:
        _attach(entry, builder.val(entry["value"]), models, path)
    return root, builder.dropped


def _attach(entry: dict[str, Any], value: Any, models: list[Any], path: Any) -> None:
    """Set one recorded attribute again, only on a Keras layer, never over a class' own."""
    if entry["model"] >= len(models):
        raise CorruptSnapshot(
            f"Expected an attachment to one of the {len(models)} stored model(s). Received: model "
            f"{entry['model']}.",
            path=path,
            hint=REEXPORT,
        )
    steps = parse_strict(entry["layer"]) if entry["layer"] else []
    layer = model_layers.resolve_layer(models[entry["model"]], steps)
    name = entry["attribute"]
    if hasattr(type(layer), name):
        raise CorruptSnapshot(
            f"Expected {entry['layer'] or 'the model'}.{name} to be an attribute of the layer "
            f"itself. Received: {name!r}, which {type(layer).__qualname__} defines (a method or "
            "property); it was not replaced.",
            path=path,
            hint=REEXPORT,
        )
    setattr(layer, name, value)
