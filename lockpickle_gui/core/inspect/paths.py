"""Paths into an object graph that are real Python: ``root.model.layers[2].lock``.

The inspector writes them (:func:`attr_path`, :func:`key_path`) and :func:`resolve_path`
follows them back with getattr and literal subscripts, never ``eval``. A path Python cannot
follow (a set element, a non-literal dict key, a non-identifier attribute) is written in
angle brackets, ``<set element of root.pending>``, and refused by :func:`resolve_path`.
"""

from __future__ import annotations

import ast
import keyword
import math
from typing import Any

from lockpickle_gui.core.errors import LockpickleError

_LITERAL_KEYS = (str, int, bytes, type(None))


def attr_path(path: str, name: str) -> str:
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"{path}.{name}"
    return f"<attribute {name!r} of {path}>"


def _is_literal_key(key: Any) -> bool:
    if isinstance(key, tuple):
        return all(_is_literal_key(k) for k in key)
    if type(key) is float:  # repr of a finite float reads back exactly; inf/nan do not parse
        return math.isfinite(key)
    return type(key) in _LITERAL_KEYS or isinstance(key, bool)


def safe_repr(value: Any, limit: int = 80) -> str:
    """One-line repr for tree labels, shortened; never raises."""
    try:
        text = " ".join(repr(value).split())
    except Exception:  # noqa: BLE001 - a broken __repr__ in user code must not stop the walk
        return f"<{type(value).__qualname__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def key_path(path: str, key: Any) -> tuple[str, str]:
    """(node name, path) of a dict value."""
    if _is_literal_key(key):
        text = f"[{key!r}]"  # exact: resolve_path reads it back
        return text, f"{path}{text}"
    text = f"[{safe_repr(key)}]"
    return text, f"<value for key {safe_repr(key)} of {path}>"


def resolve_path(root_obj: Any, path: str) -> Any:
    """The object at ``path`` ("root.a.b[3]['k']"), found by getattr/indexing, never eval().

    Only ``root``, attribute access and literal subscripts are accepted.
    """
    if path.startswith("<"):
        raise LockpickleError(
            f"Expected a path Python can follow. Received: {path!r}, which goes through a set "
            "element, a non-literal dict key or a non-identifier attribute.",
            hint="Reach the object through a list, a dict with str/int keys or an attribute.",
        )
    try:
        tree = ast.parse(path, mode="eval")
    except SyntaxError as error:
        raise LockpickleError(
            f"Expected a path like root.a.b[3]['k']. Received: {path!r} ({error.msg})."
        ) from None

    def follow(node: ast.AST) -> Any:
        if isinstance(node, ast.Name) and node.id == "root":
            return root_obj
        if isinstance(node, ast.Attribute):
            return getattr(follow(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            container = follow(node.value)
            try:
                key = ast.literal_eval(node.slice)
            except ValueError:
                raise LockpickleError(
                    f"Expected literal subscripts only. Received: {path!r}."
                ) from None
            return container[key]
        raise LockpickleError(
            f"Expected a path made of root, .attributes and [literal] subscripts. "
            f"Received: {path!r}."
        )

    try:
        return follow(tree.body)
    except (AttributeError, KeyError, IndexError, TypeError) as error:
        raise LockpickleError(
            f"Expected {path!r} to lead to an object. Received: {type(error).__name__}: {error}.",
            hint="The object graph changed since it was inspected; inspect it again.",
        ) from None
