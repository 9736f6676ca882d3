"""Writer side: an object of any other class, through the pickle protocol
(``copyreg.dispatch_table`` or ``__reduce_ex__(5)``), so a class keeps its own say over what
is stored (``__getstate__``, ``__getnewargs(_ex)__``, slots, list and dict items, its own
``__reduce__``) -- but only what a loader can rebuild from data under its trust rules is
written: ``obj`` (``cls.__new__`` plus state) or ``call`` (a class or a module-level
function called with arguments)."""

from __future__ import annotations

import copyreg
import re
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lockpickle_gui.core.snapshot.state.encoder import Encoder

Node = dict[str, Any]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def ident_dict(value: Any) -> bool:
    """A dict of attribute names (identifiers, no dunders): stored as ``attrs``."""
    return type(value) is dict and all(
        type(k) is str and _NAME.fullmatch(k) and not (k.startswith("__") and k.endswith("__"))
        for k in value
    )


def reduce_object(e: Encoder, index: int, obj: Any) -> Node:
    """The pickle protocol, restricted to what a loader can rebuild from data."""
    tp = type(obj)
    reducer = copyreg.dispatch_table.get(tp)
    rv = reducer(obj) if reducer is not None else obj.__reduce_ex__(5)
    e.keep.append(rv)
    if not isinstance(rv, tuple) or not 2 <= len(rv) <= 6:
        e.problem(
            index,
            f"{tp.__qualname__} reduces to {type(rv).__name__} {str(rv)[:40]!r}, not a class and arguments",
        )
        return {"t": "object"}
    fn, args = rv[0], rv[1]
    state, listitems, dictitems, setter = (list(rv[2:]) + [None] * 4)[:4]
    if setter is not None:
        e.problem(
            index,
            f"{tp.__qualname__}'s __reduce__ has a state setter, which a snapshot does not store",
        )
        return {"t": "object"}
    node: Node
    if fn is copyreg.__newobj__ or fn is copyreg.__newobj_ex__:  # type: ignore[attr-defined]
        cls = args[0]
        if cls is not tp:
            e.problem(index, f"{tp.__qualname__}.__reduce_ex__ names another class")
            return {"t": "object"}
        c = e.tindex(cls, "class", index)
        if c is None:
            return {"t": "object"}
        node = {"t": "obj", "c": c}
        new_args, new_kw = (args[1:], {}) if fn is copyreg.__newobj__ else (args[1], args[2])  # type: ignore[attr-defined]
        if new_args:
            node["new"] = [e.slot(v, index, f"<argument {i}>") for i, v in enumerate(new_args)]
        if new_kw:
            if not ident_dict(new_kw):
                e.problem(index, "__getnewargs_ex__ keyword names must be identifiers")
            node["kw"] = {k: e.slot(v, index, f"<argument {k}>") for k, v in new_kw.items()}
    elif isinstance(fn, type) or type(fn) is types.FunctionType:
        # A class' own __reduce__ returning (callable, args): the loader calls it only
        # when it is a trusted class or an explicitly trusted function.
        c = e.tindex(fn, "class" if isinstance(fn, type) else "function", index)
        if c is None:
            return {"t": "object"}
        node = {
            "t": "call",
            "c": c,
            "args": [e.slot(v, index, f"<argument {i}>") for i, v in enumerate(args)],
        }
    else:
        e.problem(
            index,
            f"{tp.__qualname__} reduces to {fn!r:.60}, which is not a class or a module-level function",
        )
        return {"t": "object"}
    if state is not None:
        if ident_dict(state):
            node["attrs"] = e.attrs(state, index)
        elif (
            type(state) is tuple
            and len(state) == 2
            and (state[0] is None or ident_dict(state[0]))
            and ident_dict(state[1])
        ):
            if state[0]:
                node["attrs"] = e.attrs(state[0], index)
            node["slots"] = e.attrs(state[1], index)
        else:
            node["state"] = e.slot(state, index, "<state>")
    if listitems is not None:
        node["list"] = [e.slot(v, index, f"[{i}]") for i, v in enumerate(listitems)]
    if dictitems is not None:
        node["dict"] = e.pairs(list(dictitems), index)
    return node
