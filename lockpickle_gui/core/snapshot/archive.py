"""A snapshot's members, wherever they live: a ZIP file on disk, a ZIP in memory (``dumps``),
or a plain dict of buffers (``to_members``, for engines that move buffers themselves).

Writing goes through a :class:`Sink` (``add_bytes`` / ``add_array``, sha256 of every member
computed on a helper thread while the caller goes on); reading through a :class:`Source`,
which checks the archive's structure before anything is parsed:
  * member names: relative, no ``..``, no absolute or drive paths, no duplicates, only the
    names the format defines (``format.is_known_member``);
  * sizes and counts within the budgets; every member stored uncompressed except the
    bundled code, whose expansion is bounded (no zip bomb);
  * for a ZIP, the snapshot's magic archive comment (format 2).
"""

from __future__ import annotations

import hashlib
import io
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from lockpickle_gui.core.errors import CorruptSnapshot, NotASnapshot, SnapshotError
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import npy, streams
from lockpickle_gui.core.snapshot.budgets import DEFAULT, Budgets

MemberData = bytes | bytearray | memoryview  # or a numpy array, for an .npy member
_DRIVE = re.compile(r"^[A-Za-z]:")
INLINE_HASH_BYTES = 1 << 20  # smaller buffers are hashed at once: a thread hop costs more
_AFTER = -1  # a queued call, not a member


def _corrupt(path: Any, what: str) -> CorruptSnapshot:
    return CorruptSnapshot(what, path=path, hint=fmt.REEXPORT_HINT)


class Hasher:
    """sha256 of buffers on up to two helper threads (hashlib releases the GIL on large
    buffers), so hashing overlaps the caller's conversions and writes. Use as a context
    manager: the threads are always joined."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lpsnap-sha256")
        self._pending: dict[str, Future[str] | str] = {}

    def submit(self, name: str, *buffers: Any) -> None:
        if sum(memoryview(b).nbytes for b in buffers) <= INLINE_HASH_BYTES:
            self._pending[name] = _sha256(buffers)
        else:
            self._pending[name] = self._pool.submit(_sha256, buffers)

    def run(self, fn: Callable[[], Any]) -> Future[Any]:
        """Run ``fn`` on a helper thread after what was queued (an fdatasync)."""
        return self._pool.submit(fn)

    def digests(self) -> dict[str, str]:
        return {name: d if isinstance(d, str) else d.result() for name, d in self._pending.items()}

    def __enter__(self) -> Hasher:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _sha256(buffers: tuple[Any, ...]) -> str:
    digest = hashlib.sha256()
    for buffer in buffers:
        digest.update(buffer)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- writing


class Sink(Protocol):
    def add_bytes(self, name: str, data: MemberData, *, deflate: bool = False) -> None: ...

    def add_array(self, name: str, array: Any) -> None: ...


class ZipSink:
    """Members into a ZIP archive (a file handle, or a BytesIO for ``dumps``).

    The ZIP writes (CRC32 and the file write, GIL-free C work on large buffers) run in
    order on one helper thread, while the caller converts the next variable and the
    :class:`Hasher` hashes: the buffers handed over must not change afterwards (they are
    fresh copies, or immutable bytes). Use it as a context manager: a clean exit writes
    the central directory; an exception abandons the archive (the caller discards it).
    """

    QUEUED = 32  # members in flight: bounds the memory held by pending writes

    def __init__(self, handle: Any, hasher: Hasher) -> None:
        self.archive = zipfile.ZipFile(handle, "w", allowZip64=True)
        self.archive.comment = fmt.MAGIC
        self.hasher = hasher
        self._pending: queue.Queue[tuple[str, int, tuple[Any, ...]] | None] = queue.Queue(
            self.QUEUED
        )
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._write_all, name="lpsnap-zip", daemon=True)
        self._thread.start()

    def add_bytes(self, name: str, data: MemberData, *, deflate: bool = False) -> None:
        view = memoryview(data).cast("B")
        self._queue(name, zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED, view)
        self.hasher.submit(name, view)

    def add_array(self, name: str, array: Any) -> None:
        array = npy.contiguous(array)
        header, data = npy.header_bytes(array), npy.data_view(array)
        self._queue(name, zipfile.ZIP_STORED, header, data)
        self.hasher.submit(name, header, data)

    def flush(self) -> None:
        """Wait until every member so far is written; raise a write's error."""
        self._pending.join()
        self._raise()

    def after_writes(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the writing thread once every member so far is written (an
        ``fdatasync``: the disk's work then overlaps what the caller does next)."""
        self._queue("", _AFTER, fn)

    def _queue(self, name: str, method: int, *parts: Any) -> None:
        self._raise()
        self._pending.put((name, method, parts))

    def _raise(self) -> None:
        if self._errors:
            raise self._errors[0]

    def _write_all(self) -> None:
        while True:
            item = self._pending.get()
            try:
                if item is None:
                    return
                if not self._errors:
                    name, method, parts = item
                    if method == _AFTER:
                        parts[0]()
                        continue
                    size = sum(memoryview(p).nbytes for p in parts)
                    with self.archive.open(
                        _info(name, method), "w", force_zip64=size > (1 << 30)
                    ) as out:
                        for part in parts:
                            out.write(part)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                self._errors.append(error)
            finally:
                self._pending.task_done()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._pending.put(None)
            self._thread.join()

    def __enter__(self) -> ZipSink:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is not None:
            self._errors.append(RuntimeError("abandoned"))  # the helper skips what is queued
            self._stop()
            self.archive.fp = None  # abandoned: the caller discards the half-written file
            return
        self._stop()
        self._raise()
        self.archive.close()  # the central directory


def _info(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return info


class DictSink:
    """Members kept as objects (bytes, memoryviews, numpy arrays): no archive at all."""

    def __init__(self, hasher: Hasher) -> None:
        self.members: dict[str, Any] = {}
        self.hasher = hasher

    def add_bytes(self, name: str, data: MemberData, *, deflate: bool = False) -> None:
        self.members[name] = data
        self.hasher.submit(name, memoryview(data).cast("B"))

    def add_array(self, name: str, array: Any) -> None:
        array = npy.contiguous(array)
        self.members[name] = array
        self.hasher.submit(name, npy.header_bytes(array), npy.data_view(array))


# ----------------------------------------------------------------------------- reading


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
            raise NotASnapshot(
                f"Expected a lockpickle snapshot (a ZIP archive). Received: a file that is not a ZIP archive ({error}).",
                path=self.path,
                hint="Open a .lpsnap written by `lockpickle export`.",
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
        self.manifest_raw = self._manifest_header()
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

    def _manifest_header(self) -> Any:
        """The parsed manifest, its format and version checked first: an old (format 1) or
        newer snapshot gets that answer, whatever else differs in it."""
        from lockpickle_gui.core.snapshot import safejson
        from lockpickle_gui.core.snapshot.manifest import check_header

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
        raw = safejson.loads(data, "manifest.json", self.path, self.budgets)
        check_header(raw, self.path)
        return raw

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


def iter_chunks(stream: Any, size: int = 4 << 20) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
