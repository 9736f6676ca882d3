"""File objects a snapshot is read through: windows onto stored members of a ZIP, in a file
or in memory, so nothing is extracted or copied before it is parsed."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot

_LOCAL_HEADER = struct.Struct("<4s22xHH")


class _Window(io.RawIOBase):
    """A seekable, read-only stream over ``length`` bytes; subclasses say where they are."""

    def __init__(self, length: int) -> None:
        super().__init__()
        self._length = length
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readall(self) -> bytes:
        return self.read(-1)


class BufferWindow(_Window):
    """A window onto ``length`` bytes at ``start`` of a buffer (a snapshot in memory): reads
    copy only what is asked, ``readinto`` straight into the caller's buffer."""

    def __init__(self, buffer: memoryview, start: int, length: int) -> None:
        self._view = memoryview(buffer).cast("B")[start : start + length]
        super().__init__(self._view.nbytes)
        self.name = "<snapshot bytes>"

    def read(self, size: int | None = -1) -> bytes:
        end = (
            self._view.nbytes
            if size is None or size < 0
            else min(self._pos + size, self._view.nbytes)
        )
        data = bytes(self._view[self._pos : end]) if end > self._pos else b""
        self._pos = max(self._pos, end)
        return data

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        count = max(0, min(target.nbytes, self._view.nbytes - self._pos))
        target[:count] = self._view[self._pos : self._pos + count]
        self._pos += count
        return count


class MemberWindow(_Window):
    """A window onto ``length`` bytes at ``start`` of a file."""

    def __init__(self, path: str | os.PathLike[str], start: int, length: int) -> None:
        super().__init__(length)
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._start = start
        self.name = os.fspath(path)

    def sub_window(self, offset: int, length: int) -> MemberWindow:
        """A window onto ``length`` bytes at ``offset`` of this one (a member in a member)."""
        if offset < 0 or offset + length > self._length:
            raise CorruptSnapshot(
                f"Expected a nested member inside {self.name}. Received: "
                f"bytes {offset}..{offset + length} of {self._length}."
            )
        return MemberWindow(self.name, self._start + offset, length)

    def read(self, size: int | None = -1) -> bytes:
        """One buffered read of the whole request (RawIOBase's default reads 8 KiB at a time)."""
        remaining = self._length - self._pos
        count = remaining if size is None or size < 0 else min(size, remaining)
        if count <= 0:
            return b""
        self._file.seek(self._start + self._pos)
        data = self._file.read(count)
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = min(len(view), self._length - self._pos)
        if count <= 0:
            return 0
        self._file.seek(self._start + self._pos)
        got = int(self._file.readinto(view[:count]))
        self._pos += got
        return got

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


def stored_member_offset(path: Any, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where the bytes of a stored (uncompressed) member start in the archive file."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        raise CorruptSnapshot(
            f"Expected {info.filename} to be stored uncompressed. Received: "
            f"compression type {info.compress_type}.",
            path=path,
            hint="The file was rewritten by another tool; export it again.",
        )
    handle: Any = archive.fp
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise CorruptSnapshot(
            f"Expected a ZIP local header for {info.filename}. Received: {signature!r}.",
            path=path,
            hint="Export the snapshot again.",
        )
    return int(info.header_offset) + _LOCAL_HEADER.size + int(name_length) + int(extra_length)
