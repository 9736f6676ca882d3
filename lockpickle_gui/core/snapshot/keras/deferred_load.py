"""Load a model without paying for random weight initialisation.

``keras.saving.load_model`` builds the model from its config — which runs every weight
initialiser (25M random numbers for a 25M-parameter model) — and then overwrites those
values with the stored weights. Keras itself supports *deferred* initialisation (a
``StatelessScope`` records variables instead of initialising them; JAX users rely on it):
this loader builds the model and runs Keras' own ``_load_state`` inside such a scope, so the
stored weights are recorded as the variables' initial values, and only variables the file
does not hold (a metric's counters) get their normal initialiser.

It works on a config plus any weights store: a snapshot's native model (``native.py``) or
the HDF5 weights of a ``.keras`` member. It uses Keras internals (``_model_from_config``,
``_load_state``, the deferred variable collection; ``compat.py`` checks the version). Any
surprise -- an exotic layer -- falls back to Keras' own order (build, initialise, then
load), which gives Keras' own result or error.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from typing import Any

from lockpickle_gui.core.snapshot.streams import MemberWindow, stored_member_offset

log = logging.getLogger(__name__)

_CONFIG = "config.json"
_WEIGHTS = "model.weights.h5"


def load_keras_file(
    saving_lib: Any, stream: Any, *, custom_objects: dict[str, Any] | None, safe_mode: bool
) -> Any:
    """The model in ``stream`` (a seekable ``.keras`` file object)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if _WEIGHTS not in names or len(names) > 3:  # assets or npz weights: Keras' path
                raise RuntimeError("not a plain config + HDF5 weights archive")
            config_json = saving_lib._safe_zip_read(archive, _CONFIG)
            saving_lib._reject_zip_bomb(archive, _WEIGHTS)
            weights = _weights_file(archive, stream)
        store = _open_store(saving_lib, weights)
        try:
            return _load_deferred(saving_lib, config_json, store, custom_objects, safe_mode)
        finally:
            store.close()
            weights.close()
    except Exception as error:  # noqa: BLE001 - any surprise: Keras' own path decides
        log.debug("deferred-initialisation load fell back to Keras' loader: %r", error)
    stream.seek(0)
    return saving_lib.load_model(
        stream, custom_objects=custom_objects, compile=True, safe_mode=safe_mode
    )


def load_from_config(
    saving_lib: Any,
    config_json: str,
    store: Any,
    *,
    custom_objects: dict[str, Any] | None,
    safe_mode: bool,
) -> Any:
    """A model from its config and a weights store (``native.read_store``)."""
    try:
        return _load_deferred(saving_lib, config_json, store, custom_objects, safe_mode)
    except Exception as error:  # noqa: BLE001 - any surprise: Keras' own order decides
        log.debug("deferred-initialisation load fell back to Keras' order: %r", error)
    model = saving_lib._model_from_config(config_json, custom_objects, True, safe_mode)
    _load_state(saving_lib, model, store, set())
    return model


def _load_deferred(
    saving_lib: Any, config_json: Any, store: Any, custom_objects: Any, safe_mode: bool
) -> Any:
    from keras.src.backend.common import global_state
    from keras.src.backend.common.stateless_scope import StatelessScope, in_stateless_scope
    from keras.src.backend.common.variables import initialize_all_variables
    from keras.src.saving import object_registration, serialization_lib

    if in_stateless_scope() or global_state.get_global_attribute("uninitialized_variables"):
        raise RuntimeError("deferred variables already pending in this thread")
    compile_config = json.loads(config_json).get("compile_config")
    try:
        # 1. The model, uncompiled, its variables recorded but not initialised.
        with StatelessScope(initialize_variables=False):
            model = saving_lib._model_from_config(config_json, custom_objects, False, safe_mode)
        pending = list(global_state.get_global_attribute("uninitialized_variables") or [])
        # 2. Keras' own _load_state; the scope records the values it assigns.
        visited: set[int] = set()
        with StatelessScope(initialize_variables=False) as scope:
            _load_state(saving_lib, model, store, visited)
        # 3. Stored values become initial values; every one must find its variable.
        known = {id(v): v for v in pending}
        if set(scope.state_mapping) - set(known):
            raise RuntimeError("a loaded value belongs to a variable this loader does not know")
        for variable in pending:
            value = scope.get_current_value(variable)
            if value is not None:
                variable._initializer = _constant(value)
        scope.state_mapping.clear()  # each value now lives only until its variable holds it
        initialize_all_variables()
        # 4. Compile as Keras' loader does, then load what compiling added (the optimizer),
        #    skipping every saveable already loaded.
        if compile_config:
            with (
                object_registration.CustomObjectScope(custom_objects),
                serialization_lib.SafeModeScope(safe_mode),
            ):
                model.compile_from_config(compile_config)
                model.compiled = True
            visited.discard(id(model))
            _load_state(saving_lib, model, store, visited)
    except BaseException:
        global_state.set_global_attribute("uninitialized_variables", [])
        raise
    return model


def _weights_file(archive: zipfile.ZipFile, stream: Any) -> Any:
    """The HDF5 weights as a file object: a window onto the bytes where they lie in the
    snapshot when the member is stored (no copy), else an in-memory copy (Keras' way)."""
    info = archive.getinfo(_WEIGHTS)
    if (
        isinstance(stream, MemberWindow)
        and info.compress_type == zipfile.ZIP_STORED
        and not info.flag_bits & 0x1
    ):
        return stream.sub_window(stored_member_offset(stream.name, archive, info), info.file_size)
    return io.BytesIO(archive.read(_WEIGHTS))


def _open_store(saving_lib: Any, weights: Any) -> Any:
    if isinstance(weights, io.BytesIO):
        return saving_lib.H5IOStore(weights, mode="r")

    class WindowStore(saving_lib.H5IOStore):  # type: ignore[misc]
        """Keras' HDF5 store reading from a file object it would not accept itself."""

        def _get_h5_file(self, path_or_io: Any, mode: Any = None) -> Any:
            import h5py

            return h5py.File(weights, mode="r")

    return WindowStore(io.BytesIO(), mode="r")


def _load_state(saving_lib: Any, model: Any, store: Any, visited: set[int]) -> None:
    failed: set[int] = set()
    errors: dict[int, Any] = {}
    saving_lib._load_state(
        model,
        weights_store=store,
        assets_store=None,
        inner_path="",
        visited_saveables=visited,
        failed_saveables=failed,
        error_msgs=errors,
    )
    if failed:
        saving_lib._raise_loading_failure(errors)


def _constant(value: Any) -> Any:
    def initializer(shape: Any, dtype: Any = None) -> Any:
        return value

    return initializer
