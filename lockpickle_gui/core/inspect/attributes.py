"""What an object holds, read the way pickle reads it, without running the object's code.

:func:`attributes` lists an object's instance attributes (``__dict__``, then ``__slots__``
of every class of its MRO), :func:`callable_parts` what a bound method or a
``functools.partial`` carries. The inspector's walk (:mod:`.walker`) goes through these.
"""

from __future__ import annotations

import types
from typing import Any


def callable_parts(obj: Any) -> list[tuple[str, Any]]:
    """What a bound method or a functools.partial holds: its object, function and arguments."""
    if isinstance(obj, types.MethodType):
        return [("__self__", obj.__self__)]
    return [("func", obj.func), ("args", obj.args), ("keywords", obj.keywords)]


def _instance_dict(obj: Any) -> dict[str, Any] | None:
    """``vars(obj)``, or the raw ``__dict__`` (what pickle saves) when the object's own
    ``__getattribute__`` refuses it; None for objects without one."""
    try:
        namespace: dict[str, Any] = vars(obj)
        return namespace
    except Exception:  # noqa: BLE001 - TypeError (no __dict__) or an error from user code
        pass
    try:
        found = object.__getattribute__(obj, "__dict__")
    except Exception:  # noqa: BLE001 - no instance dict at all
        return None
    return found if isinstance(found, dict) else None


def has_instance_dict(obj: Any) -> bool:
    return _instance_dict(obj) is not None


def attributes(obj: Any) -> list[tuple[str, Any]]:
    """(name, value) of an object's instance attributes: ``__dict__`` then ``__slots__``.

    A slot whose reading raises in user code is not listed: inspecting must never run into
    user errors; pickling the object at export reports them.
    """
    found = _instance_dict(obj)
    items = list(found.items()) if found is not None else []
    seen = {name for name, _ in items}
    for cls in type(obj).__mro__:
        slots = vars(cls).get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot in ("__dict__", "__weakref__"):
                continue
            if slot.startswith("__") and not slot.endswith("__"):
                slot = f"_{cls.__name__.lstrip('_')}{slot}"
            if slot in seen:
                continue
            try:
                items.append((slot, getattr(obj, slot)))
            except Exception:  # noqa: BLE001 - an unset slot (AttributeError) or user code
                continue
            seen.add(slot)
    return items
