"""Reader side: create the object of one node from its checked fields and its already
built constructor inputs. No node type here imports or calls code named by the file except
``enum``, ``Queue``, ``obj`` and ``call``, whose classes were trusted and resolved before
(``builder.py``)."""

from __future__ import annotations

import base64
import collections
import datetime as dt
import decimal
import fractions
import io
import logging
import math
import pathlib
import queue
import re
import struct
import sys
import threading
import types
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lockpickle_gui.core.snapshot import npy

if TYPE_CHECKING:
    from lockpickle_gui.core.snapshot.state.builder import Builder

Node = dict[str, Any]


def _bits(text: str) -> float:
    return float(struct.unpack(">d", bytes.fromhex(text))[0])


def _int(b: Builder, i: int, n: Node) -> int:
    text = n["hex"]
    return -int(text[1:], 16) if text[0] == "-" else int(text, 16)


def _bytes(b: Builder, i: int, n: Node) -> Any:
    if "b64" in n:
        data = base64.b64decode(n["b64"], validate=True)
    else:
        data = b.blob(n["blob"])
    return data if n["t"] == "bytes" else bytearray(data)


def _tuple(b: Builder, i: int, n: Node) -> tuple[Any, ...]:
    b.immutable_depth(i)
    return tuple([b.val(s) for s in n["v"]])


def _frozenset(b: Builder, i: int, n: Node) -> frozenset[Any]:
    b.immutable_depth(i)
    b.check_keys(n["v"], pairs=False)
    return frozenset([b.val(s) for s in n["v"]])


def _range(b: Builder, i: int, n: Node) -> range:
    args = [b.val(s) for s in n["v"]]
    if not all(type(a) is int for a in args) or args[2] == 0:
        raise b.fail(i, "a range of three ints with a step other than 0")
    return range(*args)


def _bytesio(b: Builder, i: int, n: Node) -> io.BytesIO:
    data = b.val(n["data"])
    if type(data) is not bytes or n["pos"] > len(data):
        raise b.fail(i, "a BytesIO holding bytes and a position inside them")
    stream = io.BytesIO(data)
    stream.seek(n["pos"])
    return stream


def _stringio(b: Builder, i: int, n: Node) -> io.StringIO:
    stream = io.StringIO(newline=n["newline"])
    stream.__setstate__((n["value"], n["newline"], n["pos"], None))  # type: ignore[attr-defined]
    return stream


def _time(b: Builder, i: int, n: Node) -> Any:
    tz = b.val(n.get("tz"))
    if tz is not None and not isinstance(tz, dt.tzinfo):
        raise b.fail(i, "a time zone as tzinfo")
    fields: Any = n["v"]
    if n["t"] == "time":
        return dt.time(*fields).replace(tzinfo=tz, fold=n["fold"])
    return dt.datetime(*fields).replace(tzinfo=tz, fold=n["fold"])


def _timezone(b: Builder, i: int, n: Node) -> dt.timezone:
    offset = dt.timedelta(*n["offset"])
    return dt.timezone(offset, n["name"]) if "name" in n else dt.timezone(offset)


def _zoneinfo(b: Builder, i: int, n: Node) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(n["key"])


def _fraction(b: Builder, i: int, n: Node) -> fractions.Fraction:
    numerator, denominator = (b.val(s) for s in n["v"])
    if type(numerator) is not int or type(denominator) is not int or denominator <= 0:
        raise b.fail(i, "a Fraction of two ints with a positive denominator")
    return fractions.Fraction(numerator, denominator)


def _path(b: Builder, i: int, n: Node) -> pathlib.PurePath:
    posix = n["flavour"] == "posix"
    if n["concrete"] and posix == (sys.platform != "win32"):
        return pathlib.Path(*n["parts"])
    return (pathlib.PurePosixPath if posix else pathlib.PureWindowsPath)(*n["parts"])


def _pattern(b: Builder, i: int, n: Node) -> re.Pattern[Any]:
    source = b.val(n["source"])
    try:
        return re.compile(source, n["flags"])
    except (re.error, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise b.fail(i, f"a regular expression Python compiles ({error})") from None


def _enum(b: Builder, i: int, n: Node) -> Any:
    cls = b.classes[n["c"]]
    if "name" in n:
        members = cls.__members__
        if n["name"] not in members:
            raise b.fail(i, f"a member of {cls.__qualname__} named {n['name'][:40]!r}")
        return members[n["name"]]
    return b.run_trusted(i, cls, b.val(n["value"]))


def _ndarray(b: Builder, i: int, n: Node) -> Any:
    import numpy as np

    dtype = b.dtype(i, n["dtype"])
    shape = tuple(n["shape"])
    if "member" in n:
        array = b.array(n["member"])
        if (
            type(array) is not np.ndarray
            or array.shape != shape
            or npy.to_json_descr(np.lib.format.dtype_to_descr(array.dtype)) != n["dtype"]
        ):
            raise b.fail(
                i, f"arrays/{n['member']}.npy of dtype {str(n['dtype'])[:40]} and shape {shape}"
            )
        return array
    raw = base64.b64decode(n["b64"], validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise b.fail(i, f"{math.prod(shape) * dtype.itemsize} bytes of array data, not {len(raw)}")
    if not raw:
        return np.empty(shape, dtype=dtype, order=n["order"])
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order=n["order"]).copy(order="K")


def _npscalar(b: Builder, i: int, n: Node) -> Any:
    import numpy as np

    dtype = b.dtype(i, n["dtype"])
    raw = base64.b64decode(n["b64"], validate=True)
    if len(raw) != dtype.itemsize:
        raise b.fail(i, f"{dtype.itemsize} bytes for a numpy scalar")
    return np.frombuffer(raw, dtype=dtype).copy()[0]


def _executor(b: Builder, i: int, n: Node) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=n["max_workers"], thread_name_prefix=n["prefix"])


def _queue(b: Builder, i: int, n: Node) -> queue.Queue[Any]:
    cls = b.classes[n["c"]]
    fresh = cls.__new__(cls)
    queue.Queue.__init__(fresh, n["maxsize"])  # fresh mutex and conditions; calls cls._init
    return fresh  # type: ignore[no-any-return]


def _obj(b: Builder, i: int, n: Node) -> Any:
    cls = b.classes[n["c"]]
    args = [b.val(s) for s in n.get("new", ())]
    kwargs = {k: b.val(s) for k, s in n.get("kw", {}).items()}
    if issubclass(cls, (bytes, bytearray)) and not all(
        isinstance(a, (bytes, bytearray)) for a in args
    ):
        raise b.fail(
            i, f"bytes arguments for {cls.__qualname__}.__new__ (a size would allocate it)"
        )
    instance = b.run_trusted(i, cls.__new__, cls, *args, **kwargs)
    if not isinstance(instance, cls):
        raise b.fail(i, f"{cls.__qualname__}.__new__ to return an instance of its class")
    return instance


def _call(b: Builder, i: int, n: Node) -> Any:
    fn = b.classes[n["c"]]
    args = [b.val(s) for s in n["args"]]
    kwargs = {k: b.val(s) for k, s in n.get("kw", {}).items()}
    return b.run_trusted(i, fn, *args, **kwargs)


def _dropped(b: Builder, i: int, n: Node) -> None:
    b.dropped.append((n["path"], n["kind"]))
    return None


CREATE: dict[str, Callable[[Builder, int, Node], Any]] = {
    "int": _int,
    "float": lambda b, i, n: _bits(n["bits"]),
    "complex": lambda b, i, n: complex(_bits(n["bits"][0]), _bits(n["bits"][1])),
    "bytes": _bytes,
    "bytearray": _bytes,
    "list": lambda b, i, n: [],
    "tuple": _tuple,
    "set": lambda b, i, n: set(),
    "frozenset": _frozenset,
    "dict": lambda b, i, n: {},
    "OrderedDict": lambda b, i, n: collections.OrderedDict(),
    "Counter": lambda b, i, n: collections.Counter(),
    "defaultdict": lambda b, i, n: collections.defaultdict(),
    "deque": lambda b, i, n: collections.deque(maxlen=n["maxlen"]),
    "range": _range,
    "slice": lambda b, i, n: slice(*[b.val(s) for s in n["v"]]),
    "object": lambda b, i, n: object(),
    "const": lambda b, i, n: Ellipsis if n["v"] == "Ellipsis" else NotImplemented,
    "namespace": lambda b, i, n: types.SimpleNamespace(),
    "BytesIO": _bytesio,
    "StringIO": _stringio,
    "date": lambda b, i, n: dt.date(*n["v"]),
    "time": _time,
    "datetime": _time,
    "timedelta": lambda b, i, n: dt.timedelta(*n["v"]),
    "timezone": _timezone,
    "zoneinfo": _zoneinfo,
    "Decimal": lambda b, i, n: decimal.Decimal(n["v"]),
    "Fraction": _fraction,
    "path": _path,
    "UUID": lambda b, i, n: uuid.UUID(hex=n["hex"]),
    "pattern": _pattern,
    "logger": lambda b, i, n: (
        logging.getLogger(n["name"]) if n["name"] != "root" else logging.getLogger()
    ),
    "enum": _enum,
    "ndarray": _ndarray,
    "npscalar": _npscalar,
    "dtype": lambda b, i, n: b.dtype(i, n["descr"]),
    "nptype": lambda b, i, n: b.dtype(i, n["descr"]).type,
    "type": lambda b, i, n: b.classes[n["c"]],
    "func": lambda b, i, n: b.classes[n["c"]],
    "keras": lambda b, i, n: b.keras_ref(i, n),
    "dropped": _dropped,
    "Lock": lambda b, i, n: threading.Lock(),
    "RLock": lambda b, i, n: threading.RLock(),
    "Condition": lambda b, i, n: threading.Condition(b.val(n["lock"])),
    "Semaphore": lambda b, i, n: threading.Semaphore(n["value"]),
    "BoundedSemaphore": lambda b, i, n: threading.BoundedSemaphore(n["value"]),
    "Event": lambda b, i, n: _event(n["flag"]),
    "Barrier": lambda b, i, n: threading.Barrier(n["parties"], timeout=n["timeout"]),
    "local": lambda b, i, n: threading.local(),
    "Queue": _queue,
    "SimpleQueue": lambda b, i, n: queue.SimpleQueue(),
    "ThreadPoolExecutor": _executor,
    "obj": _obj,
    "call": _call,
}


def _event(flag: bool) -> threading.Event:
    event = threading.Event()
    if flag:
        event.set()
    return event
