"""Reader side: fill the mutable object of one node (created empty by ``create.py``) once
its contents are built. Items of dicts, sets and priority queues are checked before they are
hashed (``keys.py``); an object's state goes through its trusted ``__setstate__`` or, without
one, pickle's default BUILD minus what pickle lets a file do to a class; extending or
setting items runs only code of trusted classes (``trusted_code.check_code_owner``)."""

from __future__ import annotations

import collections
import copyreg
import queue
from typing import TYPE_CHECKING, Any

from lockpickle_gui.core.snapshot import trust, trusted_code
from lockpickle_gui.core.snapshot.state.validate import is_dunder
from lockpickle_gui.core.snapshot.state.values import QUEUE_OWN_ATTRIBUTES

if TYPE_CHECKING:
    from lockpickle_gui.core.snapshot.state.builder import Builder

BUILT_BY_CALL = ("obj", "call")


def fill(b: Builder, index: int, tag: str, node: dict[str, Any], obj: Any) -> None:
    """Fill the mutable object of node ``index`` (created empty) with its built contents."""
    val = b.val
    if tag == "list":
        obj.extend([val(s) for s in node["v"]])
    elif tag in ("dict", "OrderedDict", "Counter", "defaultdict"):
        items = node["items"]
        b.check_keys(items, pairs=True)
        setitem = collections.OrderedDict.__setitem__ if tag == "OrderedDict" else dict.__setitem__
        for k in range(0, len(items), 2):
            setitem(obj, val(items[k]), val(items[k + 1]))
        if tag == "defaultdict":
            obj.default_factory = val(node["factory"])
    elif tag == "set":
        b.check_keys(node["v"], pairs=False)
        obj.update([val(s) for s in node["v"]])
    elif tag == "deque":
        obj.extend([val(s) for s in node["v"]])
    elif tag == "namespace":
        obj.__dict__.update({k: val(s) for k, s in node["attrs"].items()})
    elif tag == "Queue":
        attrs = node.get("attrs", {})
        if QUEUE_OWN_ATTRIBUTES.intersection(attrs):
            raise b.fail(index, "queue attributes that leave the queue's own machinery alone")
        obj.__dict__.update({k: val(s) for k, s in attrs.items()})
        priority = isinstance(obj, queue.PriorityQueue)
        if priority:
            b.check_keys(node["items"], pairs=False)
        for slot in node["items"]:
            b.run_trusted(index, obj._put, val(slot))
        obj.unfinished_tasks = len(node["items"])
    elif tag == "SimpleQueue":
        for slot in node["items"]:
            obj.put(val(slot))
    elif tag in BUILT_BY_CALL:
        _fill_object(b, index, node, obj)


def _fill_object(b: Builder, index: int, node: dict[str, Any], obj: Any) -> None:
    val = b.val
    cls = type(obj)
    has_state = "state" in node or "attrs" in node or "slots" in node
    if (has_state or "list" in node or "dict" in node) and node["t"] == "call":
        module, qualname = getattr(cls, "__module__", "?"), getattr(cls, "__qualname__", "?")
        if not b.policy.trusts_by_user(module, qualname, "class"):
            raise trust.untrusted_code(
                [f"{module}:{qualname}"],
                b.path,
                b.policy,
                why="its state is set after the call",
            )
    if has_state:
        if "state" in node:
            state = val(node["state"])
        else:
            attrs = {k: val(s) for k, s in node["attrs"].items()} if "attrs" in node else None
            state = (
                (attrs, {k: val(s) for k, s in node["slots"].items()}) if "slots" in node else attrs
            )
        if trusted_code.code_owner(cls, "__setstate__") is not None:
            trusted_code.check_code_owner(cls, "__setstate__", b.policy, b.path)
            b.run_trusted(index, cls.__setstate__, obj, state)
        else:
            _default_build(b, index, obj, state)
    if "list" in node:
        trusted_code.check_code_owner(cls, "extend", b.policy, b.path)
        b.run_trusted(index, obj.extend, [val(s) for s in node["list"]])
    if "dict" in node:
        trusted_code.check_code_owner(cls, "__setitem__", b.policy, b.path)
        items = node["dict"]
        b.check_keys(items, pairs=True)
        for k in range(0, len(items), 2):
            b.run_trusted(index, obj.__setitem__, val(items[k]), val(items[k + 1]))


def _default_build(b: Builder, index: int, obj: Any, state: Any) -> None:
    """pickle's BUILD without __setstate__, minus what pickle lets a file do to a class."""
    slot_state = None
    if type(state) is tuple and len(state) == 2:
        state, slot_state = state
    if state is not None:
        if type(state) is not dict or not all(type(k) is str and not is_dunder(k) for k in state):
            raise b.fail(index, "state mapping attribute names (no dunders) to values")
        namespace = getattr(obj, "__dict__", None)
        if type(namespace) is not dict:
            raise b.fail(index, "an object with a __dict__ for its state")
        namespace.update(state)
    if slot_state is not None:
        # pickle's own list of a class' slots; typeshed leaves this private helper out
        allowed = set(copyreg._slotnames(type(obj)))  # type: ignore[attr-defined]
        if type(slot_state) is not dict:
            raise b.fail(index, "slot state as a dict")
        for name, value in slot_state.items():
            if type(name) is not str or name not in allowed or is_dunder(name):
                raise b.fail(
                    index, f"slot names of {type(obj).__qualname__}, not {str(name)[:40]!r}"
                )
            object.__setattr__(obj, name, value)
