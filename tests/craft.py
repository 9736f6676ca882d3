"""Building snapshot files by hand, as an attacker (or a damaged disk) would: read a good
snapshot's members, change some, record their new sha256 so the file is consistent again,
and write them back as a ZIP with the snapshot's magic comment."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

MAGIC = b"lockpickle-snapshot/2"


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def manifest_of(members: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(members["manifest.json"])


def write(
    path: Path, members: dict[str, bytes] | list[tuple[str, bytes]], comment: bytes = MAGIC
) -> Path:
    """``members`` (in order, stored) as a new archive at ``path``."""
    path.unlink(missing_ok=True)
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in items:
            archive.writestr(zipfile.ZipInfo(name), data)
        archive.comment = comment
    return path


def resealed(
    members: dict[str, bytes],
    changes: dict[str, bytes | None] | None = None,
    **manifest_changes: Any,
) -> dict[str, bytes]:
    """Members with ``changes`` applied (None deletes one), the manifest updated with
    ``manifest_changes`` and every changed member's sha256."""
    members = dict(members)
    manifest = manifest_of(members)
    for name, data in (changes or {}).items():
        if data is None:
            members.pop(name, None)
            manifest["members"].pop(name, None)
        else:
            members[name] = data
            manifest["members"][name] = hashlib.sha256(data).hexdigest()
    manifest.update(manifest_changes)
    members["manifest.json"] = json.dumps(manifest).encode()
    return members


def state_doc(
    nodes: list[Any], types: list[tuple[str, str]] = (), root: Any = None, attached: list[Any] = ()
) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "format": "lockpickle-state",
        "version": 2,
        "types": [{"name": name, "kind": kind} for name, kind in types],
        "nodes": list(nodes),
        "root": {"r": 0} if root is None else root,
        "attached": list(attached),
    }


def with_state(
    members: dict[str, bytes], doc: dict[str, Any] | bytes, **manifest_changes: Any
) -> dict[str, bytes]:
    """``members`` whose state.json is ``doc``; the manifest lists the types it names (an
    attacker writes both), so the loader's trust decision is what is tested."""
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    types = manifest_changes.pop("types", None)
    if types is None and isinstance(doc, dict):
        types = [
            {"name": t["name"], "kind": t["kind"], "use": "state"}
            for t in doc.get("types", [])
            if isinstance(t, dict)
        ]
    if types is not None:
        manifest_changes["types"] = types
    return resealed(members, {"state.json": data}, **manifest_changes)
