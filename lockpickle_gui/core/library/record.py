"""Recording what happens to snapshots (export, import, verification) and re-verifying.

The app and the CLI call :func:`record_export` after every export and :func:`record_import`
after every import. Recording is bookkeeping: it never turns a successful export into a
failure; a library that cannot be written is logged as a warning and the export stands.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Any

from lockpickle_gui.core.errors import Cancelled, LockpickleError
from lockpickle_gui.core.library.catalog import Library
from lockpickle_gui.core.library.db import LibraryError
from lockpickle_gui.core.library.scan import read_snapshot
from lockpickle_gui.core.progress import Progress, Reporter
from lockpickle_gui.core.snapshot import load_snapshot, verify_snapshot

log = logging.getLogger(__name__)

Folder = str | os.PathLike[str] | None


def verdict_of(verification: Any) -> tuple[str, str] | None:
    """``(verdict, detail)`` of a VerificationResult or a VerificationFailed, else None."""
    if verification is None:
        return None
    verdict = getattr(verification, "verdict", None)
    if verdict is None:  # VerificationFailed carries only the difference
        diff = getattr(verification, "max_abs_diff", None)
        return "mismatch", "" if diff is None else f"max abs diff {diff:.3g}"
    text = str(getattr(verdict, "value", verdict))
    diff = getattr(verification, "max_abs_diff", None)
    tolerance = getattr(verification, "tolerance", None)
    parts = []
    if diff is not None:
        parts.append(f"max abs diff {diff:.3g}")
    if tolerance is not None:
        parts.append(f"tolerance {tolerance:.3g}")
    return text, ", ".join(parts)


def _record(
    path: str | os.PathLike[str],
    origin: str,
    folder: Folder,
    verification: Any = None,
    project: Any = None,
) -> int | None:
    try:
        with Library(folder) as library:
            facts, summary = read_snapshot(path)
            entry_id = library.record(
                facts,
                summary,
                origin,
                project=getattr(project, "name", None),
                source_path=str(project.path) if getattr(project, "path", None) else None,
            )
            verdict = verdict_of(verification)
            if verdict is not None:
                library.set_verdict(entry_id, *verdict)
            return entry_id
    except (LockpickleError, OSError, sqlite3.Error) as error:
        log.warning("Could not record %s in the snapshot library: %s", path, error)
        return None


def record_export(
    path: str | os.PathLike[str], *, project: Any = None, folder: Folder = None
) -> int | None:
    """Record a snapshot just written (``project``: the ModelProject it came from, which
    names the project when the manifest does not). Returns the entry id, or None when the
    library could not be written (logged)."""
    return _record(path, "export", folder, project=project)


def record_import(
    path: str | os.PathLike[str], verification: Any = None, *, folder: Folder = None
) -> int | None:
    """Record a snapshot just loaded, with the verdict its verification gave."""
    return _record(path, "import", folder, verification=verification)


def record_verification(
    path: str | os.PathLike[str], verification: Any, *, folder: Folder = None
) -> int | None:
    """Record the verdict of a verification run outside the library (``lockpickle verify``)."""
    return _record(path, "add", folder, verification=verification)


def reverify(
    library: Library,
    ref: int | str,
    *,
    trust: tuple[str, ...] = (),
    trust_bundled_code: bool = False,
    progress: Progress | None = None,
) -> Any:
    """Load the snapshot (every check, only trusted code), re-run its stored verification,
    record the verdict; returns the VerificationResult.

    Raises LibraryError for a missing file, the loader's errors (``UntrustedCode`` when it
    needs trust it was not given), and ``Cancelled`` when ``progress`` raises it.
    """
    entry = library.entry(ref)
    if not os.path.isfile(entry.path):
        library.set_missing({entry.id: True})
        raise LibraryError(
            f"Expected the snapshot file to verify. Received: {entry.path}, which is gone.",
            path=entry.path,
            hint="Scan the folder it moved to (`lockpickle library scan FOLDER`), or remove "
            "the entry.",
        )
    report = Reporter(progress)
    report(0.0, f"Reading {os.path.basename(entry.path)}")
    facts, summary = read_snapshot(entry.path)
    library.record(facts, summary, "add")
    obj = load_snapshot(
        entry.path,
        trust=trust,
        trust_bundled_code=trust_bundled_code,
        progress=lambda fraction, message: report(0.05 + 0.8 * fraction, message),
    )
    report(0.85, "Re-running the stored verification")
    result = verify_snapshot(entry.path, obj=obj)
    verdict = verdict_of(result)
    if verdict is not None:
        library.set_verdict(entry.id, *verdict)
    report(1.0, f"Verified: {verdict[0] if verdict else 'no data'}")
    return result


def reverify_many(
    library: Library,
    plan: list[tuple[int, tuple[str, ...], bool]],
    *,
    progress: Progress | None = None,
) -> list[tuple[int, Any]]:
    """Re-verify ``(entry id, trust, trust_bundled_code)`` one after another; returns
    ``(entry id, VerificationResult or the LockpickleError that stopped it)``. A cancel
    (``progress`` raising ``Cancelled``) stops between or inside snapshots."""
    results: list[tuple[int, Any]] = []
    for done, (entry_id, trust, bundled) in enumerate(plan):
        name = os.path.basename(library.entry(entry_id).path)

        def step(fraction: float, message: str, done: int = done, name: str = name) -> None:
            if progress is not None:
                progress(
                    (done + fraction) / len(plan), f"{name} ({done + 1}/{len(plan)}): {message}"
                )

        try:
            result = reverify(
                library, entry_id, trust=trust, trust_bundled_code=bundled, progress=step
            )
        except Cancelled:
            raise
        except LockpickleError as error:
            results.append((entry_id, error))
            continue
        results.append((entry_id, result))
    return results
