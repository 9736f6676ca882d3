"""A snapshot's tree from its manifest alone: what ``lockpickle inspect SNAP`` shows when the
code it would need is not trusted. No model is built and nothing is imported.

The tree is a :class:`~lockpickle_gui.core.inspect.Node` like ``inspect`` returns: the root
(its type as recorded), one node per stored model at its recorded path, and every primitive
and dropped object as an annotation on the deepest node whose path contains it. Paths are
split by the one path grammar (``core.inspect.paths``).
"""

from __future__ import annotations

from typing import Any

from lockpickle_gui.core.inspect import Annotation, Node
from lockpickle_gui.core.inspect.paths import is_prefix, last_step
from lockpickle_gui.core.inspect.tree import LayerSummary
from lockpickle_gui.core.snapshot.manifest import Manifest
from lockpickle_gui.core.snapshot.manifest_io import parse_manifest


def _owner(nodes: dict[str, Node], path: str, root: Node) -> Node:
    best = root
    for node_path, node in nodes.items():
        if node_path != path and is_prefix(node_path, path) and len(node_path) > len(best.path):
            best = node
    return best


def manifest_tree(manifest: Manifest | dict[str, Any]) -> Node:
    """The manifest's models, primitives and dropped objects as a Node tree."""
    if isinstance(manifest, dict):
        manifest = parse_manifest(manifest, None)
    root = Node(name="root", path="root", type=manifest.root, role="object")
    nodes: dict[str, Node] = {"root": root}
    for index, entry in enumerate(manifest.models):
        keras: LayerSummary = {
            "class": entry.cls.rpartition(".")[2],
            "output_shape": None,
            "params": entry.params,
            "trainable": entry.trainable,
            "dtype": None,
        }
        if entry.path == "root":
            root.role, root.keras = "model", keras
            continue
        parent = _owner(nodes, entry.path, root)
        node = Node(
            name=last_step(entry.path, entry.name or str(index)),
            path=entry.path,
            type=entry.cls,
            role="model",
            keras=keras,
            parent=parent,
        )
        parent.children.append(node)
        nodes[entry.path] = node
    for primitive in manifest.primitives:
        detail = primitive.restore
        if primitive.also_at:
            detail += "; also at " + ", ".join(primitive.also_at)
        _owner(nodes, primitive.path, root).annotations.append(
            Annotation(
                path=primitive.path,
                kind=primitive.kind,
                state=primitive.state,
                held=primitive.held_at_export,
                action="recreate",
                detail=detail,
            )
        )
    for dropped in manifest.dropped:
        _owner(nodes, dropped.path, root).annotations.append(
            Annotation(
                path=dropped.path,
                kind=dropped.kind,
                state=dropped.state,
                held=False,
                action="block",
                detail="dropped at export: comes back as None",
            )
        )
    return root
