"""Where the file dialogs start, in one place: the folder last used for that purpose, else
the current project's folder, else home — never the folder the app was started from (the
graph export used to propose the current working directory, a source checkout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def first_folder(*candidates: Any) -> Path:
    """The first candidate that is an existing folder, else the home folder."""
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path.home()


def project_folder(project: Any) -> Path | None:
    """The folder a project's files sit in (for a project folder: the folder that holds it)."""
    path = getattr(project, "path", None)
    return Path(path).parent if path else None


def save_folder(window: Any, project: Any = None) -> Path:
    """Where a Save dialog starts: the folder last saved to, else the project's folder —
    unless that is the app's own demo folder (a checkout or the installed package: what is
    saved there is lost with the next update, or pollutes the source tree)."""
    project = project if project is not None else window.current_project
    folder = project_folder(project)
    if folder is not None and _is_bundled(folder):
        folder = None
    return first_folder(window.settings.last_export_folder, folder)


def _is_bundled(folder: Path) -> bool:
    from lockpickle_gui import resources
    from lockpickle_gui.core.errors import LockpickleError

    try:
        demos = resources.examples_dir().resolve()
    except LockpickleError:
        return False
    return folder.resolve() == demos or demos in folder.resolve().parents


def remember_save_folder(window: Any, saved: str | Path) -> None:
    """The next Save dialog starts in the folder of ``saved`` (kept in the settings)."""
    window.settings.last_export_folder = str(Path(saved).parent)
    window.save_settings()  # a read-only settings folder is said, not fatal


def open_folder(window: Any) -> Path:
    """Where Open starts: the folder last opened from, else the current project's folder."""
    return first_folder(window.settings.last_open_folder, project_folder(window.current_project))
