"""The inspector's result: a tree of :class:`Node` objects carrying :class:`Annotation` s.

Plain data, built by :mod:`.walker` (from live objects) or by the snapshot's manifest view
(from a file). Nothing here imports Keras or runs user code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypedDict

# What the tree shows of a Keras layer or model (unknowns are None): the inspector reads it
# from the live layer, the snapshot's view from the manifest, a config-only project from the
# file. "class" is a keyword, hence the functional form.
LayerSummary = TypedDict(
    "LayerSummary",
    {
        "class": str,
        "output_shape": Any,  # JSON-able: a list of int|None, or lists/dicts of those
        "params": "int | None",
        "trainable": "bool | None",
        "dtype": "str | None",
    },
)


@dataclass(eq=False)
class Annotation:
    """A lock-like or unrestorable object (or a layer problem) found at ``path``."""

    path: str
    kind: str
    state: str
    held: bool
    action: str
    detail: str
    obj: Any = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "state": self.state,
            "held": self.held,
            "action": self.action,
            "detail": self.detail,
        }

    def add_detail(self, sentence: str) -> None:
        self.detail = f"{self.detail}; {sentence}" if self.detail else sentence


@dataclass(eq=False)
class Node:
    """One object in the tree: the root, a model, a layer, a plain object or a container."""

    name: str
    path: str
    type: str
    role: str  # "object" | "model" | "layer" | "attribute" (a container)
    keras: LayerSummary | None = None  # for models and layers
    annotations: list[Annotation] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)
    shared_with: str | None = None
    obj: Any = field(default=None, repr=False)
    truncated: bool = False  # reached at max_depth and not opened: its contents are unknown

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "type": self.type,
            "role": self.role,
            "keras": dict(self.keras) if self.keras is not None else None,
            "annotations": [a.to_dict() for a in self.annotations],
            "shared_with": self.shared_with,
            "truncated": self.truncated,
            "children": [c.to_dict() for c in self.children],
        }

    def walk(self) -> Iterator[Node]:
        """Every node of the subtree, pre-order, self first."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def iter_annotations(self) -> Iterator[Annotation]:
        for node in self.walk():
            yield from node.annotations

    def lock_count(self) -> int:
        return sum(len(node.annotations) for node in self.walk())

    def find(self, path: str) -> Node | None:
        for node in self.walk():
            if node.path == path:
                return node
        return None


def type_name(obj: Any) -> str:
    """``module.Qualname`` of ``obj``'s type."""
    tp = type(obj)
    return f"{tp.__module__}.{tp.__qualname__}"
