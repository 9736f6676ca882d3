"""The one table of threading primitives and unrestorable objects.

Each :class:`PrimitiveKind` says how to recognise an object and how to describe it for
people (state, held or not), what a snapshot does with it (``recreate`` / ``keep`` /
``block``) and which parameters it records. The inspector (:mod:`.walker`), the snapshot's
plan, encoder and verification read this table; nothing else in the code base should test
``isinstance(x, threading.Lock)`` on its own. (The loader builds the fresh objects from
the stored state: ``core.snapshot.state.create``.)

Actions:
    recreate  a fresh object of the same kind, unlocked (a held lock comes back free)
    keep      data-like state is carried over (an Event's flag, a semaphore's value, a
              Queue's items) in a fresh object
    block     cannot be restored (open files, sockets, threads, generators, busy executors,
              lambdas, weak references): export refuses it unless a policy drops it

The action may depend on the object's state: an idle ThreadPoolExecutor is recreated
(same max_workers and thread name prefix), one with work in flight blocks.
"""

from __future__ import annotations

import concurrent.futures
import io
import queue
import re
import socket
import threading
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RECREATE = "recreate"
KEEP = "keep"
BLOCK = "block"

# The stdlib's private state read below (a pure-Python RLock's owner, a Condition's lock,
# a BoundedSemaphore's bound, a Barrier's timeout) is missing from typeshed's stubs, which
# declare only the public API: hence the few targeted ignores.
_PY_RLOCK = threading._PyRLock  # type: ignore[attr-defined]
LOCK_TYPE = type(threading.Lock())
RLOCK_TYPES: tuple[type, ...] = tuple({type(threading.RLock()), _PY_RLOCK})
LOCAL_TYPE = threading.local
SIMPLE_QUEUE_TYPE = queue.SimpleQueue

_RLOCK_REPR = re.compile(r"owner=(\d+) count=(\d+)")


@dataclass(frozen=True)
class PrimitiveInfo:
    """What one object is, as people and snapshots see it."""

    kind: str
    action: str
    state: str
    held: bool = False
    detail: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # Lock-like objects this primitive is built on and that a snapshot must share with
    # other places (a Condition's lock). Keyed by parameter name.
    uses: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrimitiveKind:
    name: str
    matches: Callable[[Any], bool]
    describe: Callable[[Any], PrimitiveInfo]


# --------------------------------------------------------------------------- helpers


def _thread_name(ident: int) -> str:
    for thread in threading.enumerate():
        if thread.ident == ident:
            return thread.name
    return f"thread {ident}"


def rlock_owner(lock: Any) -> tuple[int, int]:
    """(owner thread ident, recursion count) of an RLock; (0, 0) when free."""
    if isinstance(lock, _PY_RLOCK):
        return (lock._owner or 0, lock._count)
    match = _RLOCK_REPR.search(repr(lock))
    if not match:  # pragma: no cover - a Python whose RLock repr changed
        return (0, 0)
    return int(match.group(1)), int(match.group(2))


def lock_is_held(lock: Any) -> bool:
    if isinstance(lock, LOCK_TYPE):
        return lock.locked()
    if isinstance(lock, RLOCK_TYPES):
        return rlock_owner(lock)[1] > 0
    return False


def _lock_state(held: bool) -> str:
    return "locked" if held else "unlocked"


# --------------------------------------------------------------------------- describe


def _describe_lock(obj: Any) -> PrimitiveInfo:
    held = obj.locked()
    return PrimitiveInfo(
        "Lock",
        RECREATE,
        _lock_state(held),
        held,
        "held now; a snapshot restores it free" if held else "",
    )


def _describe_rlock(obj: Any) -> PrimitiveInfo:
    owner, count = rlock_owner(obj)
    if count:
        state = f"held by {_thread_name(owner)} ({count}x)"
        return PrimitiveInfo("RLock", RECREATE, state, True, "a snapshot restores it free")
    return PrimitiveInfo("RLock", RECREATE, "unlocked", False)


def _describe_condition(obj: threading.Condition) -> PrimitiveInfo:
    inner = obj._lock  # type: ignore[attr-defined]
    inner_kind = "RLock" if isinstance(inner, RLOCK_TYPES) else "Lock"
    held = lock_is_held(inner)
    waiters = len(getattr(obj, "_waiters", ()))
    state = f"on {inner_kind}, {_lock_state(held)}, {waiters} waiting"
    return PrimitiveInfo(
        "Condition", RECREATE, state, held, params={"lock_kind": inner_kind}, uses={"lock": inner}
    )


def _describe_semaphore(obj: threading.Semaphore) -> PrimitiveInfo:
    value = obj._value
    if isinstance(obj, threading.BoundedSemaphore):
        bound = obj._initial_value  # type: ignore[attr-defined]
        held = value < bound
        return PrimitiveInfo(
            "BoundedSemaphore",
            KEEP,
            f"value {value} of {bound}",
            held,
            "restored to its bound" if held else "",
            params={"value": bound},
        )
    return PrimitiveInfo("Semaphore", KEEP, f"value {value}", False, params={"value": value})


def _describe_event(obj: threading.Event) -> PrimitiveInfo:
    flag = obj.is_set()
    return PrimitiveInfo("Event", KEEP, "set" if flag else "clear", False, params={"flag": flag})


def _describe_barrier(obj: threading.Barrier) -> PrimitiveInfo:
    state = f"{obj.parties} parties, {obj.n_waiting} waiting" + (", broken" if obj.broken else "")
    return PrimitiveInfo(
        "Barrier",
        RECREATE,
        state,
        obj.n_waiting > 0,
        params={"parties": obj.parties, "timeout": obj._timeout},  # type: ignore[attr-defined]
    )


def _describe_queue(obj: queue.Queue[Any]) -> PrimitiveInfo:
    held = obj.mutex.locked()
    size = obj.qsize()
    bound = f" of {obj.maxsize}" if obj.maxsize > 0 else ""
    return PrimitiveInfo(
        type(obj).__name__,
        KEEP,
        f"{size}{bound} items",
        held,
        params={"maxsize": obj.maxsize, "unfinished_tasks": obj.unfinished_tasks},
    )


def _describe_simple_queue(obj: queue.SimpleQueue[Any]) -> PrimitiveInfo:
    return PrimitiveInfo("SimpleQueue", KEEP, f"{obj.qsize()} items", False)


def _describe_local(obj: threading.local) -> PrimitiveInfo:
    return PrimitiveInfo(
        "local",
        RECREATE,
        "per-thread data",
        False,
        "restored empty: thread-local data belongs to threads of this process",
    )


def _describe_executor(obj: concurrent.futures.ThreadPoolExecutor) -> PrimitiveInfo:
    threads = len(obj._threads)
    idle_threads = obj._idle_semaphore._value
    pending = obj._work_queue.qsize()  # a SimpleQueue: no peeking
    busy = max(0, threads - idle_threads)
    params = {
        "max_workers": obj._max_workers,
        "thread_name_prefix": obj._thread_name_prefix,
    }
    if obj._shutdown:
        return PrimitiveInfo(
            "ThreadPoolExecutor", BLOCK, "shut down", False, "a shut-down executor runs nothing"
        )
    if obj._initializer is not None:
        return PrimitiveInfo(
            "ThreadPoolExecutor",
            BLOCK,
            "with an initializer",
            False,
            "its initializer is code a snapshot does not store; create the executor after loading",
        )
    if pending or busy:
        state = f"busy: {busy} of {threads} thread(s) running work, {pending} item(s) pending"
        return PrimitiveInfo(
            "ThreadPoolExecutor",
            BLOCK,
            state,
            False,
            "an executor with work in flight: a snapshot would lose it; wait for it to finish",
            params=params,
        )
    return PrimitiveInfo(
        "ThreadPoolExecutor",
        RECREATE,
        f"idle, {threads} thread(s)",
        False,
        "idle: recreated empty with the same max_workers and thread_name_prefix (its threads "
        "start on the first submit)",
        params=params,
    )


def _describe_thread(obj: threading.Thread) -> PrimitiveInfo:
    if obj.is_alive():
        state = "running"
    elif obj.ident is None:
        state = "not started"
    else:
        state = "finished"
    return PrimitiveInfo(
        "Thread",
        BLOCK,
        state,
        False,
        "a thread's stack cannot be saved",
        params={"name": obj.name, "daemon": obj.daemon},
    )


def _is_file(obj: Any) -> bool:
    # In-memory streams are data: a snapshot keeps their contents and position.
    return isinstance(obj, io.IOBase) and not isinstance(obj, (io.BytesIO, io.StringIO))


def _describe_file(obj: io.IOBase) -> PrimitiveInfo:
    name = getattr(obj, "name", None)
    closed = obj.closed
    state = ("closed" if closed else "open") + (f" {name!r}" if name is not None else "")
    return PrimitiveInfo("file", BLOCK, state, False, "an open file handle belongs to this process")


def _describe_socket(obj: socket.socket) -> PrimitiveInfo:
    state = "closed" if obj.fileno() == -1 else "open"
    return PrimitiveInfo("socket", BLOCK, state, False, "a connection cannot be saved")


def _describe_generator(obj: Any) -> PrimitiveInfo:
    kind = {
        types.GeneratorType: "generator",
        types.CoroutineType: "coroutine",
        types.AsyncGeneratorType: "async generator",
    }[type(obj)]
    return PrimitiveInfo(
        kind, BLOCK, getattr(obj, "__qualname__", kind), False, "a suspended frame cannot be saved"
    )


def _is_unnamed_function(obj: Any) -> bool:
    if not isinstance(obj, types.FunctionType):
        return False
    qualname = obj.__qualname__
    return "<lambda>" in qualname or "<locals>" in qualname


def _describe_function(obj: types.FunctionType) -> PrimitiveInfo:
    kind = "lambda" if "<lambda>" in obj.__qualname__ else "local function"
    return PrimitiveInfo(
        kind,
        BLOCK,
        f"{obj.__module__}.{obj.__qualname__}",
        False,
        "pickle can only save functions importable by name",
    )


WEAK_PROXY_TYPES = (weakref.ProxyType, weakref.CallableProxyType)


def _is_weak_reference(obj: Any) -> bool:
    # type() for proxies: isinstance would ask the referent's __class__ (a dead one raises).
    return type(obj) in WEAK_PROXY_TYPES or isinstance(obj, weakref.ReferenceType)


def _describe_weak_reference(obj: Any) -> PrimitiveInfo:
    if type(obj) not in WEAK_PROXY_TYPES:
        target = obj()
        state = "dead" if target is None else f"ref to a {type(target).__name__}"
    else:
        state = "proxy"
    return PrimitiveInfo(
        "weakref", BLOCK, state, False, "a weak reference points into this process's memory"
    )


WEAKREF = PrimitiveKind("weakref", _is_weak_reference, _describe_weak_reference)


# --------------------------------------------------------------------------- the table

# Order matters: subclasses before their bases (BoundedSemaphore before Semaphore), weak
# references first (a proxy passes isinstance checks of its referent's class).
KINDS: tuple[PrimitiveKind, ...] = (
    WEAKREF,
    PrimitiveKind("Lock", lambda o: isinstance(o, LOCK_TYPE), _describe_lock),
    PrimitiveKind("RLock", lambda o: isinstance(o, RLOCK_TYPES), _describe_rlock),
    PrimitiveKind("Condition", lambda o: isinstance(o, threading.Condition), _describe_condition),
    PrimitiveKind(
        "BoundedSemaphore",
        lambda o: isinstance(o, threading.BoundedSemaphore),
        _describe_semaphore,
    ),
    PrimitiveKind("Semaphore", lambda o: isinstance(o, threading.Semaphore), _describe_semaphore),
    PrimitiveKind("Event", lambda o: isinstance(o, threading.Event), _describe_event),
    PrimitiveKind("Barrier", lambda o: isinstance(o, threading.Barrier), _describe_barrier),
    # Queue subclasses (PriorityQueue, LifoQueue, user subclasses) keep their own class name;
    # the snapshot recreates them from their class and re-puts the items.
    PrimitiveKind("Queue", lambda o: isinstance(o, queue.Queue), _describe_queue),
    PrimitiveKind(
        "SimpleQueue", lambda o: isinstance(o, SIMPLE_QUEUE_TYPE), _describe_simple_queue
    ),
    PrimitiveKind("local", lambda o: isinstance(o, LOCAL_TYPE), _describe_local),
    PrimitiveKind(
        "ThreadPoolExecutor",
        lambda o: isinstance(o, concurrent.futures.ThreadPoolExecutor),
        _describe_executor,
    ),
    PrimitiveKind("Thread", lambda o: isinstance(o, threading.Thread), _describe_thread),
    PrimitiveKind("file", _is_file, _describe_file),
    PrimitiveKind("socket", lambda o: isinstance(o, socket.socket), _describe_socket),
    PrimitiveKind(
        "generator",
        lambda o: isinstance(
            o, (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
        ),
        _describe_generator,
    ),
    PrimitiveKind("function", _is_unnamed_function, _describe_function),
)

# Types that can never be a primitive: lets the graph walker skip the table quickly.
_PLAIN_TYPES = (int, float, complex, str, bytes, bool, type(None))


def kind_of(obj: Any) -> PrimitiveKind | None:
    """The table row for ``obj``, or None when it is ordinary data."""
    if type(obj) in WEAK_PROXY_TYPES:  # before isinstance: a dead proxy raises ReferenceError
        return WEAKREF
    if isinstance(obj, _PLAIN_TYPES):
        return None
    for kind in KINDS:
        if kind.matches(obj):
            return kind
    return None


def describe(obj: Any) -> PrimitiveInfo | None:
    """Describe ``obj`` if it is a primitive or unrestorable object, else None."""
    kind = kind_of(obj)
    return kind.describe(obj) if kind is not None else None
