"""load_snapshot / read_manifest: check everything, then load without running untrusted code.

The checks run in the order DESIGN.md gives, each failure its own error naming the file:
  1. a ZIP at all, with a manifest.json member       -> NotASnapshot (a .keras file is a ZIP)
  2. member names: relative, no ``..``, no absolute paths, no duplicates, known names
  3. member sizes and compression ratios within limits (no zip bomb)
  4. manifest.json parses, is a lockpickle manifest, its version is supported
                                                    -> NotASnapshot / UnsupportedVersion
  5. every member's sha256 matches the manifest     -> CorruptSnapshot (2, 3, 4's schema too)
Then: bundled code is imported only when trusted, before the models (custom layers register);
models load through Keras with ``safe_mode=True`` unless told otherwise; ``state.pkl`` is
read by :class:`RestrictedUnpickler`, which refuses every class outside the allow-list
*before* importing it (``trust.py``); objects attached to layers are set again.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from lockpickle_gui.core.errors import CorruptSnapshot, NotASnapshot, SnapshotError
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import streams

Progress = Callable[[float, str], None]
_CHUNK = 4 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_REEXPORT = "The file was damaged, truncated or edited; export the snapshot again."


def _corrupt(path, what: str, hint: str = _REEXPORT) -> CorruptSnapshot:
    return CorruptSnapshot(what, path=path, hint=hint)


# ----------------------------------------------------------------------------- checks 1-5


class SnapshotArchive:
    """An opened ``.lpsnap`` whose structure (checks 1-3) and manifest (4) were checked."""

    def __init__(self, path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SnapshotError(
                f"Expected a .lpsnap file. Received: {self.path}, which does not "
                "exist or is a folder.",
                path=self.path,
            )
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise NotASnapshot(
                f"Expected a lockpickle snapshot (a ZIP archive). Received: a file "
                f"that is not a ZIP archive ({error}).",
                path=self.path,
                hint="Open a .lpsnap written by `lockpickle export`.",
            ) from None
        try:
            self._check_is_snapshot()
            self.infos = self._check_names()
            self._check_sizes()
            self.manifest = self._read_manifest()
        except BaseException:
            self.zip.close()
            raise

    def close(self) -> None:
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_is_snapshot(self) -> None:
        """Check 1's end: a ZIP without manifest.json (a .keras model, any other ZIP) is
        not a snapshot, whatever its members are called."""
        if fmt.MANIFEST_MEMBER not in self.zip.namelist():
            raise NotASnapshot(
                f"Expected a lockpickle snapshot (a ZIP archive with a {fmt.MANIFEST_MEMBER}). "
                f"Received: a ZIP archive without one; it is not a lockpickle snapshot.",
                path=self.path,
                hint="Open .keras files with `lockpickle inspect` or the app; `lockpickle "
                "info`/`verify` read .lpsnap files written by `lockpickle export`.",
            )

    def _check_names(self) -> dict[str, zipfile.ZipInfo]:
        infos: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            name = info.filename
            if name.startswith(("/", "\\")) or _DRIVE.match(name):
                raise _corrupt(
                    self.path,
                    f"Expected relative member names. Received: the absolute member name {name!r}.",
                )
            if ".." in PurePosixPath(name.replace("\\", "/")).parts:
                raise _corrupt(
                    self.path,
                    f"Expected member names inside the archive. Received: "
                    f"{name!r}, which climbs out with '..'.",
                )
            if name in infos:
                raise _corrupt(
                    self.path,
                    f"Expected each member once. Received: {name!r} twice "
                    "(a later copy could replace a checked one).",
                )
            if not fmt.is_known_member(name):
                raise _corrupt(
                    self.path,
                    f"Expected only lockpickle snapshot members. Received: "
                    f"an unexpected member {name!r}.",
                )
            if info.flag_bits & 0x1:
                raise _corrupt(
                    self.path, f"Expected unencrypted members. Received: {name!r} is encrypted."
                )
            infos[name] = info
        return infos

    def _check_sizes(self) -> None:
        if len(self.infos) > fmt.MAX_MEMBERS:
            raise _corrupt(
                self.path,
                f"Expected at most {fmt.MAX_MEMBERS} members. Received: {len(self.infos)}.",
            )
        total = 0
        for name, info in self.infos.items():
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _corrupt(
                    self.path,
                    f"Expected stored or deflated members. Received: {name!r} "
                    f"with compression type {info.compress_type}.",
                )
            limit = fmt.MAX_MANIFEST_BYTES if name == fmt.MANIFEST_MEMBER else fmt.MAX_MEMBER_BYTES
            if info.file_size > limit:
                raise _corrupt(
                    self.path,
                    f"Expected {name} to be at most {limit} bytes. Received: "
                    f"{info.file_size} bytes.",
                )
            if (
                info.file_size > fmt.RATIO_CHECK_MIN_BYTES
                and info.file_size > fmt.MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
            ):
                raise _corrupt(
                    self.path,
                    f"Expected compression ratios below "
                    f"{fmt.MAX_COMPRESSION_RATIO}:1. Received: {name!r} "
                    f"expands {info.compress_size} bytes to {info.file_size} "
                    "(a zip bomb).",
                )
            total += info.file_size
        if total > fmt.MAX_TOTAL_BYTES:
            raise _corrupt(
                self.path,
                f"Expected at most {fmt.MAX_TOTAL_BYTES} bytes in all. Received: {total}.",
            )

    def _read_manifest(self) -> dict:
        raw = self.read(fmt.MANIFEST_MEMBER)
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise _corrupt(
                self.path,
                f"Expected manifest.json to be JSON. Received: text that does not parse ({error}).",
            ) from None
        return fmt.validate_manifest(manifest, self.path)

    # ---------------------------------------------------------------- member access

    def read(self, name: str) -> bytes:
        try:
            with self.zip.open(self.infos[name]) as member:
                return member.read()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise _corrupt(self.path, f"Expected a readable {name}. Received: {error}.") from None

    def window(self, name: str) -> streams.MemberWindow:
        info = self.infos[name]
        start = streams.stored_member_offset(self.path, self.zip, info)
        return streams.MemberWindow(self.path, start, info.file_size)

    def _stream(self, name: str):
        info = self.infos[name]
        if info.compress_type == zipfile.ZIP_STORED:
            return self.window(name)  # raw bytes: the sha256 below is stronger than the CRC
        return self.zip.open(info)

    def check_hashes(self, progress: Progress | None = None, only=None) -> None:
        """Check 5: the members are exactly the listed ones and every sha256 matches.

        ``only`` checks just those members (listed ones), e.g. before re-reading verify data.
        """
        listed = self.manifest["members"]
        present = set(self.infos) - {fmt.MANIFEST_MEMBER}
        if only is not None:
            listed = {name: listed[name] for name in only}
            present &= set(listed)
        for name in sorted(set(listed) - present):
            raise _corrupt(
                self.path,
                f"Expected member {name} listed in the manifest. Received: an archive without it.",
            )
        for name in sorted(present - set(listed)):
            raise _corrupt(
                self.path,
                f"Expected only members the manifest lists. Received: {name}, which it does not.",
            )
        total = max(1, sum(self.infos[n].file_size for n in listed))
        done = 0
        for name in sorted(listed, key=lambda n: self.infos[n].header_offset):
            digest = hashlib.sha256()
            try:
                with self._stream(name) as member:
                    while chunk := member.read(_CHUNK):
                        digest.update(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done / total, f"Checking {name}")
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise _corrupt(
                    self.path, f"Expected a readable {name}. Received: {error}."
                ) from None
            if digest.hexdigest() != listed[name]:
                raise _corrupt(
                    self.path,
                    f"Expected {name} to have the sha256 the manifest "
                    f"records. Received: different content "
                    f"(sha256 {digest.hexdigest()[:16]}…).",
                )


def read_manifest(path) -> dict:
    """The checked manifest of a snapshot (checks 1-4); builds no model, runs no pickle."""
    with SnapshotArchive(path) as archive:
        return archive.manifest


def read_code_sources(path) -> dict[str, str]:
    """Bundled ``code/*.py`` sources by module name (after every check), without importing."""
    with SnapshotArchive(path) as archive:
        archive.check_hashes()
        return {
            entry["module"]: archive.read(entry["member"]).decode("utf-8")
            for entry in archive.manifest["code"] or []
        }
