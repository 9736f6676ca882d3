"""Which Keras this is, and whether its private saving internals may be used.

The native model storage (config.json + ``.npy`` variables, ``native.py``) and the fast
loader (``deferred_load.py``) call Keras internals (``keras.src.saving.saving_lib``,
``StatelessScope``) checked against the versions in :data:`TESTED`. On any other Keras, or
when an internal is missing, snapshots use Keras' public ``.keras`` format instead (through
a temporary file: the public API saves and loads paths only) and a warning says so, once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from lockpickle_gui.core.tf_runtime import import_keras

log = logging.getLogger(__name__)

TESTED = ((3, 10), (3, 16))  # [from, to): the versions pyproject.toml allows
_REQUIRED = (
    "_save_state",
    "_load_state",
    "_serialize_model_as_json",
    "_model_from_config",
    "NpzIOStore",
    "H5IOStore",
)
_warned = threading.Event()


def _version(text: str) -> tuple[int, int]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def saving_lib() -> Any | None:
    """Keras' ``saving_lib`` when this Keras is one the internals were checked against,
    else None (after logging, once per process, that the public path is used)."""
    keras = import_keras()
    version = _version(getattr(keras, "__version__", "0"))
    reason = None
    module = None
    if not TESTED[0] <= version < TESTED[1]:
        reason = f"Keras {keras.__version__} is outside the tested {TESTED[0]}..{TESTED[1]}"
    else:
        try:
            from keras.src.saving import saving_lib as module  # type: ignore[no-redef]
        except ImportError as error:
            reason = f"keras.src.saving is missing ({error})"
        else:
            missing = [name for name in _REQUIRED if not hasattr(module, name)]
            if missing:
                reason = f"Keras' saving_lib lacks {', '.join(missing)}"
    if reason is None:
        return module
    if not _warned.is_set():
        _warned.set()
        log.warning(
            "lockpickle snapshots use Keras' public .keras format (slower, through a temporary "
            "file) because %s.",
            reason,
        )
    return None
