"""Small real Keras models and object graphs the tests build, save and snapshot.

Imported by name (``from models import mlp``): pytest puts ``tests/`` on ``sys.path``. Every
builder seeds Keras' random generators first, so the same call gives the same weights. Build a
model inline only where a test is about that particular shape.

Object graphs are plain dicts (built-in containers need no trust to load) holding a model and
threading primitives, the way a service holds them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lockpickle_gui.core.tf_runtime import import_keras

keras = import_keras()


def mlp(
    *,
    hidden: int = 8,
    hidden_layers: int = 1,
    insert: Sequence[Any] = (),
    activation: str | None = None,
    seed: int = 0,
    name: str = "scorer",
):
    """features (4,) -> Dense(hidden) "hidden" [-> "hidden_2" ...] -> *insert -> Dense(3)
    "scores", built: 67 parameters with the defaults.

    ``hidden_layers``: how many hidden Dense layers (a re-architected model has one more).
    ``insert``: layers without weights placed before "scores" (a custom layer holding a lock).
    """
    keras.utils.set_random_seed(seed)
    names = ["hidden"] + [f"hidden_{n}" for n in range(2, hidden_layers + 1)]
    return keras.Sequential(
        [
            keras.Input((4,), name="features"),
            *(keras.layers.Dense(hidden, activation=activation, name=n) for n in names),
            *insert,
            keras.layers.Dense(3, name="scores"),
        ],
        name=name,
    )


def classifier(*, classes: int = 5, seed: int = 0, name: str = "classifier"):
    """features (4,) -> Dense(8, relu) -> Dense(classes, softmax): outputs are class scores."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((4,), name="features"),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(classes, activation="softmax", name="classes"),
        ],
        name=name,
    )


def image_classifier(*, seed: int = 0):
    """image (8, 8, 3) -> Conv2D(2, 3) -> global average -> Dense(4, softmax)."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((8, 8, 3), name="image"),
            keras.layers.Conv2D(2, 3, name="conv"),
            keras.layers.GlobalAveragePooling2D(name="pool"),
            keras.layers.Dense(4, activation="softmax", name="classes"),
        ],
        name="vision",
    )


def image_and_tokens(*, seed: int = 0):
    """Named inputs and outputs in dicts: "image" (8, 8, 3) float32 and "tokens" (6,) int32
    ids below 12 (an Embedding of 12) -> "label" (3 class scores) and "score" (1 value)."""
    keras.utils.set_random_seed(seed)
    image = keras.Input((8, 8, 3), name="image")
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    a = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3, padding="same")(image))
    b = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(12, 3)(tokens))
    joined = keras.layers.Concatenate()([a, b])
    return keras.Model(
        {"image": image, "tokens": tokens},
        {
            "label": keras.layers.Dense(3, activation="softmax", name="label")(joined),
            "score": keras.layers.Dense(1, name="score")(joined),
        },
        name="image_and_tokens",
    )


def branching(*, seed: int = 0):
    """A Functional model with branches, in and out as lists:

    in_a (32,) -> a_dense -> branch1, branch2 ┐
    in_b (16,) -> b_dense ──────────────────── cat (128) -> trunk (a nested Sequential:
    s1, s2) and proj -> skip_add -> cls (5,); trunk -> reg (1,)
    """
    keras.utils.set_random_seed(seed)
    a, b = keras.Input((32,), name="in_a"), keras.Input((16,), name="in_b")
    x = keras.layers.Dense(64, name="a_dense")(a)
    b1, b2 = keras.layers.Dense(32, name="branch1")(x), keras.layers.Dense(32, name="branch2")(x)
    cat = keras.layers.Concatenate(name="cat")([b1, b2, keras.layers.Dense(64, name="b_dense")(b)])
    trunk = keras.Sequential(
        [keras.Input((128,)), keras.layers.Dense(48, name="s1"), keras.layers.Dense(48, name="s2")],
        name="trunk",
    )
    t = trunk(cat)
    added = keras.layers.Add(name="skip_add")([t, keras.layers.Dense(48, name="proj")(cat)])
    outputs = [keras.layers.Dense(5, name="cls")(added), keras.layers.Dense(1, name="reg")(t)]
    return keras.Model([a, b], outputs, name="two_in_two_out")


def nested(*, seed: int = 0):
    """x (4,) -> "inner" (a Sequential: Dense(5) "inner_dense") -> Dense(2) "head": the
    Functional model "outer", whose layers are [x, inner, head]."""
    keras.utils.set_random_seed(seed)
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, name="inner_dense")], name="inner"
    )
    inputs = keras.Input((4,), name="x")
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(inner(inputs)), name="outer")


def sharing_a_layer(*, seed: int = 0):
    """Two models, "a" and "b", holding the same Dense layer "shared" (layers[1] in both);
    "b" adds a "head" after it."""
    keras.utils.set_random_seed(seed)
    shared = keras.layers.Dense(2, name="shared")
    inputs_a, inputs_b = keras.Input((3,)), keras.Input((3,))
    a = keras.Model(inputs_a, shared(inputs_a), name="a")
    b = keras.Model(inputs_b, keras.layers.Dense(1, name="head")(shared(inputs_b)), name="b")
    return a, b


@keras.saving.register_keras_serializable(package="lp_tests")
class LockedScale(keras.layers.Layer):
    """A registered custom layer whose constructor makes its own lock (at ``.lock``)."""

    def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor
        self.lock = threading.Lock()

    def call(self, x):
        return x * self.factor

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


def retrained(model, *, step: float = 0.01):
    """A copy of ``model`` with every weight moved by ``step`` (a model trained further)."""
    clone = keras.models.clone_model(model)
    clone.set_weights([w + step for w in model.get_weights()])
    return clone


def service(model, *, lock: str = "Lock") -> dict[str, Any]:
    """What a program holds around a model: a lock, a condition sharing it, an event."""
    made = threading.RLock() if lock == "RLock" else threading.Lock()
    return {
        "model": model,
        "lock": made,
        "ready": threading.Condition(made),
        "started": threading.Event(),
    }


def save(obj, path: Path, **kwargs) -> Path:
    import lockpickle_gui as lp

    lp.save_snapshot(obj, path, **kwargs)
    return path


def round_trip(obj, folder: Path, *, trust: Sequence[str] = ("models",), **save_kwargs):
    """Save ``obj`` as ``folder / "state.lpsnap"`` and load it back (trusting ``trust``):
    returns (the manifest, the restored object)."""
    import lockpickle_gui as lp

    target = folder / "state.lpsnap"
    manifest = lp.save_snapshot(obj, target, **save_kwargs)
    return manifest, lp.load_snapshot(target, trust=list(trust))


def predict(model, x):
    """The model's outputs for the batch ``x``, as a NumPy array (inference mode)."""
    import numpy as np

    return np.asarray(model(x, training=False))


class Box:
    """A plain object holding whatever the test puts in it (loading it needs this module
    trusted: ``trust=["models"]``)."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


class Settings:
    """A user class in the object graph: loading it needs this module trusted."""

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
