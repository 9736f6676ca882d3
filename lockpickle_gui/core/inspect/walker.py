"""Walk an object graph (a Keras model, or a service around models) into a tree of nodes.

:func:`inspect` returns the root :class:`Node`. Layers appear in Keras' order as
``.layers[i]``; ordinary objects through their attributes (:mod:`.attributes`), dict items
(``['key']``) and sequence items (``[i]``). Every lock-like or unrestorable object (see
:mod:`.primitives`)
becomes an :class:`Annotation` on the node owning the attribute that holds it, with a
``path`` that is real Python: ``resolve_path(root_obj, annotation.path) is annotation.obj``.

Readability rules: without ``show_internal``, nodes of plain objects and containers are kept
only when they lead to a model, a layer or an annotation; Keras/TensorFlow internals
(trackers, variables, ``_``-prefixed Keras attributes, dtype policies) are skipped. The same
object reached twice is described once, at its first path; later occurrences are stub
nodes whose ``shared_with`` names that path. A visited set makes cycles harmless and
``max_depth`` bounds the walk; each object is visited once, so the cost is linear. An object
the walk reaches at ``max_depth`` but does not open (it holds more than scalars) is kept in
the tree with ``truncated=True``: what lies below it (a lock, a model) was not looked at,
although a snapshot still saves it.

Paths that Python cannot index (a set element, a dict key that is not a literal, an
attribute whose name is not an identifier) are written in angle brackets, e.g.
``<set element of root.pending>``; :func:`resolve_path` (from :mod:`.paths`) refuses them
with a clear error.
"""

from __future__ import annotations

import collections
import functools
import sys
import types
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.inspect import primitives
from lockpickle_gui.core.inspect.attributes import attributes, callable_parts, has_instance_dict
from lockpickle_gui.core.inspect.keras_adapter import KerasContext, is_framework_type
from lockpickle_gui.core.inspect.paths import attr_path, key_path, resolve_path
from lockpickle_gui.core.inspect.self_pickling import (
    is_user_class,
    mark_handled,
    pickling_method,
    reduces_itself,
)
from lockpickle_gui.core.inspect.tree import Annotation, Node, type_name

__all__ = ["Annotation", "Node", "inspect", "resolve_path", "type_name", "DEFAULT_MAX_DEPTH"]

_SCALARS = (int, float, complex, str, bytes, bytearray, bool, type(None), range, slice)
_NOT_WALKED = (
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.CodeType,
    types.FrameType,
    property,
    staticmethod,
    classmethod,
)
_SEQUENCES = (list, tuple, collections.deque)
_SETS = (set, frozenset)
DEFAULT_MAX_DEPTH = 64


def _is_scalar(obj: Any) -> bool:
    # A weak proxy first: isinstance() on a dead one raises ReferenceError.
    return type(obj) not in primitives.WEAK_PROXY_TYPES and isinstance(obj, _SCALARS)


# --------------------------------------------------------------------------- the walker


class _Walker:
    def __init__(self, show_internal: bool, max_depth: int):
        self.show_internal = show_internal
        self.max_depth = max_depth
        self.keras = KerasContext()
        self.first_node: dict[int, Node] = {}  # id -> node of the first occurrence
        self.first_annotation: dict[int, Annotation] = {}  # id -> annotation of a primitive
        self.users: list[tuple[Annotation, Any]] = []  # (annotation, object it is built on)
        self.kind_cache: dict[type, primitives.PrimitiveKind | None] = {}
        self.kept: dict[int, bool] = {}

    # -- primitives ---------------------------------------------------------

    def kind_of(self, obj: Any) -> primitives.PrimitiveKind | None:
        tp = type(obj)
        if tp is types.FunctionType:  # lambdas/local functions: depends on the instance
            return primitives.kind_of(obj)
        try:
            return self.kind_cache[tp]
        except KeyError:
            kind = self.kind_cache[tp] = primitives.kind_of(obj)
            return kind

    def annotate(self, owner: Node, obj: Any, path: str, kind: primitives.PrimitiveKind) -> None:
        info = kind.describe(obj)
        note = Annotation(path, info.kind, info.state, info.held, info.action, info.detail, obj)
        owner.annotations.append(note)
        self.first_annotation[id(obj)] = note
        for used in info.uses.values():
            self.users.append((note, used))

    # -- nodes --------------------------------------------------------------

    def new_node(self, obj: Any, name: str, path: str, parent: Node | None, role: str) -> Node:
        node = Node(name=name, path=path, type=type_name(obj), role=role, parent=parent, obj=obj)
        if parent is not None:
            parent.children.append(node)
        return node

    def role_of(self, obj: Any) -> str:
        if self.keras.is_model(obj):
            return "model"
        if self.keras.is_layer(obj):
            return "layer"
        if isinstance(obj, (dict, *_SEQUENCES, *_SETS)):
            return "attribute"
        return "object"

    def visit(
        self, obj: Any, name: str, path: str, parent: Node, depth: int, in_keras: bool = False
    ) -> None:
        """Add ``obj`` under ``parent``: an annotation, a node, a stub, or nothing."""
        if _is_scalar(obj):
            if self.show_internal:
                self.new_node(obj, name, path, parent, "attribute")
            return
        kind = self.kind_of(obj)
        if kind is not None:
            if in_keras and kind.name == "function":
                return  # Keras serializes its layers' functions itself (activations, build)
            first = self.first_annotation.get(id(obj))
            if first is not None:
                stub = self.new_node(obj, name, path, parent, "attribute")
                stub.shared_with = first.path
                first.add_detail(f"also at {path}")
            else:
                self.annotate(parent, obj, path, kind)
            return
        first_node = self.first_node.get(id(obj))
        if first_node is not None:
            stub = self.new_node(obj, name, path, parent, self.role_of(obj))
            stub.shared_with = first_node.path
            stub.keras = first_node.keras
            return
        if self.keras.is_layer(obj):
            self.visit_layer(obj, name, path, parent, depth)
        elif isinstance(obj, dict):
            node = self.remember(obj, name, path, parent, "attribute")
            if not self.stops_at(node, depth, list(obj.values()), in_keras):
                for key, value in list(obj.items()):
                    key_name, value_path = key_path(path, key)
                    self.visit(value, key_name, value_path, node, depth + 1, in_keras)
        elif isinstance(obj, _SEQUENCES):
            node = self.remember(obj, name, path, parent, "attribute")
            if not self.stops_at(node, depth, list(obj), in_keras):
                for index, value in enumerate(list(obj)):
                    self.visit(value, f"[{index}]", f"{path}[{index}]", node, depth + 1, in_keras)
        elif isinstance(obj, _SETS):
            node = self.remember(obj, name, path, parent, "attribute")
            if not self.stops_at(node, depth, list(obj), in_keras):
                for value in list(obj):
                    self.visit(
                        value, "set element", f"<set element of {path}>", node, depth + 1, in_keras
                    )
        elif not in_keras and isinstance(obj, (types.MethodType, functools.partial)):
            # A callback (svc.handle, partial(f, lock=...)) carries its object and arguments:
            # pickle saves them, so their locks belong in the tree.
            node = self.remember(obj, name, path, parent, "object")
            parts = callable_parts(obj)
            if not self.stops_at(node, depth, (value for _, value in parts)):
                for attr, value in parts:
                    self.visit(value, attr, f"{path}.{attr}", node, depth + 1)
        elif self.walkable(obj):
            node = self.remember(obj, name, path, parent, "object")
            framework = is_framework_type(type(obj))  # (show_internal): no function noise
            if not self.stops_at(node, depth, (value for _, value in attributes(obj)), framework):
                self.visitattributes(obj, path, node, depth, in_keras=framework)
                if not framework and pickling_method(type(obj)) is not None:
                    mark_handled(node, attributes(obj))
        elif self.show_internal:
            self.remember(obj, name, path, parent, "attribute")

    def stops_at(
        self, node: Node, depth: int, contents: Iterable[Any], in_keras: bool = False
    ) -> bool:
        """True when ``node`` is at ``max_depth``: it is not opened, and marked ``truncated``
        when it holds something the walk would have shown (see :meth:`leads_somewhere`)."""
        if depth < self.max_depth:
            return False
        node.truncated = any(self.leads_somewhere(value, in_keras) for value in contents)
        return True

    def leads_somewhere(self, value: Any, in_keras: bool) -> bool:
        """One level of look-ahead: could ``value`` add to the tree (a primitive, a layer, an
        object or a container of non-scalars)? Cheap, and only asked at ``max_depth``."""
        if self.show_internal:
            return True
        if _is_scalar(value):
            return False
        kind = self.kind_of(value)
        if kind is not None:
            return not (in_keras and kind.name == "function")
        if self.keras.is_layer(value):
            return True
        if isinstance(value, (dict, *_SEQUENCES, *_SETS)):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            return any(not _is_scalar(item) for item in items)
        if not in_keras and isinstance(value, (types.MethodType, functools.partial)):
            return True
        return self.walkable(value)

    def remember(self, obj: Any, name: str, path: str, parent: Node | None, role: str) -> Node:
        node = self.new_node(obj, name, path, parent, role)
        self.first_node[id(obj)] = node
        return node

    def walkable(self, obj: Any) -> bool:
        """Plain objects we look inside: not framework internals, not self-pickling types."""
        tp = type(obj)
        if isinstance(obj, _NOT_WALKED):
            return False
        if is_framework_type(tp):
            return self.show_internal
        # A library class with its own __reduce__ (loggers, enums, partials...) decides what
        # pickle saves: its internals are not the user's state. The program's own classes are
        # walked all the same (self_pickling marks what their pickling leaves out).
        if reduces_itself(tp):
            return self.show_internal or is_user_class(tp)
        return has_instance_dict(obj) or any("__slots__" in vars(c) for c in tp.__mro__)

    def visit_layer(
        self, layer: Any, name: str, path: str, parent: Node | None, depth: int
    ) -> None:
        node = self.remember(layer, name, path, parent, self.role_of(layer))
        node.keras = self.keras.summary(layer)
        for kind, state, detail in self.keras.problems(layer):
            node.annotations.append(
                Annotation(path, kind, state, False, primitives.BLOCK, detail, layer)
            )
        if depth >= self.max_depth:
            # Sublayers, or attributes the program set (public or primitives), were not seen.
            node.truncated = bool(
                self.keras.sublayers(layer) or self.keras.tracked_sublayers(layer)
            ) or any(
                self.layer_attribute_counts(attr, value) and self.leads_somewhere(value, True)
                for attr, value in attributes(layer)
            )
            return
        listed = set()
        for sub_name, suffix, sub in self.keras.sublayers(layer):
            listed.add(id(sub))
            self.visit(sub, sub_name, path + suffix, node, depth + 1, in_keras=True)
        self.visitattributes(layer, path, node, depth, in_keras=True, skip=listed)
        for sub_name, suffix, sub in self.keras.tracked_sublayers(layer):
            if id(sub) not in self.first_node:
                self.visit(sub, sub_name, path + suffix, node, depth + 1, in_keras=True)

    def visitattributes(
        self,
        obj: Any,
        path: str,
        node: Node,
        depth: int,
        *,
        in_keras: bool,
        skip: AbstractSet[int] = frozenset(),
    ) -> None:
        for attr, value in attributes(obj):
            if id(value) in skip or (in_keras and not self.layer_attribute_counts(attr, value)):
                continue
            self.visit(value, attr, attr_path(path, attr), node, depth + 1, in_keras)

    def layer_attribute_counts(self, attr: str, value: Any) -> bool:
        """Whether a Keras object's attribute is the program's state (walked) or Keras'."""
        if self.show_internal:
            return True
        kind = self.kind_of(value)
        if kind is not None and kind.name == "function":
            return False  # Keras serializes its layers' functions itself (activations, build)
        if attr.startswith("_") and kind is None:
            # Keras' own private attributes hold internals, never a threading primitive:
            # a primitive there was attached by the program (model._lock = Lock()).
            return False
        framework_internal = (
            not isinstance(value, (dict, *_SEQUENCES, *_SETS))
            and is_framework_type(type(value))
            and not self.keras.is_layer(value)
        )
        return not framework_internal

    # -- after the walk -----------------------------------------------------

    def link_shared_locks(self) -> None:
        """Say which Conditions share their lock with another place (or Condition)."""
        first_user: dict[int, Annotation] = {}
        for note, used in self.users:
            owner = self.first_annotation.get(id(used))
            if owner is not None:
                note.add_detail(f"shares {owner.path}")
                owner.add_detail(f"also the lock of {note.path}")
            elif id(used) in first_user:
                note.add_detail(f"shares its lock with {first_user[id(used)].path}")
            else:
                first_user[id(used)] = note

    def prune(self, node: Node) -> bool:
        """Keep models, layers, annotated nodes, and what leads to them (post-order)."""
        node.children = [child for child in node.children if self.prune(child)]
        if (
            self.show_internal
            or node.role in ("model", "layer")
            or node.annotations
            or node.children
            or node.truncated
        ):
            keep = True
        elif node.shared_with is not None:
            target = self.first_node.get(id(node.obj))
            # A primitive's stub is always kept; a cycle back to an unfinished ancestor is
            # kept only for models and layers.
            keep = target is None or self.kept.get(id(target), target.role in ("model", "layer"))
        else:
            keep = False
        self.kept[id(node)] = keep
        return keep


def inspect(obj: Any, *, show_internal: bool = False, max_depth: int = DEFAULT_MAX_DEPTH) -> Node:
    """Walk ``obj`` and return the root :class:`Node` of its tree (path ``root``)."""
    walker = _Walker(show_internal, max_depth)
    kind = walker.kind_of(obj)
    if kind is not None:  # inspecting a lone primitive: the root node carries it
        root = walker.new_node(obj, "root", "root", None, "object")
        walker.annotate(root, obj, "root", kind)
        walker.link_shared_locks()
        return root
    holder = Node(name="", path="", type="", role="object")
    try:
        walker.visit(obj, "root", "root", holder, 0)
        if not holder.children:  # a scalar or an opaque object: still a root node
            walker.new_node(obj, "root", "root", holder, walker.role_of(obj))
        root = holder.children[0]
        root.parent = None
        walker.link_shared_locks()
        walker.prune(root)
    except RecursionError:  # the walk recurses once per level: deep graphs hit Python's limit
        raise LockpickleError(
            f"Expected an object graph Python can walk {max_depth} levels deep. Received one "
            f"nested deeper than the recursion limit ({sys.getrecursionlimit()}) allows.",
            hint="Inspect with a smaller max_depth (--max-depth), e.g. the default 64.",
        ) from None
    return root
