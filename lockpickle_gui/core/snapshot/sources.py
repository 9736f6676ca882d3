"""Reading a snapshot's members, wherever they live: a ZIP file on disk, a ZIP in memory
(``loads``), or a dict of buffers (``from_members``). A :class:`Source` checks the
archive's structure before anything is parsed:
  * member names: relative, no ``..``, no absolute or drive paths, no duplicates, only the
    names the format defines (``format.is_known_member``);
  * sizes and counts within the budgets; every member stored uncompressed except the
    bundled code, whose expansion is bounded (no zip bomb);
  * for a ZIP, the manifest's format and version first (an old or newer file gets that
    answer), then the snapshot's magic archive comment (format 2).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot, NotASnapshot, SnapshotError
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import npy, safejson, streams
from lockpickle_gui.core.snapshot.budgets import DEFAULT, Budgets
from lockpickle_gui.core.snapshot.manifest import check_header

_DRIVE = re.compile(r"^[A-Za-z]:")


def _corrupt(path: Any, what: str) -> CorruptSnapshot:
    return CorruptSnapshot(what, path=path, hint=fmt.REEXPORT_HINT)


class Source:
    """Checked access to a snapshot's members; subclasses say where they live."""

    path: Any
    budgets: Budgets

    def names(self) -> list[str]:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def open(self, name: str) -> Any:
        """A readable binary stream (``read``, ``readinto``) of one member."""
        raise NotImplementedError

    def array(self, name: str) -> Any | None:
        """The numpy array of an ``.npy`` member given as an array (dict sources), else None."""
        return None

    def read(self, name: str, limit: int) -> bytes:
        if self.size(name) > limit:
            raise _corrupt(
                self.path,
                f"Expected {name} to be at most {limit} bytes. Received: {self.size(name)}.",
            )
        with self.open(name) as stream:
            data = stream.read()
        if len(data) != self.size(name):
            raise _corrupt(
                self.path, f"Expected {self.size(name)} bytes in {name}. Received: {len(data)}."
            )
        return bytes(data)

    def close(self) -> None:
        pass

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check_names(self, names: list[str]) -> None:
        seen: set[str] = set()
        for name in names:
            if not isinstance(name, str) or name.startswith(("/", "\\")) or _DRIVE.match(name):
                raise _corrupt(
                    self.path,
                    f"Expected relative member names. Received: the absolute member name {str(name)[:80]!r}.",
                )
            if ".." in PurePosixPath(name.replace("\\", "/")).parts:
                raise _corrupt(
                    self.path,
                    f"Expected member names inside the archive. Received: {name[:80]!r}, which climbs out with '..'.",
                )
            if name in seen:
                raise _corrupt(
                    self.path,
                    f"Expected each member once. Received: {name[:80]!r} twice (a later copy could replace a checked one).",
                )
            if not fmt.is_known_member(name):
                raise _corrupt(
                    self.path,
                    f"Expected only lockpickle snapshot members. Received: an unexpected member {name[:80]!r}.",
                )
            seen.add(name)
        if len(seen) > self.budgets.max_members:
            raise _corrupt(
                self.path,
                f"Expected at most {self.budgets.max_members} members. Received: {len(seen)}.",
            )


_ZIP_START = b"PK\x03\x04"  # a ZIP's first local file header
_INCOMPLETE_HINT = (
    "Copy or download it again from where it came from (or export it again); "
    "a copy is complete once it has the same size as the original."
)


def _unreadable_zip(path: Any, handle: Path | memoryview, error: BaseException) -> NotASnapshot:
    """Why ``zipfile`` could not open ``handle``: an empty file and a ZIP cut short (the
    start of an archive without the directory written at its end, as an interrupted copy
    or download leaves) are told apart from a file that is not a ZIP at all."""
    try:
        if isinstance(handle, memoryview):
            size, start = handle.nbytes, bytes(handle[: len(_ZIP_START)])
        else:
            size = handle.stat().st_size
            with handle.open("rb") as file:
                start = file.read(len(_ZIP_START))
    except OSError:
        size, start = -1, b""
    if size == 0:
        return NotASnapshot(
            "Expected a lockpickle snapshot (a ZIP archive). Received: an empty file (0 bytes), "
            "as an interrupted copy, download or export leaves.",
            path=path,
            hint=_INCOMPLETE_HINT,
        )
    if start == _ZIP_START:
        return NotASnapshot(
            "Expected a complete lockpickle snapshot (a ZIP archive ending with its directory). "
            f"Received: the start of a ZIP archive ({size:,} bytes) without the end of central "
            "directory record: the file is truncated or incomplete, as an interrupted copy or "
            "download leaves.",
            path=path,
            hint=_INCOMPLETE_HINT,
        )
    return NotASnapshot(
        "Expected a lockpickle snapshot (a ZIP archive). Received: a file that is not a ZIP "
        f"archive ({error}).",
        path=path,
        hint="Open a .lpsnap written by `lockpickle export`.",
    )


class ZipSource(Source):
    """A ZIP snapshot: a file path, or bytes (``loads``); stored members are read in place."""

    def __init__(
        self, origin: str | Path | bytes | bytearray | memoryview, budgets: Budgets = DEFAULT
    ) -> None:
        self.budgets = budgets
        self._buffer: memoryview | None = None
        if isinstance(origin, (bytes, bytearray, memoryview)):
            self._buffer = memoryview(origin).cast("B")
            self.path: Any = "<snapshot bytes>"
            handle: Any = streams.BufferWindow(self._buffer, 0, self._buffer.nbytes)
        else:
            self.path = Path(origin)
            if not self.path.is_file():
                raise SnapshotError(
                    f"Expected a .lpsnap file. Received: {self.path}, which does not exist or is a folder.",
                    path=self.path,
                )
            handle = self.path
        try:
            self.zip = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
            raise _unreadable_zip(
                self.path, self._buffer if self._buffer is not None else self.path, error
            ) from None
        try:
            self._check()
        except BaseException:
            self.zip.close()
            raise

    def _check(self) -> None:
        infos = self.zip.infolist()
        if fmt.MANIFEST_MEMBER not in {info.filename for info in infos}:
            raise NotASnapshot(
                f"Expected a lockpickle snapshot (a ZIP archive with a {fmt.MANIFEST_MEMBER}). Received: a ZIP archive without one; it is not a lockpickle snapshot.",
                path=self.path,
                hint="Open .keras files with `lockpickle inspect` or the app; `lockpickle info`/`verify` read .lpsnap files written by `lockpickle export`.",
            )
        self._check_manifest_header()
        self.check_names([info.filename for info in infos])
        self.infos = {info.filename: info for info in infos}
        total = 0
        for name, info in self.infos.items():
            if info.flag_bits & 0x1:
                raise _corrupt(
                    self.path, f"Expected unencrypted members. Received: {name!r} is encrypted."
                )
            allowed = (
                (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
                if fmt.may_be_deflated(name)
                else (zipfile.ZIP_STORED,)
            )
            if info.compress_type not in allowed:
                raise _corrupt(
                    self.path,
                    f"Expected {name} stored uncompressed. Received: compression type {info.compress_type}.",
                )
            limit = (
                self.budgets.max_code_bytes
                if fmt.may_be_deflated(name)
                else self.budgets.max_member_bytes
            )
            if name == fmt.MANIFEST_MEMBER:
                limit = self.budgets.max_manifest_bytes
            if info.file_size > limit:
                raise _corrupt(
                    self.path,
                    f"Expected {name} to be at most {limit} bytes. Received: {info.file_size} bytes.",
                )
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise _corrupt(
                    self.path,
                    f"Expected the stored member {name} to be as large as its data. Received: {info.compress_size} vs {info.file_size} bytes.",
                )
            if info.file_size > self.budgets.max_compression_ratio * max(info.compress_size, 1024):
                raise _corrupt(
                    self.path,
                    f"Expected compression ratios below {self.budgets.max_compression_ratio}:1. Received: {name!r} expands {info.compress_size} bytes to {info.file_size} (a zip bomb).",
                )
            total += info.file_size
        if total > self.budgets.max_total_bytes:
            raise _corrupt(
                self.path,
                f"Expected at most {self.budgets.max_total_bytes} bytes in all. Received: {total}.",
            )

    def _check_manifest_header(self) -> None:
        """The manifest's format and version, checked first: an old (format 1) or newer
        snapshot gets that answer, whatever else differs in it."""
        info = self.zip.getinfo(fmt.MANIFEST_MEMBER)
        limit = self.budgets.max_manifest_bytes
        if info.file_size > limit or info.file_size > self.budgets.max_compression_ratio * max(
            info.compress_size, 1024
        ):
            raise _corrupt(
                self.path,
                f"Expected a manifest.json of at most {limit} bytes. Received: {info.file_size} bytes ({info.compress_size} stored).",
            )
        try:
            data = self.zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise _corrupt(
                self.path,
                f"Expected a readable manifest.json. Received: {type(error).__name__}: {error}.",
            ) from None
        check_header(safejson.loads(data, "manifest.json", self.path, self.budgets), self.path)

    @property
    def magic(self) -> bool:
        return self.zip.comment == fmt.MAGIC

    def names(self) -> list[str]:
        return list(self.infos)

    def size(self, name: str) -> int:
        return int(self.infos[name].file_size)

    def open(self, name: str) -> Any:
        info = self.infos[name]
        try:
            if info.compress_type != zipfile.ZIP_STORED:
                return self.zip.open(info)
            start = streams.stored_member_offset(self.path, self.zip, info)
            if self._buffer is not None:
                return streams.BufferWindow(self._buffer, start, info.file_size)
            return streams.MemberWindow(self.path, start, info.file_size)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise _corrupt(self.path, f"Expected a readable {name}. Received: {error}.") from None

    def read(self, name: str, limit: int) -> bytes:
        try:
            return super().read(name, limit)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise _corrupt(
                self.path, f"Expected a readable {name}. Received: {type(error).__name__}: {error}."
            ) from None

    def close(self) -> None:
        self.zip.close()


class DictSource(Source):
    """Members given as ``{name: bytes | memoryview | numpy array}`` (``from_members``)."""

    def __init__(self, members: dict[str, Any], budgets: Budgets = DEFAULT) -> None:
        self.budgets = budgets
        self.path = "<snapshot members>"
        if not isinstance(members, dict):
            raise NotASnapshot(
                f"Expected a dict of snapshot members. Received: {type(members).__name__}."
            )
        if fmt.MANIFEST_MEMBER not in members:
            raise NotASnapshot(
                f"Expected snapshot members with a {fmt.MANIFEST_MEMBER}. Received: none."
            )
        self.check_names(list(members))
        self.members = {}
        for name, value in members.items():
            if _is_array(value):
                if not name.endswith(".npy"):
                    raise _corrupt(self.path, f"Expected bytes for {name}. Received: an array.")
                self.members[name] = value
            elif isinstance(value, (bytes, bytearray, memoryview)):
                self.members[name] = memoryview(value).cast("B")
            else:
                raise _corrupt(
                    self.path,
                    f"Expected bytes, a memoryview or an array for {name}. Received: {type(value).__name__}.",
                )
        sizes = {name: self.size(name) for name in self.members}
        for name, size in sizes.items():
            limit = (
                self.budgets.max_manifest_bytes
                if name == fmt.MANIFEST_MEMBER
                else self.budgets.max_member_bytes
            )
            if size > limit:
                raise _corrupt(
                    self.path, f"Expected {name} to be at most {limit} bytes. Received: {size}."
                )
        if sum(sizes.values()) > self.budgets.max_total_bytes:
            raise _corrupt(
                self.path, f"Expected at most {self.budgets.max_total_bytes} bytes in all."
            )

    def names(self) -> list[str]:
        return list(self.members)

    def size(self, name: str) -> int:
        value = self.members[name]
        if _is_array(value):
            return len(npy.header_bytes(npy.contiguous(value))) + int(value.nbytes)
        return int(value.nbytes)

    def array(self, name: str) -> Any | None:
        value = self.members[name]
        return value if _is_array(value) else None

    def open(self, name: str) -> Any:
        value = self.members[name]
        if _is_array(value):
            array = npy.contiguous(value)
            return io.BytesIO(npy.header_bytes(array) + bytes(npy.data_view(array)))
        return streams.BufferWindow(value, 0, value.nbytes)


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and type(value).__name__ == "ndarray"
