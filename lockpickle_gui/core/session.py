"""The app's session: the projects that are open, which one is current, and events about it.

Plain Python, no Qt (napari's ``EventedModel``/``EmitterGroup`` idea, much smaller): the
window observes a :class:`Session` (Mu's split of a model and its view) and so can the CLI,
a script or a test::

    session = Session()
    session.events.opened.connect(lambda entry: print("opened", entry.project.name))
    entry = session.open("resources/examples/anomaly_service")   # open_project + inspect
    session.reload(entry); session.close(entry)

Slow work (loading a model) may run anywhere: :func:`load` is a pure function returning an
:class:`OpenProject`; :meth:`Session.add` then records it and emits, on the caller's thread
(the window calls it on the UI thread). Callbacks run synchronously, in connection order;
one that raises does not stop the others (the error is logged).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.inspect import Node
from lockpickle_gui.core.inspect.structure import LayerGraph, graphs_of_models, inputs_from
from lockpickle_gui.core.progress import Progress
from lockpickle_gui.core.project import ModelProject, open_project

log = logging.getLogger(__name__)


class EventEmitter:
    """One event: ``connect(callback)``, ``disconnect(callback)``, ``emit(*args)``."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):
            try:
                callback(*args)
            except Exception:
                log.exception("A %s event handler failed", self.name)


class SessionEvents:
    """``opened(entry)``, ``replaced(old, new)`` (reload), ``closed(entry)``,
    ``current_changed(entry or None)``."""

    def __init__(self) -> None:
        self.opened = EventEmitter("opened")
        self.replaced = EventEmitter("replaced")
        self.closed = EventEmitter("closed")
        self.current_changed = EventEmitter("current_changed")


@dataclass(eq=False)
class OpenProject:
    """A project as the session holds it: what was opened and its inspected tree."""

    project: ModelProject
    tree: Node
    seconds: float = 0.0  # how long opening and inspecting took
    graphs: dict[str, LayerGraph] = field(default_factory=dict)  # by model name
    inputs_from: dict[str, str] = field(default_factory=dict)  # tree path -> feeding layers
    snapshot: dict[str, Any] | None = None  # an imported snapshot: verdict, dropped, trusted

    @property
    def path(self) -> Path:
        return Path(self.project.path)

    @property
    def name(self) -> str:
        return self.project.name


def inspected(project: ModelProject, *, started: float | None = None) -> OpenProject:
    """``project`` with its tree (inspecting is linear: milliseconds even for big models)."""
    started = time.perf_counter() if started is None else started
    tree = project.inspect()
    graphs = project.graphs if project.graphs is not None else graphs_of_models(project.models)
    entry = OpenProject(project, tree, graphs=graphs)
    entry.inputs_from = inputs_from(tree, project.models, graphs)
    entry.seconds = time.perf_counter() - started
    return entry


def load(path: str | Path, *, progress: Progress | None = None, **options: Any) -> OpenProject:
    """Open and inspect ``path`` without touching any session (safe on a worker thread).
    ``options`` go to :func:`~lockpickle_gui.core.project.open_project`."""
    started = time.perf_counter()
    scaled = None if progress is None else (lambda f, m: progress(0.9 * f, m))
    project = open_project(path, progress=scaled, **options)
    if progress is not None:
        progress(0.92, f"Inspecting {project.name}…")
    entry = inspected(project, started=started)
    if progress is not None:
        progress(1.0, f"Inspected {project.name}")
    return entry


class Session:
    def __init__(self) -> None:
        self.events = SessionEvents()
        self.projects: list[OpenProject] = []
        self.current: OpenProject | None = None

    # ------------------------------------------------------------------ queries

    def find(self, path: str | Path) -> OpenProject | None:
        """The open project at ``path`` (compared as absolute paths), or None."""
        wanted = Path(path).expanduser().absolute()
        return next((e for e in self.projects if e.path.absolute() == wanted), None)

    # ------------------------------------------------------------------ changes

    def add(self, entry: OpenProject, replaces: OpenProject | None = None) -> OpenProject:
        """Record a loaded project (in place of ``replaces`` for a reload); it becomes current."""
        if replaces is not None and replaces in self.projects:
            self.projects[self.projects.index(replaces)] = entry
            self.events.replaced.emit(replaces, entry)
        else:
            self.projects.append(entry)
            self.events.opened.emit(entry)
        self.set_current(entry)
        return entry

    def open(self, path: str | Path, *, progress: Progress | None = None) -> OpenProject:
        """Load ``path`` here and now (the window loads on a worker, then calls :meth:`add`)."""
        return self.add(load(path, progress=progress))

    def reload(self, entry: OpenProject | None = None) -> OpenProject | None:
        entry = entry if entry is not None else self.current
        if entry is None:
            return None
        return self.add(load(entry.path), replaces=entry)

    def close(self, entry: OpenProject | None = None) -> None:
        entry = entry if entry is not None else self.current
        if entry is None or entry not in self.projects:
            return
        index = self.projects.index(entry)
        self.projects.remove(entry)
        self.events.closed.emit(entry)
        if self.current is entry:
            neighbour = self.projects[min(index, len(self.projects) - 1)] if self.projects else None
            self.set_current(neighbour)

    def set_current(self, entry: OpenProject | None) -> None:
        if entry is not None and entry not in self.projects:
            raise ValueError(f"{entry.name} is not open in this session")
        if entry is not self.current:
            self.current = entry
            self.events.current_changed.emit(entry)
