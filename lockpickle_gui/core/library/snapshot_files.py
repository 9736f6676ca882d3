"""The library's only door into snapshot files: the snapshot package's public reading API.

The snapshot format is versioned and its reader evolves; everything the library reads from
a ``.lpsnap`` (the manifest, the verification arrays, the stored models' configs and
weights) goes through this module, so a format change is adapted here once.

Format 2 stores a model as its Keras ``config.json`` plus one ``.npy`` member per variable
(``weights.json`` says which saveable each belongs to), or, for models with assets, as a
whole ``.keras`` member; :meth:`OpenSnapshot.model_files` gives both the same shape: the
config and ``{"layers/dense/vars/0": WeightRef}`` (the names Keras' HDF5 file would use).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import npy
from lockpickle_gui.core.snapshot import read_manifest as _read_manifest
from lockpickle_gui.core.snapshot.archive import Hasher
from lockpickle_gui.core.snapshot.budgets import DEFAULT
from lockpickle_gui.core.snapshot.manifest_io import manifest_to_json
from lockpickle_gui.core.snapshot.reader import open_snapshot

KERAS_CONFIG = "config.json"
KERAS_WEIGHTS = "model.weights.h5"


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked manifest (structure, limits, schema); builds no model, imports nothing."""
    manifest: dict[str, Any] = _read_manifest(path)
    return manifest


@dataclass(frozen=True)
class WeightRef:
    """One stored weight: its shape and dtype (read from headers), and how to read it."""

    shape: tuple[int, ...]
    dtype: str
    read: Callable[[], Any]


class OpenSnapshot:
    """A snapshot opened for reading members (every structural check done)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.opened = open_snapshot(path)
        self.path = self.opened.path
        self.manifest: dict[str, Any] = manifest_to_json(self.opened.manifest)

    def close(self) -> None:
        self.opened.close()

    def __enter__(self) -> OpenSnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_checked(self, member: str) -> bytes:
        """A member's bytes after its sha256 was checked against the manifest."""
        return self.opened.read(member, DEFAULT.max_member_bytes)

    def verification_arrays(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(inputs, outputs)`` stored at export, by member name (what the manifest's
        verification entries list); empty when the snapshot has none."""
        found: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        verification = self.opened.manifest.verification
        with Hasher() as hasher:
            read = self.opened.array_reader(hasher)
            for entry in verification.models if verification is not None else ():
                for name in entry.inputs:
                    found[0][name] = read(name)
                for name in entry.outputs:
                    found[1][name] = read(name)
            self.opened.check_digests(hasher)
        return found

    @contextmanager
    def model_files(self, index: int) -> Iterator[tuple[bytes, dict[str, WeightRef]]]:
        """Stored model ``index``: ``(config.json bytes, {weight name: WeightRef})``.

        Every member is checked against the manifest's sha256 before the block ends, so a
        damaged file fails the comparison instead of passing for a changed weight. A weight
        read whole is hashed as it is read (the reader's own check, one pass over the
        bytes); the weights only looked at through their headers (shape or dtype differs,
        only on one side) are checked when the block ends.
        """
        entry = self.opened.manifest.models[index]
        if entry.storage != "native":
            with self._keras_file(fmt.keras_member(index)) as (config, weights):
                yield config, weights
            return
        config = self.read_checked(fmt.config_member(index))
        where = json.loads(self.read_checked(fmt.weights_index_member(index)))
        members = {
            f"{inner}/vars/{key}" if inner else f"vars/{key}": fmt.variable_member(index, number)
            for inner, numbers in where.items()
            for key, number in numbers.items()
        }
        with Hasher() as hasher:
            read = self.opened.array_reader(hasher)
            yield config, {name: self._npy_ref(member, read) for name, member in members.items()}
            self.opened.check_digests(hasher)
            self.opened.check_hashes(sorted(set(members.values()) - set(hasher.digests())))

    def _npy_ref(self, member: str, read: Callable[[str], Any]) -> WeightRef:
        """The member's shape and dtype from its header; ``read`` (the reader's
        ``array_reader``) hashes the whole member when its values are wanted."""
        from numpy.lib import format as npy_format

        try:
            with self.opened.source.open(member) as stream:
                version = npy_format.read_magic(stream)
                reader = (
                    npy_format.read_array_header_2_0
                    if version == (2, 0)
                    else npy_format.read_array_header_1_0
                )
                shape, _fortran, dtype = reader(stream, max_header_size=npy.MAX_HEADER_BYTES)
        except (ValueError, SyntaxError, TypeError, OverflowError) as error:
            self.opened.check_hashes([member])  # damaged rather than odd: say that
            raise CorruptSnapshot(
                f"Expected {member} to be a plain numpy array (.npy). Received: {error}.",
                path=self.path,
                hint=fmt.REEXPORT_HINT,
            ) from None

        def read_checked_array() -> Any:
            try:
                return read(member)
            except CorruptSnapshot:
                self.opened.check_hashes([member])  # damaged rather than odd: say that
                raise

        return WeightRef(tuple(int(d) for d in shape), str(dtype), read_checked_array)

    @contextmanager
    def _keras_file(self, member: str) -> Iterator[tuple[bytes, dict[str, WeightRef]]]:
        """A model stored whole in Keras' format: its config and its HDF5 datasets."""
        self.opened.check_hashes([member])
        try:
            with self.opened.source.open(member) as window, zipfile.ZipFile(window) as inner:
                names = inner.namelist()
                if KERAS_CONFIG not in names:
                    raise CorruptSnapshot(
                        f"Expected {member} to be a Keras archive with a {KERAS_CONFIG}. Received: members {names[:5]}.",
                        path=self.path,
                        hint="Export the snapshot again.",
                    )
                config = inner.read(KERAS_CONFIG)
                if KERAS_WEIGHTS not in names:
                    yield config, {}
                    return
                import h5py

                with h5py.File(io.BytesIO(inner.read(KERAS_WEIGHTS)), "r") as h5:
                    refs: dict[str, WeightRef] = {}

                    def visit(name: str, item: Any) -> None:
                        if isinstance(item, h5py.Dataset):
                            refs[name] = WeightRef(
                                tuple(int(d) for d in item.shape), str(item.dtype), _reader(item)
                            )

                    h5.visititems(visit)
                    yield config, refs
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise CorruptSnapshot(
                f"Expected {member} to be a readable Keras archive. Received: {error}.",
                path=self.path,
                hint="Export the snapshot again.",
            ) from None


def _reader(dataset: Any) -> Callable[[], Any]:
    def read() -> Any:
        return dataset[()]

    return read
