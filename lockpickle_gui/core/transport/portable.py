"""``lp.portable(obj, lazy=...)``: an object graph with locks that any pickle-based engine
can carry (multiprocessing, concurrent.futures, joblib/loky, Dask, Ray, Ray Serve, Ray Tune).

* The snapshot is taken once, when :func:`portable` is called, so what cannot travel (an open
  file, a running thread) is refused at the call site, listing every path, not later inside
  the engine.
* **Eager** (``lazy=False``): unpickling gives the object itself, rebuilt with fresh locks.
  Right for multiprocessing, ProcessPoolExecutor, joblib, Ray tasks, actors and ``ray.put``.
* **Lazy** (``lazy=True``): unpickling gives a :class:`LazyRef` that loads on first use,
  caches, and pickles again as the very same bytes without loading. Right where the engine
  unpickles and re-pickles arguments on the way (Dask's scheduler, Ray Serve's ``.bind()``,
  Tune's ``param_space``), and wherever the receiver may not need the object at all.

Both forms keep ``copy.deepcopy`` cheap (it returns the same wrapper: Tune deep-copies its
configs) and give Dask a token from the content digest, so tokenising never loads anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, NoReturn

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.transport import codec
from lockpickle_gui.core.transport.payload import Payload


def arrive(payload: Payload) -> Any:
    """Unpickling an eager portable (module level: engines import it by name).

    A refusal (untrusted type, damaged bytes) does not raise here, inside the engine's
    unpickling, where Ray reports it as its own RaySystemError and a multiprocessing.Pool
    worker dies with the task never answered: the object arrives as :class:`Unavailable`,
    which raises the original error, with its type, on first use in your code."""
    try:
        if payload.register is not None:
            from lockpickle_gui.core.transport.registry import register_arrived

            register_arrived(payload)
        return codec.decode(payload)
    except LockpickleError as error:
        return Unavailable(payload, error)


def load(payload: Payload) -> Any:
    """Like :func:`arrive`, raising the refusal at once (for a :class:`LazyRef`'s first use)."""
    value = arrive(payload)
    if isinstance(value, Unavailable):
        value.reraise()
    return value


class Unavailable:
    """Stands for an object that arrived but could not be rebuilt here: any use raises the
    error that refused it (UntrustedCode, CorruptSnapshot, ...), naming where it came from.
    Pickling it sends the original bytes on, so a process that trusts it can still load it."""

    __slots__ = ("_payload", "_error")

    def __init__(self, payload: Payload, error: LockpickleError):
        object.__setattr__(self, "_payload", payload)
        object.__setattr__(self, "_error", error)

    def reraise(self) -> NoReturn:
        error: LockpickleError = self._error
        raise error.with_traceback(None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        self.reraise()

    def __setattr__(self, name: str, value: Any) -> None:
        self.reraise()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.reraise()

    def __reduce__(self) -> tuple[Any, ...]:
        return arrive, (self._payload,)

    def __repr__(self) -> str:
        return f"<Unavailable {self._payload.origin.type_name}: {type(self._error).__name__}>"


def arrive_lazy(payload: Payload) -> LazyRef:
    """Unpickling a lazy portable: nothing is loaded yet."""
    return LazyRef(payload)


class Portable:
    """What :func:`portable` returns on the sending side. ``.obj`` is the original object."""

    __slots__ = ("obj", "payload", "lazy")

    def __init__(self, obj: Any, payload: Payload, lazy: bool):
        self.obj, self.payload, self.lazy = obj, payload, lazy

    def __reduce__(self) -> tuple[Any, ...]:
        return (arrive_lazy if self.lazy else arrive), (self.payload,)

    def __copy__(self) -> Portable:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Portable:
        return self

    def __dask_tokenize__(self) -> tuple[str, str]:
        return ("lockpickle.portable", self.payload.digest)

    def __repr__(self) -> str:
        kind = "lazy" if self.lazy else "eager"
        return f"<portable {kind} {self.payload.origin.type_name}, {self.payload.nbytes:,} B>"


class LazyRef:
    """An arrived object that is loaded on first use (:meth:`get`, or any public attribute or a
    call, which are forwarded), then cached. Pickling sends the original bytes again, loaded
    or not. Private and special names are not forwarded, so engines probing a value
    (``hasattr(ref, "__dask_graph__")``, ``_repr_html_``) never trigger a load."""

    __slots__ = ("_payload", "_value", "_loaded", "_lock", "__weakref__")

    def __init__(self, payload: Payload):
        object.__setattr__(self, "_payload", payload)
        object.__setattr__(self, "_value", None)
        object.__setattr__(self, "_loaded", False)
        object.__setattr__(self, "_lock", threading.Lock())

    @property
    def loaded(self) -> bool:
        return bool(self._loaded)

    @property
    def payload(self) -> Payload:
        return self._payload  # type: ignore[no-any-return]

    def get(self) -> Any:
        """The object, loaded on the first call (once, whatever the number of threads)."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    object.__setattr__(self, "_value", load(self._payload))
                    object.__setattr__(self, "_loaded", True)
        return self._value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.get(), name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.get()(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return arrive_lazy, (self._payload,)

    def __copy__(self) -> LazyRef:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyRef:
        return self

    def __dask_tokenize__(self) -> tuple[str, str]:
        return ("lockpickle.portable", self._payload.digest)

    def __repr__(self) -> str:
        state = "loaded" if self._loaded else "not loaded"
        return f"<LazyRef {self._payload.origin.type_name} ({state})>"


def portable(
    obj: Any, lazy: bool = False, *, trust: Iterable[str] | None = None, label: str | None = None
) -> Portable:
    """Wrap ``obj`` so pickle-based engines can carry it (see the module docstring).

    ``trust``: the names the receiver may import to rebuild it (default: exactly what ``obj``
    holds); the receiver's own policy (``LOCKPICKLE_TRUST`` / ``lp.set_trust``) caps it.
    ``label`` names the object in errors on the other side.
    """
    if isinstance(obj, (Portable, LazyRef)):
        payload = obj.payload
        return (
            obj if isinstance(obj, Portable) and obj.lazy == lazy else Portable(obj, payload, lazy)
        )
    return Portable(obj, codec.encode(obj, trust=trust, label=label), lazy)
