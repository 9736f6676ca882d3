"""The one place that imports Keras/TensorFlow, lazily.

Importing TensorFlow costs seconds; the package, the CLI's argument parsing and the GUI's
first window must not pay for it. Every core function that needs Keras calls
:func:`import_keras` inside the function body.
"""

from __future__ import annotations

import os
import threading

_import_lock = threading.Lock()


def import_keras():
    """Import and return ``keras`` (TensorFlow backend), quietening TensorFlow's C++ logs."""
    with _import_lock:  # two threads importing TensorFlow at once can deadlock on its locks
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras

        return keras


def import_tensorflow():
    import_keras()
    import tensorflow

    return tensorflow


def is_keras_model(obj) -> bool:
    """True for a Keras model, without importing Keras when it has not been imported yet."""
    import sys

    if "keras" not in sys.modules:
        return False
    import keras

    return isinstance(obj, keras.Model)


def is_keras_layer(obj) -> bool:
    import sys

    if "keras" not in sys.modules:
        return False
    import keras

    return isinstance(obj, keras.layers.Layer)
