"""Open a model project: a .keras / .h5 file, a SavedModel folder, a folder with
``lockpickle.toml``, or a ``.lpsnap`` snapshot, as one :class:`ModelProject`.

Loading never runs code other than the project's own declared ``[code] modules``: Keras
models load with ``safe_mode=True`` (unless the caller says otherwise), the runtime factory
must live in a declared module, and the project folder is never put on ``sys.path``.
Every failure is a :class:`ProjectError` naming the file. ``progress`` may raise
``Cancelled`` at each step it reports: nothing is half-done at those points.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from lockpickle_gui.core.code_package import (
    call_project_code,
    import_code_package,
    package_sources,
)
from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.inspect.model_layers import keras_classes_of
from lockpickle_gui.core.progress import Progress, Reporter
from lockpickle_gui.core.project.config_only import config_tree, read_archive
from lockpickle_gui.core.project.model_files import (
    is_savedmodel_dir,
    load_any_model,
    savedmodel_info,
)
from lockpickle_gui.core.project.model_project import ModelProject, code_package_name
from lockpickle_gui.core.project.project_file import (
    PROJECT_FILE,
    ProjectSpec,
    read_project_file,
)
from lockpickle_gui.core.project.snapshot_project import open_snapshot_project
from lockpickle_gui.core.snapshot.loader import LoadOptions

SUPPORTED = (
    "a .keras file, a full-model .h5 file, a SavedModel folder, a project folder "
    "with lockpickle.toml, or a .lpsnap snapshot"
)
SUPPORTED_HINT = (
    "Open a model file, a SavedModel folder, or a folder with a lockpickle.toml "
    "(schema in the README, 'Model projects')."
)


# --------------------------------------------------------------------------- openers


def _open_model(
    path: Path,
    progress: Progress | None,
    *,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool = True,
    config_only_fallback: bool = False,
    code: Sequence[str | Path] = (),
) -> ModelProject:
    report = Reporter(progress)
    name = path.stem if path.is_file() else path.name
    custom_objects = dict(custom_objects or {})
    package = None
    code_files = {Path(f).stem: Path(f) for f in code}
    if code_files:  # the user located the code of the model's custom classes: import it first
        report(0.05, "Importing the model's code")
        package = code_package_name(path.parent, f"{name}_code")
        modules = import_code_package(package, code_files, str(path))
        custom_objects.update(keras_classes_of(modules.values()))
    report(0.1, f"Loading {path.name}")
    try:
        kind, model = load_any_model(path, custom_objects=custom_objects, safe_mode=safe_mode)
    except ProjectError as error:
        if not (config_only_fallback and path.suffix.lower() == ".keras"):
            raise
        return _open_config_only(path, name, error)
    project = ModelProject(
        path=path,
        folder=path.parent,
        name=name,
        kind=kind,
        models={name: model},
        runtime=model,
        code_package=package,
        code_files=code_files,
    )
    if kind == "savedmodel":
        project.model_info[name] = savedmodel_info(model)
    return project


def _open_config_only(path: Path, name: str, error: ProjectError) -> ModelProject:
    """The model could not be built: read the archive as data (nothing runs), and say why."""
    model = read_archive(path)
    return ModelProject(
        path=path,
        folder=path.parent,
        name=name,
        kind="keras",
        graphs={name: model.graph},
        config_tree=config_tree(model),
        unresolved=model.unresolved,
        load_error=str(error),
    )


def _open_folder_project(
    path: Path,
    progress: Progress | None,
    *,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool = True,
) -> ModelProject:
    report = Reporter(progress)
    folder = path if path.is_dir() else path.parent
    report(0.0, f"Reading {PROJECT_FILE}")
    spec: ProjectSpec = read_project_file(folder / PROJECT_FILE)
    origin = str(spec.file)
    package = code_package_name(folder, spec.name)
    project = ModelProject(
        path=path,
        folder=folder,
        name=spec.name,
        kind="project",
        code_files=dict(spec.code_files),
        preview=spec.preview,
    )
    filenames = [str(p) for p in spec.code_files.values()]
    modules: dict[str, ModuleType] = {}
    if spec.code_files:  # before any model loads, so custom layers are registered
        report(0.05, "Importing project code")
        modules = import_code_package(package, spec.code_files, origin)
        project.code_package = package
        project.code_sources = package_sources(package)
    for index, (model_name, model_path) in enumerate(spec.models.items()):
        report(0.1 + 0.8 * index / len(spec.models), f"Loading model {model_name}")
        kind, model = load_any_model(model_path, custom_objects=custom_objects, safe_mode=safe_mode)
        project.models[model_name] = model
        if kind == "savedmodel":
            project.model_info[model_name] = savedmodel_info(model)
    if spec.factory is not None:
        module_name, function_name = spec.factory
        factory = getattr(modules.get(module_name), function_name, None)
        if not callable(factory):
            where = (
                f"{spec.file}, line {spec.factory_line}" if spec.factory_line else str(spec.file)
            )
            raise ProjectError(
                f'{where}: expected [runtime] factory = "{module_name}:{function_name}" to name '
                f"a function of {spec.code_files[module_name]}. Received: no callable "
                f"{function_name!r} there.",
                path=spec.file,
                hint=f"Define def {function_name}(models): ... in "
                f"{spec.code_files[module_name].name}, or name an existing function.",
            )
        report(0.9, f"Building the runtime ({module_name}:{function_name})")
        project.runtime = call_project_code(
            factory, dict(project.models), origin=origin, filenames=filenames
        )
    elif len(project.models) == 1:
        project.runtime = next(iter(project.models.values()))
    else:
        project.runtime = dict(project.models)
    return project


def detect_kind(path: Path) -> str:
    """Which opener handles ``path``; a ProjectError when none does."""
    if not path.exists():
        raise ProjectError(f"No such file or folder: {path}.", path=path, hint=f"Open {SUPPORTED}.")
    if path.is_dir():
        if (path / PROJECT_FILE).is_file():
            return "project"
        if is_savedmodel_dir(path):
            return "savedmodel"
        raise ProjectError(
            f"Expected a project folder with {PROJECT_FILE} or a SavedModel folder "
            f"with saved_model.pb. Received: {path}, which has neither.",
            path=path,
            hint=f"Add a {PROJECT_FILE} (schema in the README, 'Model projects') "
            "or open the model file inside the folder.",
        )
    if path.name == PROJECT_FILE:
        return "project"
    suffix = path.suffix.lower()
    kinds = {".keras": "keras", ".h5": "h5", ".hdf5": "h5", ".lpsnap": "snapshot"}
    if suffix in kinds:
        return kinds[suffix]
    raise ProjectError(f"Expected {SUPPORTED}. Received: {path}.", path=path, hint=SUPPORTED_HINT)


def open_project(
    path: str | Path,
    *,
    progress: Progress | None = None,
    trust: Any = (),
    trust_bundled_code: bool = False,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool = True,
    config_only_fallback: bool = False,
    code: Sequence[str | Path] = (),
) -> ModelProject:
    """Open ``path`` (see module docstring) and return the :class:`ModelProject`.

    A ``.keras`` file whose model cannot be built (a custom class whose code is missing)
    opens config-only with ``config_only_fallback`` (the app does): read as data, nothing
    from the file runs (:mod:`.config_only`). ``code`` lists ``.py`` files to import first
    (the user located the code of its custom classes). ``trust`` and
    ``trust_bundled_code`` apply to a ``.lpsnap`` (:func:`~.snapshot_project.open_snapshot_project`)."""
    report = Reporter(progress)
    path = Path(path).expanduser()
    kind = detect_kind(path)
    if kind == "snapshot":
        options = LoadOptions(trust, trust_bundled_code, custom_objects, safe_mode)
        project = open_snapshot_project(path, options, progress)
    elif kind == "project":
        project = _open_folder_project(
            path, progress, custom_objects=custom_objects, safe_mode=safe_mode
        )
    elif kind == "keras":
        project = _open_model(
            path,
            progress,
            custom_objects=custom_objects,
            safe_mode=safe_mode,
            config_only_fallback=config_only_fallback,
            code=tuple(code),
        )
    else:  # "h5", "savedmodel"
        project = _open_model(path, progress, custom_objects=custom_objects, safe_mode=safe_mode)
    report(1.0, f"Opened {project.name}")
    return project
