"""Everything a snapshot decides before a byte is written (``writer.py`` then writes it).

Inspect the graph (the paths people see), encode the state as data (models, primitives and
arrays come out as references; blocked objects and everything that could not be loaded are
collected), run the models once if one is not built yet, find every type the file will
need (the state's and the models' custom objects), and refuse -- every offending path at
once -- when something cannot be saved. state.json is checked the way the loader will read
it, so a file that could never load is not written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lockpickle_gui.core.code_package import PACKAGE_PREFIX, is_own_package, package_sources
from lockpickle_gui.core.errors import LockpickleError, SnapshotError
from lockpickle_gui.core.inspect import inspect, model_layers, type_name
from lockpickle_gui.core.modelio.inputs import load_inputs
from lockpickle_gui.core.progress import Reporter
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import plan as planning
from lockpickle_gui.core.snapshot import safejson, trust
from lockpickle_gui.core.snapshot import verify as verification
from lockpickle_gui.core.snapshot.keras import saving as keras_saving
from lockpickle_gui.core.snapshot.manifest import ModelEntry, TypeEntry
from lockpickle_gui.core.snapshot.parts import BundledCode, SnapshotParts, parts_of
from lockpickle_gui.core.snapshot.state import EncodedState, encode_state, parse_state
from lockpickle_gui.core.snapshot.state.validate import unbuildable_node


@dataclass
class Options:
    verify_inputs: Any = None
    verify: bool = True
    on_blocked: str = "error"
    target: Any = None  # the file (or "<memory>"), for messages


@dataclass
class Prepared:
    parts: SnapshotParts
    encoded: EncodedState
    state_bytes: bytes
    models: list[Any]
    entries: list[ModelEntry]
    configs: list[str | None]
    types: list[TypeEntry]
    manifest_base: dict[str, Any]
    recorded: tuple[dict[str, Any], dict[str, Any]] | None = None
    skip: dict[int, str] = field(default_factory=dict)
    verify_given: Any = None
    verify_source: str = "given"


def _with_code_in_use(
    parts: SnapshotParts, encoded: EncodedState, models: list[Any]
) -> SnapshotParts:
    """Carry the project code the graph's classes come from, when the caller gave none.

    A model or a service taken out of an opened project (its classes live in the project's
    private ``lpproject_...`` package) would otherwise need that package on the other side,
    where it does not exist: the preview's worker processes, a Ray actor, another program.
    The sources are the ones that ran (kept by :mod:`lockpickle_gui.core.code_package`).
    """
    if parts.code is not None:
        return parts
    modules = {str(entry["name"]).partition(":")[0] for entry in encoded.types}
    for model in models:
        modules.update(c["module"] for c in model_layers.custom_classes(model))
    packages = {m.partition(".")[0] for m in modules}
    own = sorted(p for p in packages if p.startswith(PACKAGE_PREFIX) and is_own_package(p))
    if len(own) != 1:  # none, or two projects' code in one graph: the type checks decide
        return parts
    return replace(parts, code=BundledCode(own[0], package_sources(own[0])))


def check_options(on_blocked: str) -> None:
    if on_blocked not in fmt.ON_BLOCKED_POLICIES:
        raise LockpickleError(
            f"Expected on_blocked to be one of {fmt.ON_BLOCKED_POLICIES}. Received: {on_blocked!r}."
        )


def prepare(obj: Any, options: Options, report: Reporter) -> Prepared:
    """Everything decided before a byte is written; raises every refusal at once."""
    parts = parts_of(obj)
    target = options.target
    report(0.0, "Inspecting the object graph")
    paths = planning.GraphPaths(inspect(parts.root))
    report(0.03, "Encoding the state around the models")
    encoded = encode_state(parts.root, on_blocked=options.on_blocked)
    models = encoded.models
    parts = _with_code_in_use(parts, encoded, models)
    encoder_paths = [_encoded_path(encoded, model, i) for i, model in enumerate(models)]
    model_plan = planning.plan_models(models, paths, encoder_paths)
    planning.refuse_external(model_plan, target)
    prepared = Prepared(
        parts, encoded, b"", models, model_plan.entries, [None] * len(models), [], {}
    )
    if options.verify and models:
        prepared.skip = _models_not_to_run(models, model_plan.entries, paths, report)
        if options.verify_inputs is not None:
            prepared.verify_given, prepared.verify_source = options.verify_inputs, "given"
        else:
            prepared.verify_given = _preview_inputs(parts.preview_inputs, models)
            prepared.verify_source = "project preview inputs"
        if not all(getattr(model, "built", False) for model in models):
            report(0.06, "Running the models on verification inputs (their first call builds them)")
            prepared.recorded = verification.record(
                models, prepared.verify_given, prepared.verify_source, target, prepared.skip
            )
    code_package = parts.code.package if parts.code is not None else None
    problems: list[str] = []
    for index, model in enumerate(models):
        config = keras_saving.model_config(model)
        prepared.configs[index] = config
        types, found = planning.model_types(
            model, model_plan.entries[index].path, config, code_package
        )
        prepared.types += [t for t in types if t not in prepared.types]
        problems += found
    planning.refuse(encoded, paths, options.on_blocked, target, problems)
    for entry in encoded.types:
        if entry["name"] not in trust.ALWAYS_TRUSTED.get(entry["kind"], ()):
            prepared.types.append(TypeEntry(entry["name"], entry["kind"], "state"))
    prepared.state_bytes = _checked_state(encoded, target)
    for note in model_plan.notes + encoded.notes:
        report(0.07, f"Note: {note}")
    prepared.manifest_base = {
        "primitives": tuple(planning.primitive_entries(encoded, paths, encoded.path_of)),
        "dropped": tuple(planning.dropped_entries(encoded, paths)),
        "notes": tuple(model_plan.notes + encoded.notes),
        "root": type_name(parts.root),
    }
    base = prepared.manifest_base
    rough = sum(len(p.path) + 200 + sum(len(a) for a in p.also_at) for p in base["primitives"])
    rough += sum(len(d.path) + 100 for d in base["dropped"])
    planning.check_manifest_size(rough, len(base["primitives"]), len(base["dropped"]), target)
    return prepared


def _encoded_path(encoded: EncodedState, model: Any, index: int) -> str:
    for number, node in enumerate(encoded.doc["nodes"]):
        if (
            type(node) is dict
            and node.get("t") == "keras"
            and node.get("model") == index
            and node.get("path") == ""
        ):
            return encoded.path_of(number)
    return f"<model {index}>"


def _checked_state(encoded: EncodedState, target: Any) -> bytes:
    """state.json as the loader will read it: a file that could never load is not written."""
    data = safejson.dumps(encoded.doc)
    try:
        document = parse_state(data, target)
    except LockpickleError as error:
        raise SnapshotError(
            f"Expected an object graph a snapshot reader accepts. Received: {error}",
            path=target,
            hint="Store less (fewer or shallower objects), or raise the budget in core/snapshot/budgets.py if this is your own data.",
        ) from None
    stuck = unbuildable_node(document)
    if stuck is not None:
        raise SnapshotError(
            f"Expected an object graph a loader can rebuild. Received: {encoded.path_of(stuck)} is on a cycle "
            "through constructor arguments (a tuple holding itself, or __reduce__/__getnewargs__ arguments leading back "
            "to the object).",
            path=target,
            hint="Break the cycle through a list, a dict or an attribute set after construction.",
        )
    return data


def _models_not_to_run(
    models: list[Any], entries: list[ModelEntry], paths: planning.GraphPaths, report: Reporter
) -> dict[int, str]:
    """Models holding a lock that is held right now: a forward pass could wait forever."""
    skip = {}
    for index, model in enumerate(models):
        held = verification.held_locks(model, entries[index].path, paths.tree)
        if held:
            skip[index] = verification.skip_reason(held)
            report(0.05, f"Not verifying model {entries[index].name!r}: {skip[index]}")
    return skip


def _preview_inputs(inputs_path: Any, models: list[Any]) -> Any:
    if not inputs_path or not models:
        return None
    samples = load_inputs(inputs_path, models[0])[: verification.MAX_SAMPLES]
    return {models[0].name: verification.stack_samples(samples)} if samples else None
