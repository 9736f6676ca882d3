"""A ``.lpsnap`` snapshot opened as a project: its restored object graph and models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lockpickle_gui.core.progress import Progress
from lockpickle_gui.core.project.model_project import ModelProject
from lockpickle_gui.core.snapshot.loader import LoadOptions, load
from lockpickle_gui.core.snapshot.manifest_io import manifest_to_json


def open_snapshot_project(
    path: str | Path, options: LoadOptions, progress: Progress | None = None
) -> ModelProject:
    """A ``.lpsnap`` as a project: the restored object graph, its models by name (a name
    met twice gets a ``_``), the bundled code that ran, the manifest."""
    path = Path(path)
    loaded = load(path, options, progress)
    models: dict[str, Any] = {}
    manifest = loaded.manifest
    for entry, model in zip(manifest.models if manifest is not None else (), loaded.models):
        name = entry.name or path.stem
        while name in models:
            name += "_"
        models[name] = model
    return ModelProject(
        path=path,
        folder=path.parent,
        name=path.stem,
        kind="snapshot",
        models=models,
        runtime=loaded.obj,
        code_package=manifest.code_package
        if loaded.code_modules and manifest is not None
        else None,
        code_sources=dict(loaded.code_sources),
        manifest=manifest_to_json(manifest) if manifest is not None else None,
    )
