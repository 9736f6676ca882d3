"""The export plan: which Keras objects become ``models/<n>.keras`` and what the manifest lists.

The pickler met Keras objects in some order (a service's model, a layer of it, a second
model holding the first...). Each one not contained in another becomes a stored model;
each one met is a *ref* — the stored model plus the relative path of the layer inside it —
so a layer or a sub-model referenced from the state comes back as *the* object inside the
restored model, and a model met at several places is stored once.

The plan also lists the primitives (with the paths the inspector shows, aliases, and how
each comes back), the ones attached to layers after construction (re-attached on load), the
blocked objects, and the custom layer classes Keras could not find when loading.
Objects held in layer attributes are pickled too, right after the root (see
:class:`~lockpickle_gui.core.snapshot.pickler.StateStream`), so their sharing survives.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.inspect import keras_adapter, primitives
from lockpickle_gui.core.snapshot.pickler import PrimitiveRecord, StateRegistry

RESTORE_FRESH = "fresh, unlocked"
RESTORE_KEPT = "fresh, state kept"
# Keras' save keeps a layer's config and weights only: a lock attached to a layer after
# construction is set again, fresh (and shared like the original), once the model is loaded.
RESTORE_REATTACHED = "re-attached fresh at the same attribute after the model loads"


class GraphPaths:
    """Object id -> the path the inspector shows (first occurrence) and its aliases."""

    def __init__(self, tree) -> None:
        self.tree = tree  # keeps the objects alive, so their ids stay unique
        self.first: dict[int, str] = {}
        self.also: dict[int, list[str]] = defaultdict(list)
        for note in tree.iter_annotations():
            self.first.setdefault(id(note.obj), note.path)
        for node in tree.walk():
            if node.obj is None:
                continue
            if node.shared_with is None:
                self.first.setdefault(id(node.obj), node.path)
            elif not node.path.startswith("<"):
                self.also[id(node.obj)].append(node.path)

    def path_of(self, obj: Any) -> str | None:
        return self.first.get(id(obj))

    def aliases(self, obj: Any) -> list[str]:
        return list(self.also.get(id(obj), ()))


@dataclass
class Plan:
    models: list[Any] = field(default_factory=list)
    model_entries: list[dict] = field(default_factory=list)
    refs: list[dict] = field(default_factory=list)
    primitive_entries: list[dict] = field(default_factory=list)
    blocked: list[dict] = field(default_factory=list)
    unloadable: list[dict] = field(default_factory=list)
    external: list[dict] = field(default_factory=list)  # layers that point at files on disk
    custom_modules: set[str] = field(default_factory=set)
    # Things the user should know that do not stop the export (the manifest's "notes").
    notes: list[str] = field(default_factory=list)


def plan_models(registry: StateRegistry, paths: GraphPaths, code_package: str | None) -> Plan:
    """Stored models and refs from the Keras objects the first pickle met."""
    result = Plan()
    if registry.keras_objects:
        _plan_models(result, registry.keras_objects, paths, code_package)
    return result


def attachments(result: Plan) -> list[tuple[int, str, Any]]:
    """``(model index, relative attribute path, object)`` of every primitive or blocked
    object held in a layer attribute: pickled after the root, set again after loading."""
    found = []
    for index, model in enumerate(result.models):
        for rel, obj, _kind in keras_adapter.attached_objects(model):
            found.append((index, rel, obj))
    return found


def describe(
    result: Plan, registry: StateRegistry, paths: GraphPaths, attached: list[tuple[int, str, Any]]
) -> None:
    """Fill the manifest's primitive and blocked lists (after every pickle was written)."""
    where: dict[int, list[dict]] = defaultdict(list)
    for index, rel, obj in attached:
        where[id(obj)].append(
            {"model": index, "attribute": rel, "path": result.model_entries[index]["path"] + rel}
        )
    for record in registry.primitives:
        entry = _primitive_entry(record, registry, paths, where.get(id(record.obj)))
        if entry is not None:
            result.primitive_entries.append(entry)
    missing = {
        id(r.obj)
        for r in registry.blocked
        if paths.path_of(r.obj) is None and id(r.obj) not in where
    }
    found = find_paths(paths.tree.obj, missing) if missing else {}
    for record in registry.blocked:
        points = where.get(id(record.obj))
        path = (
            paths.path_of(record.obj)
            or found.get(id(record.obj))
            or (points[0]["path"] if points else f"<{record.kind} {record.index} in pickled state>")
        )
        entry = {"path": path, "kind": record.kind, "state": record.state}
        if points:
            entry["attach"] = [{"model": p["model"], "attribute": p["attribute"]} for p in points]
        result.blocked.append(entry)


def find_paths(root: Any, wanted: set[int], limit: int = 200_000) -> dict[int, str]:
    """Paths from ``root`` to objects the inspector's tree does not show (a bound method
    is pruned from it when nothing below it is annotated): breadth first through dicts
    with simple keys, lists, tuples and instance attributes, at most ``limit`` objects."""
    found: dict[int, str] = {}
    seen: set[int] = set()
    queue = [(root, "root")]
    for obj, path in queue:
        if len(seen) >= limit or len(found) == len(wanted):
            break
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, type)):
            continue
        seen.add(id(obj))
        if id(obj) in wanted:
            found.setdefault(id(obj), path)
            continue
        if isinstance(obj, dict):
            queue += [
                (v, f"{path}[{k!r}]")
                for k, v in list(obj.items())
                if isinstance(k, (str, int)) and not isinstance(k, bool)
            ]
        elif isinstance(obj, (list, tuple)):
            queue += [(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        else:
            attributes = getattr(obj, "__dict__", None)
            if isinstance(attributes, dict):
                queue += [
                    (v, f"{path}.{k}")
                    for k, v in list(attributes.items())
                    if isinstance(k, str) and k.isidentifier()
                ]
    return found


def _plan_models(result: Plan, objects: list, paths: GraphPaths, code_package) -> None:
    nested: set[int] = set()
    for obj in objects:
        nested.update(id(layer) for rel, layer in keras_adapter.iter_layers(obj) if rel)
    located: dict[int, tuple[int, str]] = {}
    for obj in objects:
        if id(obj) in nested:
            continue
        index = len(result.models)
        result.models.append(obj)
        model_path = paths.path_of(obj) or f"<model {index}>"
        for rel, layer in keras_adapter.iter_layers(obj):
            first = located.setdefault(id(layer), (index, rel))
            if first[0] != index:  # each model is its own .keras file: the layer is copied
                other = result.model_entries[first[0]]["path"] + first[1]
                result.notes.append(
                    f"{model_path + rel} is the same layer as {other}; the two models are "
                    "stored separately, so after loading each has its own copy (weights no "
                    "longer shared)."
                )
        result.external += [
            {"path": model_path + rel, "class": keras_adapter.class_name(type(layer))}
            for rel, layer in keras_adapter.iter_layers(obj)
            if type(layer).__name__ in keras_adapter.EXTERNAL_LAYER_CLASSES
        ]
        classes = keras_adapter.custom_classes(obj)
        for entry in classes:
            bundled = keras_adapter.in_package(entry["module"], code_package)
            if not entry["registered"] and not bundled:
                result.unloadable.append(
                    {
                        "path": model_path + entry["layer"],
                        "class": f"{entry['module']}.{entry['class']}",
                    }
                )
            elif not bundled:
                result.custom_modules.add(entry["module"])
        result.model_entries.append(
            {
                "member": f"models/{index}.keras",
                "name": str(getattr(obj, "name", "")),
                "class": keras_adapter.class_name(type(obj)),
                "params": _param_count(obj),
                "sha256": "",
                "bytes": 0,
                "path": model_path,
                "trainable": bool(getattr(obj, "trainable", True)),
                "layers": sum(1 for _ in keras_adapter.iter_layers(obj)) - 1,
                "custom_classes": classes,
            }
        )
    for obj in objects:
        model, rel = located[id(obj)]
        result.refs.append({"model": model, "attribute": rel})


def _param_count(obj: Any) -> int:
    total = 0
    for variable in getattr(obj, "weights", []):
        size = 1
        for dim in variable.shape:
            size *= int(dim or 0)
        total += size
    return total


def _spec(record: PrimitiveRecord, registry: StateRegistry) -> dict:
    """The data a reader needs to build the primitive: kind, params and shared locks."""
    return {
        "id": record.index,
        "kind": record.kind,
        "params": record.params,
        "uses": {name: _spec(registry.primitives[i], registry) for name, i in record.uses.items()},
    }


def _primitive_entry(
    record: PrimitiveRecord, registry: StateRegistry, paths: GraphPaths, attached: list[dict] | None
) -> dict | None:
    path = paths.path_of(record.obj)
    if path is None and attached:
        path = attached[0]["path"]
    if path is None and not record.direct:
        return None  # a Condition's private lock: it travels inside the Condition's entry
    kind = primitives.kind_of(record.obj)
    keeps_state = record.action == primitives.KEEP
    entry = {
        **_spec(record, registry),
        "path": path or f"<{record.kind} {record.index} in pickled state>",
        "held_at_export": bool(record.held),
        "state": record.state,
        "action": record.action,
        "restore": RESTORE_KEPT if keeps_state else RESTORE_FRESH,
        "also_at": [p for p in paths.aliases(record.obj) if p != path],
    }
    if attached:
        entry["attach"] = [{"model": a["model"], "attribute": a["attribute"]} for a in attached]
        entry["restore"] = RESTORE_REATTACHED
        entry["also_at"] += [
            a["path"] for a in attached if a["path"] not in (path, *entry["also_at"])
        ]
    if kind is not None and kind.name == "Queue" and record.kind != "Queue":
        entry["class"] = keras_adapter.class_name(type(record.obj))
    return entry
