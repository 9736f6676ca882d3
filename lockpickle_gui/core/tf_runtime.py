"""The one place that imports Keras/TensorFlow, lazily, and quietly.

Importing TensorFlow costs seconds; the package, the CLI's argument parsing and the GUI's
first window must not pay for it. Every core function that needs Keras calls
:func:`import_keras` inside the function body.

TensorFlow's native code writes start-up lines (oneDNN, CUDA stubs, absl's "before
InitializeLog" banner) straight to file descriptor 2, before any Python logging exists and
whatever ``TF_CPP_MIN_LOG_LEVEL`` says. Unless the user asks for them (``verbose_native_logs``
or their own ``TF_CPP_MIN_LOG_LEVEL``), the import runs with descriptor 2 pointed at a
temporary file; the lines go to this module's logger at DEBUG, and are printed after all if
the import fails, so nothing that explains a failure is lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import cast

log = logging.getLogger(__name__)

_import_lock = threading.Lock()
# Set beside TF_CPP_MIN_LOG_LEVEL when this module chose that level (the user did not).
_OUR_LEVEL_MARK = "LOCKPICKLE_QUIET_TF"
_warmed_up = False
_verbose = False


def verbose_native_logs(enabled: bool = True) -> None:
    """Let TensorFlow's native start-up lines through to stderr (``lockpickle --verbose``)."""
    global _verbose
    _verbose = enabled


@contextlib.contextmanager
def _native_stderr_captured() -> Iterator[None]:
    users_own_level = "TF_CPP_MIN_LOG_LEVEL" in os.environ and _OUR_LEVEL_MARK not in os.environ
    if _verbose or users_own_level or "tensorflow" in sys.modules:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2 (a pythonw-style GUI start)
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace").strip()
            if text:
                log.debug("TensorFlow's native start-up output:\n%s", text)
                if failed:
                    sys.stderr.write(text + "\n")


def import_keras() -> ModuleType:
    """Import and return ``keras`` (TensorFlow backend)."""
    global _warmed_up
    with _import_lock:  # two threads importing TensorFlow at once can deadlock on its locks
        if _warmed_up:
            import keras

            return cast(ModuleType, keras)  # untyped package: its module is Any to mypy
        with _native_stderr_captured():
            if "TF_CPP_MIN_LOG_LEVEL" not in os.environ and not _verbose:
                # Ours, not the user's: worker processes we spawn inherit both and stay quiet.
                os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
                os.environ[_OUR_LEVEL_MARK] = "1"
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
            import keras
            import tensorflow

            # The first conversion of Python data to a tensor runs a one-time initialisation
            # (ml_dtypes, through pybind11's GIL handling). When it first ran on a thread other
            # than the importing one (a Qt pool thread), the process crashed with SIGSEGV in
            # take_gil in about half the runs. Doing it here, on the importing thread, under
            # the import lock, closes that window for every caller.
            tensorflow.constant([0.0]).numpy()
        _warmed_up = True
        return cast(ModuleType, keras)


def import_tensorflow() -> ModuleType:
    """Import and return ``tensorflow`` (through :func:`import_keras`, quietly)."""
    import_keras()
    import tensorflow

    return cast(ModuleType, tensorflow)


def is_keras_layer(obj: object) -> bool:
    """True for a Keras layer (a model too); never imports Keras to find out."""
    if "keras" not in sys.modules:
        return False
    import keras

    return isinstance(obj, keras.layers.Layer)
