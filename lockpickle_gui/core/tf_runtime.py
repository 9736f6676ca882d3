"""The one place that imports Keras/TensorFlow, lazily.

Importing TensorFlow costs seconds; the package, the CLI's argument parsing and the GUI's
first window must not pay for it. Every core function that needs Keras calls
:func:`import_keras` inside the function body.
"""

from __future__ import annotations

import os
import threading

_import_lock = threading.Lock()
_warmed_up = False


def import_keras():
    """Import and return ``keras`` (TensorFlow backend), quietening TensorFlow's C++ logs."""
    global _warmed_up
    with _import_lock:  # two threads importing TensorFlow at once can deadlock on its locks
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras

        if not _warmed_up:
            # The first conversion of Python data to a tensor runs a one-time initialisation
            # (ml_dtypes, through pybind11's GIL handling). When it first ran on a thread other
            # than the importing one (a Qt pool thread), the process crashed with SIGSEGV in
            # take_gil in about half the runs. Doing it here, on the importing thread, under
            # the import lock, closes that window for every caller.
            import tensorflow

            tensorflow.constant([0.0]).numpy()
            _warmed_up = True
        return keras


def import_tensorflow():
    import_keras()
    import tensorflow

    return tensorflow


def is_keras_layer(obj) -> bool:
    import sys

    if "keras" not in sys.modules:
        return False
    import keras

    return isinstance(obj, keras.layers.Layer)
