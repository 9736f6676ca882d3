"""Writing a snapshot's members, wherever they go: a ZIP file on disk, a ZIP in memory
(``dumps``), or a plain dict of buffers (``to_members``, for engines that move buffers
themselves). A :class:`Sink` takes ``add_bytes`` / ``add_array``; the sha256 of every member
is computed by a :class:`Hasher` on helper threads while the caller goes on. Reading is
``sources.py``.
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import npy

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
