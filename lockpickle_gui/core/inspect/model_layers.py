"""The layers of a live Keras model as a snapshot addresses them.

:func:`iter_layers` visits every layer once (``.layers[i]`` of a model, the tracked
``._layers[i]`` of other layers: the paths the inspector shows); :func:`public_layer_paths`
finds the *strict* paths (public names only) a snapshot may store to point at a layer, and
:func:`resolve_layer` follows one back without running code the path chooses. Also: the
primitives the program attached to layers (:func:`attached_objects`) and the classes of a
model that are not Keras' own (:func:`custom_classes`, :func:`keras_classes_of`). Keras is
imported (through ``core.tf_runtime``) only inside the functions.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any, TypedDict

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.inspect import primitives
from lockpickle_gui.core.inspect.keras_adapter import KERAS_PACKAGES
from lockpickle_gui.core.inspect.paths import Step, format_path
from lockpickle_gui.core.tf_runtime import import_keras

EXTERNAL_LAYER_CLASSES = frozenset({"TFSMLayer"})


def iter_layers(layer: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(relative path, layer)`` for ``layer`` and every sublayer, each layer once.

    Models list ``.layers[i]`` (Keras' own order); other layers their tracked ``._layers[i]``
    — the paths the inspector shows, and that resolve again on the reloaded model.
    """
    model_type = import_keras().Model
    seen: set[int] = set()
    stack = [(prefix, layer)]
    while stack:
        path, current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield path, current
        if isinstance(current, model_type):
            children = [(f"{path}.layers[{i}]", sub) for i, sub in enumerate(current.layers)]
        else:
            tracked = getattr(current, "_layers", None) or []
            children = [(f"{path}._layers[{i}]", sub) for i, sub in enumerate(tracked)]
        stack.extend(reversed(children))


def layer_type_if_loaded() -> type | None:
    """``keras.layers.Layer`` when the program has imported Keras, else None (no import)."""
    if "keras" not in sys.modules:
        return None
    layer_type: type = import_keras().layers.Layer
    return layer_type


def public_layer_paths(model: Any, max_layers: int = 100_000) -> dict[int, tuple[str, Any]]:
    """``{id(layer): (strict relative path, layer)}`` for every layer reachable from
    ``model`` through public names: ``.layers[i]`` of a model, and public attributes of a
    layer holding a layer, a list/tuple of layers or a dict of them (``.blocks['q']``).

    These are the only paths a snapshot stores to point at a layer (see
    :func:`resolve_layer`); a layer reachable only through private attributes has none.
    """
    keras = import_keras()
    layer_type, model_type = keras.layers.Layer, keras.Model
    found: dict[int, tuple[str, Any]] = {id(model): ("", model)}
    queue: list[tuple[Any, list[Step]]] = [(model, [])]
    for obj, steps in queue:
        if len(found) > max_layers:
            break
        children: list[tuple[Any, list[Step]]] = []
        if isinstance(obj, model_type):
            children += [
                (sub, [*steps, Step("attr", "layers"), Step("item", i)])
                for i, sub in enumerate(obj.layers)
            ]
        for name, value in list(vars(obj).items()):
            if not name[:1].isalpha():
                continue
            here = [*steps, Step("attr", name)]
            if isinstance(value, layer_type):
                children.append((value, here))
            elif isinstance(value, (list, tuple)):
                children += [
                    (v, [*here, Step("item", i)])
                    for i, v in enumerate(value)
                    if isinstance(v, layer_type)
                ]
            elif isinstance(value, dict):
                children += [
                    (v, [*here, Step("item", k)])
                    for k, v in value.items()
                    if type(k) is str and isinstance(v, layer_type)
                ]
        for child, child_steps in children:
            if id(child) not in found:
                found[id(child)] = (format_path(child_steps, root=False), child)
                queue.append((child, child_steps))
    return found


def resolve_layer(model: Any, steps: list[Step]) -> Any:
    """Follow a strict path (:func:`~lockpickle_gui.core.inspect.paths.parse_strict`) from
    ``model`` to a layer, running no code the path chooses.

    ``.name`` reads the instance dictionary of a Keras layer (``vars(layer)``), except
    ``.layers`` of a Keras Model (Keras' own property); ``[i]`` indexes a list or tuple with
    ``list.__getitem__``; ``['k']`` looks up a dict with ``dict.__getitem__``. The path must
    end at a Keras layer. Raises :class:`CorruptSnapshot` otherwise.
    """
    keras = import_keras()
    layer_type, model_type = keras.layers.Layer, keras.Model
    obj = model
    shown = format_path(steps, root=False) or "the model itself"
    for step in steps:
        if step.kind == "attr":
            if step.value == "layers" and isinstance(obj, model_type):
                obj = list(obj.layers)
                continue
            namespace = vars(obj) if isinstance(obj, layer_type) else {}
            if step.value not in namespace:
                raise _layer_path_error(shown, f"no attribute {step.value!r} on a layer there")
            obj = namespace[step.value]
        elif type(step.value) is int:
            if not isinstance(obj, (list, tuple)) or step.value >= len(obj):
                raise _layer_path_error(shown, f"no item [{step.value}] there")
            if isinstance(obj, list):
                obj = list.__getitem__(obj, step.value)
            else:
                obj = tuple.__getitem__(obj, step.value)
        else:
            if not isinstance(obj, dict) or step.value not in obj:
                raise _layer_path_error(shown, f"no key {step.value!r} there")
            obj = dict.__getitem__(obj, step.value)
    if not isinstance(obj, layer_type):
        raise _layer_path_error(shown, f"it leads to a {type(obj).__name__}, not a layer")
    return obj


def _layer_path_error(path: str, what: str) -> CorruptSnapshot:
    return CorruptSnapshot(
        f"Expected {path} to be a layer of the stored model. Received: {what}.",
        hint="The file was damaged or edited; export the snapshot again.",
    )


def attached_objects(model: Any) -> list[tuple[str, Any, primitives.PrimitiveKind]]:
    """Primitives and blocked objects held directly in layer attributes (``layer.lock``).

    Keras' save keeps only what a layer's config and weights describe: these are what the
    snapshot must re-attach (or report). Functions are skipped: Keras serializes them.
    """
    kinds: dict[type, primitives.PrimitiveKind | None] = {}  # one table lookup per type
    found: list[tuple[str, Any, primitives.PrimitiveKind]] = []
    for path, layer in iter_layers(model):
        for attribute, value in list(vars(layer).items()):
            tp = type(value)
            if tp not in kinds:
                kinds[tp] = primitives.kind_of(value)
            kind = kinds[tp]
            if kind is not None and kind.name != "function":
                found.append((f"{path}.{attribute}", value, kind))
    return found


def class_name(cls: type) -> str:
    """``module.Qualname`` of a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


class CustomClass(TypedDict):
    """A class of a model's layers that is not Keras' own, and how Keras knows it."""

    module: str
    qualname: str
    registered_name: str  # the name Keras writes in a config ("package>Class" if registered)
    layer: str  # the path of the first layer of that class


def custom_classes(model: Any) -> list[CustomClass]:
    """Every non-Keras class among the model and its layers, with its registered name."""
    keras = import_keras()
    found: dict[type, CustomClass] = {}
    for path, layer in iter_layers(model):
        cls = type(layer)
        if cls in found or cls.__module__.partition(".")[0] in KERAS_PACKAGES:
            continue
        found[cls] = {
            "module": cls.__module__,
            "qualname": cls.__qualname__,
            "registered_name": keras.saving.get_registered_name(cls),
            "layer": path,
        }
    return list(found.values())


def keras_classes_of(modules: Iterable[ModuleType]) -> dict[str, type]:
    """``{registered or plain name: class}`` of the Keras saveables defined in ``modules``,
    passed to Keras as custom objects so unregistered classes of trusted code load too."""
    keras = import_keras()
    saveable = (keras.layers.Layer, keras.losses.Loss, keras.metrics.Metric)
    found: dict[str, type] = {}
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, saveable)
                and value.__module__ == module.__name__
            ):
                found[keras.saving.get_registered_name(value)] = value
                found.setdefault(value.__name__, value)
    return found
