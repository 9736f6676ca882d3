"""The snapshot library: a catalog of ``.lpsnap`` files, folder scans, history and diffs.

    Library(folder=None)              the catalog (SQLite in the user data folder)
    add_paths / scan / rebuild        fill it from files (manifests only: nothing is loaded)
    record_export / record_import     what the app and the CLI call after each export/import
    reverify(library, ref, trust=...) load, re-run the stored verification, record the verdict

The catalog is an index, the files are the truth (see :mod:`.catalog`). The app's Library
panel and ``lockpickle library`` call these same functions.
"""

from lockpickle_gui.core.library.catalog import FileFacts, Library
from lockpickle_gui.core.library.db import LibraryError
from lockpickle_gui.core.library.entries import (
    EntryDetails,
    Event,
    Filters,
    LibraryEntry,
    VerdictFilter,
)
from lockpickle_gui.core.library.record import (
    record_export,
    record_import,
    record_verification,
    reverify,
    reverify_many,
    verdict_of,
)
from lockpickle_gui.core.library.scan import (
    ScanReport,
    add_paths,
    open_ready,
    read_snapshot,
    rebuild,
    scan,
)
from lockpickle_gui.core.library.summary import SnapshotSummary, summarize

__all__ = [
    "EntryDetails",
    "Event",
    "FileFacts",
    "Filters",
    "Library",
    "LibraryEntry",
    "LibraryError",
    "ScanReport",
    "SnapshotSummary",
    "VerdictFilter",
    "add_paths",
    "read_snapshot",
    "rebuild",
    "record_export",
    "record_import",
    "record_verification",
    "reverify",
    "reverify_many",
    "open_ready",
    "scan",
    "summarize",
    "verdict_of",
]
