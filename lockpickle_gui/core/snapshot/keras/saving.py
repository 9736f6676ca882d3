"""Keras models in and out of a snapshot member, in Keras' own ``.keras`` format.

Writing streams Keras' saver straight into the snapshot's ``models/<n>.keras`` member
(stored, not deflated) through a writer that hashes on the way (:mod:`..pipeline`): no
temporary ``.keras`` file and no second copy of the weights. Reading hands Keras a
:class:`~lockpickle_gui.core.snapshot.streams.MemberWindow`, a seekable read-only view of the
stored member inside the snapshot file, so nothing is extracted or copied either.

This package is the only place that touches Keras' private API (``keras.src``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from lockpickle_gui.core.tf_runtime import import_keras


def save_keras_object(obj: Any, stream) -> None:
    """Keras' own saver into a file object (``.keras`` zip, weights in HDF5)."""
    import_keras()
    from keras.src.saving import saving_lib

    with _attr_skipsets_cached(saving_lib):
        saving_lib.save_model(obj, stream)


# Keras 3.15's saver (and loader) walks every layer's attributes, skipping those a bare reference Layer
# has: get_attr_skipset() builds one (a new Layer() and a dir() of it, ~0.5 ms) per visited
# layer, because it caches the set under "saving_attr_skipset_*" but looks it up under
# "saving_attr_skiplist_*". Storing Keras' own result under the key it reads makes the same
# walk and the same file (ResNet50 saves ~80 ms faster). Only for this save: the state is
# thread-local and the entries are removed afterwards, so model.save elsewhere is as before.
# A Keras that caches correctly has the entry after computing it, and is left alone.
_SKIPSET_READ_KEY = "saving_attr_skiplist_{}"
_SKIPSET_TYPES = ("Layer", "Functional", "Sequential")


@contextlib.contextmanager
def _attr_skipsets_cached(saving_lib) -> Iterator[None]:
    from keras.src.backend.common import global_state

    compute = getattr(saving_lib, "get_attr_skipset", None)
    seeded = []
    for obj_type in _SKIPSET_TYPES if compute is not None else ():
        key = _SKIPSET_READ_KEY.format(obj_type)
        if global_state.get_global_attribute(key) is not None:
            continue
        skipset = compute(obj_type)
        if global_state.get_global_attribute(key) is None:  # Keras cached it elsewhere
            global_state.set_global_attribute(key, skipset)
            seeded.append(key)
    try:
        yield
    finally:
        for key in seeded:
            global_state.set_global_attribute(key, None)


def load_keras_object(stream, *, custom_objects: dict | None, safe_mode: bool) -> Any:
    """Keras' own loader, minus the random initialisation it overwrites (:mod:`.deferred_load`)."""
    import_keras()
    from keras.src.saving import saving_lib

    from lockpickle_gui.core.snapshot.keras import deferred_load

    with _attr_skipsets_cached(saving_lib):  # Keras' loader walks the layers the same way
        return deferred_load.load(stream, custom_objects=custom_objects, safe_mode=safe_mode)


def weight_bytes(obj: Any) -> int:
    total = 0
    for variable in getattr(obj, "weights", []):
        size = 1
        for dim in variable.shape:
            size *= int(dim or 1)
        total += size * _itemsize(variable.dtype)
    return total


def _itemsize(dtype: Any) -> int:
    text = str(dtype)
    for bits in ("64", "32", "16", "8"):
        if bits in text:
            return int(bits) // 8
    return 4
