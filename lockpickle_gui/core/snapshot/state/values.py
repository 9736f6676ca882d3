"""Writer side: the node of each value state.json stores natively (no trust needed to load
it): built-in data, standard-library values, numpy arrays, threading primitives.

``HANDLERS`` maps an exact type to ``handler(encoder, index, obj) -> node``; the encoder
(``encoder.py``) tries it before anything else. Subclasses are not covered on purpose: a
subclass may carry state its base class' handler does not know.
"""

from __future__ import annotations

import base64
import collections
import concurrent.futures
import datetime as dt
import decimal
import fractions
import io
import logging
import pathlib
import queue
import re
import struct
import threading
import types
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lockpickle_gui.core.inspect import primitives
from lockpickle_gui.core.snapshot import npy

if TYPE_CHECKING:
    from lockpickle_gui.core.snapshot.state.encoder import Encoder

CONDITION_LOCK_STEP = "._lock"

Node = dict[str, Any]
Handler = Callable[["Encoder", int, Any], Node]
QUEUE_OWN_ATTRIBUTES = frozenset(
    {"maxsize", "mutex", "not_empty", "not_full", "all_tasks_done", "unfinished_tasks", "queue"}
    | {"is_shutdown"}
)


def bits(value: float) -> str:
    return struct.pack(">d", value).hex()


def _list(e: Encoder, i: int, o: Any) -> Node:
    return {"t": "list", "v": e.slots(o, i)}


def _tuple(e: Encoder, i: int, o: Any) -> Node:
    return {"t": "tuple", "v": e.slots(o, i)}


def _set(e: Encoder, i: int, o: Any) -> Node:
    return {"t": type(o).__name__, "v": e.members(list(o), i)}


def _dict(e: Encoder, i: int, o: Any) -> Node:
    tag: dict[type, str] = {
        dict: "dict",
        collections.OrderedDict: "OrderedDict",
        collections.Counter: "Counter",
    }
    return {"t": tag[type(o)], "items": e.pairs(list(o.items()), i)}


def _defaultdict(e: Encoder, i: int, o: Any) -> Node:
    factory = o.default_factory
    if factory is not None and not (
        isinstance(factory, type) or type(factory) is types.FunctionType
    ):
        e.problem(
            i, "a defaultdict's default_factory must be None, a class or a module-level function"
        )
    return {
        "t": "defaultdict",
        "items": e.pairs(list(o.items()), i),
        "factory": e.slot(factory, i, ".default_factory"),
    }


def _deque(e: Encoder, i: int, o: Any) -> Node:
    return {"t": "deque", "v": e.slots(list(o), i), "maxlen": o.maxlen}


def _bytes(e: Encoder, i: int, o: Any) -> Node:
    return e.bytes_node(type(o).__name__, bytes(o))


def _bytesio(e: Encoder, i: int, o: Any) -> Node:
    value, position, extra = o.__getstate__()
    if extra:
        e.problem(i, "a BytesIO with attributes of its own is not supported")
    data = e.leaf(e.bytes_node("bytes", value), i, "<contents>")
    return {"t": "BytesIO", "data": data, "pos": min(position, len(value))}


def _stringio(e: Encoder, i: int, o: Any) -> Node:
    value, newline, position, extra = o.__getstate__()
    if extra:
        e.problem(i, "a StringIO with attributes of its own is not supported")
    return {"t": "StringIO", "value": value, "pos": min(position, len(value)), "newline": newline}


def _namespace(e: Encoder, i: int, o: Any) -> Node:
    return {"t": "namespace", "attrs": e.attrs(vars(o), i)}


def _datetime(e: Encoder, i: int, o: Any) -> Node:
    fields = [o.year, o.month, o.day, o.hour, o.minute, o.second, o.microsecond]
    node: Node = {"t": "datetime", "v": fields, "fold": o.fold}
    if o.tzinfo is not None:
        node["tz"] = e.slot(o.tzinfo, i, ".tzinfo")
    return node


def _time(e: Encoder, i: int, o: Any) -> Node:
    node: Node = {"t": "time", "v": [o.hour, o.minute, o.second, o.microsecond], "fold": o.fold}
    if o.tzinfo is not None:
        node["tz"] = e.slot(o.tzinfo, i, ".tzinfo")
    return node


def _timezone(e: Encoder, i: int, o: Any) -> Node:
    args = o.__getinitargs__()
    node: Node = {"t": "timezone", "offset": [args[0].days, args[0].seconds, args[0].microseconds]}
    if len(args) > 1:
        node["name"] = args[1]
    return node


def _zoneinfo(e: Encoder, i: int, o: Any) -> Node:
    if o.key is None:
        e.problem(i, "a ZoneInfo made from a file (it has no key) is not supported")
    return {"t": "zoneinfo", "key": o.key or "UTC"}


def _path(e: Encoder, i: int, o: Any) -> Node:
    flavour = "windows" if isinstance(o, pathlib.PureWindowsPath) else "posix"
    return {
        "t": "path",
        "flavour": flavour,
        "concrete": isinstance(o, pathlib.Path),
        "parts": list(o.parts),
    }


def _pattern(e: Encoder, i: int, o: Any) -> Node:
    if len(o.pattern) > e.budgets.max_pattern_chars:
        e.problem(i, f"a regular expression longer than {e.budgets.max_pattern_chars} characters")
    return {"t": "pattern", "source": e.slot(o.pattern, i, ".pattern"), "flags": o.flags}


def _logger(e: Encoder, i: int, o: Any) -> Node:
    return {"t": "logger", "name": o.name}


def _ndarray(e: Encoder, i: int, o: Any) -> Node:
    try:
        descr = npy.describe(o.dtype)
    except npy.DtypeRefused as error:
        e.problem(i, str(error))
        return {"t": "object"}
    array = npy.contiguous(o)
    fortran = array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous
    node: Node = {
        "t": "ndarray",
        "dtype": descr,
        "shape": list(array.shape),
        "order": "F" if fortran else "C",
    }
    if array.nbytes <= e.inline_array_max:
        node["b64"] = base64.b64encode(npy.data_view(array)).decode("ascii")
    else:
        node["member"] = e.add_array(array)
    return node


def _npscalar(e: Encoder, i: int, o: Any) -> Node:
    import numpy as np

    try:
        descr = npy.describe(o.dtype)
    except npy.DtypeRefused as error:
        e.problem(i, str(error))
        return {"t": "object"}
    raw = np.asarray(o).tobytes()
    return {"t": "npscalar", "dtype": descr, "b64": base64.b64encode(raw).decode("ascii")}


def _dtype(e: Encoder, i: int, o: Any) -> Node:
    try:
        return {"t": "dtype", "descr": npy.describe(o)}
    except npy.DtypeRefused as error:
        e.problem(i, str(error))
        return {"t": "object"}


# --------------------------------------------------------------------------- primitives


def _lock(e: Encoder, i: int, o: Any) -> Node:
    return e.primitive(i, o, {"t": "Lock"})


def _rlock(e: Encoder, i: int, o: Any) -> Node:
    return e.primitive(i, o, {"t": "RLock"})


def _condition(e: Encoder, i: int, o: Any) -> Node:
    lock = o._lock
    if type(lock) is not primitives.LOCK_TYPE and type(lock) not in primitives.RLOCK_TYPES:
        e.problem(i, "a Condition on something other than a Lock or RLock is not supported")
    return e.primitive(
        i, o, {"t": "Condition", "lock": e.slot(lock, i, CONDITION_LOCK_STEP, via_condition=True)}
    )


def _semaphore(e: Encoder, i: int, o: Any) -> Node:
    if type(o) is threading.BoundedSemaphore:  # restored to its bound: nobody holds it then
        return e.primitive(i, o, {"t": "BoundedSemaphore", "value": o._initial_value})  # type: ignore[attr-defined]
    return e.primitive(i, o, {"t": "Semaphore", "value": o._value})


def _event(e: Encoder, i: int, o: Any) -> Node:
    return e.primitive(i, o, {"t": "Event", "flag": o.is_set()})


def _barrier(e: Encoder, i: int, o: Any) -> Node:
    return e.primitive(i, o, {"t": "Barrier", "parties": o.parties, "timeout": o._timeout})


def _local(e: Encoder, i: int, o: Any) -> Node:
    return e.primitive(i, o, {"t": "local"})


def _simple_queue(e: Encoder, i: int, o: Any) -> Node:
    items = []
    while True:  # a SimpleQueue hides its items: take them out and put them back, in order
        try:
            items.append(o.get_nowait())
        except queue.Empty:
            break
    for item in items:
        o.put(item)
    return e.primitive(i, o, {"t": "SimpleQueue", "items": e.slots(items, i, ".items")})


def queue_node(e: Encoder, i: int, o: Any) -> Node:
    """Any queue.Queue (LifoQueue, PriorityQueue, a subclass): class, maxsize, items, and a
    subclass' own attributes. The items are read without taking the queue's mutex."""
    c = e.tindex(type(o), "class", i)
    if c is None:
        return {"t": "object"}
    node: Node = {
        "t": "Queue",
        "c": c,
        "maxsize": o.maxsize,
        "items": e.slots(list(o.queue), i, ".queue"),
    }
    extra = {k: v for k, v in vars(o).items() if k not in QUEUE_OWN_ATTRIBUTES}
    if extra:
        node["attrs"] = e.attrs(extra, i)
    return e.primitive(i, o, node)


def _executor(e: Encoder, i: int, o: Any) -> Node:
    info = primitives.describe(o)
    if info is None or info.action == primitives.BLOCK:
        return e.blocked(i, o)
    node = {
        "t": "ThreadPoolExecutor",
        "max_workers": o._max_workers,
        "prefix": o._thread_name_prefix,
    }
    return e.primitive(i, o, node)


HANDLERS: dict[type, Handler] = {
    list: _list,
    tuple: _tuple,
    set: _set,
    frozenset: _set,
    dict: _dict,
    collections.OrderedDict: _dict,
    collections.Counter: _dict,
    collections.defaultdict: _defaultdict,
    collections.deque: _deque,
    bytes: _bytes,
    bytearray: _bytes,
    complex: lambda e, i, o: {"t": "complex", "bits": [bits(o.real), bits(o.imag)]},
    range: lambda e, i, o: {"t": "range", "v": e.slots([o.start, o.stop, o.step], i)},
    slice: lambda e, i, o: {"t": "slice", "v": e.slots([o.start, o.stop, o.step], i)},
    object: lambda e, i, o: {"t": "object"},
    type(Ellipsis): lambda e, i, o: {"t": "const", "v": "Ellipsis"},
    type(NotImplemented): lambda e, i, o: {"t": "const", "v": "NotImplemented"},
    types.SimpleNamespace: _namespace,
    io.BytesIO: _bytesio,
    io.StringIO: _stringio,
    dt.date: lambda e, i, o: {"t": "date", "v": [o.year, o.month, o.day]},
    dt.datetime: _datetime,
    dt.time: _time,
    dt.timedelta: lambda e, i, o: {"t": "timedelta", "v": [o.days, o.seconds, o.microseconds]},
    dt.timezone: _timezone,
    decimal.Decimal: lambda e, i, o: {"t": "Decimal", "v": str(o)},
    fractions.Fraction: lambda e, i, o: {"t": "Fraction", "v": e.slots([o.numerator, o.denominator], i)},
    uuid.UUID: lambda e, i, o: {"t": "UUID", "hex": o.hex},
    pathlib.PurePosixPath: _path,
    pathlib.PureWindowsPath: _path,
    pathlib.PosixPath: _path,
    pathlib.WindowsPath: _path,
    re.Pattern: _pattern,
    logging.Logger: _logger,
    logging.RootLogger: _logger,
    primitives.LOCK_TYPE: _lock,
    threading.Condition: _condition,
    threading.Semaphore: _semaphore,
    threading.BoundedSemaphore: _semaphore,
    threading.Event: _event,
    threading.Barrier: _barrier,
    threading.local: _local,
    queue.SimpleQueue: _simple_queue,
    concurrent.futures.ThreadPoolExecutor: _executor,
}  # fmt: skip
for _rlock_type in primitives.RLOCK_TYPES:
    HANDLERS[_rlock_type] = _rlock
try:
    import zoneinfo

    HANDLERS[zoneinfo.ZoneInfo] = _zoneinfo
except ImportError:  # pragma: no cover - Python without tzdata support
    pass

NUMPY_HANDLERS: dict[str, Handler] = {"ndarray": _ndarray, "generic": _npscalar, "dtype": _dtype}
# Subclasses of these are refused: their extra state is unknown to the handlers above.
PRIMITIVE_BASES: tuple[type, ...] = (
    threading.Condition,
    threading.Semaphore,
    threading.Event,
    threading.Barrier,
    threading.local,
    concurrent.futures.Executor,
)
