"""A snapshot's tree from its manifest alone: what ``lockpickle inspect SNAP`` shows when the
code it would need is not trusted. No model is built and nothing is imported.

The tree is a :class:`~lockpickle_gui.core.inspect.Node` like ``inspect`` returns: the root
(its type as recorded), one node per stored model at its recorded path, and every primitive
and dropped object as an annotation on the deepest node whose path contains it, with the
action the manifest's restore records (keep or recreate), the Conditions' shared locks, and
one row per alias of a model referenced twice. Paths are split by the one path grammar
(``core.inspect.paths``).
"""

from __future__ import annotations

from typing import Any

from lockpickle_gui.core.inspect import Annotation, Node
from lockpickle_gui.core.inspect.paths import is_prefix, last_step
from lockpickle_gui.core.inspect.primitives import KEEP, RECREATE
from lockpickle_gui.core.inspect.tree import LayerSummary
from lockpickle_gui.core.snapshot.manifest import Manifest
from lockpickle_gui.core.snapshot.manifest_io import parse_manifest
from lockpickle_gui.core.snapshot.plan import RESTORE_FRESH, RESTORE_KEPT


def _owner(nodes: dict[str, Node], path: str, root: Node) -> Node:
    best = root
    for node_path, node in nodes.items():
        if node_path != path and is_prefix(node_path, path) and len(node_path) > len(best.path):
            best = node
    return best


def _relative(owner: str, path: str) -> str:
    """``path`` as written below ``owner``: "models['primary']" below "root"."""
    rest = path[len(owner) :]
    return rest[1:] if rest.startswith(".") else rest


def _link_shared_locks(manifest: Manifest, notes: dict[str, Annotation]) -> None:
    """The notes the inspector adds to a Condition and the lock it shares, from what the
    manifest records of each Condition's lock (``uses``)."""
    first_user: dict[str, Annotation] = {}
    for primitive in manifest.primitives:
        used = primitive.uses.get("lock")
        note = notes[primitive.path]
        if used is None:
            continue
        owner = notes.get(used)
        if owner is not None and owner is not note:
            note.add_detail(f"shares {owner.path}")
            owner.add_detail(f"also the lock of {note.path}")
        elif used in first_user:
            note.add_detail(f"shares its lock with {first_user[used].path}")
        else:
            first_user[used] = note


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
        for alias in entry.also_at:  # the same model reached again: a row pointing back
            owner = _owner(nodes, alias, root)
            owner.children.append(
                Node(
                    name=_relative(owner.path, alias),
                    path=alias,
                    type=entry.cls,
                    role="model",
                    keras=keras,
                    parent=owner,
                    shared_with=entry.path,
                )
            )
    notes = {}
    for primitive in manifest.primitives:
        note = Annotation(
            path=primitive.path,
            kind=primitive.kind,
            state=primitive.state,
            held=primitive.held_at_export,
            action=KEEP if primitive.restore == RESTORE_KEPT else RECREATE,
            detail="" if primitive.restore in (RESTORE_KEPT, RESTORE_FRESH) else primitive.restore,
        )
        if primitive.also_at:
            note.add_detail("also at " + ", ".join(primitive.also_at))
        _owner(nodes, primitive.path, root).annotations.append(note)
        notes[primitive.path] = note
        notes.update(dict.fromkeys(primitive.also_at, note))
    _link_shared_locks(manifest, notes)
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
