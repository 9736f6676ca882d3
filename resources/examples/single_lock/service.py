"""A model and a LockManager with one lock, inside a service object.

`pickle.dumps(build(models))` fails with "TypeError: cannot pickle '_thread.lock' object";
lockpickle shows the lock at root.lock_manager.locks[0] and snapshots it fresh.
"""

import threading


class LockManager:
    """Hands out the locks that serialize access to shared resources."""

    def __init__(self, count=1):
        self.locks = [threading.Lock() for _ in range(count)]

    def lock_for(self, key):
        return self.locks[hash(key) % len(self.locks)]


class PredictionService:
    def __init__(self, model, lock_manager):
        self.model = model
        self.lock_manager = lock_manager

    def predict(self, batch):
        # One caller at a time: Keras' TensorFlow backend is not thread-safe.
        with self.lock_manager.lock_for("model"):
            return self.model.predict(batch, verbose=0)


def build(models):
    """[runtime] factory: the object the program really runs."""
    return PredictionService(models["classifier"], LockManager(1))
