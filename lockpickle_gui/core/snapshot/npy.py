"""numpy arrays in a snapshot: ``.npy`` members and dtype descriptors, checked before numpy
builds anything.

A dtype descriptor (in state.json, or in an ``.npy`` header) is either
  * a string, numpy's own ``dtype.str`` of a plain type: byte order ``<``, ``>`` or ``|``,
    a kind among ``b i u f c S U V`` and an item size, or ``M8``/``m8`` with a unit
    (``<M8[ns]``); never ``O`` (Python objects) or an alias;
  * a list of fields ``[name, descr]`` / ``[name, descr, shape]`` (numpy's ``descr`` of a
    structured dtype), at most ``max_dtype_depth`` deep.
Once numpy built it, the dtype must hold no objects, carry no metadata and describe itself
with exactly the same descriptor (one dtype, one spelling). An ``.npy`` member is read with
``allow_pickle=False`` semantics, and only after its header's shape and dtype account for
exactly the bytes stored: a header cannot make the reader allocate more than the file holds.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.snapshot.budgets import DEFAULT, Budgets

_PLAIN = re.compile(
    r"(?:[<>][iufcU]|\|[biuSV]|[<>]b)[1-9][0-9]{0,8}"
    r"|[<>][Mm]8(?:\[(?:[1-9][0-9]{0,3})?(?:Y|M|W|D|h|m|s|ms|us|ns|ps|fs|as)\])?"
)
_FIELD_NAME = re.compile(r"[^\x00]{0,64}")
MAX_HEADER_BYTES = 10_000  # numpy's own default limit


class DtypeRefused(ValueError):
    """A dtype a snapshot cannot hold (objects, metadata...), with the reason."""


def _check(descr: Any, budgets: Budgets, depth: int, budget: list[int]) -> Any:
    """Structural check, no numpy; returns numpy's (tuple) form."""
    if isinstance(descr, str):
        if not _PLAIN.fullmatch(descr):
            raise DtypeRefused(f"dtype {descr[:40]!r} is not a plain numpy type such as '<f4'")
        return descr
    if not isinstance(descr, list) or not descr or depth >= budgets.max_dtype_depth:
        raise DtypeRefused("a dtype must be a string or a short, shallow list of fields")
    fields: list[tuple[Any, ...]] = []
    for entry in descr:
        budget[0] -= 1
        if budget[0] < 0:
            raise DtypeRefused(f"a dtype may have at most {budgets.max_dtype_fields} fields")
        if (
            not isinstance(entry, (list, tuple))
            or len(entry) not in (2, 3)
            or not isinstance(entry[0], str)
            or not _FIELD_NAME.fullmatch(entry[0])
        ):
            raise DtypeRefused("dtype fields must be [name, descr] or [name, descr, shape]")
        inner = _check(entry[1], budgets, depth + 1, budget)
        if len(entry) == 3:
            shape = entry[2]
            if (
                not isinstance(shape, (list, tuple))
                or not 1 <= len(shape) <= budgets.max_ndim
                or not all(type(n) is int and 0 <= n <= 1 << 20 for n in shape)
            ):
                raise DtypeRefused("a dtype field's shape must be a short list of small ints")
            fields.append((entry[0], inner, tuple(shape)))
        else:
            fields.append((entry[0], inner))
    return fields


def check_descr(descr: Any, budgets: Budgets = DEFAULT) -> None:
    """Structural check of a descriptor without numpy; raises :class:`DtypeRefused`."""
    _check(descr, budgets, 0, [budgets.max_dtype_fields])


def to_json_descr(descr: Any) -> Any:
    """numpy's descr (a str or a list of tuples) -> the JSON form (lists)."""
    if isinstance(descr, str):
        return descr
    return [[f[0], to_json_descr(f[1]), *([list(f[2])] if len(f) == 3 else [])] for f in descr]


def build_dtype(descr: Any, budgets: Budgets = DEFAULT) -> Any:
    """The numpy dtype for a checked descriptor; raises :class:`DtypeRefused`."""
    import numpy as np
    from numpy.lib.format import descr_to_dtype, dtype_to_descr

    ready = _check(descr, budgets, 0, [budgets.max_dtype_fields])
    try:
        dtype = descr_to_dtype(ready)
    except (TypeError, ValueError) as error:
        raise DtypeRefused(f"numpy does not build dtype {descr!r:.80}: {error}") from None
    if not isinstance(dtype, np.dtype) or dtype.hasobject or dtype.metadata:
        raise DtypeRefused("a dtype may hold no Python objects and carry no metadata")
    if to_json_descr(dtype_to_descr(dtype)) != to_json_descr(descr):
        raise DtypeRefused(f"dtype {descr!r:.80} is not written the way numpy writes it")
    if dtype.itemsize > 1 << 30:
        raise DtypeRefused("a dtype item may be at most 1 GiB")
    return dtype


def describe(dtype: Any) -> Any:
    """Writer side: dtype -> JSON descriptor; raises :class:`DtypeRefused` with the reason."""
    from numpy.lib.format import dtype_to_descr

    if dtype.hasobject:
        raise DtypeRefused(f"dtype {dtype} holds Python objects")
    if dtype.metadata:
        raise DtypeRefused(f"dtype {dtype} carries metadata")
    if dtype.kind == "T":
        raise DtypeRefused("StringDType arrays are not supported; convert to a 'U' dtype")
    if dtype.fields and any(len(v) == 3 for v in dtype.fields.values()):
        raise DtypeRefused(f"dtype {dtype} has field titles")
    descr = to_json_descr(dtype_to_descr(dtype))
    build_dtype(descr)  # what the reader will accept, checked now
    return descr


# ----------------------------------------------------------------------------- .npy members


def header_bytes(array: Any) -> bytes:
    """The ``.npy`` header of a contiguous ``array`` (its data follows unchanged)."""
    from numpy.lib import format as npy_format

    describe(array.dtype)
    info = npy_format.header_data_from_array_1_0(array)
    buffer = io.BytesIO()
    try:
        npy_format.write_array_header_1_0(buffer, info)
    except ValueError:  # a header longer than 64 KiB (very many fields)
        buffer = io.BytesIO()
        npy_format.write_array_header_2_0(buffer, info)
    return buffer.getvalue()


def contiguous(array: Any) -> Any:
    """``array`` as C- or Fortran-contiguous data a header can describe (a copy if needed)."""
    import numpy as np

    if array.flags.c_contiguous or array.flags.f_contiguous:
        return array
    return np.ascontiguousarray(array)


def data_view(array: Any) -> memoryview:
    """The raw bytes of a contiguous array, in memory order (what its header says; no copy)."""
    import numpy as np

    flat: Any = np.ravel(array, order="K").view(np.uint8)
    return memoryview(flat)


def read_npy(stream: Any, size: int, what: str, path: Any, budgets: Budgets = DEFAULT) -> Any:
    """The array in an ``.npy`` member of ``size`` bytes; CorruptSnapshot on anything odd."""
    import numpy as np
    from numpy.lib import format as npy_format

    try:
        version = npy_format.read_magic(stream)
        reader = {
            (1, 0): npy_format.read_array_header_1_0,
            (2, 0): npy_format.read_array_header_2_0,
        }.get(version)
        if reader is None:
            raise ValueError(f"npy version {version}")
        shape, fortran, dtype = reader(stream, max_header_size=MAX_HEADER_BYTES)
        descr = to_json_descr(npy_format.dtype_to_descr(dtype))
        checked = build_dtype(descr, budgets)
    except (ValueError, DtypeRefused, SyntaxError, TypeError, OverflowError) as error:
        raise CorruptSnapshot(
            f"Expected {what} to be a plain numpy array (.npy, no Python objects). "
            f"Received: {error}.",
            path=path,
            hint="The file was damaged or edited; export the snapshot again.",
        ) from None
    header = stream.tell()
    if len(shape) > budgets.max_ndim or any(type(n) is not int or n < 0 for n in shape):
        raise _npy_error(what, f"shape {shape!r:.80}", path)
    nbytes = math.prod(shape) * checked.itemsize
    if header + nbytes != size:
        raise _npy_error(
            what,
            f"a header promising {nbytes} bytes of data where {size - header} are stored",
            path,
        )
    array = np.empty(shape, dtype=checked, order="F" if fortran else "C")
    if nbytes:
        view = data_view(array)
        got = 0
        while got < nbytes:
            count = stream.readinto(view[got:])
            if not count:
                raise _npy_error(what, f"{got} of {nbytes} bytes", path)
            got += count
    return array


def _npy_error(what: str, received: str, path: Any) -> CorruptSnapshot:
    return CorruptSnapshot(
        f"Expected {what} to hold exactly the array its header describes. Received: {received}.",
        path=path,
        hint="The file was damaged or edited; export the snapshot again.",
    )
