"""The snapshot writer's hash/write helper threads: same bytes and sha256, errors surface in
the caller's thread, every helper thread is joined whatever happens."""

from __future__ import annotations

import hashlib
import io
import os
import threading

import pytest

from lockpickle_gui.core.snapshot.pipeline import PipelinedWriter


def _helpers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("lpsnap-")]


def test_bytes_and_hash_match_inline_writing():
    big = os.urandom(3 * PipelinedWriter.CHUNK + 123)  # several chunks, zero-copy views
    reused = bytearray(b"x" * 1000)  # a small buffer the caller overwrites: copied
    large = bytearray(os.urandom(PipelinedWriter.COPY_MAX + 1))  # a large one: waited for
    large_before = bytes(large)
    sink = io.BytesIO()
    seen = []
    with PipelinedWriter(sink, on_bytes=seen.append) as writer:
        writer.write(b"header")
        writer.write(reused)
        reused[:] = b"y" * 1000
        writer.write(memoryview(big))
        writer.write(large)
        large[:10] = b"0123456789"
        writer.drain()
        writer.write(b"tail")
    expected = b"header" + b"x" * 1000 + big + large_before + b"tail"
    assert sink.getvalue() == expected
    assert writer.sha256.hexdigest() == hashlib.sha256(expected).hexdigest()
    assert writer.size == len(expected) == seen[-1]
    assert not _helpers()


def test_drain_with_sync_fd_syncs_the_file(tmp_path):
    target = tmp_path / "out.bin"
    with open(target, "wb") as handle, PipelinedWriter(handle) as writer:
        writer.write(b"a" * 4096)
        writer.sync_after_writes(handle.fileno())
    assert target.read_bytes() == b"a" * 4096
    assert not _helpers()


class _FailingSink(io.RawIOBase):
    def writable(self):
        return True

    def write(self, data):
        raise OSError(28, "No space left on device")


def test_a_write_error_reaches_the_caller_and_threads_end():
    with pytest.raises(OSError, match="No space"), PipelinedWriter(_FailingSink()) as writer:
        writer.write(b"x" * 10)
        writer.drain()
    assert not _helpers()


def test_an_exception_in_the_caller_aborts_and_joins():
    with pytest.raises(RuntimeError, match="cancelled"):
        with PipelinedWriter(io.BytesIO()) as writer:
            writer.write(os.urandom(1 << 20))
            raise RuntimeError("cancelled")
    assert not _helpers()
    with pytest.raises(ValueError):
        writer.write(b"late")
