"""A registered custom layer for the remote backends' failure tests: worker processes and
Ray actors import this module (it is on their PYTHONPATH) when they rebuild the model."""

from __future__ import annotations

from lockpickle_gui.core.tf_runtime import import_keras

keras = import_keras()


@keras.saving.register_keras_serializable(package="lp_transport_tests")
class PoisonCheck(keras.layers.Layer):
    """Fails the whole batch when any value is >= 1000 (a 'poisoned' sample)."""

    def call(self, x):
        import tensorflow as tf

        tf.debugging.assert_less(tf.reduce_max(x), 1000.0, message="poison value in the batch")
        return x


def poisoned_model(seed: int = 0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [keras.Input((4,), name="features"), PoisonCheck(), keras.layers.Dense(3, name="scores")]
    )


def buffer_kinds(ref) -> list[str]:
    """What the payload's largest array (the first layer's kernel) arrived as, in the worker
    (``memmap`` under joblib)."""
    import numpy as np

    arrays = [b for b in ref.payload.buffers if isinstance(b, np.ndarray)]
    base = max(arrays, key=lambda a: a.nbytes)
    while not isinstance(base, np.memmap) and isinstance(base.base, np.ndarray):
        base = base.base
    return ["memmap" if isinstance(base, np.memmap) else type(base).__name__]
