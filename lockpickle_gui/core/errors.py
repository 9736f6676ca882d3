"""Errors raised by lockpickle_gui.

Every message follows the Keras shape: what was expected, what was received (naming the
file or the attribute path), and how to fix it. Callers (CLI, GUI) show ``str(error)``
as-is; nothing below should ever need a traceback to be understood.
"""

from __future__ import annotations

import os
from typing import Any


class LockpickleError(Exception):
    """Base class of every error lockpickle_gui raises on purpose.

    ``path`` is the file or folder concerned (if any); ``hint`` is the how-to-fix sentence.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.hint = hint
        text = message
        if self.path and self.path not in message:
            text = f"{self.path}: {text}"
        if hint:
            text = f"{text} {hint}"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Errors cross processes (multiprocessing, Ray, Dask pickle them): keep the type, the
        # message as it was shown and the attributes (module, blocked, ...), whatever
        # arguments the subclass' constructor takes.
        return _rebuild_error, (type(self), str(self), dict(self.__dict__))


def _rebuild_error(cls: type[LockpickleError], text: str, state: dict[str, Any]) -> LockpickleError:
    error = cls.__new__(cls)
    Exception.__init__(error, text)
    error.__dict__.update(state)
    return error


class Cancelled(LockpickleError):
    """The user (or a progress callback) asked to stop; nothing was left half-written."""

    def __init__(self, message: str = "Cancelled.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class ProjectError(LockpickleError):
    """A model project (file, folder, lockpickle.toml, project code) could not be opened."""


class SnapshotError(LockpickleError):
    """Base class of the .lpsnap errors."""


class NotASnapshot(SnapshotError):
    """The file is not a ZIP archive with a lockpickle manifest."""


class UnsupportedVersion(SnapshotError):
    """The snapshot's format_version is not one this version can read."""


class CorruptSnapshot(SnapshotError):
    """A member is missing, unsafe, too large, or its sha256 does not match the manifest."""


class BudgetExceeded(CorruptSnapshot):
    """A size, count, depth or work budget would be exceeded; refused before the work."""


class UntrustedCode(SnapshotError):
    """Loading would import or call code the caller did not trust.

    ``types`` lists every type name (``module.Qualname``) the file needs that was not
    trusted; ``module``/``name`` are the first one's parts. ``cli_hint`` is the how-to-fix
    sentence for the command line (its flags first; ``hint`` names the Python arguments).
    """

    def __init__(
        self,
        message: str,
        *,
        module: str | None = None,
        name: str | None = None,
        types: list[str] | None = None,
        cli_hint: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.module = module
        self.name = name
        self.types = list(types or [])
        self.cli_hint = cli_hint
        super().__init__(message, **kwargs)


class TrustedCodeFailed(SnapshotError):
    """Code the caller trusted raised while rebuilding an object (the cause is attached)."""


class VerificationFailed(SnapshotError):
    """The restored model's outputs differ from the ones recorded at export."""

    def __init__(self, message: str, *, max_abs_diff: float | None = None, **kwargs: Any) -> None:
        self.max_abs_diff = max_abs_diff
        super().__init__(message, **kwargs)


class UnpicklableState(SnapshotError):
    """The object graph holds state that cannot be restored (open files, sockets, ...).

    ``blocked`` lists every offending ``(path, kind)`` at once, not just the first.
    """

    def __init__(
        self, message: str, *, blocked: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        self.blocked = list(blocked or [])
        super().__init__(message, **kwargs)


class PreviewError(LockpickleError):
    """An inference preview could not run (bad inputs, a model that cannot be served...)."""
