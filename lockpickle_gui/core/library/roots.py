"""``library-roots.json``: what a rebuilt catalog cannot learn from the snapshot files.

The catalog is an index; the snapshot files are the truth. But the files do not say which
folders the user added, where the snapshots outside those folders lie, or the tags, notes
and verdicts the user gave them. This small file, next to the database and written
atomically inside the catalog's write transaction (so two processes never interleave),
holds exactly that. Annotations name the file's path and its content id: a rebuild finds
the entry by path, or by content when the file moved meanwhile.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.atomic import atomic_write

log = logging.getLogger(__name__)

ROOTS_FILE = "library-roots.json"
ROOTS_VERSION = 1


@dataclass
class Annotation:
    path: str
    content_id: str
    tags: list[str] = field(default_factory=list)
    note: str = ""
    verdict: str | None = None
    verified_at: str | None = None
    verify_detail: str = ""


@dataclass
class Roots:
    folders: list[str] = field(default_factory=list)
    files: list[dict[str, str]] = field(default_factory=list)  # {"path", "content_id"}
    annotations: list[Annotation] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.folders or self.files or self.annotations)

    def to_json(self) -> str:
        return json.dumps(
            {
                "roots_version": ROOTS_VERSION,
                "folders": self.folders,
                "files": self.files,
                "annotations": [
                    {k: v for k, v in vars(note).items() if v} for note in self.annotations
                ],
            },
            indent=1,
        )


def read_roots(path: Path) -> Roots:
    """The roots file, or empty roots when it is missing or unreadable (logged)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Roots()
    except (OSError, ValueError) as error:
        log.warning("Cannot read the snapshot library's roots %s (%s); ignoring it.", path, error)
        return Roots()
    if not isinstance(data, dict):
        return Roots()
    roots = Roots()
    roots.folders = [f for f in data.get("folders") or [] if isinstance(f, str)]
    roots.files = [
        {"path": f["path"], "content_id": str(f.get("content_id") or "")}
        for f in data.get("files") or []
        if isinstance(f, dict) and isinstance(f.get("path"), str)
    ]
    for value in data.get("annotations") or []:
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            roots.annotations.append(
                Annotation(
                    path=value["path"],
                    content_id=str(value.get("content_id") or ""),
                    tags=[t for t in value.get("tags") or [] if isinstance(t, str)],
                    note=str(value.get("note") or ""),
                    verdict=value.get("verdict") if isinstance(value.get("verdict"), str) else None,
                    verified_at=value.get("verified_at")
                    if isinstance(value.get("verified_at"), str)
                    else None,
                    verify_detail=str(value.get("verify_detail") or ""),
                )
            )
    return roots


def write_roots(path: Path, roots: Roots) -> None:
    with atomic_write(path, mode="w") as handle:
        handle.write(roots.to_json())
