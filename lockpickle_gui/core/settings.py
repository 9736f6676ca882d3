"""The desktop app's user data: settings.json, recent projects, and where logs and caches go.

Folders come from ``platformdirs`` (app name ``lockpickle-gui``), never next to the code:

==========  ==========================================  =====================================
what        Linux                                       override
==========  ==========================================  =====================================
settings    ``~/.config/lockpickle-gui/settings.json``  ``settings_dir=`` or
logs        ``~/.local/state/lockpickle-gui/log/``      ``$LOCKPICKLE_GUI_SETTINGS_DIR``
cache       ``~/.cache/lockpickle-gui/``                (then ``<dir>/logs``, ``<dir>/cache``,
data        ``~/.local/share/lockpickle-gui/``          ``<dir>/data``)
==========  ==========================================  =====================================

The data folder holds the snapshot library (``core.library``).

``settings.json`` carries a ``schema_version``; it is written atomically. A file that cannot
be read (bad JSON, not an object, a newer schema) is moved aside with a warning in the log,
never overwritten, and defaults are used. Values of the wrong type fall back to defaults one
by one, also with a warning. Keys this version does not know are kept as they are.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockpickle_gui.core.atomic import atomic_write

log = logging.getLogger(__name__)

APP_NAME = "lockpickle-gui"
SETTINGS_FILE = "settings.json"
SCHEMA_VERSION = 1
MAX_RECENT = 9
SETTINGS_DIR_ENV = "LOCKPICKLE_GUI_SETTINGS_DIR"

# The preview settings a user may prefer (Edit ▸ Preferences), with a value of each one's
# type. Only what the user chose is stored: core.preview.defaults holds the built-in values
# and merges them with these and a project's [preview] table.
PREVIEW_KEYS: dict[str, Any] = {
    "workers": 0,
    "max_batch": 0,
    "max_delay_ms": 0.0,
    "requests": 0,
    "clients": 0,
    "seed": 0,
}

DEFAULTS: dict[str, Any] = {
    "schema_version": SCHEMA_VERSION,
    "recent_projects": [],
    "preview": {},
    "last_open_folder": "",
    "last_export_folder": "",
    "window_geometry": "",  # base64 of QMainWindow.saveGeometry()
    "window_state": "",  # base64 of QMainWindow.saveState() (toolbars, docks)
}


@dataclass(frozen=True)
class UserDirs:
    config: Path
    log: Path
    cache: Path
    data: Path


def user_dirs(settings_dir: str | os.PathLike[str] | None = None) -> UserDirs:
    """Where settings, logs, caches and data live; ``settings_dir`` (or the env var) puts them all under one folder."""
    override = (
        settings_dir if settings_dir is not None else os.environ.get(SETTINGS_DIR_ENV) or None
    )
    if override is not None:
        base = Path(override).expanduser().resolve()
        return UserDirs(config=base, log=base / "logs", cache=base / "cache", data=base / "data")
    import platformdirs

    return UserDirs(
        config=platformdirs.user_config_path(APP_NAME, appauthor=False),
        log=platformdirs.user_log_path(APP_NAME, appauthor=False),
        cache=platformdirs.user_cache_path(APP_NAME, appauthor=False),
        data=platformdirs.user_data_path(APP_NAME, appauthor=False),
    )


class Settings:
    """``settings.json`` in memory. Change values with the methods, then :meth:`save`."""

    def __init__(self, settings_dir: str | os.PathLike[str] | None = None):
        self.dirs = user_dirs(settings_dir)
        self.path = self.dirs.config / SETTINGS_FILE
        self.data: dict[str, Any] = copy.deepcopy(DEFAULTS)
        self._load()

    # ------------------------------------------------------------------ load / save

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as error:
            log.warning("Cannot read %s (%s); using default settings.", self.path, error)
            return
        try:
            loaded = json.loads(text)
        except ValueError as error:
            self._move_aside(f"it is not valid JSON ({error})")
            return
        if not isinstance(loaded, dict):
            self._move_aside(f"it holds a {type(loaded).__name__}, not a JSON object")
            return
        version = loaded.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            self._move_aside(
                f"its schema_version {version!r} is not one this version reads (≤ {SCHEMA_VERSION})"
            )
            return
        for key, value in loaded.items():
            default = DEFAULTS.get(key)
            if key not in DEFAULTS or _same_shape(value, default):
                self.data[key] = value
            else:
                log.warning(
                    "Settings %s: %r should be a %s, got %r; using the default.",
                    self.path,
                    key,
                    type(default).__name__,
                    value,
                )
        self.data["schema_version"] = SCHEMA_VERSION
        self.data["preview"] = self._checked_preview(self.data["preview"])
        self.data["recent_projects"] = [
            p for p in self.data["recent_projects"] if isinstance(p, str)
        ]

    def _checked_preview(self, values: dict[str, Any]) -> dict[str, Any]:
        checked = {}
        for key, value in values.items():
            if key in PREVIEW_KEYS and not _same_shape(value, PREVIEW_KEYS[key]):
                log.warning(
                    "Settings %s: preview.%s=%r is not a number; using the default.",
                    self.path,
                    key,
                    value,
                )
                continue
            checked[key] = value
        return checked

    def _move_aside(self, reason: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{SETTINGS_FILE}.unreadable-{stamp}")
        try:
            os.replace(self.path, aside)
        except OSError as error:
            log.error(
                "Settings %s cannot be used because %s, and it cannot be moved aside (%s). "
                "Using defaults; the file will be overwritten on the next save.",
                self.path,
                reason,
                error,
            )
            return
        log.warning(
            "Settings %s cannot be used because %s. It was moved to %s; using defaults.",
            self.path,
            reason,
            aside,
        )

    def save(self) -> Path:
        """Write settings.json atomically (creating the folder) and return its path."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.data, indent=2, sort_keys=True) + "\n"
        with atomic_write(self.path, mode="w") as handle:
            handle.write(text)
        return self.path

    # ------------------------------------------------------------------ generic values

    def get(self, key: str, default: Any = None) -> Any:
        """Any value by key (other panels may keep their own keys, e.g. ``"snapshot.verify"``)."""
        return copy.deepcopy(self.data.get(key, DEFAULTS.get(key, default)))

    def set(self, key: str, value: Any) -> None:
        json.dumps(value)  # fail now, not at save time, on values JSON cannot hold
        self.data[key] = copy.deepcopy(value)

    # ------------------------------------------------------------------ recent projects

    @property
    def recent_projects(self) -> list[Path]:
        """Most recent first, at most 9; paths that no longer exist are pruned."""
        kept = [p for p in self.data["recent_projects"] if Path(p).exists()]
        if len(kept) != len(self.data["recent_projects"]):
            self.data["recent_projects"] = kept
        return [Path(p) for p in kept[:MAX_RECENT]]

    def add_recent(self, path: str | os.PathLike[str]) -> None:
        text = str(Path(path).expanduser().resolve())
        others = [p for p in self.data["recent_projects"] if p != text]
        self.data["recent_projects"] = [text, *others][:MAX_RECENT]

    def clear_recent(self) -> None:
        self.data["recent_projects"] = []

    # ------------------------------------------------------------------ named values

    @property
    def preview_defaults(self) -> dict[str, Any]:
        """What the user chose among ``workers``, ``max_batch``, ``max_delay_ms``,
        ``requests``, ``clients``, ``seed`` (``core.preview.defaults`` fills in the rest)."""
        return dict(self.data["preview"])

    def set_preview_defaults(self, **values: Any) -> None:
        unknown = set(values) - set(PREVIEW_KEYS)
        if unknown:
            raise KeyError(
                f"Expected preview settings among {sorted(PREVIEW_KEYS)}. "
                f"Received: {sorted(unknown)}."
            )
        self.data["preview"] = self._checked_preview({**self.data["preview"], **values})

    @property
    def last_open_folder(self) -> str:
        return str(self.data["last_open_folder"])

    @last_open_folder.setter
    def last_open_folder(self, folder: str | os.PathLike[str]) -> None:
        self.data["last_open_folder"] = str(folder)

    @property
    def last_export_folder(self) -> str:
        return str(self.data["last_export_folder"])

    @last_export_folder.setter
    def last_export_folder(self, folder: str | os.PathLike[str]) -> None:
        self.data["last_export_folder"] = str(folder)

    @property
    def window_geometry(self) -> str:
        return str(self.data["window_geometry"])

    @window_geometry.setter
    def window_geometry(self, value: str) -> None:
        self.data["window_geometry"] = str(value)

    @property
    def window_state(self) -> str:
        return str(self.data["window_state"])

    @window_state.setter
    def window_state(self, value: str) -> None:
        self.data["window_state"] = str(value)


def _same_shape(value: Any, default: Any) -> bool:
    """True when ``value`` can stand where ``default`` stands (ints count as floats)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))
