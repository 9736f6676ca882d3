"""Writing a snapshot: an object graph (models, locks and all) -> the members of format 2,
into an atomic ``.lpsnap`` file, bytes in memory (``dumps``) or a dict (``to_members``).

Everything is decided first, and every refusal raised, before anything is written
(``prepare.py``). Then the members: each model as its config and ``.npy`` variables (``keras/saving.py``), the state's arrays and blobs,
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
from dataclasses import replace
from pathlib import Path
from typing import Any

from lockpickle_gui._version import __version__
from lockpickle_gui.core.atomic import atomic_write, check_writable
from lockpickle_gui.core.errors import SnapshotError
from lockpickle_gui.core.progress import Progress, Reporter
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import plan as planning
from lockpickle_gui.core.snapshot import safejson
from lockpickle_gui.core.snapshot import verify as verification
from lockpickle_gui.core.snapshot.archive import DictSink, Hasher, Sink, ZipSink
from lockpickle_gui.core.snapshot.keras import saving as keras_saving
from lockpickle_gui.core.snapshot.manifest import Attachment, CodeFile, Manifest, ModelEntry
from lockpickle_gui.core.snapshot.manifest_io import manifest_to_json, parse_manifest
from lockpickle_gui.core.snapshot.prepare import Options, Prepared, check_options, prepare
from lockpickle_gui.core.snapshot.reader import is_complete_snapshot


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


def _manifest_json(
    prepared: Prepared,
    entries: list[ModelEntry],
    digests: dict[str, str],
    summary: dict[str, Any] | None,
) -> dict[str, Any]:
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
