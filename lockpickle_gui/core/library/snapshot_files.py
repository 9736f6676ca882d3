"""The library's only door into snapshot files: the snapshot package's public reading API.

The snapshot format is versioned and its reader evolves; everything the library reads from
a ``.lpsnap`` (the manifest, the verification arrays, the stored models' configs and
weights) goes through this module, so a format change is adapted here once.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.snapshot import read_manifest as _read_manifest
from lockpickle_gui.core.snapshot.format import VERIFY_INPUTS_MEMBER, VERIFY_OUTPUTS_MEMBER
from lockpickle_gui.core.snapshot.reader import SnapshotArchive

KERAS_CONFIG = "config.json"
KERAS_WEIGHTS = "model.weights.h5"


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked manifest (structure, limits, schema); builds no model, runs no pickle."""
    manifest: dict[str, Any] = _read_manifest(path)
    return manifest


class OpenSnapshot:
    """A snapshot opened for reading members (every check done; hashes checked per member)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.archive = SnapshotArchive(path)
        self.path = self.archive.path
        self.manifest: dict[str, Any] = self.archive.manifest

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> OpenSnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, member: str) -> bool:
        return member in (self.manifest.get("members") or {}) and member in self.archive.infos

    def read_checked(self, member: str) -> bytes:
        """A member's bytes after its sha256 was checked against the manifest."""
        self.archive.check_hashes(only=[member])
        data: bytes = self.archive.read(member)
        return data

    def verification_arrays(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(inputs, outputs)`` stored at export, by key (``m<model>_i<n>``); empty when
        the snapshot has none. Read with ``allow_pickle=False``."""
        import numpy as np

        found: list[dict[str, Any]] = []
        for member in (VERIFY_INPUTS_MEMBER, VERIFY_OUTPUTS_MEMBER):
            if not self.has(member):
                return {}, {}
            with np.load(io.BytesIO(self.read_checked(member)), allow_pickle=False) as data:
                found.append({key: data[key] for key in data.files})
        return found[0], found[1]

    @contextmanager
    def keras_member(self, member: str) -> Iterator[tuple[bytes, io.IOBase | None]]:
        """A stored model (``models/<n>.keras``): ``(config.json bytes, weights file)``.

        The weights are a read-only window onto the bytes where they lie inside the
        snapshot (no copy) when both archives store them uncompressed, else a copy in
        memory; None when the model has no HDF5 weights. Hashes are not checked here: the
        diff reads hundreds of MiB and compares values, not bytes.
        """
        window = self.archive.window(member)
        try:
            with zipfile.ZipFile(window) as inner:
                names = inner.namelist()
                if KERAS_CONFIG not in names:
                    raise CorruptSnapshot(
                        f"Expected {member} to be a Keras archive with a {KERAS_CONFIG}. "
                        f"Received: members {names[:5]}.",
                        path=self.path,
                        hint="Export the snapshot again.",
                    )
                config = inner.read(KERAS_CONFIG)
                weights: io.IOBase | None = None
                if KERAS_WEIGHTS in names:
                    info = inner.getinfo(KERAS_WEIGHTS)
                    if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
                        from lockpickle_gui.core.snapshot.streams import stored_member_offset

                        offset = stored_member_offset(self.path, inner, info)
                        weights = window.sub_window(offset, info.file_size)
                    else:
                        weights = io.BytesIO(inner.read(KERAS_WEIGHTS))
            try:
                yield config, weights
            finally:
                if weights is not None:
                    weights.close()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise CorruptSnapshot(
                f"Expected {member} to be a readable Keras archive. Received: {error}.",
                path=self.path,
                hint="Export the snapshot again.",
            ) from None
        finally:
            window.close()
