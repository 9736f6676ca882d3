"""Objects whose class decides its own pickling (``__reduce__``, ``__getstate__``).

A program's class that pickles itself (the LockManager recipe: ``__reduce__`` returns
``(LockManager, (count,))`` and the constructor makes fresh locks) is still walked, so its
models and locks stay in the tree; what its own pickling leaves out is marked "handled by
the class" instead of being reported as something a snapshot must recreate or refuse.
Classes of the standard library and of frameworks (loggers, enums, NumPy arrays, Keras
objects) keep being opaque: their internals are not the user's state.

Telling what is left out means calling the class's own ``__reduce_ex__`` once: the same
call ``pickle`` makes, which must not change the object. What it returns is looked at
shallowly (arguments, state, and the items of lists, tuples and dicts in them), by
identity: an attribute whose value is not among them is left out.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from lockpickle_gui.core.inspect.paths import attr_path, is_prefix
from lockpickle_gui.core.inspect.tree import Node

HANDLED = "handled"  # an annotation's action when the owning class's pickling deals with it
HANDLED_DETAIL = "handled by the class: its own pickling ({how}) leaves this out"
_STDLIB = frozenset(sys.stdlib_module_names) | {"builtins"}


def is_user_class(tp: type) -> bool:
    return (getattr(tp, "__module__", "") or "").partition(".")[0] not in _STDLIB


def _first_overridden(tp: type, names: tuple[str, ...]) -> str | None:
    for name in names:
        own = getattr(tp, name, None)
        if own is not None and own is not getattr(object, name, None):
            return name
    return None


def pickling_method(tp: type) -> str | None:
    """The special method through which ``tp`` pickles itself, or None for object's own."""
    return _first_overridden(tp, ("__reduce_ex__", "__reduce__", "__getstate__"))


def reduces_itself(tp: type) -> bool:
    """``tp`` has its own ``__reduce_ex__`` or ``__reduce__``: it tells pickle what to save."""
    return _first_overridden(tp, ("__reduce_ex__", "__reduce__")) is not None


def _shallow(values: Iterable[Any], into: set[int]) -> None:
    for value in values:
        into.add(id(value))
        if isinstance(value, dict):
            into.update(id(v) for v in value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            into.update(id(v) for v in value)


def kept_ids(obj: Any) -> set[int] | None:
    """Ids of what ``obj``'s own pickling keeps, or None when its ``__reduce_ex__`` fails."""
    try:
        reduced = obj.__reduce_ex__(5)
    except Exception:  # noqa: BLE001 - a failing __reduce__ is the user's; export reports it
        return None
    if not isinstance(reduced, tuple):
        return None
    kept: set[int] = set()
    parts = list(reduced[1:3])
    if len(reduced) > 2 and isinstance(reduced[2], tuple):  # (dict state, slots state)
        parts = [reduced[1], *reduced[2]]
    _shallow(parts, kept)
    return kept


def mark_handled(node: Node, attributes: list[tuple[str, Any]]) -> None:
    """Mark the annotations below the attributes ``node.obj``'s pickling leaves out
    (``attributes``: ``(name, value)`` as the walker saw them)."""
    method = pickling_method(type(node.obj))
    if method is None:
        return
    kept = kept_ids(node.obj)
    if kept is None:
        return
    how = f"{type(node.obj).__qualname__}.{method}"
    prefixes = [attr_path(node.path, name) for name, value in attributes if id(value) not in kept]
    for annotation in node.iter_annotations():
        if any(is_prefix(prefix, annotation.path) for prefix in prefixes):
            annotation.action = HANDLED
            annotation.detail = HANDLED_DETAIL.format(how=how) + (
                f"; {annotation.detail}" if annotation.detail else ""
            )
