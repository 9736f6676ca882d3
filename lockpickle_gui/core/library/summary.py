"""What the library records about one snapshot, taken from its manifest alone.

Manifests differ between format versions (version 1 lists the *modules* loading needs,
version 2 the *types*) and older files lack newer fields (``project``), so every field is
read defensively here, in one place: the catalog, the scan and the diff see only
:class:`SnapshotSummary`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION_KEYS = ("python", "keras", "tensorflow", "numpy")
# The app's default export name is "<project>-<YYYY-MM-DD>[-HHMM…].lpsnap": the project of a
# snapshot that does not name one is its file name without that date.
_DATED_NAME = re.compile(r"^(?P<project>.+?)[-_]\d{4}-?\d{2}-?\d{2}([-_T]?\d{2,6})?(-\d+)?$")


@dataclass(frozen=True)
class ModelSummary:
    name: str
    cls: str  # the model's class, qualified as the manifest gives it
    params: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "class": self.cls, "params": self.params}


@dataclass(frozen=True)
class ObjectSummary:
    """A lock-like object (primitive) or an object dropped at export: where and what."""

    path: str
    kind: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind}


@dataclass(frozen=True)
class SnapshotSummary:
    content_id: str  # sha256 of the manifest's canonical JSON: one export, wherever it lies
    format_version: int | None
    created_utc: str
    producer: str
    producer_version: str
    versions: dict[str, str]
    project: str
    source_path: str | None
    root_type: str
    models: tuple[ModelSummary, ...] = ()
    primitives: tuple[ObjectSummary, ...] = ()
    dropped: tuple[ObjectSummary, ...] = ()
    required_types: tuple[str, ...] = ()
    has_verification: bool = False
    project_named: bool = False  # the manifest names the project (else: from the file name)

    @property
    def params(self) -> int:
        return sum(m.params or 0 for m in self.models)

    def to_dict(self) -> dict[str, Any]:
        return {
            "content_id": self.content_id,
            "format_version": self.format_version,
            "created_utc": self.created_utc,
            "producer": self.producer,
            "producer_version": self.producer_version,
            "versions": dict(self.versions),
            "project": self.project,
            "source_path": self.source_path,
            "root_type": self.root_type,
            "models": [m.to_dict() for m in self.models],
            "primitives": [p.to_dict() for p in self.primitives],
            "dropped": [d.to_dict() for d in self.dropped],
            "required_types": list(self.required_types),
            "has_verification": self.has_verification,
        }


def content_id(manifest: Mapping[str, Any]) -> str:
    """The sha256 of the manifest as canonical JSON.

    The manifest holds the sha256 of every member and the export time, so two files with
    the same content id are the same export (a copy or a moved file), found without
    reading more than the manifest.
    """
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def project_from_file_name(path: str | Path) -> str:
    """``anomaly-service`` for ``anomaly-service-2025-01-31.lpsnap``; else the stem."""
    stem = Path(path).stem
    match = _DATED_NAME.match(stem)
    return match.group("project") if match else stem


def summarize(manifest: Mapping[str, Any], path: str | Path) -> SnapshotSummary:
    """The library's record of a checked manifest; ``path`` only names a project the
    manifest does not give."""
    producer = manifest.get("producer")
    producer = producer if isinstance(producer, Mapping) else {}
    project = manifest.get("project")
    project = project if isinstance(project, Mapping) else {}
    verification = manifest.get("verification")
    checked = [
        entry
        for entry in (verification or {}).get("models", []) or []
        if isinstance(entry, Mapping) and entry.get("source")
    ]
    version = manifest.get("format_version")
    return SnapshotSummary(
        content_id=content_id(manifest),
        format_version=version if type(version) is int else None,
        created_utc=_text(manifest.get("created_utc")),
        producer=_text(producer.get("name")),
        producer_version=_text(producer.get("version")),
        versions={key: _text(manifest.get(key)) for key in VERSION_KEYS if manifest.get(key)},
        project=_text(project.get("name")) or project_from_file_name(path),
        source_path=_text(project.get("source")) or None,
        root_type=_text(manifest.get("root")),
        models=tuple(_models(manifest.get("models"))),
        primitives=tuple(_objects(manifest.get("primitives"))),
        dropped=tuple(_objects(manifest.get("dropped"))),
        required_types=tuple(required_types(manifest)),
        has_verification=bool(checked),
        project_named=bool(_text(project.get("name"))),
    )


def required_types(manifest: Mapping[str, Any]) -> list[str]:
    """What loading needs the user to trust, as names people read.

    Format 2 lists types (``{"name": "myapp.service:Service", ...}`` or plain names);
    format 1 lists modules. Bundled project code counts as one entry either way.
    """
    found: list[str] = []
    package = manifest.get("code_package")
    for key in ("required_types", "types"):
        listed = manifest.get(key)
        if isinstance(listed, list) and listed:
            for entry in listed:
                name = entry.get("name") if isinstance(entry, Mapping) else entry
                if not isinstance(name, str) or not name:
                    continue
                if isinstance(package, str) and name.startswith((package + ".", package + ":")):
                    continue  # counted once below, as the bundled code
                found.append(name.replace(":", "."))  # "pkg.mod:Cls" -> as trust= spells it
            break
    else:
        found = [m for m in manifest.get("modules") or [] if isinstance(m, str)]
    if manifest.get("code") and isinstance(package, str):
        found.append(f"bundled code ({package})")
    return sorted(set(found))


def _models(entries: Any) -> list[ModelSummary]:
    models = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        params = entry.get("params")
        models.append(
            ModelSummary(
                name=_text(entry.get("name")),
                cls=_text(entry.get("class")),
                params=params if type(params) is int else None,
            )
        )
    return models


def _objects(entries: Any) -> list[ObjectSummary]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            found.append(ObjectSummary(_text(entry.get("path")), _text(entry.get("kind"))))
    return found


def _text(value: Any) -> str:
    return "" if value is None else str(value)
