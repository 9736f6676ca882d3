"""Small real Keras models and object graphs the tests save as snapshots.

Imported by name (``from models import ...``): pytest puts ``tests/`` on ``sys.path``.
Object graphs are plain dicts (built-in containers need no trust to load) holding a model
and threading primitives, the way a service holds them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any


def mlp(keras, *, hidden: int = 8, extra_layer: bool = False, seed: int = 0, name: str = "scorer"):
    """A built 4 -> hidden -> 3 MLP with deterministic weights; ``extra_layer`` inserts a
    second hidden Dense (a re-architected model)."""
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((4,), name="features"), keras.layers.Dense(hidden, name="hidden")]
    if extra_layer:
        layers.append(keras.layers.Dense(hidden, activation="relu", name="hidden_2"))
    layers.append(keras.layers.Dense(3, name="scores"))
    return keras.Sequential(layers, name=name)


def retrained(keras, model, *, step: float = 0.01):
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


class Settings:
    """A user class in the object graph: loading it needs this module trusted."""

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
