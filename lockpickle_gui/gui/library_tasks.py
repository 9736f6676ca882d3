"""What the Library panel's background jobs come back with, in words: a scan's and a
re-verification's summary line, the scan problems not shown before, and the periodic upkeep
(files that vanished, the roots backup) run on a worker."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


def upkeep(library: Any, flush_roots: bool) -> None:
    """Worker body: mark vanished files missing (and returned ones not: the next poll shows
    it), write library-roots.json (the catalog's backup list) when due; a failure is logged
    and retried at the next upkeep or when the catalog closes."""
    import sqlite3

    try:
        library.refresh_missing()
        if flush_roots:
            library.flush_roots()
    except (OSError, sqlite3.Error) as error:
        log.warning("Library upkeep in %s failed: %s", library.folder, error)


def scan_summary(report: Any) -> str:
    return (
        f"Scan: {report.found} snapshot(s), {len(report.missing)} missing, "
        f"{len(report.problems)} file(s) that are not snapshots."
    )


def verify_summary(results: Iterable[tuple[int, Any]]) -> tuple[str, list[BaseException]]:
    """(the task line, the errors of the snapshots that could not be verified)."""
    results = list(results)
    failed = [r for _id, r in results if not hasattr(r, "verdict")]
    verdicts = [str(r.verdict) for _id, r in results if hasattr(r, "verdict")]
    return "Re-verified: " + (", ".join(verdicts) or "nothing"), failed


class ToldOnce:
    """Scan problems already shown in a box: a Rescan that meets the same known bad file
    again says so in its task line only."""

    def __init__(self) -> None:
        self._told: set[tuple[str, str]] = set()

    def fresh(self, problems: Iterable[Any]) -> list[Any]:
        problems = list(problems)
        new = [p for p in problems if (p.path, p.message) not in self._told]
        self._told.update((p.path, p.message) for p in problems)
        return new
