"""A snapshot's tree from its manifest alone: what ``lockpickle inspect SNAP`` shows when
the code it would need is not trusted. No model is built and no pickle is run.

The tree is a :class:`~lockpickle_gui.core.inspect.Node` like ``graph.inspect`` returns: the
root (its type as recorded), one node per stored model at its recorded path, and every
primitive and dropped object as an annotation on the deepest node whose path contains it.
"""

from __future__ import annotations

import re

from lockpickle_gui.core.inspect import Annotation, Node

_LAST_STEP = re.compile(r"(\.[A-Za-z_][A-Za-z0-9_]*|\[[^\]]*\])$")


def _name(path: str, fallback: str) -> str:
    match = _LAST_STEP.search(path)
    return match.group(1).lstrip(".") if match else fallback


def _owner(nodes: dict[str, Node], path: str, root: Node) -> Node:
    best = root
    for node_path, node in nodes.items():
        if (
            path.startswith(node_path)
            and path[len(node_path) : len(node_path) + 1] in (".", "[")
            and len(node_path) > len(best.path)
        ):
            best = node
    return best


def manifest_tree(manifest: dict) -> Node:
    """The manifest's models, primitives and dropped objects as a Node tree."""
    root = Node(name="root", path="root", type=str(manifest.get("root", "?")), role="object")
    nodes: dict[str, Node] = {"root": root}
    for index, entry in enumerate(manifest.get("models", [])):
        path = entry.get("path") or f"<model {index}>"
        keras = {
            "class": str(entry.get("class", "?")).rpartition(".")[2],
            "output_shape": None,
            "params": entry.get("params"),
            "trainable": entry.get("trainable", True),
            "dtype": None,
        }
        if path == "root":
            root.role, root.keras = "model", keras
            continue
        parent = _owner(nodes, path, root)
        node = Node(
            name=_name(path, str(entry.get("name", index))),
            path=path,
            type=str(entry.get("class", "?")),
            role="model",
            keras=keras,
            parent=parent,
        )
        parent.children.append(node)
        nodes[path] = node
    for entry in manifest.get("primitives", []):
        path = str(entry.get("path", "?"))
        detail = str(entry.get("restore", ""))
        if entry.get("also_at"):
            detail += "; also at " + ", ".join(entry["also_at"])
        _owner(nodes, path, root).annotations.append(
            Annotation(
                path=path,
                kind=str(entry.get("kind", "?")),
                state=str(entry.get("state", "")),
                held=bool(entry.get("held_at_export")),
                action=str(entry.get("action", "recreate")),
                detail=detail,
            )
        )
    for entry in manifest.get("dropped", []):
        path = str(entry.get("path", "?"))
        _owner(nodes, path, root).annotations.append(
            Annotation(
                path=path,
                kind=str(entry.get("kind", "?")),
                state=str(entry.get("state", "")),
                held=False,
                action="block",
                detail="dropped at export: comes back as None",
            )
        )
    return root
