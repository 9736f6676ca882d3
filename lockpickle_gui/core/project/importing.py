"""Importing a snapshot, the one way the CLI (``lockpickle import``) and the app (Import
Snapshot) do it: check the file, load it with only the trust given, re-run its stored
verification on what was loaded.

A failed verification is a verdict to show, not an error: it is returned, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockpickle_gui.core.progress import Progress, Reporter
from lockpickle_gui.core.project.model_project import ModelProject
from lockpickle_gui.core.project.snapshot_project import open_snapshot_project
from lockpickle_gui.core.snapshot import read_manifest, verify_snapshot
from lockpickle_gui.core.snapshot.loader import LoadOptions
from lockpickle_gui.core.snapshot.verify import VerificationResult


@dataclass
class Imported:
    project: ModelProject
    verification: VerificationResult


def import_snapshot(
    path: Any,
    *,
    trust: Any = (),
    trust_bundled_code: bool = False,
    progress: Progress | None = None,
) -> Imported:
    """Check, load (fresh locks, the same sharing, only trusted code), verify.

    Raises what ``load_snapshot`` raises (NotASnapshot first for a model file or a folder,
    UntrustedCode listing every type to trust, ...); the verification's verdict is in the
    result (``identical``, ``within tolerance``, ``mismatch``, ``no data``).
    """
    report = Reporter(progress)
    read_manifest(path)  # a model file or a project folder is not a snapshot: say so first
    project = open_snapshot_project(
        path,
        LoadOptions(trust, trust_bundled_code),
        lambda fraction, message: report(0.85 * fraction, message),
    )
    report(0.85, "Re-running the stored verification…")
    verification = verify_snapshot(path, obj=project.runtime)
    report(1.0, "Done")
    return Imported(project, verification)
