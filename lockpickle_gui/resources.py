"""Find the app's resources (icons, demo projects) without relying on the working directory.

The resources live in one folder tree, ``resources/`` at the top of the source checkout.
It reaches users three ways, and :func:`resources_dir` checks them in this order:

1. a PyInstaller bundle: ``<sys._MEIPASS>/resources`` (the spec copies the tree there);
2. an installed wheel: ``lockpickle_gui/_resources`` next to this module (``setup.py``
   copies the tree into the package at build time, so it is ordinary package data);
3. a source checkout or editable install: ``<checkout>/resources``.

A candidate counts only if it holds the app icon, so a stray empty folder is never chosen.
This module imports nothing heavy (no Qt, no TensorFlow): the core and the CLI may use it.
GUI code builds icons with ``QIcon(str(icon_path("lock-held")))``.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from lockpickle_gui.core.errors import LockpickleError

APP_ICON = "lockpickle.svg"
# The reverse-DNS application id: the .desktop file, the AppStream metainfo, the hicolor icon
# names and QGuiApplication.setDesktopFileName() all use exactly this string.
APP_ID = "io.github.lockpickle.LockpickleGui"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    found = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    found.append(_PACKAGE_DIR / "_resources")
    found.append(_PACKAGE_DIR.parent / "resources")
    return found


@functools.cache
def resources_dir() -> Path:
    """The folder holding ``icons/`` and ``examples/`` (an absolute path)."""
    candidates = _candidates()
    for folder in candidates:
        if (folder / "icons" / APP_ICON).is_file():
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise LockpickleError(
        f"Expected the lockpickle_gui resources folder (with icons/{APP_ICON}). "
        f"Received: none of {looked} has it.",
        hint="Reinstall lockpickle-gui (`pip install --force-reinstall lockpickle-gui`), "
        "or run from a complete source checkout.",
    )


def icon_path(name: str) -> Path:
    """The file of icon ``name`` (``"lock-held"`` or ``"lock-held.svg"``) under ``icons/``."""
    file_name = name if Path(name).suffix else f"{name}.svg"
    path = resources_dir() / "icons" / file_name
    if not path.is_file():
        known = sorted(p.name for p in (resources_dir() / "icons").glob("*.svg"))
        raise LockpickleError(
            f"Expected an icon named {file_name!r}. Received: no such file {path}.",
            path=path,
            hint=f"Use one of: {', '.join(known)}.",
        )
    return path


def app_icon_path() -> Path:
    """The scalable application icon (SVG)."""
    return icon_path(APP_ICON)


def examples_dir() -> Path:
    """The folder of bundled demo projects (``resources/examples``)."""
    return resources_dir() / "examples"
