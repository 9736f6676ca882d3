"""Model files: ``.keras``, full-model ``.h5`` and SavedModel folders, loaded safely.

Keras models load with ``safe_mode=True`` unless the caller says otherwise; a weights-only
``.h5`` is refused with a plain message; a SavedModel opens as a ``keras.layers.TFSMLayer``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, TypedDict

from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.tf_runtime import import_keras, import_tensorflow

WEIGHTS_ONLY = (
    "contains weights only, no architecture; open the model file or a project that builds it."
)
WEIGHTS_ONLY_HINT = (
    "Save the whole model with model.save('model.keras'), or open a project "
    "folder whose [runtime] factory builds the model and calls "
    "model.load_weights() on this file."
)
MODEL_FILE_HINT = "Save the model with model.save('model.keras') and open that file."


class SavedModelInfo(TypedDict):
    """What a SavedModel tells without Keras layers (its details in the app and the CLI)."""

    endpoint: str  # the endpoint the TFSMLayer calls
    signatures: dict[str, dict[str, dict[str, str]]]  # name -> inputs/outputs -> name -> spec
    variables: int
    params: int
    why_shallow: str


def _check_h5(path: Path) -> None:
    """Refuse weights-only and non-HDF5 files before Keras gives a cryptic error."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            if "model_config" not in handle.attrs:
                raise ProjectError(
                    f"Expected a full-model .h5 file (architecture and weights). "
                    f"Received: {path}, which {WEIGHTS_ONLY}",
                    path=path,
                    hint=WEIGHTS_ONLY_HINT,
                )
    except OSError as error:
        raise ProjectError(
            f"Expected an HDF5 model file. Received: {path}, which HDF5 cannot read ({error}).",
            path=path,
            hint=MODEL_FILE_HINT,
        ) from None


def load_model_file(
    path: Path, *, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True
) -> Any:
    """A .keras or full-model .h5 file -> keras.Model, or a ProjectError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ProjectError(
            f"Expected a model file. Received: {path}, which does not exist "
            "(model file not found).",
            path=path,
            hint="Check the path, or save the model there with model.save().",
        )
    if path.suffix.lower() in (".h5", ".hdf5"):
        _check_h5(path)
    elif path.suffix.lower() == ".keras" and not zipfile.is_zipfile(path):
        raise ProjectError(
            f"Expected a .keras archive (a ZIP file). Received: {path}, which is not a ZIP file.",
            path=path,
            hint="Save the model again with model.save('model.keras').",
        )
    keras = import_keras()
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=safe_mode)
    except (ValueError, TypeError, KeyError, OSError, AttributeError) as error:
        text = " ".join(str(error).split())
        hint = (
            "Check that the file is complete and was saved by Keras 3 with model.save(); "
            "custom layers must be registered by a project's [code] modules."
        )
        if "Could not locate" in text or "Unknown layer" in text:
            hint = (
                "Register the custom class with @keras.saving.register_keras_serializable "
                "and open a project folder whose [code] modules define it."
            )
        elif "lambda" in text.lower() and "safe_mode" in text:
            hint = (
                "The model contains a Lambda layer, whose code safe mode refuses to run: "
                "replace it with a registered custom layer, or load with safe_mode=False "
                "only if you trust the file."
            )
        raise ProjectError(
            f"Expected a model Keras can load. Received: {path}, where Keras says: {text}",
            path=path,
            hint=hint,
        ) from error


def is_savedmodel_dir(path: Path) -> bool:
    """A folder ``model.export()`` wrote (it holds ``saved_model.pb`` or ``.pbtxt``)."""
    return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()


def _spec_text(spec: Any) -> str:
    """``float32[None, 8]`` for a tf.TensorSpec."""
    shape = getattr(spec, "shape", None)
    dims = (
        "?"
        if shape is None or shape.rank is None
        else ", ".join("None" if d is None else str(d) for d in shape.as_list())
    )
    return f"{getattr(getattr(spec, 'dtype', None), 'name', '?')}[{dims}]"


def _flat_specs(structure: Any) -> dict[str, str]:
    tf = import_tensorflow()
    if isinstance(structure, dict):
        return {str(k): _spec_text(v) for k, v in structure.items()}
    flat = tf.nest.flatten(structure)
    return {getattr(s, "name", None) or f"arg{i}": _spec_text(s) for i, s in enumerate(flat)}


def savedmodel_info(layer: Any) -> SavedModelInfo:
    """Signatures with their inputs/outputs, and the variables, of a loaded TFSMLayer."""
    reloaded = getattr(layer, "_reloaded_obj", None)
    signatures: dict[str, dict[str, dict[str, str]]] = {}
    for name, fn in dict(getattr(reloaded, "signatures", {}) or {}).items():
        args, kwargs = fn.structured_input_signature
        signatures[name] = {
            "inputs": _flat_specs(kwargs or args),
            "outputs": _flat_specs(fn.structured_outputs),
        }
    weights = list(layer.weights)
    return {
        "endpoint": layer.call_endpoint,
        "signatures": signatures,
        "variables": len(weights),
        "params": int(sum(int(w.numpy().size) for w in weights)),
        "why_shallow": "a SavedModel holds a traced TensorFlow graph, not Keras layers: only "
        "its signatures, inputs/outputs and variables are known",
    }


SAVEDMODEL_HINT = (
    "Export the model again with model.export(path), which writes the 'serve' "
    "endpoint, or open its .keras file instead."
)


def load_savedmodel(path: Path) -> Any:
    """A SavedModel folder -> keras.layers.TFSMLayer (endpoint "serve", else "serving_default")."""
    keras = import_keras()
    last_error: Exception | None = None
    for endpoint in ("serve", "serving_default"):
        try:
            return keras.layers.TFSMLayer(str(path), call_endpoint=endpoint)
        except ValueError as error:  # this endpoint does not exist: try the next one
            last_error = error
        except (OSError, RuntimeError) as error:
            raise ProjectError(
                f"Expected a SavedModel TensorFlow can load. Received: {path}, "
                f"where TensorFlow says: {' '.join(str(error).split())}",
                path=path,
                hint=SAVEDMODEL_HINT,
            ) from error
    raise ProjectError(
        f"Expected a SavedModel with a 'serve' or 'serving_default' endpoint. "
        f"Received: {path} ({' '.join(str(last_error).split())})",
        path=path,
        hint=SAVEDMODEL_HINT,
    )


def load_any_model(
    path: Path, *, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True
) -> tuple[str, Any]:
    """``(kind, model)`` for a .keras / .h5 file or a SavedModel folder (kind "savedmodel")."""
    if path.is_dir():
        if not is_savedmodel_dir(path):
            raise ProjectError(
                f"Expected a SavedModel folder (with saved_model.pb). "
                f"Received: {path}, which has no saved_model.pb.",
                path=path,
                hint="Point path at the folder model.export() wrote, or at a .keras/.h5 file.",
            )
        return "savedmodel", load_savedmodel(path)
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return "keras", load_model_file(path, custom_objects=custom_objects, safe_mode=safe_mode)
    if suffix in (".h5", ".hdf5"):
        return "h5", load_model_file(path, custom_objects=custom_objects, safe_mode=safe_mode)
    if not path.exists():
        raise ProjectError(
            f"Expected a model at {path}. Received: nothing there (model not found).",
            path=path,
            hint="Check the path, or save the model there.",
        )
    raise ProjectError(
        f"Expected a .keras, .h5 or SavedModel model. Received: {path}.",
        path=path,
        hint=MODEL_FILE_HINT,
    )
