"""Open a model project: a .keras / .h5 file, a SavedModel folder, a folder with
``lockpickle.toml``, or a ``.lpsnap`` snapshot, as one :class:`ModelProject`.

Loading never runs code other than the project's own declared ``[code] modules``: Keras
models load with ``safe_mode=True`` (unless the caller says otherwise), the runtime factory
must live in a declared module, and the project folder is never put on ``sys.path``.
Every failure is a :class:`ProjectError` naming the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.project_code import call_project_code, import_code_package
from lockpickle_gui.core.project_toml import (PROJECT_FILE, ProjectSpec, default_preview,
                                               read_project_file)

Progress = Callable[[float, str], None]
SUPPORTED = ("a .keras file, a full-model .h5 file, a SavedModel folder, a project folder "
             "with lockpickle.toml, or a .lpsnap snapshot")
WEIGHTS_ONLY = ("contains weights only, no architecture; open the model file or a project "
                "that builds it.")
WEIGHTS_ONLY_HINT = ("Save the whole model with model.save('model.keras'), or open a project "
                     "folder whose [runtime] factory builds the model and calls "
                     "model.load_weights() on this file.")
MODEL_FILE_HINT = "Save the model with model.save('model.keras') and open that file."
SUPPORTED_HINT = ("Open a model file, a SavedModel folder, or a folder with a lockpickle.toml "
                  "(schema in the README, 'Model projects').")


@dataclass
class ModelProject:
    """What was opened: models by name, the runtime object the program runs, its code."""

    path: Path
    folder: Path
    name: str
    kind: str  # "keras" | "h5" | "savedmodel" | "project" | "snapshot"
    models: dict[str, Any] = field(default_factory=dict)
    runtime: Any = None
    code_package: str | None = None
    code_files: dict[str, Path] = field(default_factory=dict)
    preview: dict = field(default_factory=dict)
    manifest: dict | None = None
    # model name -> extra facts (a SavedModel's signatures, inputs/outputs, variables)
    model_info: dict[str, dict] = field(default_factory=dict)

    def inspect(self, **kw):
        """The tree of the runtime object (``graph.inspect(self.runtime)``)."""
        from lockpickle_gui.core.graph import inspect

        return inspect(self.runtime, **kw)


def code_package_name(folder: Path, name: str) -> str:
    """``lpproject_<slug>_<8 hex of sha256(abs folder)>``: unique per project folder."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower() or "project"
    digest = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:8]
    return f"lpproject_{slug}_{digest}"


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)  # may raise Cancelled: nothing is half-done at these points


# --------------------------------------------------------------------------- model files


def _keras():
    from lockpickle_gui.core.tf_runtime import import_keras

    return import_keras()


def _check_h5(path: Path) -> None:
    """Refuse weights-only and non-HDF5 files before Keras gives a cryptic error."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            if "model_config" not in handle.attrs:
                raise ProjectError(f"Expected a full-model .h5 file (architecture and weights). "
                                   f"Received: {path}, which {WEIGHTS_ONLY}", path=path,
                                   hint=WEIGHTS_ONLY_HINT)
    except OSError as error:
        raise ProjectError(f"Expected an HDF5 model file. Received: {path}, which HDF5 cannot "
                           f"read ({error}).", path=path, hint=MODEL_FILE_HINT) from None


def load_model_file(path: Path, *, custom_objects=None, safe_mode: bool = True):
    """A .keras or full-model .h5 file -> keras.Model, or a ProjectError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ProjectError(f"Expected a model file. Received: {path}, which does not exist "
                           "(model file not found).", path=path,
                           hint="Check the path, or save the model there with model.save().")
    if path.suffix.lower() in (".h5", ".hdf5"):
        _check_h5(path)
    elif path.suffix.lower() == ".keras":
        import zipfile

        if not zipfile.is_zipfile(path):
            raise ProjectError(f"Expected a .keras archive (a ZIP file). Received: {path}, "
                               "which is not a ZIP file.", path=path,
                               hint="Save the model again with model.save('model.keras').")
    keras = _keras()
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=safe_mode)
    except (ValueError, TypeError, KeyError, OSError, AttributeError) as error:
        text = " ".join(str(error).split())
        hint = ("Check that the file is complete and was saved by Keras 3 with model.save(); "
                "custom layers must be registered by a project's [code] modules.")
        if "Could not locate" in text or "Unknown layer" in text:
            hint = ("Register the custom class with @keras.saving.register_keras_serializable "
                    "and open a project folder whose [code] modules define it.")
        elif "lambda" in text.lower() and "safe_mode" in text:
            hint = ("The model contains a Lambda layer, whose code safe mode refuses to run: "
                    "replace it with a registered custom layer, or load with safe_mode=False "
                    "only if you trust the file.")
        raise ProjectError(f"Expected a model Keras can load. Received: {path}, where Keras "
                           f"says: {text}", path=path, hint=hint) from error


def is_savedmodel_dir(path: Path) -> bool:
    return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()


def _spec_text(spec) -> str:
    shape = getattr(spec, "shape", None)
    dims = "?" if shape is None or shape.rank is None else \
        ", ".join("None" if d is None else str(d) for d in shape.as_list())
    return f"{getattr(getattr(spec, 'dtype', None), 'name', '?')}[{dims}]"


def _flat_specs(structure) -> dict[str, str]:
    from lockpickle_gui.core.tf_runtime import import_tensorflow

    tf = import_tensorflow()

    if isinstance(structure, dict):
        return {str(k): _spec_text(v) for k, v in structure.items()}
    flat = tf.nest.flatten(structure)
    return {getattr(s, "name", None) or f"arg{i}": _spec_text(s) for i, s in enumerate(flat)}


def savedmodel_info(layer) -> dict:
    """Signatures with their inputs/outputs, and the variables, of a loaded TFSMLayer."""
    reloaded = getattr(layer, "_reloaded_obj", None)
    signatures = {}
    for name, fn in dict(getattr(reloaded, "signatures", {}) or {}).items():
        args, kwargs = fn.structured_input_signature
        signatures[name] = {"inputs": _flat_specs(kwargs or args),
                            "outputs": _flat_specs(fn.structured_outputs)}
    weights = list(layer.weights)
    return {
        "endpoint": layer.call_endpoint,
        "signatures": signatures,
        "variables": len(weights),
        "params": int(sum(int(w.numpy().size) for w in weights)),
        "why_shallow": "a SavedModel holds a traced TensorFlow graph, not Keras layers: only "
                       "its signatures, inputs/outputs and variables are known",
    }


SAVEDMODEL_HINT = ("Export the model again with model.export(path), which writes the 'serve' "
                   "endpoint, or open its .keras file instead.")


def load_savedmodel(path: Path):
    """A SavedModel folder -> keras.layers.TFSMLayer (endpoint "serve", else "serving_default")."""
    keras = _keras()
    last_error: Exception | None = None
    for endpoint in ("serve", "serving_default"):
        try:
            return keras.layers.TFSMLayer(str(path), call_endpoint=endpoint)
        except ValueError as error:  # this endpoint does not exist: try the next one
            last_error = error
        except (OSError, RuntimeError) as error:
            raise ProjectError(f"Expected a SavedModel TensorFlow can load. Received: {path}, "
                               f"where TensorFlow says: {' '.join(str(error).split())}", path=path,
                               hint=SAVEDMODEL_HINT) from error
    raise ProjectError(f"Expected a SavedModel with a 'serve' or 'serving_default' endpoint. "
                       f"Received: {path} ({' '.join(str(last_error).split())})", path=path,
                       hint=SAVEDMODEL_HINT)


def _load_any_model(path: Path, **load_kw) -> tuple[str, Any]:
    if path.is_dir():
        if not is_savedmodel_dir(path):
            raise ProjectError(f"Expected a SavedModel folder (with saved_model.pb). "
                               f"Received: {path}, which has no saved_model.pb.", path=path,
                               hint="Point path at the folder model.export() wrote, or at a "
                                    ".keras/.h5 file.")
        return "savedmodel", load_savedmodel(path)
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return "keras", load_model_file(path, **load_kw)
    if suffix in (".h5", ".hdf5"):
        return "h5", load_model_file(path, **load_kw)
    if not path.exists():
        raise ProjectError(f"Expected a model at {path}. Received: nothing there (model not "
                           "found).", path=path, hint="Check the path, or save the model there.")
    raise ProjectError(f"Expected a .keras, .h5 or SavedModel model. Received: {path}.", path=path,
                       hint=MODEL_FILE_HINT)


# --------------------------------------------------------------------------- openers


def _open_model(path: Path, progress, custom_objects=None, safe_mode=True, **_) -> ModelProject:
    _report(progress, 0.1, f"Loading {path.name}")
    kind, model = _load_any_model(path, custom_objects=custom_objects, safe_mode=safe_mode)
    name = path.stem if path.is_file() else path.name
    project = ModelProject(path=path, folder=path.parent, name=name, kind=kind,
                           models={name: model}, runtime=model, preview=default_preview())
    if kind == "savedmodel":
        project.model_info[name] = savedmodel_info(model)
    return project


def _open_folder_project(path: Path, progress, custom_objects=None, safe_mode=True,
                         **_) -> ModelProject:
    folder = path if path.is_dir() else path.parent
    _report(progress, 0.0, f"Reading {PROJECT_FILE}")
    spec: ProjectSpec = read_project_file(folder / PROJECT_FILE)
    origin = str(spec.file)
    package = code_package_name(folder, spec.name)
    project = ModelProject(path=path, folder=folder, name=spec.name, kind="project",
                           code_files=dict(spec.code_files), preview=spec.preview)
    filenames = [str(p) for p in spec.code_files.values()]
    modules = {}
    if spec.code_files:  # before any model loads, so custom layers are registered
        _report(progress, 0.05, "Importing project code")
        modules = import_code_package(package, spec.code_files, origin)
        project.code_package = package
    for index, (model_name, model_path) in enumerate(spec.models.items()):
        _report(progress, 0.1 + 0.8 * index / len(spec.models), f"Loading model {model_name}")
        kind, model = _load_any_model(model_path, custom_objects=custom_objects,
                                      safe_mode=safe_mode)
        project.models[model_name] = model
        if kind == "savedmodel":
            project.model_info[model_name] = savedmodel_info(model)
    if spec.factory is not None:
        module_name, function_name = spec.factory
        factory = getattr(modules.get(module_name), function_name, None)
        if not callable(factory):
            where = f"{spec.file}, line {spec.factory_line}" if spec.factory_line else str(spec.file)
            raise ProjectError(
                f"{where}: expected [runtime] factory = \"{module_name}:{function_name}\" to name "
                f"a function of {spec.code_files[module_name]}. Received: no callable "
                f"{function_name!r} there.", path=spec.file,
                hint=f"Define def {function_name}(models): ... in "
                     f"{spec.code_files[module_name].name}, or name an existing function.")
        _report(progress, 0.9, f"Building the runtime ({module_name}:{function_name})")
        project.runtime = call_project_code(factory, dict(project.models), origin=origin,
                                            filenames=filenames)
    elif len(project.models) == 1:
        project.runtime = next(iter(project.models.values()))
    else:
        project.runtime = dict(project.models)
    return project


def _open_snapshot(path: Path, progress, **kw) -> ModelProject:
    """A ``.lpsnap`` opens as the project it was saved from (see ``core.snapshot``)."""
    from lockpickle_gui.core.snapshot import open_snapshot_project

    return open_snapshot_project(path, progress=progress, **kw)


# kind -> opener(path, progress, **options)
OPENERS: dict[str, Callable[..., ModelProject]] = {
    "keras": _open_model,
    "h5": _open_model,
    "savedmodel": _open_model,
    "project": _open_folder_project,
    "snapshot": _open_snapshot,
}


def detect_kind(path: Path) -> str:
    """Which opener handles ``path``; a ProjectError when none does."""
    if not path.exists():
        raise ProjectError(f"No such file or folder: {path}.", path=path,
                           hint=f"Open {SUPPORTED}.")
    if path.is_dir():
        if (path / PROJECT_FILE).is_file():
            return "project"
        if is_savedmodel_dir(path):
            return "savedmodel"
        raise ProjectError(f"Expected a project folder with {PROJECT_FILE} or a SavedModel folder "
                           f"with saved_model.pb. Received: {path}, which has neither.", path=path,
                           hint=f"Add a {PROJECT_FILE} (schema in the README, 'Model projects') "
                                "or open the model file inside the folder.")
    if path.name == PROJECT_FILE:
        return "project"
    suffix = path.suffix.lower()
    kinds = {".keras": "keras", ".h5": "h5", ".hdf5": "h5", ".lpsnap": "snapshot"}
    if suffix in kinds:
        return kinds[suffix]
    raise ProjectError(f"Expected {SUPPORTED}. Received: {path}.", path=path, hint=SUPPORTED_HINT)


def open_project(path, *, progress: Progress | None = None, trust=(), trust_bundled_code=False,
                 custom_objects=None, safe_mode=True) -> ModelProject:
    """Open ``path`` (see module docstring) and return the :class:`ModelProject`."""
    path = Path(path).expanduser()
    kind = detect_kind(path)
    options: dict[str, Any] = {"custom_objects": custom_objects, "safe_mode": safe_mode}
    if kind == "snapshot":
        options.update(trust=trust, trust_bundled_code=trust_bundled_code)
    project = OPENERS[kind](path, progress, **options)
    _report(progress, 1.0, f"Opened {project.name}")
    return project
