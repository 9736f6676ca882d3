"""Objects -> state.json: the flat node table of ``schema.py``, built without recursion.

:func:`encode_state` walks the graph breadth first. Values state.json stores natively go
through ``values.py``; Keras layers and models become references into the stored models
(``keras_refs.py`` decides which models are stored and the path to each layer); objects of
other classes follow the pickle protocol (``__reduce_ex__(5)``: ``__getstate__``,
``__getnewargs(_ex)__``, slots, list and dict items, a class' own ``__reduce__``), so a class
keeps its own say over what is stored, but only what a loader could rebuild under its trust
rules is written. Everything that cannot be stored is collected with its path and
reported at once; objects of a *blocked* kind (open file, socket, thread, generator, busy
executor, lambda, weak reference, bound method) may instead be dropped (stored as None
and listed) when the caller chose ``on_blocked="drop"``.
"""

from __future__ import annotations

import collections
import enum
import math
import queue
import re
import sys
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.inspect import primitives
from lockpickle_gui.core.inspect.paths import attr_path, key_path, safe_repr
from lockpickle_gui.core.snapshot import npy, trust
from lockpickle_gui.core.snapshot.budgets import DEFAULT, Budgets
from lockpickle_gui.core.snapshot.state import values
from lockpickle_gui.core.snapshot.state.reduction import reduce_object
from lockpickle_gui.core.snapshot.state.schema import FORMAT, VERSION

Node = dict[str, Any]
INLINE_INT = 10**18
CONDITION_LOCK_STEP = values.CONDITION_LOCK_STEP
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_METHODS = (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType)
# What to store instead, for the kinds people most often keep by accident.
_SUGGEST = {
    "memoryview": "bytes(view)",
    "dict_keys": "list(...)",
    "dict_values": "list(...)",
    "dict_items": "list(...)",
    "list_iterator": "list(...)",
    "generator": "list(...)",
    "module": "the module's name, importing it after loading",
    "Match": "match.group() / match.span()",
    "mappingproxy": "dict(...)",
}


@dataclass
class PrimitiveRecord:
    index: int
    obj: Any
    direct: bool  # met by the walk itself, not only as a Condition's lock


@dataclass
class DroppedRecord:
    index: int
    obj: Any
    path: str
    kind: str
    state: str


@dataclass
class EncodedState:
    doc: dict[str, Any]
    arrays: list[Any] = field(default_factory=list)  # arrays/<n>.npy
    blobs: list[bytes] = field(default_factory=list)  # blobs/<n>.bin
    models: list[Any] = field(default_factory=list)  # models/<n>/, in index order
    primitives: list[PrimitiveRecord] = field(default_factory=list)
    dropped: list[DroppedRecord] = field(default_factory=list)
    types: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    path_of: Callable[[int], str] = field(default=lambda index: f"<node {index}>")


def _item_step(key: Any) -> str:
    text = key_path("", key)[1]
    return text if not text.startswith("<") else f"<value for key {safe_repr(key, 40)}>"


class Encoder:
    def __init__(self, *, on_blocked: str, budgets: Budgets = DEFAULT) -> None:
        self.on_blocked = on_blocked
        self.budgets = budgets
        self.inline_array_max = 16 << 10
        self.inline_bytes_max = 64 << 10
        self.nodes: list[Node | None] = []
        self.memo: dict[int, int] = {}
        self.keep: list[Any] = []  # temporaries from __reduce__ stay alive: ids stay unique
        self.where: list[tuple[int | None, str]] = []
        self.depth: list[int] = []
        self.work: collections.deque[tuple[int, Any]] = collections.deque()
        self.type_index: dict[tuple[str, str], int] = {}
        self.out = EncodedState(doc={})
        self.keras_pending: list[tuple[int, Any]] = []
        self.primitive_at: dict[int, PrimitiveRecord] = {}
        self.numpy = sys.modules.get("numpy")
        keras = sys.modules.get("keras")
        self.layer_type = getattr(getattr(keras, "layers", None), "Layer", None)

    # ---------------------------------------------------------------- paths and problems
    def path(self, index: int | None) -> str:
        steps: list[str] = []
        while index is not None:
            parent, step = self.where[index]
            steps.append(step)
            index = parent
        path = ""
        for step in reversed(steps):
            if step.startswith("<") or path.startswith("<"):
                path = f"<{step} of {path}>" if path else step
            else:
                path += step
        return path or "root"

    def problem(self, index: int | None, reason: str) -> None:
        self.out.problems.append((self.path(index), reason))

    def blocked(self, index: int, obj: Any, kind: str | None = None, state: str = "") -> Node:
        info = primitives.describe(obj)
        kind = kind or (info.kind if info is not None else type(obj).__name__)
        state = state or (info.state if info is not None else "")
        record = DroppedRecord(index, obj, self.path(index), kind, state)
        self.out.dropped.append(record)
        return {"t": "dropped", "kind": kind, "path": record.path}

    # ---------------------------------------------------------------- slots
    def slot(self, obj: Any, parent: int | None, step: str, *, via_condition: bool = False) -> Any:
        tp = type(obj)
        if tp is str or tp is bool or obj is None:
            return obj
        if tp is int:
            if -INLINE_INT < obj < INLINE_INT:
                return obj
            return self.leaf(self._big_int(obj, parent, step), parent, step)
        if tp is float:
            if math.isfinite(obj):
                return obj
            return self.leaf({"t": "float", "bits": values.bits(obj)}, parent, step)
        index = self.memo.get(id(obj))
        if index is not None:
            record = self.primitive_at.get(index)
            if record is not None and not via_condition:
                record.direct = True  # a Condition's lock that is also held elsewhere
            return {"r": index}
        index = self.leaf(None, parent, step)["r"]
        self.memo[id(obj)] = index
        self.keep.append(obj)
        if self.depth[index] > self.budgets.max_depth:
            self.problem(
                index,
                f"the object graph is nested more than {self.budgets.max_depth} levels deep here",
            )
            self.nodes[index] = {"t": "object"}
        else:
            self.work.append((index, obj))
        return {"r": index}

    def _big_int(self, value: int, parent: int | None, step: str) -> Node:
        if abs(value).bit_length() > self.budgets.max_int_bits:
            self.out.problems.append(
                (
                    self.path(parent) + step,
                    f"an int of more than {self.budgets.max_int_digits} digits",
                )
            )
            return {"t": "int", "hex": "0"}
        return {"t": "int", "hex": ("-" + format(-value, "x")) if value < 0 else format(value, "x")}

    def leaf(self, node: Node | None, parent: int | None, step: str) -> dict[str, int]:
        index = len(self.nodes)
        self.nodes.append(node)
        self.where.append((parent, step))
        self.depth.append(0 if parent is None else self.depth[parent] + 1)
        return {"r": index}

    def slots(self, items: Any, index: int, step: str = "") -> list[Any]:
        return [self.slot(v, index, f"{step}[{i}]") for i, v in enumerate(items)]

    def members(self, items: list[Any], index: int) -> list[Any]:
        return [self.slot(v, index, "<set element>") for v in items]

    def pairs(self, items: list[tuple[Any, Any]], index: int) -> list[Any]:
        out: list[Any] = []
        for key, value in items:
            out.append(self.slot(key, index, "<key>"))
            out.append(self.slot(value, index, _item_step(key)))
        return out

    def attrs(self, mapping: dict[str, Any], index: int) -> dict[str, Any]:
        return {k: self.slot(v, index, attr_path("", k)) for k, v in mapping.items()}

    def bytes_node(self, tag: str, data: bytes) -> Node:
        import base64

        if len(data) <= self.inline_bytes_max:
            return {"t": tag, "b64": base64.b64encode(data).decode("ascii")}
        self.out.blobs.append(bytes(data))
        return {"t": tag, "blob": len(self.out.blobs) - 1}

    def add_array(self, array: Any) -> int:
        self.out.arrays.append(array)
        return len(self.out.arrays) - 1

    def primitive(self, index: int, obj: Any, node: Node) -> Node:
        parent, step = self.where[index]
        via_condition = parent is not None and step == CONDITION_LOCK_STEP
        record = PrimitiveRecord(index, obj, not via_condition)
        self.out.primitives.append(record)
        self.primitive_at[index] = record
        return node

    # ---------------------------------------------------------------- names
    def tindex(self, obj: Any, kind: str, index: int) -> int | None:
        name = f"{getattr(obj, '__module__', None)}:{getattr(obj, '__qualname__', None)}"
        found = self.type_index.get((name, kind))
        if found is not None:
            return found
        reason = trust.name_problem(obj, kind)
        if reason is None and name not in trust.ALWAYS_TRUSTED.get(kind, ()):
            target: Any = sys.modules.get(obj.__module__)
            for part in obj.__qualname__.split("."):
                target = getattr(target, "__dict__", {}).get(part)
            if target is not obj:
                reason = f"{trust.display_name(name)} does not find this {kind} again (replaced or re-exported)"
        if reason is not None:
            self.problem(index, reason)
            return None
        found = self.type_index[(name, kind)] = len(self.out.types)
        self.out.types.append({"name": name, "kind": kind})
        return found

    # ---------------------------------------------------------------- the walk
    def run(self, root: Any) -> Any:
        slot = self.slot(root, None, "root")
        self.drain()
        return slot

    def drain(self) -> None:
        while self.work:
            index, obj = self.work.popleft()
            try:
                self.nodes[index] = self.node_for(index, obj)
            except Exception as error:  # noqa: BLE001 - user code (__reduce__, __getstate__) raised
                self.problem(index, f"saving it raised {type(error).__name__}: {error}")
                self.nodes[index] = {"t": "object"}

    def node_for(self, index: int, obj: Any) -> Node:
        tp = type(obj)
        handler = values.HANDLERS.get(tp)
        if handler is not None:
            return handler(self, index, obj)
        np = self.numpy
        if np is not None:
            if tp is np.ndarray:
                return values.NUMPY_HANDLERS["ndarray"](self, index, obj)
            if isinstance(obj, np.generic):
                return values.NUMPY_HANDLERS["generic"](self, index, obj)
            if isinstance(obj, np.dtype):
                return values.NUMPY_HANDLERS["dtype"](self, index, obj)
            if isinstance(obj, np.ndarray):
                self.problem(
                    index,
                    f"{tp.__qualname__} (an ndarray subclass) is not supported: store np.asarray(x)",
                )
                return {"t": "object"}
            if isinstance(obj, type) and issubclass(obj, np.generic):
                return {"t": "nptype", "descr": npy.describe(np.dtype(obj))}
        if tp in primitives.WEAK_PROXY_TYPES or isinstance(obj, weakref.ReferenceType):
            return self.blocked_kind(index, obj)
        if self.layer_type is not None and isinstance(obj, self.layer_type):
            self.keras_pending.append((index, obj))
            return {"t": "keras", "model": 0, "path": "", "class": ""}
        if isinstance(obj, queue.Queue):
            return values.queue_node(self, index, obj)
        if isinstance(obj, enum.Enum):
            return self.enum(index, obj)
        if isinstance(obj, type):
            c = self.tindex(obj, "class", index)
            return {"t": "type", "c": c} if c is not None else {"t": "object"}
        if tp is types.FunctionType and not primitives.kind_of(obj):
            c = self.tindex(obj, "function", index)
            return {"t": "func", "c": c} if c is not None else {"t": "object"}
        if isinstance(obj, _METHODS) and not isinstance(
            obj.__self__, (types.ModuleType, type(None))
        ):
            return self.blocked_kind(
                index,
                obj,
                "bound method",
                f"{type(obj.__self__).__name__}.{getattr(obj, '__name__', '?')}",
            )
        kind = primitives.kind_of(obj)
        if kind is not None and kind.describe(obj).action == primitives.BLOCK:
            return self.blocked_kind(index, obj)
        if isinstance(obj, values.PRIMITIVE_BASES):
            base = next(b for b in values.PRIMITIVE_BASES if isinstance(obj, b))
            self.problem(
                index,
                f"a subclass of {base.__module__}.{base.__qualname__} is not supported: hold a plain {base.__qualname__} in an attribute instead",
            )
            return {"t": "object"}
        module = getattr(tp, "__module__", None) or "builtins"
        if module != "__main__" and trust.never_trusted(module) is not None:
            instead = _SUGGEST.get(tp.__name__, "plain data (rebuild it after loading)")
            self.problem(
                index,
                f"{tp.__module__}.{tp.__qualname__} objects are not data a snapshot stores; store {instead} instead",
            )
            return {"t": "object"}
        return self.reduce(index, obj)

    def blocked_kind(self, index: int, obj: Any, kind: str | None = None, state: str = "") -> Node:
        if self.on_blocked == "drop":
            return self.blocked(index, obj, kind, state)
        self.blocked(index, obj, kind, state)  # recorded: the writer lists every one at once
        return {"t": "object"}

    def enum(self, index: int, obj: Any) -> Node:
        c = self.tindex(type(obj), "class", index)
        if c is None:
            return {"t": "object"}
        if isinstance(obj.name, str) and type(obj).__members__.get(obj.name) is obj:
            return {"t": "enum", "c": c, "name": obj.name}
        return {"t": "enum", "c": c, "value": self.slot(obj.value, index, ".value")}

    def reduce(self, index: int, obj: Any) -> Node:
        return reduce_object(self, index, obj)

    def document(self, root_slot: Any) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "types": self.out.types,
            "nodes": self.nodes,
            "root": root_slot,
            "attached": self.out.attachments,
        }
