"""What the inspector asks Keras about a layer or a model: is it one, its sublayers, its
row in the tree (:data:`~.tree.LayerSummary`), and what would keep a snapshot from
rebuilding it.

Kept apart from :mod:`.walker` so the walk stays readable; the layers of a live model as a
snapshot addresses them are :mod:`.model_layers`. Nothing here imports Keras on its own:
:class:`KerasContext` looks at ``sys.modules`` and only uses Keras when the program being
inspected has already imported it (an object cannot be a Keras layer otherwise), so
inspecting a plain object graph never pays the TensorFlow import.
"""

from __future__ import annotations

import inspect as _pyinspect
import sys
from collections.abc import Callable
from typing import Any

from lockpickle_gui.core.inspect.tree import LayerSummary
from lockpickle_gui.core.tf_runtime import import_keras

# Top-level packages whose objects are framework internals (variables, trackers, dtype
# policies, tf.functions...). The inspector does not descend into them unless asked.
FRAMEWORK_PACKAGES = frozenset(
    {
        "keras",
        "tf_keras",
        "tensorflow",
        "tensorflow_core",
        "tree",
        "optree",
        "ml_dtypes",
        "numpy",
        "h5py",
        "absl",
        "google",
    }
)
# Packages whose classes Keras finds by name without registration (Keras' own, and the
# KerasHub/CV/NLP libraries, which register theirs on import).
KERAS_PACKAGES = frozenset(
    {"keras", "tf_keras", "tensorflow", "keras_hub", "keras_cv", "keras_nlp"}
)

_VARIADIC = (_pyinspect.Parameter.VAR_POSITIONAL, _pyinspect.Parameter.VAR_KEYWORD)


def top_package(tp: type) -> str:
    """The top-level package a class comes from (``keras`` for ``keras.layers.Dense``)."""
    return (getattr(tp, "__module__", None) or "").partition(".")[0]


def is_framework_type(tp: type) -> bool:
    return top_package(tp) in FRAMEWORK_PACKAGES


class KerasContext:
    """The Keras classes the walker tests against, resolved once per ``inspect()`` call."""

    def __init__(self) -> None:
        self.layer_type: type | None = None
        self.model_type: type | None = None
        self._registered_name: Callable[[type], str] | None = None
        self._registration: dict[type, bool] = {}
        if "keras" in sys.modules:
            keras = import_keras()
            self.layer_type = keras.layers.Layer
            self.model_type = keras.Model
            self._registered_name = keras.saving.get_registered_name

    def is_layer(self, obj: Any) -> bool:
        return self.layer_type is not None and isinstance(obj, self.layer_type)

    def is_model(self, obj: Any) -> bool:
        return self.model_type is not None and isinstance(obj, self.model_type)

    # ------------------------------------------------------------------ tree structure

    def sublayers(self, layer: Any) -> list[tuple[str, str, Any]]:
        """``(name, path suffix, sublayer)`` for a model's ``.layers``, in Keras' own order."""
        if not self.is_model(layer):
            return []
        try:
            layers = layer.layers
        except (AttributeError, RuntimeError, ValueError):  # a half-constructed model
            return []
        return [
            (getattr(sub, "name", f"[{i}]"), f".layers[{i}]", sub) for i, sub in enumerate(layers)
        ]

    def tracked_sublayers(self, layer: Any) -> list[tuple[str, str, Any]]:
        """Sublayers Keras tracks in ``_layers`` (for layers that are not models).

        A custom layer holding ``self._inner = Dense(...)`` owns a sublayer the public
        attribute scan does not show; ``._layers[i]`` is a path that resolves to it.
        """
        if self.is_model(layer):
            return []  # a model's .layers already lists them (Sequential hides its InputLayer)
        tracked = getattr(layer, "_layers", None)
        if not isinstance(tracked, list):
            return []
        return [
            (getattr(sub, "name", f"[{i}]"), f"._layers[{i}]", sub) for i, sub in enumerate(tracked)
        ]

    # ------------------------------------------------------------------ node info

    def summary(self, layer: Any) -> LayerSummary:
        """The layer's row in the tree; unknowns are None."""
        return {
            "class": type(layer).__name__,
            "output_shape": output_shape(layer),
            "params": param_count(layer),
            "trainable": bool(getattr(layer, "trainable", False)),
            "dtype": dtype_name(layer),
        }

    # ------------------------------------------------------------------ problems

    def is_custom(self, cls: type) -> bool:
        return top_package(cls) not in KERAS_PACKAGES

    def is_registered(self, cls: type) -> bool:
        known = self._registration.get(cls)
        if known is None:
            # Registered names always read "package>Class"; unregistered ones are __name__.
            known = self._registered_name is not None and self._registered_name(cls) != cls.__name__
            self._registration[cls] = known
        return known

    def problems(self, layer: Any) -> list[tuple[str, str, str]]:
        """``(kind, state, detail)`` for each reason a snapshot could not rebuild ``layer``."""
        cls = type(layer)
        if cls.__name__ == "TFSMLayer" and not self.is_custom(cls):
            return [
                (
                    "SavedModel",
                    f"opaque, {len(layer.weights)} variables",
                    "a TensorFlow SavedModel loaded as keras.layers.TFSMLayer: its tree is shallow "
                    "because it holds a traced graph, not Keras layers (the project lists its "
                    "signatures); a snapshot cannot rebuild it without the SavedModel folder.",
                )
            ]
        if not self.is_custom(cls):
            return []
        found: list[tuple[str, str, str]] = []
        if not self.is_registered(cls):
            found.append(
                (
                    "unregistered layer",
                    "not registered",
                    f"{cls.__module__}.{cls.__qualname__} is not registered with Keras: it pickles, "
                    "then fails to load ('Could not locate class'). Fix: decorate the class with "
                    '@keras.saving.register_keras_serializable(package="your_package").',
                )
            )
        missing = config_problem(layer)
        if missing:
            found.append(
                (
                    "incomplete get_config",
                    missing,
                    f"{cls.__qualname__}.from_config(layer.get_config()) cannot rebuild this layer. "
                    "Fix: return every __init__ argument from get_config() "
                    "(config = super().get_config(); config.update(...)).",
                )
            )
        return found


def config_problem(layer: Any) -> str | None:
    """Why ``type(layer).from_config(layer.get_config())`` would not rebuild it, or None.

    The check is deliberately static: ``get_config()`` must run and return a dict holding
    every named ``__init__`` parameter of the layer's class (``*args``/``**kwargs`` are
    forwarded to the base Layer, whose own keys ``get_config`` always writes). Actually
    calling ``from_config`` would build a second layer per custom layer: it may allocate
    weights, start threads or have other side effects in user code, and costs as much as
    the constructor. The signature check is cheap, has no side effects, and catches the
    common mistakes: a forgotten ``get_config`` (Keras' default raises for non-basic
    arguments) and an argument left out of the dict or stored under another key.
    """
    try:
        config = layer.get_config()
    except Exception as error:  # noqa: BLE001 - any failure in user code is the finding itself
        return f"get_config() raises {type(error).__name__}: {error}"
    if not isinstance(config, dict):
        return f"get_config() returns {type(config).__name__}, not a dict"
    init_owner = next(c for c in type(layer).__mro__ if "__init__" in vars(c))
    if top_package(init_owner) in KERAS_PACKAGES:
        return None  # the constructor is Keras' own: its get_config covers it
    try:
        signature = _pyinspect.signature(type(layer).__init__)
    except (TypeError, ValueError):  # a C-level __init__: nothing to compare
        return None
    parameters = list(signature.parameters.values())[1:]  # drop self
    missing = [p.name for p in parameters if p.kind not in _VARIADIC and p.name not in config]
    if missing:
        return "get_config() misses " + ", ".join(missing)
    return None


def _plain_shape(shape: Any) -> Any:
    """A shape (or a structure of shapes / tensors) as JSON-able lists of int|None."""
    if hasattr(shape, "shape") and not isinstance(shape, (tuple, list)):
        shape = shape.shape
    if isinstance(shape, (tuple, list)):
        if all(d is None or isinstance(d, int) for d in shape):
            return [None if d is None else int(d) for d in shape]
        return [_plain_shape(s) for s in shape]
    if isinstance(shape, dict):
        return {str(k): _plain_shape(v) for k, v in shape.items()}
    if shape is None:
        return None
    try:  # a TensorShape
        return [None if d is None else int(d) for d in shape]
    except TypeError:
        return None


def output_shape(layer: Any) -> Any:
    """The layer's output shape, or None when Keras does not know it.

    Unbuilt layers, layers of subclassed models (never called on symbolic inputs) and
    layers used at several places of a graph have no single output shape: Keras raises
    (AttributeError, ValueError, ...); the inspector shows "unknown" instead of failing.
    """
    try:
        return _plain_shape(layer.output_shape)
    except Exception:  # noqa: BLE001 - "unknown" is the documented answer, see docstring
        pass
    try:
        return _plain_shape(layer.output)
    except Exception:  # noqa: BLE001 - same reason
        return None


def param_count(layer: Any) -> int | None:
    if not getattr(layer, "built", False):
        return None
    try:
        return int(layer.count_params())
    except (ValueError, AttributeError, TypeError):
        return None


def dtype_name(layer: Any) -> str | None:
    policy = getattr(layer, "dtype_policy", None)
    name = getattr(policy, "name", None)
    if isinstance(name, str):
        return name
    dtype = getattr(layer, "dtype", None)
    return None if dtype is None else str(dtype)
