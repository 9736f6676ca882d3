"""The export plan: what the manifest says about the models, the primitives, the dropped
objects and the types a file needs, and what stops an export -- decided before anything is
written.

The state encoder (``state/``) found the Keras models to store, the primitives and the
blocked objects, each with the path the walk reached it by; the inspector (``core.inspect``)
gives the paths people see (first occurrence, and aliases): the manifest uses those.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.errors import SnapshotError, UnpicklableState
from lockpickle_gui.core.inspect import model_layers, primitives
from lockpickle_gui.core.inspect.paths import shown_path
from lockpickle_gui.core.snapshot import trust
from lockpickle_gui.core.snapshot.budgets import DEFAULT
from lockpickle_gui.core.snapshot.manifest import (
    Attachment,
    DroppedEntry,
    ModelEntry,
    PrimitiveEntry,
    TypeEntry,
)
from lockpickle_gui.core.snapshot.model_types import custom_refs
from lockpickle_gui.core.snapshot.state import EncodedState
from lockpickle_gui.core.tf_runtime import import_keras

RESTORE_FRESH = "fresh, unlocked"
RESTORE_KEPT = "fresh, state kept"
RESTORE_REATTACHED = "re-attached fresh at the same attribute after the model loads"


class GraphPaths:
    """Object id -> the path the inspector shows (first occurrence), its aliases, and the
    order the inspector met it in."""

    def __init__(self, tree: Any) -> None:
        self.tree = tree  # keeps the objects alive, so their ids stay unique
        self.first: dict[int, str] = {}
        self.order: dict[int, int] = {}
        self.also: dict[int, list[str]] = defaultdict(list)
        for note in tree.iter_annotations():
            self.first.setdefault(id(note.obj), note.path)
            self.order.setdefault(id(note.obj), len(self.order))
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
class ModelPlan:
    entries: list[ModelEntry] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # SavedModel wrappers
    notes: list[str] = field(default_factory=list)


def plan_models(models: list[Any], paths: GraphPaths, encoded_paths: list[str]) -> ModelPlan:
    plan = ModelPlan()
    located: dict[int, str] = {}
    for index, model in enumerate(models):
        model_path = paths.path_of(model) or encoded_paths[index]
        layers = list(model_layers.iter_layers(model))
        for rel, layer in layers:
            first = located.setdefault(id(layer), model_path + rel)
            if first != model_path + rel and not first.startswith(model_path):
                plan.notes.append(
                    f"{model_path + rel} is the same layer as {first}; the two models are stored "
                    "separately, so after loading each has its own copy (weights no longer shared)."
                )
        plan.external += [
            f"{model_path + rel} ({model_layers.class_name(type(layer))})"
            for rel, layer in layers
            if type(layer).__name__ in model_layers.EXTERNAL_LAYER_CLASSES
        ]
        plan.entries.append(
            ModelEntry(
                name=str(getattr(model, "name", "")),
                cls=model_layers.class_name(type(model)),
                params=_param_count(model),
                bytes=0,
                path=shown_path(model_path),
                storage="native",
                trainable=bool(getattr(model, "trainable", True)),
                layers=len(layers) - 1,
                also_at=tuple(
                    shown_path(alias) for alias in paths.aliases(model) if alias != model_path
                ),
            )
        )
    return plan


def model_types(
    model: Any, model_path: str, config_json: str, code_package: str | None
) -> tuple[list[TypeEntry], list[str]]:
    """(types the model's config needs, problems "path (what): why") for one model."""
    keras = import_keras()
    classes = {
        (cls["registered_name"], cls["qualname"]): cls for cls in model_layers.custom_classes(model)
    }
    by_name = {cls["qualname"].rpartition(".")[2]: cls for cls in classes.values()}
    types: list[TypeEntry] = []
    problems: list[str] = []
    for ref in custom_refs(json.loads(config_json), plain_functions=True):
        if ref.kind == "lambda":
            continue  # Keras' safe mode decides at load: safe_mode=False loads it
        if ref.kind == "plain function":
            if not _keras_function(keras, ref.registered):
                problems.append(
                    f"the config of {model_path} ({ref.registered}, a function Keras does not know "
                    "and that is not registered): Decorate it with "
                    '@keras.saving.register_keras_serializable(package="your_package")'
                )
            continue
        obj = keras.saving.get_registered_object(ref.registered)
        layer = by_name.get(ref.class_name)
        if obj is None and layer is not None and trust.in_package(layer["module"], code_package):
            obj = _class_in(layer["module"], layer["qualname"])
        where = (
            f"{model_path + layer['layer']}" if layer is not None else f"the config of {model_path}"
        )
        if obj is None:
            fix = (
                'Decorate it with @keras.saving.register_keras_serializable(package="your_package")'
                + (
                    ", or list its file in the project's [code] modules so the snapshot bundles it"
                    if ref.kind == "class"
                    else ""
                )
            )
            what = f"{layer['module']}.{layer['qualname']}" if layer is not None else ref.registered
            problems.append(f"{where} ({what}, an unregistered custom {ref.kind}): {fix}")
            continue
        reason = trust.name_problem(obj, ref.kind if ref.kind == "function" else "class")
        if reason is not None:
            problems.append(f"{where} ({ref.registered}): {reason}")
            continue
        types.append(
            TypeEntry(
                f"{obj.__module__}:{obj.__qualname__}",
                "function" if ref.kind == "function" else "class",
                "model",
                ref.registered,
            )
        )
    return types, problems


def _keras_function(keras: Any, name: str) -> bool:
    """Whether ``name`` is one of Keras' own functions (an activation, a loss...)."""
    modules = ("activations", "losses", "metrics", "initializers", "regularizers", "constraints")
    return any(callable(getattr(getattr(keras, module, None), name, None)) for module in modules)


def _class_in(module: str, qualname: str) -> Any:
    target: Any = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, "__dict__", {}).get(part)
    return target


def _param_count(obj: Any) -> int:
    total = 0
    for variable in getattr(obj, "weights", []):
        size = 1
        for dim in variable.shape:
            size *= int(dim or 0)
        total += size
    return total


# ----------------------------------------------------------------------------- primitives


def primitive_entries(
    encoded: EncodedState, paths: GraphPaths, encoder_path: Any
) -> list[PrimitiveEntry]:
    """One entry per lock-like object, in the order the inspector shows them."""
    attached: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in encoded.attachments:
        if type(entry["value"]) is dict:
            attached[entry["value"]["r"]].append(entry)
    records = sorted(
        encoded.primitives, key=lambda r: (paths.order.get(id(r.obj), 1 << 30), r.index)
    )
    node_path = {r.index: paths.path_of(r.obj) or encoder_path(r.index) for r in encoded.primitives}
    entries = []
    for record in records:
        if not record.direct and paths.path_of(record.obj) is None:
            continue  # a Condition's own lock: it travels inside the Condition's entry
        info = primitives.describe(record.obj)
        if info is None:
            continue
        path = shown_path(node_path[record.index])
        points = attached.get(record.index, [])
        attach = tuple(Attachment(p["model"], p["layer"], p["attribute"]) for p in points)
        also = [shown_path(a) for a in paths.aliases(record.obj) if a != path]
        node = encoded.doc["nodes"][record.index]
        uses = {}
        if node.get("t") == "Condition" and type(node.get("lock")) is dict:
            uses["lock"] = shown_path(
                node_path.get(node["lock"]["r"]) or encoder_path(node["lock"]["r"])
            )
        entries.append(
            PrimitiveEntry(
                path=path,
                kind=info.kind,
                state=info.state,
                held_at_export=bool(info.held),
                restore=RESTORE_REATTACHED
                if attach
                else RESTORE_KEPT
                if info.action == primitives.KEEP
                else RESTORE_FRESH,
                params={
                    k: v
                    for k, v in info.params.items()
                    if type(v) in (str, int, float, bool, type(None))
                },
                also_at=tuple(also),
                uses=uses,
                attach=attach,
            )
        )
    return entries


def dropped_entries(encoded: EncodedState, paths: GraphPaths) -> list[DroppedEntry]:
    return [
        DroppedEntry(shown_path(paths.path_of(r.obj) or r.path), r.kind, r.state[:1000])
        for r in encoded.dropped
    ]


# ----------------------------------------------------------------------------- refusals


def refuse(
    encoded: EncodedState, paths: GraphPaths, on_blocked: str, path: Any, extra: list[str]
) -> None:
    """UnpicklableState listing every object that cannot be saved, each with its path."""
    blocked = [] if on_blocked == "drop" else dropped_entries(encoded, paths)
    if not blocked and not encoded.problems and not extra:
        return
    listed = [
        f"{d.path} ({d.kind}, {d.state})" if d.state else f"{d.path} ({d.kind})" for d in blocked
    ]
    listed += [f"{p}: {reason}" for p, reason in encoded.problems] + extra
    shown = "; ".join(listed[:100]) + (
        f"; and {len(listed) - 100} more" if len(listed) > 100 else ""
    )
    if encoded.problems or extra:
        hint = "Change what each entry says (plain data, public module-level classes, registered Keras objects), then export again."
        if blocked:
            hint += ' Open files, threads and the like can also be stored as None with on_blocked="drop" (--on-blocked drop).'
    else:
        hint = (
            "Close or remove them before exporting (or leave them out in __getstate__), or export "
            'with on_blocked="drop" (--on-blocked drop) to store them as None.'
        )
    raise UnpicklableState(
        f"Expected only state a snapshot can restore. Received: {len(listed)} object(s) that cannot be saved: {shown}.",
        path=path,
        blocked=[(d.path, d.kind) for d in blocked]
        + list(encoded.problems)
        + [(e, "model") for e in extra],
        hint=hint,
    )


def refuse_external(plan: ModelPlan, path: Any) -> None:
    if plan.external:
        raise SnapshotError(
            f"Expected models Keras stores whole. Received: {'; '.join(plan.external)}, a SavedModel "
            "wrapper (TFSMLayer) whose weights and graph stay in the SavedModel folder, so the "
            "snapshot would not load without it.",
            path=path,
            hint="Export from the Keras model itself (.keras or a project that builds it); a SavedModel can only be inspected and previewed.",
        )


# ----------------------------------------------------------------------------- the manifest


def versions() -> dict[str, str | None]:
    """The Keras, TensorFlow and numpy versions this program runs (None if not imported)."""
    found = {}
    for name in ("keras", "tensorflow", "numpy"):
        module = sys.modules.get(name)
        found[name] = getattr(module, "__version__", None) if module is not None else None
    return found


def check_manifest_size(size: int, primitives: int, dropped: int, target: Any) -> None:
    """Refuse, before anything is written, a manifest larger than readers accept."""
    limit = DEFAULT.max_manifest_bytes
    if size <= limit:
        return
    raise SnapshotError(
        f"Expected a manifest.json of at most {limit} bytes ({limit >> 20} MiB), the most a snapshot reader accepts. "
        f"Received: {size} bytes for {primitives} lock-like object(s) and {dropped} dropped object(s), each listed "
        "with its path; nothing was written.",
        path=target,
        hint="Export fewer lock-like objects: share one lock between many items instead of one each, or create them "
        "after loading (in __setstate__) and leave them out of the saved state (__getstate__).",
    )
