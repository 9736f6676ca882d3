"""Project folders the tests open, export and break: lockpickle.toml, code files, a model.

Imported by name (``from projects import write_project``), like ``models``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any


def write_project(
    folder: Path,
    toml: str,
    files: dict[str, str | bytes] | None = None,
    model: Any = None,
) -> Path:
    """Write a project into ``folder`` (created): ``toml`` as lockpickle.toml and each of
    ``files`` (text is dedented; a name may hold a subfolder); ``model`` as model.keras (a
    Keras model is saved, a path copied). Returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lockpickle.toml").write_text(textwrap.dedent(toml))
    for name, content in (files or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(textwrap.dedent(content))
    if isinstance(model, Path):
        (folder / "model.keras").write_bytes(model.read_bytes())
    elif model is not None:
        model.save(folder / "model.keras")
    return folder


SERVICE_PY = """
    import threading

    class Service:
        \"\"\"What a program holds around its model: a lock and an event.\"\"\"

        def __init__(self, model):
            self.model = model
            self.lock = threading.Lock()
            self.ready = threading.Event()

    def build(models):
        return Service(models["scorer"])
"""

FACTORY_TOML = """
    [[models]]
    name = "{model_name}"
    path = "model.keras"
    [code]
    modules = ["service.py"]
    [runtime]
    factory = "service:build"
"""


def factory_project(
    folder: Path, service_py: str, model: Any, *, model_name: str = "m", name: str | None = None
) -> Path:
    """A project of one model (``model_name``) whose service.py's ``build(models)`` makes the
    runtime object; ``name``: its [project] name (default: the folder's)."""
    toml = FACTORY_TOML.format(model_name=model_name)
    if name is not None:
        toml = f'[project]\nname = "{name}"\n' + textwrap.dedent(toml)
    return write_project(folder, toml, {"service.py": service_py}, model=model)


def service_project(folder: Path, model: Any, *, name: str = "service-demo") -> Path:
    """A project whose factory builds a ``service.Service`` (the project's own code) around
    its one model "scorer": the model, a Lock at root.lock and an Event at root.ready."""
    return factory_project(folder, SERVICE_PY, model, model_name="scorer", name=name)
