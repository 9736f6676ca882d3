"""The object the examples send to other processes: a Keras model inside a service with the
threading state real programs hold. Plain pickle refuses it:

    TypeError: cannot pickle '_thread.lock' object

Worker processes import this module by name to rebuild a ``LockedService``, so it lives in
its own file (not in the example script's ``__main__``).
"""

from __future__ import annotations

import os
import queue
import threading

import numpy as np


class LockedService:
    """A model plus a Lock, an RLock shared by a Condition, an Event and a Queue; the model's
    first layer carries a lock of its own (Keras' saver would drop it; a snapshot keeps it)."""

    def __init__(self, model, name: str = "locked-service"):
        self.name = name
        self.model = model
        self.lock = threading.Lock()
        self.state_lock = threading.RLock()
        self.changed = threading.Condition(self.state_lock)
        self.ready = threading.Event()
        self.ready.set()
        self.jobs: queue.Queue = queue.Queue()
        self.jobs.put("warm-up")
        self.model.layers[0].lock = threading.Lock()
        self.calls = 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.lock, self.model.layers[0].lock:
            self.calls += 1
            return np.asarray(self.model(x, training=False))

    def check(self) -> dict:
        """What must hold after the trip: fresh free locks, the sharing kept, state kept."""
        assert self.changed._lock is self.state_lock, "the Condition must share the RLock"
        for lock in (self.lock, self.model.layers[0].lock):
            assert lock.acquire(blocking=False), "a lock arrived held"
            lock.release()
        with self.changed, self.state_lock:  # the RLock is re-entrant, the Condition usable
            self.changed.notify_all()
        assert self.ready.is_set()
        assert list(self.jobs.queue) == ["warm-up"]
        return {"pid": os.getpid(), "name": self.name, "params": int(self.model.count_params())}


def build_model(kind: str = "tiny", seed: int = 0):
    """``tiny``: 16 -> 32 -> 4 (tests); ``big``: five Dense(2048) layers, 21M parameters."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.utils.set_random_seed(seed)
    if kind == "tiny":
        width, depth, out = 16, 1, 4
        hidden = [keras.layers.Dense(32, activation="relu", name="hidden")]
    elif kind == "big":
        width, depth, out = 2048, 4, 2048
        hidden = [
            keras.layers.Dense(2048, activation="relu", name=f"dense_{i}") for i in range(depth)
        ]
    else:
        raise ValueError(f"Expected kind 'tiny' or 'big'. Received {kind!r}.")
    return keras.Sequential(
        [keras.Input((width,), name="features"), *hidden, keras.layers.Dense(out, name="scores")],
        name=f"{kind}_mlp",
    )


def build_service(kind: str = "tiny", seed: int = 0) -> LockedService:
    return LockedService(build_model(kind, seed), name=f"{kind}-service")


def probe_input(service: LockedService, rows: int = 4) -> np.ndarray:
    width = int(service.model.input_shape[-1])
    return np.linspace(-1.0, 1.0, rows * width, dtype="float32").reshape(rows, width)


def use(service) -> dict:
    """Run on the receiving side: check the service and return its outputs on the probe."""
    if hasattr(service, "get") and not isinstance(service, LockedService):
        service = service.get()  # a LazyRef: load it now
    info = service.check()
    info["outputs"] = service.predict(probe_input(service))
    return info


def use_and_return(service):
    """Use it, then send it back (the return trip)."""
    use(service)
    return service


def loaded_state(ref) -> dict:
    """Does not use the object: a lazy reference must still be unloaded here."""
    return {"pid": os.getpid(), "type": type(ref).__name__, "loaded": getattr(ref, "loaded", None)}
