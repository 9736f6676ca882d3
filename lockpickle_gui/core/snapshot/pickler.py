"""The state.pkl pickler: models, primitives and large arrays leave the pickle as ids.

``persistent_id`` turns
  * every Keras layer or model into ``("keras", k)`` — the writer later stores each
    distinct top-level model once, in Keras' own format, and points ``k`` at it;
  * every recreatable primitive (``core.primitives``) into a self-contained
    ``("primitive", n, kind, params, uses)`` — a Condition's ``uses`` holds the id of its
    lock, so a lock shared by several places comes back as one fresh lock;
  * every large plain numpy array into ``("array", n)`` (``arrays/<n>.npy``);
  * every blocked object (file, socket, thread, generator, executor, lambda) into
    ``("dropped", n)`` — collected, never raised one by one: the writer reports them all.
A bound method (``svc.handle``, ``a_list.append``) is blocked here too: pickle stores it as
``builtins.getattr(obj, name)``, which the reader never allows (trusting ``builtins``
trusts all code). It is not a row of ``core.primitives.KINDS`` because the inspector walks
into bound methods to show the locks of their object.
``reducer_override`` saves queues as their class, maxsize and items (ordinary pickled state,
so items may hold locks and models too).
"""

from __future__ import annotations

import io
import pickle
import pickletools
import queue
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.inspect import primitives
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import restore

# Exact types that are never persistent ids: skips the table for most objects.
_PLAIN_TYPES = frozenset(
    {
        int,
        float,
        complex,
        str,
        bytes,
        bytearray,
        bool,
        type(None),
        list,
        tuple,
        dict,
        set,
        frozenset,
        range,
        slice,
    }
)
_QUEUE_KINDS = ("Queue", "SimpleQueue")
_METHOD_TYPES = (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType)


def _is_bound_method(obj: Any) -> bool:
    """Bound to an object (not a module's built-in function like ``len``, saved by name)."""
    return isinstance(obj, _METHOD_TYPES) and not isinstance(
        obj.__self__, (types.ModuleType, type(None))
    )


def _describe_bound_method(obj: Any) -> primitives.PrimitiveInfo:
    owner = type(obj.__self__).__name__
    return primitives.PrimitiveInfo(
        "bound method",
        primitives.BLOCK,
        f"{owner}.{getattr(obj, '__name__', '?')}",
        False,
        "pickle stores it as builtins.getattr(obj, name), which a snapshot never loads; "
        "store the object and look the method up after loading",
    )


BOUND_METHOD = primitives.PrimitiveKind("bound method", _is_bound_method, _describe_bound_method)


@dataclass
class PrimitiveRecord:
    index: int
    obj: Any
    kind: str
    action: str
    state: str
    held: bool
    params: dict
    uses: dict[str, int] = field(default_factory=dict)
    direct: bool = False  # met by the pickler itself (not only as a Condition's lock)


@dataclass
class BlockedRecord:
    index: int
    obj: Any
    kind: str
    state: str


class StateRegistry:
    """Everything the pickler took out of the stream, in first-met order."""

    def __init__(self) -> None:
        self.keras_objects: list[Any] = []
        self._keras_index: dict[int, int] = {}
        self.primitives: list[PrimitiveRecord] = []
        self._primitive_index: dict[int, int] = {}
        self.queues: list[PrimitiveRecord] = []
        self.arrays: list[Any] = []
        self._array_index: dict[int, int] = {}
        self.blocked: list[BlockedRecord] = []
        self._blocked_index: dict[int, int] = {}
        self._keras_layer_type = None
        self._ndarray_type = None

    # ---------------------------------------------------------------- lookups
    def _layer_type(self):
        if self._keras_layer_type is None and "keras" in sys.modules:
            from lockpickle_gui.core.tf_runtime import import_keras

            self._keras_layer_type = import_keras().layers.Layer
        return self._keras_layer_type

    def _array_type(self):
        if self._ndarray_type is None and "numpy" in sys.modules:
            import numpy

            self._ndarray_type = numpy.ndarray
        return self._ndarray_type

    # ---------------------------------------------------------------- ids
    def keras_id(self, obj: Any) -> tuple:
        index = self._keras_index.get(id(obj))
        if index is None:
            index = self._keras_index[id(obj)] = len(self.keras_objects)
            self.keras_objects.append(obj)
        return ("keras", index)

    def primitive_id(self, obj: Any, kind: primitives.PrimitiveKind) -> tuple:
        index = self._primitive_index.get(id(obj))
        if index is None:
            info = kind.describe(obj)
            index = self._primitive_index[id(obj)] = len(self.primitives)
            record = PrimitiveRecord(
                index, obj, info.kind, info.action, info.state, info.held, dict(info.params)
            )
            self.primitives.append(record)
            for name, used in info.uses.items():
                used_kind = primitives.kind_of(used)
                if used_kind is not None and used_kind.recreate is not None:
                    record.uses[name] = self.primitive_id(used, used_kind)[1]
        return self._pid(self.primitives[index])

    def _pid(self, record: PrimitiveRecord) -> tuple:
        uses = {name: self._pid(self.primitives[index]) for name, index in record.uses.items()}
        return restore.primitive_pid(record.index, record.kind, record.params, uses)

    def blocked_id(self, obj: Any, kind: primitives.PrimitiveKind) -> tuple:
        index = self._blocked_index.get(id(obj))
        if index is None:
            info = kind.describe(obj)
            index = self._blocked_index[id(obj)] = len(self.blocked)
            self.blocked.append(BlockedRecord(index, obj, info.kind, info.state))
        return ("dropped", index)

    def array_id(self, array: Any) -> tuple:
        index = self._array_index.get(id(array))
        if index is None:
            index = self._array_index[id(array)] = len(self.arrays)
            self.arrays.append(array)
        return ("array", index)

    def persistent_id(self, obj: Any) -> tuple | None:
        tp = type(obj)
        if tp in _PLAIN_TYPES:
            return None
        if tp in primitives.WEAK_PROXY_TYPES:  # isinstance() below would ask its referent
            return self.blocked_id(obj, primitives.kind_of(obj))
        array_type = self._array_type()
        if array_type is not None and tp is array_type:
            if obj.dtype.hasobject or obj.nbytes < fmt.ARRAY_MEMBER_MIN_BYTES:
                return None
            return self.array_id(obj)
        layer_type = self._layer_type()
        if layer_type is not None and isinstance(obj, layer_type):
            return self.keras_id(obj)
        kind = primitives.kind_of(obj)
        if kind is None and _is_bound_method(obj):
            kind = BOUND_METHOD
        if kind is None or kind.name in _QUEUE_KINDS:
            return None
        if kind.recreate is None:  # blocked: collected, reported all at once by the writer
            return self.blocked_id(obj, kind)
        pid = self.primitive_id(obj, kind)
        self.primitives[pid[1]].direct = True
        return pid

    # ---------------------------------------------------------------- queues
    def reduce_queue(self, obj: Any) -> tuple | None:
        if isinstance(obj, queue.Queue):
            items = list(obj.queue)  # a copy, without taking the queue's mutex (it may be held)
            extra = {k: v for k, v in vars(obj).items() if k not in restore.QUEUE_OWN_ATTRIBUTES}
            self._queue_record(obj, len(items))
            state = {"items": items, "attributes": extra} if extra else {"items": items}
            return (
                restore.new_queue,
                (type(obj), obj.maxsize),
                state,
                None,
                None,
                restore.fill_queue,
            )
        if type(obj) is queue.SimpleQueue:
            items = _drain_and_refill(obj)
            self._queue_record(obj, len(items))
            return (
                restore.new_simple_queue,
                (),
                {"items": items},
                None,
                None,
                restore.fill_simple_queue,
            )
        return None

    def _queue_record(self, obj: Any, size: int) -> None:
        if id(obj) in self._primitive_index:
            return
        info = primitives.describe(obj)
        index = self._primitive_index[id(obj)] = len(self.primitives)
        params = dict(info.params, items=size)
        record = PrimitiveRecord(
            index, obj, info.kind, info.action, info.state, info.held, params, direct=True
        )
        self.primitives.append(record)
        self.queues.append(record)


def _drain_and_refill(simple: queue.SimpleQueue) -> list:
    """A SimpleQueue hides its items: take them out and put them back, in order."""
    items = []
    while True:
        try:
            items.append(simple.get_nowait())
        except queue.Empty:
            break
    for item in items:
        simple.put(item)
    return items


class StatePickler(pickle.Pickler):
    def __init__(self, file, registry: StateRegistry):
        super().__init__(file, protocol=fmt.PICKLE_PROTOCOL)
        self.registry = registry

    def persistent_id(self, obj):
        return self.registry.persistent_id(obj)

    def reducer_override(self, obj):
        if type(obj) in _PLAIN_TYPES:
            return NotImplemented
        reduced = self.registry.reduce_queue(obj)
        return NotImplemented if reduced is None else reduced


class StateStream:
    """state.pkl: several pickles written by one pickler, so they share its memo.

    The writer dumps the root object first, then the objects attached to layers (found
    once the models are known); the reader loads them in the same order with one
    unpickler, and an object in both comes back as one object.
    """

    def __init__(self) -> None:
        self.registry = StateRegistry()
        self.buffer = io.BytesIO()
        self.pickler = StatePickler(self.buffer, self.registry)

    def dump(self, obj: Any) -> None:
        """Raises pickle's own errors (the writer turns them into ours)."""
        self.pickler.dump(obj)

    def getvalue(self) -> bytes:
        return self.buffer.getvalue()


def referenced_globals(data: bytes) -> set[tuple[str, str]]:
    """``(module, name)`` of every class or function a pickle refers to by name.

    Follows the pickler's habit of pushing module and name strings (fresh or from the memo)
    right before STACK_GLOBAL; used for the manifest's ``modules`` list, not for security
    (the reader's ``find_class`` is the gate).
    """
    found: set[tuple[str, str]] = set()
    memo: dict[int, Any] = {}
    recent: list[Any] = []
    stream = io.BytesIO(data)
    while stream.tell() < len(data):  # one pass per pickle of the stream
        _scan(pickletools.genops(stream), found, memo, recent)
    return found


def _scan(ops, found: set, memo: dict, recent: list) -> None:
    for opcode, arg, _pos in ops:
        name = opcode.name
        if name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            recent.append(arg)
        elif name in ("FRAME", "PROTO"):
            continue
        elif name == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
        elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(arg)] = recent[-1] if recent else None
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            recent.append(memo.get(int(arg)))
        elif name == "STACK_GLOBAL":
            if len(recent) >= 2 and isinstance(recent[-2], str) and isinstance(recent[-1], str):
                found.add((recent[-2], recent[-1]))
            recent.append(None)
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            found.add((module, attr))
            recent.append(None)
        else:
            recent.append(None)
        del recent[:-2]
