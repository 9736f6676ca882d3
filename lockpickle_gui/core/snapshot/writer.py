"""Writing a snapshot: an object graph (models, locks and all) -> the members of format 2,
into an atomic ``.lpsnap`` file, bytes in memory (``dumps``) or a dict (``to_members``).

Order of work: inspect the graph (the paths people see), encode the state as data (models,
primitives and arrays come out as references; blocked objects and everything that could
not be loaded are collected), run the models once if one is not built yet, find every type
the file will need (the state's and the models' custom objects), and refuse -- every
offending path at once -- before anything is written. Then the members: each model as its
config and ``.npy`` variables (``keras/saving.py``), the state's arrays and blobs,
state.json, the verification data, the bundled code, and the manifest last. Every member's
sha256 is computed on helper threads while the next one is converted and written; the
verification forward pass runs while the last hashes and the file's ``fdatasync`` finish,
after the models were saved, so the stored weights are the ones the outputs came from.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lockpickle_gui._version import __version__
from lockpickle_gui.core.atomic import atomic_write, check_writable
from lockpickle_gui.core.code_package import PACKAGE_PREFIX, is_own_package, package_sources
from lockpickle_gui.core.errors import LockpickleError, SnapshotError
from lockpickle_gui.core.inspect import inspect, type_name
from lockpickle_gui.core.inspect.model_layers import custom_classes
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import plan as planning
from lockpickle_gui.core.snapshot import safejson, trust
from lockpickle_gui.core.snapshot import verify as verification
from lockpickle_gui.core.snapshot.archive import DictSink, Hasher, Sink, ZipSink
from lockpickle_gui.core.snapshot.keras import saving as keras_saving
from lockpickle_gui.core.snapshot.manifest import CodeFile, Manifest, ModelEntry, TypeEntry
from lockpickle_gui.core.snapshot.manifest_io import manifest_to_json, parse_manifest
from lockpickle_gui.core.snapshot.parts import BundledCode, SnapshotParts, parts_of
from lockpickle_gui.core.snapshot.state import EncodedState, encode_state, parse_state
from lockpickle_gui.core.snapshot.state.validate import unbuildable_node

Progress = Callable[[float, str], None]


class Reporter:
    """progress(fraction, message), clamped; Cancelled raised by it propagates."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    def __call__(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)


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
        modules.update(c["module"] for c in custom_classes(model))
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
        "primitives": tuple(
            planning.primitive_entries(encoded, paths, lambda i: _node_path(encoded, i))
        ),
        "dropped": tuple(planning.dropped_entries(encoded, paths)),
        "notes": tuple(model_plan.notes + encoded.notes),
        "root": type_name(parts.root),
    }
    base = prepared.manifest_base
    rough = sum(len(p.path) + 200 + sum(len(a) for a in p.also_at) for p in base["primitives"])
    rough += sum(len(d.path) + 100 for d in base["dropped"])
    planning.check_manifest_size(rough, len(base["primitives"]), len(base["dropped"]), target)
    return prepared


def write(
    prepared: Prepared,
    sink: Sink,
    hasher: Hasher,
    options: Options,
    report: Reporter,
    sync: Callable[[], None] | None = None,
) -> Manifest:
    """Every member into ``sink``; the manifest last. Returns the manifest written."""
    total = max(1, sum(keras_saving.weight_bytes(m) for m in prepared.models))
    written = [0]

    def add_array(name: str, array: Any) -> None:
        sink.add_array(name, array)
        written[0] += int(array.nbytes)
        report(
            0.1 + 0.75 * min(written[0], total) / total, f"Writing {name} ({written[0] >> 20} MiB)"
        )

    report(0.1, "Writing the snapshot")
    entries = list(prepared.entries)
    for index, model in enumerate(prepared.models):
        saved = keras_saving.save_model(
            model, index, sink.add_bytes, add_array, config=prepared.configs[index]
        )
        entries[index] = replace(
            entries[index], storage=saved.storage, bytes=saved.bytes, variables=saved.variables
        )
    report(0.86, "Writing the state")
    encoded = prepared.encoded
    for number, array in enumerate(encoded.arrays):
        sink.add_array(fmt.array_member(number), array)
    for number, blob in enumerate(encoded.blobs):
        sink.add_bytes(fmt.blob_member(number), blob)
    sink.add_bytes(fmt.STATE_MEMBER, prepared.state_bytes)
    if sync is not None and hasattr(sink, "after_writes"):
        # fdatasync once the models' bytes are written, on the writing thread: the disk's
        # work, the CRC32s and the sha256s all overlap the verification pass below
        sink.after_writes(sync)
    recorded = prepared.recorded
    if options.verify and prepared.models and recorded is None:
        report(0.88, "Running the models on verification inputs")
        recorded = verification.record(
            prepared.models,
            prepared.verify_given,
            prepared.verify_source,
            options.target,
            prepared.skip,
        )
    summary = None
    if recorded is not None:
        summary, arrays = recorded
        for name, array in arrays.items():
            sink.add_array(name, array)
    code = prepared.parts.code
    for module, text in code.sources.items() if code is not None else ():
        sink.add_bytes(fmt.code_member(module), text.encode("utf-8"), deflate=True)
    report(0.95, "Checking the members' sha256")
    digests = hasher.digests()
    manifest_json = _manifest_json(prepared, entries, digests, summary)
    manifest = parse_manifest(manifest_json, options.target)  # what readers will see, checked now
    data = safejson.dumps(manifest_json, indent=1)
    base = prepared.manifest_base
    planning.check_manifest_size(
        len(data), len(base["primitives"]), len(base["dropped"]), options.target
    )
    report(0.97, "Writing the manifest")
    sink.add_bytes(fmt.MANIFEST_MEMBER, data)
    return manifest


# ----------------------------------------------------------------------------- entry points


def save_snapshot(
    obj: Any,
    path: Any,
    *,
    verify_inputs: Any = None,
    verify: bool = True,
    progress: Progress | None = None,
    on_blocked: str = "error",
) -> dict[str, Any]:
    """Save ``obj`` (an object graph, a Keras model or a project) to ``path`` atomically.

    Before any work, raises :class:`~lockpickle_gui.core.atomic.UnwritableTarget` for a path
    that cannot be written and :class:`SnapshotError` for an existing file that is not a
    complete snapshot (that file is never touched). Raises :class:`UnpicklableState`
    listing every object that cannot be saved, each with its path (blocked objects may be
    stored as None with ``on_blocked="drop"``), and :class:`Cancelled` when ``progress``
    raises it. Returns the manifest written.
    """
    check_options(on_blocked)
    target = check_writable(path)
    refuse_foreign_target(target)
    options = Options(verify_inputs, verify, on_blocked, target)
    report = Reporter(progress)
    prepared = prepare(obj, options, report)
    sync = getattr(os, "fdatasync", os.fsync)
    with atomic_write(target) as handle, Hasher() as hasher, ZipSink(handle, hasher) as sink:
        manifest = write(prepared, sink, hasher, options, report, lambda: sync(handle.fileno()))
    report(1.0, f"Saved {target.name}")
    return manifest_to_json(manifest)


def dumps(
    obj: Any,
    *,
    verify_inputs: Any = None,
    verify: bool = True,
    progress: Progress | None = None,
    on_blocked: str = "error",
) -> bytes:
    """The snapshot of ``obj`` as bytes: the same ZIP a file holds, made in memory."""
    check_options(on_blocked)
    options = Options(verify_inputs, verify, on_blocked, "<memory>")
    report = Reporter(progress)
    prepared = prepare(obj, options, report)
    buffer = io.BytesIO()
    with Hasher() as hasher, ZipSink(buffer, hasher) as sink:
        write(prepared, sink, hasher, options, report)
    return buffer.getvalue()


def to_members(
    obj: Any,
    *,
    verify_inputs: Any = None,
    verify: bool = True,
    progress: Progress | None = None,
    on_blocked: str = "error",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(manifest, {member name: bytes | memoryview | numpy array})``: a snapshot with no
    archive around it, for engines that move buffers themselves.

    Members ending in ``.npy`` are numpy arrays (their ``.npy`` encoding is what the
    manifest's sha256 covers); every other member is a bytes-like buffer, ``manifest.json``
    included. Nothing is copied: the arrays are the models' variables as numpy arrays, so a
    pickle protocol 5 ``buffer_callback`` (Ray, Dask) can carry them out of band.
    :func:`~lockpickle_gui.core.snapshot.loader.load` reads them back through
    ``from_members`` with the same checks and trust rules as a file.
    """
    check_options(on_blocked)
    options = Options(verify_inputs, verify, on_blocked, "<members>")
    report = Reporter(progress)
    prepared = prepare(obj, options, report)
    with Hasher() as hasher:
        sink = DictSink(hasher)
        manifest = write(prepared, sink, hasher, options, report)
    return manifest_to_json(manifest), sink.members


# ----------------------------------------------------------------------------- pieces


def refuse_foreign_target(path: Path) -> None:
    """An existing non-empty file may only be replaced when it is a complete snapshot."""
    from lockpickle_gui.core.snapshot.reader import is_complete_snapshot

    if not path.is_file() or path.stat().st_size == 0 or is_complete_snapshot(path):
        return
    other = (
        path.with_suffix(fmt.SUFFIX)
        if path.suffix != fmt.SUFFIX
        else path.with_name(f"{path.stem}-2{fmt.SUFFIX}")
    )
    raise SnapshotError(
        f"Expected the snapshot's path to be a new file or an existing snapshot to replace. Received: {path}, "
        "an existing file that is not a lockpickle snapshot (not a complete one, by its own magic and format fields); it was not touched.",
        path=path,
        hint=f"Choose another name (e.g. {other.name}), or delete that file first if you mean to replace it.",
    )


def _encoded_path(encoded: EncodedState, model: Any, index: int) -> str:
    for number, node in enumerate(encoded.doc["nodes"]):
        if (
            type(node) is dict
            and node.get("t") == "keras"
            and node.get("model") == index
            and node.get("path") == ""
        ):
            return _node_path(encoded, number)
    return f"<model {index}>"


def _node_path(encoded: EncodedState, index: int) -> str:
    return encoded.path_of(index)


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
            f"Expected an object graph a loader can rebuild. Received: {_node_path(encoded, stuck)} is on a cycle "
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
    from lockpickle_gui.core.modelio.inputs import load_inputs

    samples = load_inputs(inputs_path, models[0])[: verification.MAX_SAMPLES]
    return {models[0].name: verification.stack_samples(samples)} if samples else None


def _manifest_json(
    prepared: Prepared,
    entries: list[ModelEntry],
    digests: dict[str, str],
    summary: dict[str, Any] | None,
) -> dict[str, Any]:
    from lockpickle_gui.core.snapshot.manifest import Attachment

    base = prepared.manifest_base
    code = prepared.parts.code
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    versions = planning.versions()
    attachments = tuple(
        Attachment(a["model"], a["layer"], a["attribute"]) for a in prepared.encoded.attachments
    )
    manifest = Manifest(
        producer={"name": "lockpickle_gui", "version": __version__},
        created_utc=created.isoformat().replace("+00:00", "Z"),
        python=platform.python_version(),
        keras=versions["keras"],
        tensorflow=versions["tensorflow"],
        numpy=versions["numpy"],
        root=base["root"],
        models=tuple(entries),
        primitives=base["primitives"],
        dropped=base["dropped"],
        attachments=attachments,
        types=tuple(prepared.types),
        code_package=code.package if code is not None else None,
        code=tuple(
            CodeFile(m, fmt.code_member(m), digests[fmt.code_member(m)])
            for m in (code.sources if code is not None else ())
        ),
        members=digests,
        verification=None,
        notes=base["notes"],
        project=prepared.parts.project,
    )
    raw = manifest_to_json(manifest)
    raw["verification"] = summary
    return raw
