"""``lp.register(cls)``: instances of ``cls`` pickle through lockpickle wherever they go.

The registration is a ``copyreg`` entry, which every pickler consults: plain pickle,
multiprocessing's, loky's, cloudpickle (Ray, Dask). So ``pool.submit(fn, service)`` just
works without wrapping anything. Two details:

* The snapshot's own pickler consults the same ``copyreg`` table: while this thread is
  making a snapshot (``codec.encoding()``), the registered reducer hands back the ordinary
  reduction, so the object is saved instead of recursing into another snapshot.
* A registered object that arrives registers its class in the receiving process too (when
  the class loaded, so it was trusted), so a worker can send it back the same way.

:func:`setup_worker` installs a trust policy and registrations in a fresh process: use it as
a ``multiprocessing``/``ProcessPoolExecutor``/loky ``initializer``, a Ray
``worker_process_setup_hook`` or inside a Dask worker plugin (``engines.py``).
"""

from __future__ import annotations

import copyreg
import importlib
import os
import threading
from collections.abc import Iterable
from typing import Any

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.transport import codec, policy
from lockpickle_gui.core.transport.payload import Payload

REGISTER_ENV = "LOCKPICKLE_REGISTER"

_lock = threading.Lock()
# class -> (lazy, trust or None); what register() installed, so unregister() removes only ours
_registered: dict[type, tuple[bool, tuple[str, ...] | None]] = {}


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _reducer(obj: Any) -> tuple[Any, ...]:
    cls = type(obj)
    if codec.encoding():  # inside this thread's snapshot of it: save it, do not recurse
        return obj.__reduce_ex__(5)  # type: ignore[no-any-return]
    lazy, trust = _registered.get(cls, (False, None))
    from lockpickle_gui.core.transport.portable import arrive, arrive_lazy

    payload = codec.encode(obj, trust=trust, register=(qualified_name(cls), lazy))
    return (arrive_lazy if lazy else arrive), (payload,)


def register(cls: type, *, trust: Iterable[str] | None = None, lazy: bool = False) -> type:
    """Make every instance of ``cls`` pickle through a lock-safe snapshot (returns ``cls``, so
    it works as a decorator). ``trust`` and ``lazy`` as in :func:`lp.portable`."""
    if not isinstance(cls, type):
        raise LockpickleError(
            f"Expected a class to register. Received {type(cls).__name__} {cls!r}.",
            hint="Pass the class itself: lp.register(Service).",
        )
    with _lock:
        _registered[cls] = (bool(lazy), None if trust is None else tuple(str(t) for t in trust))
        copyreg.pickle(cls, _reducer)
    return cls


def unregister(cls: type) -> None:
    """Undo :func:`register` (pickling ``cls`` fails again on its locks)."""
    with _lock:
        if _registered.pop(cls, None) is not None and copyreg.dispatch_table.get(cls) is _reducer:
            del copyreg.dispatch_table[cls]


def registered() -> dict[str, bool]:
    """``{qualified class name: lazy}`` of this process' registrations."""
    with _lock:
        return {qualified_name(cls): lazy for cls, (lazy, _) in _registered.items()}


def _import_class(name: str) -> type:
    module_name, _, class_name = name.rpartition(".")
    value: Any = importlib.import_module(module_name)
    for part in class_name.split("."):
        value = getattr(value, part)
    if not isinstance(value, type):
        raise LockpickleError(f"Expected {name} to be a class. Received {type(value).__name__}.")
    return value


def register_arrived(payload: Payload) -> None:
    """An object registered by its sender arrived: register its class here too, once the
    policy lets it be loaded (decode() checks that first, so this only names trusted code)."""
    assert payload.register is not None
    name, lazy = payload.register
    codec.allowed_names(payload)  # refuses before anything is imported
    module_name = name.rpartition(".")[0]
    if not any(policy.matches(t, module_name) or policy.matches(t, name) for t in payload.trust):
        return
    cls = _import_class(name)
    with _lock:
        if cls in _registered:
            return
    register(cls, trust=payload.trust, lazy=lazy)


def setup_worker(
    trust: Iterable[str] | str | None = None, register_classes: Iterable[str | type] = ()
) -> None:
    """Prepare a worker process: the trust policy (``None``: leave ``LOCKPICKLE_TRUST`` in
    force) and registrations by class or qualified name (plus any named in
    ``LOCKPICKLE_REGISTER``). Picklable by reference: use it as an ``initializer``."""
    if trust is not None:
        policy.set_trust(trust)
    names = list(register_classes)
    names += [n for n in os.environ.get(REGISTER_ENV, "").replace(",", " ").split() if n]
    for item in names:
        register(item if isinstance(item, type) else _import_class(item))


def _setup_from_environment() -> None:
    """Ray's ``worker_process_setup_hook``: the policy and registrations from the environment."""
    setup_worker(None, ())
