"""Atomic file writes: a crash or a kill at any moment leaves the old file intact.

:func:`atomic_write` writes into a temporary file in the target's own folder (so
``os.replace`` is a rename on one file system), flushes and fsyncs it, renames it over the
target and fsyncs the folder so the rename itself survives a power cut. On any exception,
including :class:`~lockpickle_gui.core.errors.Cancelled` and ``KeyboardInterrupt``, the
temporary file is removed and the target is untouched.

A process killed with SIGKILL cannot clean up, so temporaries carry the writer's pid in
their name (``.<name>.<pid>-<token>.tmp``): :func:`clean_stale_temporaries` removes the ones
whose process is gone, and :func:`atomic_write` calls it for its target every time.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lockpickle_gui.core.errors import LockpickleError

TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-(?P<token>[0-9a-f]{8})\.tmp$")


class UnwritableTarget(LockpickleError, OSError):
    """The target cannot be written: it is a folder, its folder is missing or read-only.

    Also an ``OSError``, so callers that already handle a failed write (a full disk, a
    read-only settings folder) keep handling it; the message names the path and the fix.
    """


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Raise :class:`UnwritableTarget` unless ``path`` names a file we may create or replace.

    Cheap (no file is created): callers doing long work before writing call it first, so a
    wrong output path fails in a moment, not after the work. Returns ``path`` as a Path.
    """
    target = Path(path)
    if not target.name or target.name in (".", ".."):
        raise UnwritableTarget(
            f"Expected a file name to write. Received: {os.fspath(path)!r}, which names no file.",
            hint="Give a path ending in a file name.",
        )
    if target.is_dir():
        raise UnwritableTarget(
            f"Expected a file to write. Received: {target}, which is a folder.",
            path=target,
            hint="Name a file inside it.",
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise UnwritableTarget(
            f"Expected an existing folder to write {target.name} in. Received: {folder}, which {what}.",
            path=target,
            hint="Create the folder first or choose another one.",
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UnwritableTarget(
            f"Expected a folder you may write in. Received: {folder}, which is read-only for you.",
            path=target,
            hint="Choose another folder or change its permissions.",
        )
    return target


def temp_path_for(target: str | os.PathLike[str], pid: int | None = None) -> Path:
    """A fresh temporary path next to ``target``, named so a later run can find it."""
    target = Path(target)
    pid = os.getpid() if pid is None else pid
    return target.with_name(f".{target.name}.{pid}-{secrets.token_hex(4)}{TEMP_SUFFIX}")


def parse_temp_name(name: str) -> tuple[str, int] | None:
    """``(target name, writer pid)`` for a temporary made by :func:`temp_path_for`, else None."""
    match = _TEMP_NAME.match(name)
    if match is None:
        return None
    return match.group("name"), int(match.group("pid"))


def pid_is_alive(pid: int) -> bool:
    """True when a process with this pid exists (ours, or someone else's we may not signal)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to another user
        return True
    except OSError as error:  # pragma: no cover - platforms without signal 0 semantics
        return error.errno != errno.ESRCH
    return True


def clean_stale_temporaries(folder: str | os.PathLike[str], name: str | None = None) -> list[Path]:
    """Remove temporaries in ``folder`` left by writers that no longer run.

    ``name`` limits the clean-up to temporaries of one target file name. Temporaries of a
    live process (this one included: another thread may be writing) are left alone.
    Returns the removed paths.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(os.fspath(folder)))
    except FileNotFoundError:
        return removed
    for entry in entries:
        parsed = parse_temp_name(entry.name)
        if parsed is None or (name is not None and parsed[0] != name):
            continue
        if pid_is_alive(parsed[1]):
            continue
        with contextlib.suppress(FileNotFoundError):  # another cleaner got there first
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _fsync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open directories; rename is durable there
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on a clean exit it replaces ``path`` atomically.

    ``mode`` is ``"wb"`` or ``"w"`` (text, UTF-8). The file keeps
    the permissions of the file it replaces (new files get the usual umask-based ones).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write() supports mode 'wb' or 'w'. Received: mode={mode!r}")
    target = check_writable(path)
    folder = target.parent if str(target.parent) else Path(".")
    clean_stale_temporaries(folder, target.name)
    temp = temp_path_for(target)
    # O_EXCL: never follow or reuse a file someone planted at the temporary name.
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as error:  # os.access says yes where the file system may not (read-only mount)
        raise UnwritableTarget(
            f"Expected a folder you may write in. Received: {folder}, where creating a file "
            f"failed ({error.strerror}).",
            path=target,
            hint="Choose another folder or change its permissions.",
        ) from error
    try:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        handle = os.fdopen(fd, mode, encoding="utf-8" if mode == "w" else None)
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_directory(folder)
