"""Filling the library from files: add paths, scan folders, rebuild a lost catalog.

Only manifests are read (``read_manifest``: checks 1-4 of the snapshot reader): no model is
built, no pickle runs, no project code is imported, so scanning a folder from anywhere is
safe. Each file's sha256 is computed as it is read. A file that is not a snapshot, or a
damaged one, is reported in :attr:`ScanReport.problems` and the scan goes on. Files whose
size and modification time are unchanged since the last scan are not read again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.library import snapshot_files
from lockpickle_gui.core.library.catalog import FileFacts, Library
from lockpickle_gui.core.library.sql import normalize
from lockpickle_gui.core.library.summary import SnapshotSummary, summarize
from lockpickle_gui.core.progress import Progress

log = logging.getLogger(__name__)

SUFFIX = ".lpsnap"
BATCH = 100  # entries per write transaction: a cancelled scan keeps what it recorded
_CHUNK = 1 << 20


@dataclass
class Problem:
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class ScanReport:
    folders: list[str] = field(default_factory=list)
    found: int = 0  # snapshot files seen
    recorded: int = 0  # read and recorded (new or changed)
    unchanged: int = 0  # same size and time as last scan: not read again
    missing: list[str] = field(default_factory=list)  # known files that are gone
    problems: list[Problem] = field(default_factory=list)  # files that are not snapshots

    def to_dict(self) -> dict[str, Any]:
        return {
            "folders": self.folders,
            "found": self.found,
            "recorded": self.recorded,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "problems": [p.to_dict() for p in self.problems],
        }


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_snapshot(path: str | os.PathLike[str]) -> tuple[FileFacts, SnapshotSummary]:
    """The catalog's record of one file: its manifest (checked, nothing loaded) and facts.

    Raises the snapshot reader's errors (NotASnapshot, CorruptSnapshot, ...) and OSError.
    """
    absolute = normalize(path)
    stat = os.stat(absolute)
    manifest = snapshot_files.read_manifest(absolute)
    facts = FileFacts(absolute, stat.st_size, stat.st_mtime_ns, file_sha256(absolute))
    return facts, summarize(manifest, absolute)


def find_snapshots(folder: str | os.PathLike[str]) -> Iterator[str]:
    """Every ``*.lpsnap`` under ``folder`` (recursively; hidden files and folders skipped:
    that is where interrupted writes leave their temporaries)."""
    pending = [os.fspath(folder)]
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as error:
            log.warning("Cannot list %s: %s", current, error)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.name.lower().endswith(SUFFIX) and entry.is_file():
                    yield entry.path
            except OSError:
                continue


def add_paths(
    library: Library, paths: Iterable[str | os.PathLike[str]], *, progress: Progress | None = None
) -> ScanReport:
    """``lockpickle library add``: record files; register folders and scan them."""
    files, folders, report = [], [], ScanReport()
    for path in paths:
        if os.path.isdir(path):
            folders.append(library.add_folder(path))
        elif os.path.exists(path):
            files.append(normalize(path))
        else:
            report.problems.append(Problem(normalize(path), "no such file or folder"))
    _record_files(library, files, "add", report, None, progress if not folders else None)
    if folders:
        scanned = scan(library, folders, progress=progress)
        _merge(report, scanned)
    return report


def scan(
    library: Library,
    folders: Iterable[str | os.PathLike[str]] | None = None,
    *,
    progress: Progress | None = None,
) -> ScanReport:
    """Look through ``folders`` for snapshots. Without ``folders``: through every folder
    in the library, and at every file it records wherever it lies (a ``stat``; read again
    only when its size or time changed, or it was missing), so a vanished one is missing."""
    everything = folders is None
    chosen = [normalize(f) for f in folders] if folders is not None else library.folders()
    report = ScanReport(folders=chosen)
    if progress is not None:
        progress(0.0, "Looking for snapshots")
    candidates: list[str] = []
    for folder in chosen:
        if not os.path.isdir(folder):
            report.problems.append(Problem(folder, "the folder does not exist"))
            continue
        candidates.extend(normalize(p) for p in find_snapshots(folder))
    known = library.known_files()
    if everything:  # after the folders' files, so a moved file is found before its old path
        listed = set(candidates)
        candidates.extend(p for p in known if p not in listed and os.path.isfile(p))
    _record_files(library, candidates, "scan", report, known, progress)
    seen = set(candidates)
    prefixes = tuple(folder.rstrip(os.sep) + os.sep for folder in chosen)
    gone: dict[int, bool] = {}
    for path, (entry_id, _size, _mtime, _cid, missing) in library.known_files().items():
        looked_at = everything or path.startswith(prefixes)
        if looked_at and path not in seen and not os.path.isfile(path):
            report.missing.append(path)
            if not missing:
                gone[entry_id] = True
    if gone:
        library.set_missing(gone)
    for folder in chosen:
        if folder in library.folders():
            library.mark_scanned(folder)
    if progress is not None:
        progress(1.0, f"Scanned {report.found} snapshot(s)")
    return report


def _record_files(
    library: Library,
    paths: list[str],
    origin: str,
    report: ScanReport,
    known: dict[str, tuple[int, int | None, int | None, str, bool]] | None,
    progress: Progress | None,
) -> None:
    batch: list[tuple[FileFacts, SnapshotSummary]] = []
    for index, path in enumerate(paths):
        if progress is not None:
            progress(0.05 + 0.9 * index / max(1, len(paths)), f"Reading {Path(path).name}")
        previous = (known or {}).get(path)
        if previous is not None and not previous[4]:
            try:
                stat = os.stat(path)
            except OSError:
                stat = None
            if stat is not None and (stat.st_size, stat.st_mtime_ns) == previous[1:3]:
                report.found += 1
                report.unchanged += 1
                continue
        try:
            batch.append(read_snapshot(path))
        except (LockpickleError, OSError) as error:
            report.problems.append(Problem(path, _reason(error)))
            continue
        report.found += 1
        if len(batch) >= BATCH:
            report.recorded += len(library.record_many(batch, origin))
            batch = []
    if batch:
        report.recorded += len(library.record_many(batch, origin))


def _reason(error: BaseException) -> str:
    text = str(error)
    path = getattr(error, "path", None)
    if path and text.startswith(f"{path}: "):
        text = text[len(path) + 2 :]
    return text if isinstance(error, LockpickleError) else f"{type(error).__name__}: {text}"


def _merge(report: ScanReport, other: ScanReport) -> None:
    report.folders += other.folders
    report.found += other.found
    report.recorded += other.recorded
    report.unchanged += other.unchanged
    report.missing += other.missing
    report.problems += other.problems


def rebuild(library: Library, *, progress: Progress | None = None) -> ScanReport:
    """Refill a catalog that was deleted or damaged from the snapshot files.

    Reads ``library-roots.json`` (folders, files outside them, tags, notes, verdicts),
    scans the folders, records the files — a file that is gone comes back as a *missing*
    entry, not silently dropped — and gives entries their tags, notes and verdicts back.
    """
    roots = library.roots()
    for folder in roots.folders:
        library.add_folder(folder)
    report = scan(library, roots.folders, progress=progress) if roots.folders else ScanReport()
    present = [f["path"] for f in roots.files if os.path.isfile(f["path"])]
    _record_files(library, present, "add", report, None, None)
    for entry in roots.files:
        if not os.path.isfile(entry["path"]):
            report.missing.append(entry["path"])
            library.record_vanished(entry["path"], entry["content_id"])
    library.apply_annotations(roots.annotations)
    library.rebuild_done()
    return report


def open_ready(
    folder: str | os.PathLike[str] | None = None, *, progress: Progress | None = None
) -> Library:
    """The library in ``folder``, rebuilt first if its database was lost, and with every
    file looked at again (moved or deleted ones marked missing). What the app runs on a
    worker at start-up."""
    library = Library(folder)
    try:
        if library.needs_rebuild:
            if progress is not None:
                progress(0.0, "Rebuilding the snapshot library from the files")
            rebuild(library, progress=progress)
        library.refresh_missing()
        library.entries()  # reads every row once, here, so the app's first listing is quick
    except BaseException:
        library.close()
        raise
    return library
