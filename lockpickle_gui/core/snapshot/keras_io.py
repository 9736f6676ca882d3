"""Keras models in and out of a snapshot, in Keras' own ``.keras`` format.

Writing streams Keras' saver straight into the snapshot's ``models/<n>.keras`` member
(stored, not deflated) through a writer that computes the member's sha256 on the way
(:mod:`.pipeline`): no temporary ``.keras`` file and no second copy of the weights. Reading hands
Keras a :class:`MemberWindow`, a seekable read-only view of the stored member inside the
snapshot file, so nothing is extracted or copied either.

Also here: the layer walk both directions share (paths like ``.layers[1]._layers[0]``),
the export-time check that every custom layer class can be found again at load time, and
the primitives attached to layers after construction, which Keras' own save drops.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import struct
import zipfile
from typing import Any, Callable, Iterator

from lockpickle_gui.core.inspect import primitives
from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.tf_runtime import import_keras

# Packages whose classes Keras finds by name without registration.
KERAS_PACKAGES = frozenset({"keras", "tf_keras", "tensorflow", "keras_hub", "keras_cv", "keras_nlp"})
# Keras layers whose config points at files outside the archive (a SavedModel folder):
# a .keras file cannot hold them, so a snapshot of one would fail to load elsewhere.
EXTERNAL_LAYER_CLASSES = frozenset({"TFSMLayer"})
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_PATH_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


# ----------------------------------------------------------------------------- streams


class HashingWriter(io.RawIOBase):
    """Forwards writes to ``raw`` and keeps their sha256 and size; ``on_bytes(total)`` is
    called as data flows (progress, and the place a cancel request interrupts a save).

    Inline, for the small members; the models go through :mod:`.pipeline`'s writer.
    """

    def __init__(self, raw, on_bytes: Callable[[int], None] | None = None):
        super().__init__()
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.on_bytes = on_bytes

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self.raw.write(view)
        self.sha256.update(view)
        self.size += view.nbytes
        if self.on_bytes is not None:
            self.on_bytes(self.size)
        return view.nbytes


class MemberWindow(io.RawIOBase):
    """A seekable, read-only view of ``length`` bytes at ``start`` of a file."""

    def __init__(self, path: str | os.PathLike, start: int, length: int):
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._start = start
        self._length = length
        self._pos = 0
        self.name = os.fspath(path)

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

    def sub_window(self, offset: int, length: int) -> "MemberWindow":
        """A window onto ``length`` bytes at ``offset`` of this one (a member in a member)."""
        if offset < 0 or offset + length > self._length:
            raise CorruptSnapshot(f"Expected a nested member inside {self.name}. Received: "
                                  f"bytes {offset}..{offset + length} of {self._length}.")
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

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        count = min(len(view), self._length - self._pos)
        if count <= 0:
            return 0
        self._file.seek(self._start + self._pos)
        got = self._file.readinto(view[:count])
        self._pos += got
        return got

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


def stored_member_offset(path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where the bytes of a stored (uncompressed) member start in the archive file."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        raise CorruptSnapshot(f"Expected {info.filename} to be stored uncompressed. Received: "
                              f"compression type {info.compress_type}.", path=path,
                              hint="The file was rewritten by another tool; export it again.")
    archive.fp.seek(info.header_offset)
    header = archive.fp.read(_LOCAL_HEADER.size)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise CorruptSnapshot(f"Expected a ZIP local header for {info.filename}. Received: "
                              f"{signature!r}.", path=path, hint="Export the snapshot again.")
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


# ----------------------------------------------------------------------------- layers


def iter_layers(layer: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(relative path, layer)`` for ``layer`` and every sublayer, each layer once.

    Models list ``.layers[i]`` (Keras' own order); other layers their tracked ``._layers[i]``
    — the paths the inspector shows, and that resolve again on the reloaded model.
    """
    model_type = import_keras().Model
    seen: set[int] = set()
    stack = [(prefix, layer)]
    while stack:
        path, current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield path, current
        if isinstance(current, model_type):
            children = [(f"{path}.layers[{i}]", sub) for i, sub in enumerate(current.layers)]
        else:
            tracked = getattr(current, "_layers", None) or []
            children = [(f"{path}._layers[{i}]", sub) for i, sub in enumerate(tracked)]
        stack.extend(reversed(children))


def resolve_relative(obj: Any, relative: str) -> Any:
    """Follow a path made of ``.name`` and ``[i]`` tokens (as written by :func:`iter_layers`)."""
    position = 0
    while position < len(relative):
        match = _PATH_TOKEN.match(relative, position)
        if match is None:
            raise CorruptSnapshot(f"Expected an attribute path like .layers[1].lock. Received: "
                                  f"{relative!r}.", hint="Export the snapshot again.")
        attribute, index = match.groups()
        obj = getattr(obj, attribute) if attribute is not None else obj[int(index)]
        position = match.end()
    return obj


def split_attribute(relative: str) -> tuple[str, str]:
    """``".layers[1].lock"`` -> ``(".layers[1]", "lock")``."""
    owner, _, attribute = relative.rpartition(".")
    return owner, attribute


def attached_objects(model: Any) -> list[tuple[str, Any, primitives.PrimitiveKind]]:
    """Primitives and blocked objects held directly in layer attributes (``layer.lock``).

    Keras' save keeps only what a layer's config and weights describe: these are what the
    snapshot must re-attach (or report). Functions are skipped: Keras serializes them.
    """
    kinds: dict[type, primitives.PrimitiveKind | None] = {}  # one table lookup per type
    found = []
    for path, layer in iter_layers(model):
        for attribute, value in list(vars(layer).items()):
            tp = type(value)
            if tp not in kinds:
                kinds[tp] = primitives.kind_of(value)
            kind = kinds[tp]
            if kind is not None and kind.name != "function":
                found.append((f"{path}.{attribute}", value, kind))
    return found


# ----------------------------------------------------------------------------- custom classes


def class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def custom_classes(model: Any) -> list[dict]:
    """Every non-Keras class among the model and its layers, with its registration."""
    keras = import_keras()
    found: dict[type, dict] = {}
    for path, layer in iter_layers(model):
        cls = type(layer)
        if cls in found or cls.__module__.partition(".")[0] in KERAS_PACKAGES:
            continue
        registered_name = keras.saving.get_registered_name(cls)
        registered = keras.saving.get_registered_object(registered_name) is cls \
            and registered_name != cls.__name__
        found[cls] = {"module": cls.__module__, "class": cls.__qualname__,
                      "registered_name": registered_name, "registered": registered,
                      "layer": path}
    return list(found.values())


def in_package(module: str, package: str | None) -> bool:
    return package is not None and (module == package or module.startswith(package + "."))


def keras_classes_of(modules) -> dict[str, type]:
    """``{registered or plain name: class}`` of the Keras saveables defined in ``modules``,
    passed to Keras as custom objects so unregistered classes of trusted code load too."""
    keras = import_keras()
    saveable = (keras.layers.Layer, keras.losses.Loss, keras.metrics.Metric)
    found = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, saveable) \
                    and value.__module__ == module.__name__:
                found[keras.saving.get_registered_name(value)] = value
                found.setdefault(value.__name__, value)
    return found


# ----------------------------------------------------------------------------- save / load


def save_keras_object(obj: Any, stream) -> None:
    """Keras' own saver into a file object (``.keras`` zip, weights in HDF5)."""
    import_keras()
    from keras.src.saving import saving_lib

    with _attr_skipsets_cached(saving_lib):
        saving_lib.save_model(obj, stream)


# Keras 3.15's saver (and loader) walks every layer's attributes, skipping those a bare reference Layer
# has: get_attr_skipset() builds one (a new Layer() and a dir() of it, ~0.5 ms) per visited
# layer, because it caches the set under "saving_attr_skipset_*" but looks it up under
# "saving_attr_skiplist_*". Storing Keras' own result under the key it reads makes the same
# walk and the same file (ResNet50 saves ~80 ms faster). Only for this save: the state is
# thread-local and the entries are removed afterwards, so model.save elsewhere is as before.
# A Keras that caches correctly has the entry after computing it, and is left alone.
_SKIPSET_READ_KEY = "saving_attr_skiplist_{}"
_SKIPSET_TYPES = ("Layer", "Functional", "Sequential")


@contextlib.contextmanager
def _attr_skipsets_cached(saving_lib) -> Iterator[None]:
    from keras.src.backend.common import global_state

    compute = getattr(saving_lib, "get_attr_skipset", None)
    seeded = []
    for obj_type in _SKIPSET_TYPES if compute is not None else ():
        key = _SKIPSET_READ_KEY.format(obj_type)
        if global_state.get_global_attribute(key) is not None:
            continue
        skipset = compute(obj_type)
        if global_state.get_global_attribute(key) is None:  # Keras cached it elsewhere
            global_state.set_global_attribute(key, skipset)
            seeded.append(key)
    try:
        yield
    finally:
        for key in seeded:
            global_state.set_global_attribute(key, None)


def load_keras_object(stream, *, custom_objects: dict | None, safe_mode: bool) -> Any:
    """Keras' own loader, minus the random initialisation it overwrites (``keras_load``)."""
    import_keras()
    from lockpickle_gui.core.snapshot import keras_load

    from keras.src.saving import saving_lib

    with _attr_skipsets_cached(saving_lib):  # Keras' loader walks the layers the same way
        return keras_load.load(stream, custom_objects=custom_objects, safe_mode=safe_mode)


def weight_bytes(obj: Any) -> int:
    total = 0
    for variable in getattr(obj, "weights", []):
        size = 1
        for dim in variable.shape:
            size *= int(dim or 1)
        total += size * _itemsize(variable.dtype)
    return total


def _itemsize(dtype: Any) -> int:
    text = str(dtype)
    for bits in ("64", "32", "16", "8"):
        if bits in text:
            return int(bits) // 8
    return 4
