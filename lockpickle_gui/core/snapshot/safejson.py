"""JSON in and out of a snapshot: one strict parser for the manifest, state.json and the
models' config.json.

Reading refuses, each as its own error before the work it would cost:
  * text that is not strict UTF-8 (``json.loads(bytes)`` would also take UTF-16/32) or
    starts with a byte order mark;
  * integer literals longer than ``max_int_literal_chars`` (``json`` calls ``int()`` on the
    literal: quadratic below CPython's digit limit, a ValueError above it);
  * ``NaN``/``Infinity`` tokens and float literals that overflow to infinity;
  * duplicate object keys (``json`` keeps the last one silently; another tool would show
    the first);
  * nesting deeper than ``max_json_depth`` (the C scanner itself stops at the interpreter's
    recursion limit with a RecursionError; the depth is then measured without recursion).
Writing is compact ASCII without NaN.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lockpickle_gui.core.errors import BudgetExceeded, CorruptSnapshot
from lockpickle_gui.core.snapshot.budgets import DEFAULT, Budgets

_REEXPORT = "The file was damaged, truncated or edited; export the snapshot again."


def loads(
    data: bytes | bytearray | memoryview, what: str, path: Any, budgets: Budgets = DEFAULT
) -> Any:
    """Parse ``data`` (the member named ``what``) or raise CorruptSnapshot/BudgetExceeded."""
    raw = bytes(data)
    if raw[:3] == b"\xef\xbb\xbf":
        raise _corrupt(what, "a UTF-8 byte order mark", path)
    try:
        text = raw.decode("utf-8", "strict")
    except UnicodeDecodeError as error:
        raise _corrupt(
            what, f"bytes that are not UTF-8 ({error.reason} at {error.start})", path
        ) from None

    def parse_int(literal: str) -> int:
        if len(literal) > budgets.max_int_literal_chars:
            raise _Refused(
                BudgetExceeded(
                    f"Expected integers of at most {budgets.max_int_literal_chars} characters "
                    f"in {what}. Received: one of {len(literal)} characters.",
                    path=path,
                    hint=_REEXPORT,
                )
            )
        return int(literal)

    def parse_float(literal: str) -> float:
        value = float(literal[:64]) if len(literal) <= 64 else math.inf
        if not math.isfinite(value):
            raise _Refused(_corrupt(what, f"the number {literal[:40]} (not finite)", path))
        return value

    def parse_constant(token: str) -> float:
        raise _Refused(_corrupt(what, f"the token {token} (JSON has no NaN or Infinity)", path))

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            twice = next(key for key, _ in items if key in seen or seen.add(key))  # type: ignore[func-returns-value]
            raise _Refused(_corrupt(what, f"the key {twice[:60]!r} twice in one object", path))
        return result

    try:
        value = json.loads(
            text,
            parse_int=parse_int,
            parse_float=parse_float,
            parse_constant=parse_constant,
            object_pairs_hook=pairs,
        )
    except _Refused as refused:
        raise refused.error from None
    except RecursionError:
        raise _too_deep(what, path, budgets) from None
    except ValueError as error:  # JSONDecodeError
        raise _corrupt(what, f"text that is not JSON ({error})", path) from None
    if depth_exceeds(value, budgets.max_json_depth):
        raise _too_deep(what, path, budgets)
    return value


def dumps(value: Any, *, indent: int | None = None) -> bytes:
    """ASCII JSON (lone surrogates survive as escapes), no NaN; compact unless ``indent``."""
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(
        value, ensure_ascii=True, allow_nan=False, indent=indent, separators=separators
    ).encode("ascii")


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/dicts deeper than ``limit`` (iterative)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if type(item) is dict:
            stack.extend(
                (child, depth + 1) for child in item.values() if type(child) in (dict, list)
            )
        elif type(item) is list:
            stack.extend((child, depth + 1) for child in item if type(child) in (dict, list))
    return False


class _Refused(Exception):
    """Carries our error out of json's hooks (json would wrap a ValueError)."""

    def __init__(self, error: CorruptSnapshot) -> None:
        super().__init__(str(error))
        self.error = error


def _corrupt(what: str, received: str, path: Any) -> CorruptSnapshot:
    return CorruptSnapshot(
        f"Expected {what} to be strict JSON. Received: {received}.", path=path, hint=_REEXPORT
    )


def _too_deep(what: str, path: Any, budgets: Budgets) -> BudgetExceeded:
    return BudgetExceeded(
        f"Expected {what} nested at most {budgets.max_json_depth} levels deep. Received: "
        "deeper nesting.",
        path=path,
        hint=_REEXPORT,
    )
