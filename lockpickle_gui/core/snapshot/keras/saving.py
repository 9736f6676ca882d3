"""Keras models in and out of a snapshot: the only place Keras' private API is used.

Saving picks the storage per model:
  * "native" (``native.py``): Keras' config.json and each variable as an ``.npy`` member,
    through Keras' own state walk -- data only, and about as fast as ``np.save``;
  * "keras": Keras' own ``.keras`` file as one member, for a model whose layers keep assets
    (files), or on a Keras whose internals were not checked (``compat.py``; then through
    Keras' public API and a temporary file).
Loading reads either back; native models skip the random initialisation Keras would
compute and overwrite (``deferred_load.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockpickle_gui.core.errors import SnapshotError
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import safejson
from lockpickle_gui.core.snapshot.keras import compat, deferred_load, native
from lockpickle_gui.core.tf_runtime import import_keras


@dataclass
class SavedModel:
    storage: str  # "native" | "keras"
    variables: int
    bytes: int
    config: str | None  # the config JSON (native), for the manifest's type list


def save_model(
    model: Any,
    index: int,
    add_bytes: Callable[[str, bytes], None],
    add_array: Callable[[str, Any], None],
    *,
    config: str | None = None,
) -> SavedModel:
    """Write ``model`` as the members of stored model ``index`` (``config``: its config JSON,
    when the caller computed it already)."""
    import_keras()
    saving_lib = compat.saving_lib()
    if saving_lib is None:
        data = _public_save(model)
        add_bytes(fmt.keras_member(index), data)
        return SavedModel("keras", 0, len(data), None)
    with _attr_skipsets_cached(saving_lib):
        if native.needs_keras_format(model):
            buffer = io.BytesIO()
            saving_lib.save_model(model, buffer)
            add_bytes(fmt.keras_member(index), buffer.getvalue())
            return SavedModel("keras", 0, buffer.tell(), None)
        config = config or native.config_json(saving_lib, model)
        where, count, size = native.write_variables(saving_lib, model, index, add_array)
    add_bytes(fmt.config_member(index), config.encode("utf-8"))
    add_bytes(fmt.weights_index_member(index), safejson.dumps(where))
    return SavedModel("native", count, size, config)


def model_config(model: Any) -> str:
    """Keras' config JSON of ``model`` (what a .keras file's config.json holds)."""
    saving_lib = compat.saving_lib()
    if saving_lib is not None:
        return native.config_json(saving_lib, model)
    keras = import_keras()
    return json.dumps(keras.saving.serialize_keras_object(model))


def load_native(
    config_json: str,
    where: dict[str, dict[str, int]],
    read: Callable[[int], Any],
    *,
    custom_objects: dict[str, Any],
    safe_mode: bool,
) -> Any:
    """A native model: its config, its weights index and a reader of its variables."""
    import_keras()
    saving_lib = compat.saving_lib()
    if saving_lib is None:
        raise SnapshotError(
            "Expected a Keras whose saving internals lockpickle checked, to read a model stored "
            "as config.json + .npy variables. Received: another Keras version.",
            hint=f"Install keras within {compat.TESTED[0]}..{compat.TESTED[1]} to load it.",
        )
    store = native.read_store(saving_lib, where, read)
    with _attr_skipsets_cached(saving_lib):
        return deferred_load.load_from_config(
            saving_lib, config_json, store, custom_objects=custom_objects, safe_mode=safe_mode
        )


def load_keras_file(stream: Any, *, custom_objects: dict[str, Any], safe_mode: bool) -> Any:
    """A model stored in Keras' own format (a seekable stream of the ``.keras`` member)."""
    keras = import_keras()
    saving_lib = compat.saving_lib()
    if saving_lib is not None:
        with _attr_skipsets_cached(saving_lib):
            return deferred_load.load_keras_file(
                saving_lib, stream, custom_objects=custom_objects, safe_mode=safe_mode
            )
    with tempfile.TemporaryDirectory(prefix="lpsnap-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(stream.read())
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=safe_mode)


def _public_save(model: Any) -> bytes:
    with tempfile.TemporaryDirectory(prefix="lpsnap-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


# Keras 3.15's saver (and loader) walks every layer's attributes, skipping those a bare
# reference Layer has: get_attr_skipset() builds one (a new Layer() and a dir() of it,
# ~0.5 ms) per visited layer, because it caches the set under "saving_attr_skipset_*" but
# looks it up under "saving_attr_skiplist_*". Storing Keras' own result under the key it
# reads makes the same walk and the same file (ResNet50 saves ~80 ms faster). Only for this
# save: the state is thread-local and the entries are removed afterwards, so model.save
# elsewhere is as before. A Keras that caches correctly has the entry, and is left alone.
_SKIPSET_READ_KEY = "saving_attr_skiplist_{}"
_SKIPSET_TYPES = ("Layer", "Functional", "Sequential")


@contextlib.contextmanager
def _attr_skipsets_cached(saving_lib: Any) -> Iterator[None]:
    from keras.src.backend.common import global_state

    compute = getattr(saving_lib, "get_attr_skipset", None)
    seeded = []
    for obj_type in _SKIPSET_TYPES:
        if compute is None:
            break
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
