"""save_snapshot: an object graph (models, locks and all) -> one atomic ``.lpsnap`` file.

Order of work: inspect the graph (paths for the manifest), pickle the state into memory
(models, primitives and large arrays come out as ids; blocked objects are collected), refuse
what cannot be restored — every offending path at once — then write: models through Keras'
own saver, arrays, state.pkl, verify/*.npz, bundled code, and the manifest last, all inside
:func:`~lockpickle_gui.core.atomic.atomic_write`. A failure or a cancel at any point leaves
the target untouched and no temporary behind.

The verification forward pass runs while the last model's bytes are hashed, written and
synced on helper threads (:mod:`.pipeline`): that work is GIL-free C code, so the two
overlap instead of adding up. It runs after Keras' saver has returned (never during it:
both are GIL-bound Python, and overlapping them measured no faster), so the stored weights
are the ones the recorded outputs came from, even for a layer whose call updates its state.
An unbuilt model is the exception: its first call builds it, so it runs first and Keras
then saves the built model. A model holding a lock that is held at export is not run at
all (its call could wait for it forever): its verification entry says ``skipped`` and why.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import pickle
import platform
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lockpickle_gui._version import __version__
from lockpickle_gui.core.atomic import atomic_write, check_writable
from lockpickle_gui.core.errors import (
    LockpickleError,
    NotASnapshot,
    SnapshotError,
    UnpicklableState,
)
from lockpickle_gui.core.inspect import inspect, keras_adapter, type_name
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import models as model_plan
from lockpickle_gui.core.snapshot import streams
from lockpickle_gui.core.snapshot import verify as verification
from lockpickle_gui.core.snapshot.keras import saving as keras_saving
from lockpickle_gui.core.snapshot.pickler import StateStream, referenced_globals
from lockpickle_gui.core.snapshot.pipeline import PipelinedWriter
from lockpickle_gui.core.snapshot.trust import is_always_allowed

Progress = Callable[[float, str], None]


class _Reporter:
    """progress(fraction, message) in [start, end) sub-ranges; Cancelled propagates."""

    def __init__(self, progress: Progress | None):
        self.progress = progress

    def __call__(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)


def save_snapshot(
    obj: Any,
    path,
    *,
    verify_inputs: Any = None,
    verify: bool = True,
    progress: Progress | None = None,
    on_blocked: str = "error",
) -> dict:
    """Save ``obj`` (an object graph, a Keras model or a ModelProject) to ``path``.

    Returns the manifest that was written. Before any work, raises
    :class:`~lockpickle_gui.core.atomic.UnwritableTarget` for a path that cannot be written
    and :class:`SnapshotError` for an existing file that is not a snapshot (a snapshot is
    replaced atomically; anything else, such as the user's ``model.keras``, is kept). Raises :class:`UnpicklableState` listing every
    object that cannot be restored (unless ``on_blocked="drop"``: stored as None and listed
    under ``dropped``), :class:`SnapshotError` for a custom layer Keras could not find at
    load time, and :class:`Cancelled` when ``progress`` raises it.
    """
    if on_blocked not in fmt.ON_BLOCKED_POLICIES:
        raise LockpickleError(
            f"Expected on_blocked to be one of {fmt.ON_BLOCKED_POLICIES}. Received: {on_blocked!r}."
        )
    path = check_writable(path)  # a wrong target fails now, not after the work
    _refuse_foreign_target(path)
    report = _Reporter(progress)
    root, code, preview_inputs = _unwrap(obj)
    report(0.0, "Inspecting the object graph")
    paths = model_plan.GraphPaths(inspect(root))
    report(0.04, "Pickling the state around the models")
    stream = StateStream()
    registry = stream.registry
    _dump(stream, root, path)
    plan = model_plan.plan_models(registry, paths, code.package if code else None)
    _refuse_unloadable_layers(plan, path)
    for note in plan.notes:
        report(0.05, f"Note: {note}")
    attached = model_plan.attachments(plan)
    _dump(stream, attached, path)
    model_plan.describe(plan, registry, paths, attached)
    if plan.blocked and on_blocked == "error":
        raise _blocked_error(plan.blocked, path)
    _check_manifest_size(
        _encode(
            {
                "models": plan.model_entries,
                "model_refs": plan.refs,
                "primitives": plan.primitive_entries,
                "dropped": plan.blocked,
            }
        ),
        plan,
        path,
    )  # before any work
    state_bytes = stream.getvalue()

    recorded = given = source = None
    skip: dict[int, str] = {}
    verify = bool(verify and plan.models)
    if verify:
        skip = _models_not_to_run(plan, paths, report)
        given, source = (
            (verify_inputs, "given")
            if verify_inputs is not None
            else (_preview_inputs(preview_inputs, plan.models), "project preview inputs")
        )
        if not all(getattr(model, "built", False) for model in plan.models):
            report(0.08, "Running the models on verification inputs")
            recorded = verification.record(plan.models, given, source, path, skip)

    members: dict[str, str] = {}
    total = max(1, sum(keras_saving.weight_bytes(m) for m in plan.models))
    done = 0
    with atomic_write(path) as handle, zipfile.ZipFile(handle, "w") as archive:
        report(0.1, "Writing the snapshot")
        for index, model in enumerate(plan.models):
            size = keras_saving.weight_bytes(model)
            member = fmt.model_member(index)
            start = 0.1 + 0.75 * done / total
            last = index == len(plan.models) - 1

            def on_bytes(written, start=start, member=member):
                report(
                    start + 0.75 * min(written, total) / total,
                    f"Writing {member} ({written >> 20} MiB)",
                )

            with (
                archive.open(member, "w", force_zip64=size > fmt.ZIP64_THRESHOLD) as raw,
                PipelinedWriter(raw, _throttled(on_bytes)) as writer,
            ):
                keras_saving.save_keras_object(model, writer)
                if last:  # the fdatasync runs behind the writes, beside the hashing
                    writer.sync_after_writes(handle.fileno())
                if last and verify and recorded is None:
                    # A ResNet50 pass plus the hashing took 185 ms side by side, 220 ms
                    # one after the other (2 cores, lightly loaded).
                    report(0.85, "Running the models on verification inputs")
                    recorded = verification.record(plan.models, given, source, path, skip)
            members[member] = writer.sha256.hexdigest()
            plan.model_entries[index].update(sha256=members[member], bytes=writer.size)
            done += size
        report(0.9, "Writing arrays and state")
        for index, array in enumerate(registry.arrays):
            members[fmt.array_member(index)] = _write_array(archive, fmt.array_member(index), array)
        members[fmt.STATE_MEMBER] = _write_bytes(archive, fmt.STATE_MEMBER, state_bytes)
        summary, inputs_npz, outputs_npz = recorded or (None, None, None)
        if summary is not None:
            members[fmt.VERIFY_INPUTS_MEMBER] = _write_bytes(
                archive, fmt.VERIFY_INPUTS_MEMBER, inputs_npz
            )
            members[fmt.VERIFY_OUTPUTS_MEMBER] = _write_bytes(
                archive, fmt.VERIFY_OUTPUTS_MEMBER, outputs_npz
            )
        code_entries = None
        if code is not None:
            code_entries = []
            for module_name, text in code.sources.items():
                member = fmt.code_member(module_name)
                members[member] = _write_bytes(archive, member, text.encode("utf-8"), deflate=True)
                code_entries.append(
                    {"module": module_name, "member": member, "sha256": members[member]}
                )
        manifest = _manifest(root, plan, state_bytes, code, code_entries, members, summary)
        manifest["project"] = _project_of(obj)
        report(0.97, "Writing the manifest")
        encoded = _encode(manifest)
        _check_manifest_size(encoded, plan, path)  # exact; the temporary is discarded
        archive.writestr(fmt.MANIFEST_MEMBER, encoded, compress_type=zipfile.ZIP_DEFLATED)
    report(1.0, f"Saved {path.name}")
    return manifest


# ----------------------------------------------------------------------------- pieces


class _Code:
    def __init__(self, package: str, sources: dict[str, str]):
        self.package = package
        self.sources = sources


def _unwrap(obj: Any) -> tuple[Any, _Code | None, Any]:
    """(object to save, bundled code, preview inputs path) for a ModelProject, else obj."""
    project_module = sys.modules.get("lockpickle_gui.core.project")
    if project_module is None or not isinstance(obj, project_module.ModelProject):
        return obj, None, None
    code = None
    if obj.code_files:
        sources = {
            name: Path(file).read_text(encoding="utf-8") for name, file in obj.code_files.items()
        }
        code = _Code(obj.code_package, sources)
    elif obj.kind == "snapshot" and obj.manifest and obj.manifest.get("code"):
        from lockpickle_gui.core.snapshot.reader import read_code_sources

        code = _Code(obj.manifest["code_package"], read_code_sources(obj.path))
    return obj.runtime, code, (obj.preview or {}).get("inputs")


def _project_of(obj: Any) -> dict | None:
    """``{"name", "source"}`` of a ModelProject (the snapshot library groups by it), else
    None. A project re-exported from a snapshot keeps the project that snapshot came from."""
    project_module = sys.modules.get("lockpickle_gui.core.project")
    if project_module is None or not isinstance(obj, project_module.ModelProject):
        return None
    earlier = (obj.manifest or {}).get("project") if obj.kind == "snapshot" else None
    if isinstance(earlier, dict) and earlier.get("name"):
        return {"name": str(earlier["name"]), "source": earlier.get("source")}
    return {"name": obj.name, "source": str(Path(obj.path).resolve())}


def _models_not_to_run(plan, paths, report) -> dict[int, str]:
    """Models holding a lock that is held right now: a forward pass could wait forever."""
    skip = {}
    for index, model in enumerate(plan.models):
        held = verification.held_locks(model, plan.model_entries[index]["path"], paths.tree)
        if held:
            skip[index] = verification.skip_reason(held)
            report(
                0.06, f"Not verifying model {plan.model_entries[index]['name']!r}: {skip[index]}"
            )
    return skip


def _refuse_foreign_target(path: Path) -> None:
    """An existing non-empty file may only be replaced when it is a snapshot."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    from lockpickle_gui.core.snapshot.reader import SnapshotArchive

    other = (
        path.with_suffix(fmt.SUFFIX)
        if path.suffix != fmt.SUFFIX
        else path.with_name(f"{path.stem}-2{fmt.SUFFIX}")
    )
    try:
        SnapshotArchive(path).close()
    except NotASnapshot:
        raise SnapshotError(
            f"Expected the snapshot's path to be a new file or an existing snapshot to replace. "
            f"Received: {path}, an existing file that is not a lockpickle snapshot; it was not "
            "touched.",
            path=path,
            hint=f"Choose another name (e.g. {other.name}), or delete that file first if you "
            "mean to replace it.",
        ) from None
    except SnapshotError:
        return  # a damaged or newer snapshot: still a snapshot, replaced atomically


def _preview_inputs(inputs_path: Any, models: list) -> Any:
    """A batch from the project's preview inputs for the first model, else None."""
    if not inputs_path or not models:
        return None
    from lockpickle_gui.core.modelio.inputs import load_inputs

    samples = load_inputs(inputs_path, models[0])[: verification.MAX_SAMPLES]
    return {models[0].name: verification.stack_samples(samples)} if samples else None


def _dump(stream: StateStream, obj: Any, path) -> None:
    try:
        stream.dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
        raise UnpicklableState(
            f"Expected an object graph pickle can save once locks and models are taken out. "
            f"Received: {type(error).__name__}: {error}.",
            path=path,
            hint="Make the object picklable (a module-level class, __getstate__ leaving out "
            "what cannot be saved), or leave it out of the exported object.",
        ) from error


def _refuse_unloadable_layers(plan, path) -> None:
    if plan.external:
        where = "; ".join(f"{entry['path']} ({entry['class']})" for entry in plan.external)
        raise SnapshotError(
            f"Expected models Keras stores whole in a .keras file. Received: {where}, a "
            "SavedModel wrapper whose weights and graph stay in the SavedModel folder, so the "
            "snapshot would not load without it.",
            path=path,
            hint="Export from the Keras model itself (.keras or a project that builds it); "
            "a SavedModel can only be inspected and previewed.",
        )
    if not plan.unloadable:
        return
    lines = "; ".join(f"{entry['path']} ({entry['class']})" for entry in plan.unloadable)
    classes = ", ".join(sorted({entry["class"] for entry in plan.unloadable}))
    raise SnapshotError(
        f"Expected every custom layer class to be one Keras can find when the snapshot loads. "
        f"Received: layers of unregistered class {classes}: {lines}.",
        path=path,
        hint="Decorate the class with @keras.saving.register_keras_serializable("
        'package="your_package"), or list its file in the project\'s [code] modules so '
        "the snapshot bundles it.",
    )


def _blocked_error(blocked: list[dict], path) -> UnpicklableState:
    listed = "; ".join(f"{b['path']} ({b['kind']}, {b['state']})" for b in blocked)
    return UnpicklableState(
        f"Expected only state a snapshot can restore. Received: {len(blocked)} object(s) that "
        f"cannot be saved: {listed}.",
        path=path,
        blocked=[(b["path"], b["kind"]) for b in blocked],
        hint="Close or remove them before exporting (or leave them out in __getstate__), or "
        'export with on_blocked="drop" (--on-blocked drop) to store them as None.',
    )


def _encode(manifest: dict) -> bytes:
    return json.dumps(manifest, indent=1, sort_keys=False).encode("utf-8")


def _check_manifest_size(encoded: bytes, plan, path) -> None:
    fmt.check_manifest_size(
        len(encoded), path, primitives=len(plan.primitive_entries), dropped=len(plan.blocked)
    )


def _throttled(callback: Callable[[int], None], step: int = 8 << 20) -> Callable[[int], None]:
    """Call ``callback`` every ``step`` bytes, not on every small write."""
    next_at = [step]

    def on_bytes(written: int) -> None:
        if written >= next_at[0]:
            next_at[0] = written + step
            callback(written)

    return on_bytes


def _write_bytes(archive: zipfile.ZipFile, member: str, data: bytes, deflate: bool = False) -> str:
    archive.writestr(
        member, data, compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    )
    return hashlib.sha256(data).hexdigest()


def _write_array(archive: zipfile.ZipFile, member: str, array: Any) -> str:
    import numpy as np

    with archive.open(member, "w", force_zip64=array.nbytes > fmt.ZIP64_THRESHOLD) as raw:
        writer = streams.HashingWriter(raw)
        np.lib.format.write_array(writer, array, allow_pickle=False)
    return writer.sha256.hexdigest()


def _versions() -> dict:
    versions = {}
    for name in ("keras", "tensorflow", "numpy"):
        module = sys.modules.get(name)
        versions[name] = getattr(module, "__version__", None) if module is not None else None
    return versions


def _manifest(
    root, plan, state_bytes: bytes, code: _Code | None, code_entries, members, summary
) -> dict:
    modules = {
        module
        for module, name in referenced_globals(state_bytes)
        if not is_always_allowed(module, name)
    }
    modules.update(plan.custom_modules)
    if code is not None:  # one trust switch covers the bundled package and its modules
        modules = {m for m in modules if not keras_adapter.in_package(m, code.package)}
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    return {
        "format": fmt.FORMAT_NAME,
        "format_version": fmt.FORMAT_VERSION,
        "producer": {"name": "lockpickle_gui", "version": __version__},
        "created_utc": created.isoformat().replace("+00:00", "Z"),
        "python": platform.python_version(),
        **_versions(),
        "root": type_name(root),
        "models": plan.model_entries,
        "model_refs": plan.refs,
        "primitives": plan.primitive_entries,
        "dropped": plan.blocked,
        "modules": sorted(modules),
        "code": code_entries,
        "code_package": code.package if code is not None else None,
        "members": dict(sorted(members.items())),
        "verification": summary,
        "notes": plan.notes,
    }
