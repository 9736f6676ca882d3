"""Lockpickle's own restore functions: the only lockpickle callables a state.pkl may name.

The restricted unpickler (``reader.py``) allows exactly the names in :data:`RESTORE_FUNCTIONS`
from this module. Each function builds a *fresh* object from plain data: nothing here
acquires a lock, starts a thread or imports a module named by the snapshot.

Primitives (locks, events, ...) arrive as persistent ids and are built by
:func:`build_primitive` through the one table in ``core/primitives.py``; queues arrive as
reduce tuples (their items are ordinary pickled state) and are rebuilt by
:func:`new_queue` + :func:`fill_queue`.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.inspect import primitives

# The attributes queue.Queue.__init__ sets; anything else in a subclass' __dict__ is the
# subclass' own state and travels with the items.
QUEUE_OWN_ATTRIBUTES = frozenset(
    {
        "maxsize",
        "mutex",
        "not_empty",
        "not_full",
        "all_tasks_done",
        "unfinished_tasks",
        "queue",
        "is_shutdown",
    }
)


def new_queue(cls: type, maxsize: int) -> queue.Queue:
    """An empty queue of ``cls`` (Queue, LifoQueue, PriorityQueue or a trusted subclass).

    The subclass' ``__init__`` is not called (its signature is unknown); ``Queue.__init__``
    makes the fresh mutex and conditions and calls the subclass' ``_init`` hook.
    """
    if not (isinstance(cls, type) and issubclass(cls, queue.Queue)) or type(maxsize) is not int:
        raise CorruptSnapshot(
            f"Expected a queue class and a maxsize. Received: {cls!r}, {maxsize!r}."
        )
    fresh = cls.__new__(cls)
    queue.Queue.__init__(fresh, maxsize)
    return fresh


def fill_queue(fresh: queue.Queue, state: dict) -> None:
    """Re-put the items in their stored order (a heap stays a heap, a stack a stack).

    ``unfinished_tasks`` becomes the number of items: the consumers that took items without
    calling ``task_done()`` belonged to the exporting process.
    """
    fresh.__dict__.update(state.get("attributes", {}))
    for item in state["items"]:
        fresh._put(item)  # type: ignore[attr-defined]
    fresh.unfinished_tasks = len(state["items"])


def new_simple_queue() -> queue.SimpleQueue:
    return queue.SimpleQueue()


def fill_simple_queue(fresh: queue.SimpleQueue, state: dict) -> None:
    for item in state["items"]:
        fresh.put(item)


RESTORE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "new_queue": new_queue,
    "fill_queue": fill_queue,
    "new_simple_queue": new_simple_queue,
    "fill_simple_queue": fill_simple_queue,
}

# kind name -> recreate(params, **uses); Queue kinds travel as reduce tuples instead.
_RECREATE = {
    kind.name: kind.recreate
    for kind in primitives.KINDS
    if kind.recreate is not None and kind.name not in ("Queue", "SimpleQueue")
}
PRIMITIVE_PID = "primitive"


def primitive_pid(index: int, kind: str, params: dict, uses: dict) -> tuple:
    """The persistent id of a primitive: self-contained, so its lock (a Condition's) can be
    built from the id itself wherever it is met first."""
    return (PRIMITIVE_PID, index, kind, params, uses)


def build_primitive(pid: Any, table: dict[int, Any], path=None) -> Any:
    """The fresh primitive for ``pid``; the same index always gives the same object."""
    if not (
        isinstance(pid, tuple)
        and len(pid) == 5
        and pid[0] == PRIMITIVE_PID
        and type(pid[1]) is int
        and isinstance(pid[3], dict)
        and isinstance(pid[4], dict)
    ):
        raise CorruptSnapshot(
            f"Expected a primitive id in state.pkl. Received: {pid!r}.",
            path=path,
            hint="The file was damaged or edited; export the snapshot again.",
        )
    _, index, kind, params, uses = pid
    if index in table:
        return table[index]
    recreate = _RECREATE.get(kind)
    if recreate is None:
        raise CorruptSnapshot(
            f"Expected a primitive kind lockpickle can recreate ({', '.join(sorted(_RECREATE))}). "
            f"Received: {kind!r}.",
            path=path,
            hint="The snapshot was written by a newer lockpickle_gui; upgrade to load it.",
        )
    shared = {name: build_primitive(used, table, path) for name, used in uses.items()}
    fresh = recreate(params, **shared)
    table[index] = fresh
    return fresh
