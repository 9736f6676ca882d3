r"""The one grammar for paths into an object graph: ``root.model.layers[2].lock``.

    path   := ["root"] step*          (a path inside a model is relative: no "root")
    step   := "." NAME | "[" KEY "]"
    NAME   := a Python identifier
    KEY    := INT | STRING | LITERAL
    INT    := "0" | [1-9][0-9]*       (at most 9 digits)
    STRING := a str literal as repr() writes it: '...' or "..." with \\ \' \" \n \r \t
              \xHH \uHHHH \UHHHHHHHH escapes
    LITERAL:= any other Python literal the inspector writes for a dict key (a negative int,
              a float, bytes, None, True, False, a tuple of those)

Three readers share this grammar:

* the inspector writes paths (:func:`attr_path`, :func:`key_path`) and :func:`resolve_path`
  follows them back on the program's own objects with getattr and literal subscripts,
  never ``eval`` (a LITERAL key is read by ``ast.literal_eval`` of that key alone);
* a snapshot's manifest stores them for people (:func:`check_display_path`: the lexical
  form only, nothing is evaluated), and its tree view names nodes with :func:`last_step`;
* what a snapshot file asks the loader to *follow* must be a **strict** path
  (:func:`parse_strict`): NAME without a leading underscore (so never a dunder or a
  private attribute), INT, STRING, and nothing else.

A path Python cannot follow at all (a set element, a non-literal dict key, a
non-identifier attribute) is written in angle brackets, ``<set element of root.pending>``;
:func:`resolve_path` refuses it with a clear error.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from dataclasses import dataclass
from typing import Any

from lockpickle_gui.core.errors import LockpickleError

ROOT = "root"
MAX_PATH_CHARS = 4096
MAX_STEPS = 256
_LITERAL_KEYS = (str, int, bytes, type(None))
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PUBLIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_INT = re.compile(r"0|[1-9][0-9]{0,8}")
_ESCAPE = re.compile(r"\\(?:([\\'\"nrt])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class Step:
    """One step of a path: ``kind`` is "attr" (``.name``) or "item" (``[key]``)."""

    kind: str
    value: Any

    def text(self) -> str:
        if self.kind == "attr":
            return f".{self.value}"
        return f"[{self.value!r}]"


class PathError(LockpickleError):
    """A path that does not follow the grammar (or is not strict where it must be)."""


# ----------------------------------------------------------------------------- writing


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


def format_path(steps: list[Step], *, root: bool = True) -> str:
    return (ROOT if root else "") + "".join(step.text() for step in steps)


# ----------------------------------------------------------------------------- reading


def _split(text: str) -> tuple[bool, list[tuple[str, str]]]:
    """Lexical pass: (starts with root, [(kind, raw token)]); raises PathError."""
    if not isinstance(text, str) or len(text) > MAX_PATH_CHARS:
        raise PathError(
            f"Expected a path of at most {MAX_PATH_CHARS} characters. Received: "
            f"{type(text).__name__} of {len(text) if isinstance(text, str) else '?'}."
        )
    if text == ROOT or text.startswith((ROOT + ".", ROOT + "[")):
        position, rooted = len(ROOT), True
    else:
        position, rooted = 0, False
    tokens: list[tuple[str, str]] = []
    while position < len(text):
        if len(tokens) >= MAX_STEPS:
            raise PathError(f"Expected at most {MAX_STEPS} steps in a path. Received: more.")
        char = text[position]
        if char == ".":
            match = _NAME.match(text, position + 1)
            if match is None:
                raise _bad(text, position)
            tokens.append(("attr", match.group()))
            position = match.end()
        elif char == "[":
            end = _closing_bracket(text, position)
            tokens.append(("item", text[position + 1 : end]))
            position = end + 1
        else:
            raise _bad(text, position)
    return rooted, tokens


def _closing_bracket(text: str, start: int) -> int:
    """Index of the ``]`` closing the ``[`` at ``start``; quotes and nesting respected."""
    depth, quote, position = 0, "", start
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                if char != "]":
                    break
                return position
        position += 1
    raise _bad(text, start)


def _bad(text: str, position: int) -> PathError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return PathError(
        f"Expected a path like root.a.b[3]['k']. Received: {shown!r} (not understood at "
        f"character {position})."
    )


def _string(raw: str) -> str | None:
    """The str of a STRING token, or None when ``raw`` is not one (no eval)."""
    if len(raw) < 2 or raw[0] not in "'\"" or raw[-1] != raw[0]:
        return None
    body, quote = raw[1:-1], raw[0]
    out: list[str] = []
    position = 0
    while position < len(body):
        char = body[position]
        if char == "\\":
            match = _ESCAPE.match(body, position)
            if match is None:
                return None
            simple, *codes = match.groups()
            if simple is not None:
                out.append(_SIMPLE_ESCAPES[simple])
            else:
                code = int(next(c for c in codes if c is not None), 16)
                if code > 0x10FFFF:
                    return None
                out.append(chr(code))
            position = match.end()
        elif char == quote:
            return None  # an unescaped closing quote in the middle
        else:
            out.append(char)
            position += 1
    return "".join(out)


def _strict_key(raw: str) -> int | str | None:
    if _INT.fullmatch(raw):
        return int(raw)
    return _string(raw)


def parse_strict(text: str, *, relative: bool = True) -> list[Step]:
    """Steps of a strict path (a snapshot's model references and layer attachments).

    ``relative`` paths start with a step (``.layers[1]``); otherwise with ``root``.
    Raises :class:`PathError` for anything else: a leading underscore, a dunder, a
    literal other than a non-negative int or a str.
    """
    rooted, tokens = _split(text)
    if rooted == relative:
        where = "a step ('.name' or '[key]')" if relative else "'root'"
        raise PathError(f"Expected a path starting with {where}. Received: {text[:80]!r}.")
    steps = []
    for kind, raw in tokens:
        if kind == "attr":
            if not _PUBLIC_NAME.fullmatch(raw):
                raise PathError(
                    f"Expected public attribute names in a snapshot path (no leading "
                    f"underscore). Received: {text[:80]!r}."
                )
            steps.append(Step("attr", raw))
        else:
            key = _strict_key(raw)
            if key is None:
                raise PathError(
                    f"Expected [index] or ['key'] in a snapshot path. Received: {text[:80]!r}."
                )
            steps.append(Step("item", key))
    return steps


def check_display_path(text: str) -> str:
    """``text`` if it is a path the inspector may have written (lexical check only, nothing
    evaluated) or an angle-bracket description; raises :class:`PathError` otherwise."""
    if isinstance(text, str) and text.startswith("<") and text.endswith(">"):
        if len(text) > MAX_PATH_CHARS or any(ord(c) < 32 for c in text):
            raise PathError(f"Expected a printable path description. Received: {text[:80]!r}.")
        return text
    rooted, _tokens = _split(text)
    if not rooted:
        raise PathError(f"Expected a path starting with 'root'. Received: {text[:80]!r}.")
    return text


def shown_path(text: str) -> str:
    """``text`` if :func:`check_display_path` accepts it, else a printable, bounded
    description of it in angle brackets (a path through a very long dict key)."""
    try:
        return check_display_path(text)
    except PathError:
        printable = "".join(c if c.isprintable() else "?" for c in text[:200])
        return f"<path of {len(text)} characters starting {printable}>"


def last_step(path: str, fallback: str) -> str:
    """A node name for ``path``: its last step (``lock``, ``[3]``), else ``fallback``."""
    try:
        _rooted, tokens = _split(path)
    except PathError:
        return fallback
    if not tokens:
        return fallback
    kind, raw = tokens[-1]
    return raw if kind == "attr" else f"[{raw}]"


def is_prefix(owner: str, path: str) -> bool:
    """``owner`` is ``path`` or a path ``path`` continues (``root.a`` of ``root.a[1]``)."""
    return path == owner or (path.startswith(owner) and path[len(owner) : len(owner) + 1] in ".[")


# ----------------------------------------------------------------------------- following


def _literal_key(raw: str, path: str) -> Any:
    key = _strict_key(raw)
    if key is not None:
        return key
    try:
        return ast.literal_eval(raw)  # one key of the program's own path, length-bounded
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise PathError(f"Expected literal subscripts only. Received: {path!r}.") from None


def resolve_path(root_obj: Any, path: str) -> Any:
    """The object at ``path`` ("root.a.b[3]['k']"), found by getattr/indexing, never eval().

    For the program's own objects (the inspector's paths); a snapshot follows only strict
    paths, and only on Keras layers (``core.inspect.model_layers.resolve_layer``).
    """
    if isinstance(path, str) and path.startswith("<"):
        raise LockpickleError(
            f"Expected a path Python can follow. Received: {path!r}, which goes through a set "
            "element, a non-literal dict key or a non-identifier attribute.",
            hint="Reach the object through a list, a dict with str/int keys or an attribute.",
        )
    rooted, tokens = _split(path)
    if not rooted:
        raise PathError(f"Expected a path starting with 'root'. Received: {path!r}.")
    obj = root_obj
    try:
        for kind, raw in tokens:
            obj = getattr(obj, raw) if kind == "attr" else obj[_literal_key(raw, path)]
    except (AttributeError, KeyError, IndexError, TypeError) as error:
        raise LockpickleError(
            f"Expected {path!r} to lead to an object. Received: {type(error).__name__}: {error}.",
            hint="The object graph changed since it was inspected; inspect it again.",
        ) from None
    return obj
