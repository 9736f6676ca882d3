"""Opening a snapshot and checking it, in this order, each failure its own error naming the
file; nothing is imported and no model is built:

  1. a ZIP at all (or a dict of members), with a manifest.json    -> NotASnapshot
  2. manifest.json (bounded) parses as strict JSON, is a lockpickle manifest, and its
     version is supported (format 1, a pickle, is refused with what to do): an old or a
     newer file gets that answer first                               -> NotASnapshot /
                                                                       UnsupportedVersion
  3. member names: relative, no ``..``, no absolute paths, no duplicates, known names;
     sizes, counts and compression within the budgets (no zip bomb) -> CorruptSnapshot
  4. every field of the manifest checked (``manifest_io``); the magic archive comment; the
     archive holds exactly the members the manifest lists            -> CorruptSnapshot
  5. (before a member is used) its sha256 matches the manifest       -> CorruptSnapshot

``read_manifest`` stops after 4; ``untrusted_types`` after parsing state.json as well.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot, LockpickleError
from lockpickle_gui.core.progress import Progress
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import npy, safejson
from lockpickle_gui.core.snapshot.archive import Hasher
from lockpickle_gui.core.snapshot.budgets import DEFAULT, Budgets
from lockpickle_gui.core.snapshot.manifest import Manifest
from lockpickle_gui.core.snapshot.manifest_io import manifest_to_json, parse_manifest
from lockpickle_gui.core.snapshot.sources import DictSource, Source, ZipSource

_CHUNK = 4 << 20


@dataclass
class Opened:
    """A snapshot whose structure and manifest were checked (steps 1-4)."""

    source: Source
    manifest: Manifest

    @property
    def path(self) -> Any:
        return self.source.path

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- step 5
    def read(self, name: str, limit: int) -> bytes:
        """A small member's bytes, after its sha256 was checked."""
        data = self.source.read(name, limit)
        self._expect(name, hashlib.sha256(data).hexdigest())
        return data

    def check_hashes(
        self, names: Iterable[str] | None = None, progress: Progress | None = None
    ) -> None:
        listed = self.manifest.members
        wanted = sorted(listed if names is None else names)
        total = max(1, sum(self.source.size(n) for n in wanted))
        done = 0
        for name in wanted:
            digest = hashlib.sha256()
            array = self.source.array(name)
            if array is not None:
                array = npy.contiguous(array)
                digest.update(npy.header_bytes(array))
                digest.update(npy.data_view(array))
                done += self.source.size(name)
            else:
                with self.source.open(name) as stream:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done / total, f"Checking {name}")
            self._expect(name, digest.hexdigest())

    def _expect(self, name: str, digest: str) -> None:
        if digest != self.manifest.members.get(name):
            raise CorruptSnapshot(
                f"Expected {name} to have the sha256 the manifest records. Received: different "
                f"content (sha256 {digest[:16]}…).",
                path=self.path,
                hint=fmt.REEXPORT_HINT,
            )

    def array_reader(self, hasher: Hasher, budgets: Budgets = DEFAULT) -> Callable[[str], Any]:
        """``read(member) -> numpy array`` for ``.npy`` members; each one's sha256 is computed
        on ``hasher``'s threads (check them with :meth:`check_digests`)."""

        def read(name: str) -> Any:
            if name not in self.manifest.members or not name.endswith(".npy"):
                raise CorruptSnapshot(
                    f"Expected the listed .npy member {name}. Received: none.",
                    path=self.path,
                    hint=fmt.REEXPORT_HINT,
                )
            given = self.source.array(name)
            if given is not None:
                return _checked_array(given, name, self.path, hasher)
            size = self.source.size(name)
            with self.source.open(name) as stream:
                array = npy.read_npy(stream, size, name, self.path, budgets)
                header_size = size - int(array.nbytes)
                stream.seek(0)
                header = stream.read(header_size)
            hasher.submit(name, header, npy.data_view(array))
            return array

        return read

    def check_digests(self, hasher: Hasher) -> None:
        for name, digest in hasher.digests().items():
            self._expect(name, digest)


def _checked_array(array: Any, name: str, path: Any, hasher: Hasher) -> Any:
    """An array given as a member (``from_members``): no objects, and its sha256 checked."""
    try:
        npy.build_dtype(npy.describe(array.dtype))
    except npy.DtypeRefused as error:
        raise CorruptSnapshot(
            f"Expected {name} to be a plain numpy array. Received: {error}.", path=path
        ) from None
    array = npy.contiguous(array)
    hasher.submit(name, npy.header_bytes(array), npy.data_view(array))
    return array


def open_snapshot(origin: Any, budgets: Budgets = DEFAULT) -> Opened:
    """Steps 1-4 for a path, bytes (a snapshot in memory) or a dict of members."""
    source: Source = (
        DictSource(origin, budgets) if isinstance(origin, dict) else ZipSource(origin, budgets)
    )
    try:
        raw = safejson.loads(
            source.read(fmt.MANIFEST_MEMBER, budgets.max_manifest_bytes),
            "manifest.json",
            source.path,
            budgets,
        )
        manifest = parse_manifest(raw, source.path)
        if isinstance(source, ZipSource) and not source.magic:
            raise CorruptSnapshot(
                f"Expected a format {manifest.format_version} snapshot to carry the archive comment "
                f"{fmt.MAGIC.decode()}. Received: another comment (the archive was rewritten by another tool).",
                path=source.path,
                hint=fmt.REEXPORT_HINT,
            )
        present = set(source.names()) - {fmt.MANIFEST_MEMBER}
        for name in sorted(set(manifest.members) - present):
            raise CorruptSnapshot(
                f"Expected member {name} listed in the manifest. Received: an archive without it.",
                path=source.path,
                hint=fmt.REEXPORT_HINT,
            )
        for name in sorted(present - set(manifest.members)):
            raise CorruptSnapshot(
                f"Expected only members the manifest lists. Received: {name}, which it does not.",
                path=source.path,
                hint=fmt.REEXPORT_HINT,
            )
    except BaseException:
        source.close()
        raise
    return Opened(source, manifest)


def read_manifest(origin: Any) -> dict[str, Any]:
    """The checked manifest of a snapshot (steps 1-4): no model is built, nothing imported."""
    with open_snapshot(origin) as opened:
        return manifest_to_json(opened.manifest)


def is_complete_snapshot(path: Path) -> bool:
    """Whether ``path`` is a whole lockpickle snapshot (any version) by its own magic and
    format fields: the only kind of file ``save_snapshot`` replaces."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            info = infos.get(fmt.MANIFEST_MEMBER)
            if info is None or info.file_size > DEFAULT.max_manifest_bytes:
                return False
            raw = safejson.loads(archive.read(info), "manifest.json", path)
            comment = archive.comment
    except (
        LockpickleError,
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
    ):
        return False
    if type(raw) is not dict or raw.get("format") != fmt.FORMAT_NAME:
        return False
    version, members = raw.get("format_version"), raw.get("members")
    if type(version) is not int or type(members) is not dict:
        return False
    if version >= 2 and comment != fmt.MAGIC:
        return False
    return set(infos) == set(members) | {fmt.MANIFEST_MEMBER}
