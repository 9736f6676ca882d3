"""Compare two snapshots, or a snapshot and the open project: ``lockpickle diff`` and the
app's compare view.

From the manifests: versions, required types, bundled code (each file by its sha256),
primitives, dropped objects; the snapshot's own code package is named without the hex of
the folder it came from (:mod:`.code_diff`), so the same project exported from two folders
compares identical. From the stored
models (config and weights read from the files, nothing built): layers added, removed or
changed, and per weight identical / max abs difference / relative norm. From the stored
verification data: each model's outputs on the same inputs, within the recorded tolerance.
Reading is all it does: no model is built and no pickle runs, so comparing snapshots from
anywhere is safe, and faster than loading one of them. Every member read is checked against
the sha256 the manifest records: a damaged file is a CorruptSnapshot, not a difference.

The open project is compared by exporting it to a temporary snapshot first (verified on the
other snapshot's stored inputs, so the outputs compare), then comparing the two files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import Cancelled, SnapshotError
from lockpickle_gui.core.library import manifest_diff
from lockpickle_gui.core.library.code_diff import code_package, code_section, normalise_names
from lockpickle_gui.core.library.diff_report import DiffReport, DiffRow, DiffSection, Status
from lockpickle_gui.core.library.model_diff import layers_section, stored_model, weights_section
from lockpickle_gui.core.library.snapshot_files import OpenSnapshot
from lockpickle_gui.core.modelio.verdict import Verdict, compare_outputs
from lockpickle_gui.core.progress import Progress
from lockpickle_gui.core.snapshot import save_snapshot

Arrays = Mapping[str, Any]


def diff_snapshots(
    a: str | os.PathLike[str],
    b: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    labels: tuple[str, str] | None = None,
) -> DiffReport:
    """Everything that differs between snapshots ``a`` and ``b`` (see the module doc)."""
    report_progress: Progress = progress or (lambda fraction, message: None)
    with OpenSnapshot(a) as left, OpenSnapshot(b) as right:
        report = DiffReport(*(labels or (str(left.path), str(right.path))))
        one = normalise_names(left.manifest, code_package(left.manifest))
        two = normalise_names(right.manifest, code_package(right.manifest))
        report.sections += [
            manifest_diff.versions_section(one, two),
            manifest_diff.types_section(one, two),
            code_section(left, right),
            manifest_diff.primitives_section(one, two),
            manifest_diff.dropped_section(one, two),
        ]
        models = DiffSection("models", "Models")
        report.sections.append(models)
        arrays = (left.verification_arrays(), right.verification_arrays())
        pairs = pair_models(one, two)
        for done, (index_a, index_b, title) in enumerate(pairs):
            report_progress(done / max(1, len(pairs)), f"Comparing {title}")
            if index_a is None or index_b is None:
                status = Status.ADDED if index_a is None else Status.REMOVED
                models.rows.append(
                    DiffRow(title, status, _model_text(one, index_a), _model_text(two, index_b))
                )
                continue
            with stored_model(left, index_a) as model_a, stored_model(right, index_b) as model_b:
                sections = [
                    layers_section(model_a, model_b, title),
                    weights_section(model_a, model_b, title),
                ]
            sections.append(
                outputs_section(
                    _verification_entry(one, index_a),
                    _verification_entry(two, index_b),
                    arrays,
                    title,
                )
            )
            row = DiffRow(title, Status.SAME, _model_text(one, index_a), _model_text(two, index_b))
            for section in sections:
                counts = {k: v for k, v in section.counts().items() if k != "same" and v}
                if counts:
                    row.status = Status.CHANGED
                    listed = ", ".join(f"{n} {status}" for status, n in counts.items())
                    row.details.append(f"{section.title.split(' of ')[0].lower()}: {listed}")
            if row.a != row.b:
                row.status = Status.CHANGED
            models.rows.append(row)
            report.sections += sections
    report_progress(1.0, "Compared")
    return report


def diff_against_project(
    snapshot: str | os.PathLike[str],
    project: Any,
    *,
    progress: Progress | None = None,
    work_folder: str | os.PathLike[str] | None = None,
) -> DiffReport:
    """Compare a snapshot with an open ModelProject (its models and runtime object as they
    are now), by exporting the project to a temporary snapshot first."""
    report_progress: Progress = progress or (lambda fraction, message: None)
    with OpenSnapshot(snapshot) as stored:
        given = _inputs_by_model(stored.manifest, stored.verification_arrays()[0], project)
        label = str(stored.path)
    folder = Path(tempfile.mkdtemp(prefix="lockpickle-compare-", dir=work_folder))
    target = folder / "open-project.lpsnap"

    def saving(fraction: float, message: str = "") -> None:
        report_progress(0.7 * fraction, message)

    def save(inputs: Any) -> None:
        save_snapshot(project, target, verify_inputs=inputs, on_blocked="drop", progress=saving)

    try:
        try:
            save(given)
        except Cancelled:
            raise
        except SnapshotError:
            if given is None:
                raise
            save(None)  # the project's models no longer take those inputs: its own then
        return diff_snapshots(
            snapshot,
            target,
            labels=(label, f"{getattr(project, 'name', 'project')} (open project)"),
            progress=lambda fraction, message: report_progress(0.7 + 0.3 * fraction, message),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def pair_models(
    a: Mapping[str, Any], b: Mapping[str, Any]
) -> list[tuple[int | None, int | None, str]]:
    """``(index in a, index in b, title)``: models paired by name; one unpaired model on
    each side is the same model renamed."""
    names_a = [str(m.get("name", i)) for i, m in enumerate(a.get("models") or [])]
    names_b = [str(m.get("name", i)) for i, m in enumerate(b.get("models") or [])]
    pairs: list[tuple[int | None, int | None, str]] = []
    for index, name in enumerate(names_a):
        other = names_b.index(name) if name in names_b else None
        pairs.append((index, other, name))
    only_b = [i for i, name in enumerate(names_b) if name not in names_a]
    only_a = [p for p in pairs if p[1] is None]
    if len(only_a) == 1 and len(only_b) == 1:
        index_a = only_a[0][0]
        assert index_a is not None
        pairs[pairs.index(only_a[0])] = (
            index_a,
            only_b[0],
            f"{names_a[index_a]} -> {names_b[only_b[0]]}",
        )
        only_b = []
    pairs += [(None, i, names_b[i]) for i in only_b]
    return pairs


def outputs_section(
    entry_a: Mapping[str, Any] | None,
    entry_b: Mapping[str, Any] | None,
    arrays: tuple[tuple[Arrays, Arrays], tuple[Arrays, Arrays]],
    title: str,
) -> DiffSection:
    """Each output stored at export on the same inputs: identical, within the recorded
    tolerance (the same), or a mismatch with the largest difference."""
    section = DiffSection(f"outputs:{title}", f"Outputs of {title}")
    if entry_a is None or entry_b is None:
        which = (
            "neither" if entry_a is None and entry_b is None else "A" if entry_b is None else "B"
        )
        section.note = f"not compared: only {which} stored verification outputs".replace(
            "only neither", "neither snapshot"
        )
        return section
    try:
        inputs = [
            [side[0][key] for key in entry["inputs"]]
            for side, entry in zip(arrays, (entry_a, entry_b))
        ]
        outputs = [
            [side[1][key] for key in entry["outputs"]]
            for side, entry in zip(arrays, (entry_a, entry_b))
        ]
    except (KeyError, TypeError):
        section.note = "not compared: the stored verification data is incomplete"
        return section
    if len(inputs[0]) != len(inputs[1]) or not all(
        x.shape == y.shape and np.array_equal(x, y) for x, y in zip(*inputs)
    ):
        section.note = (
            f"not compared: verified on different inputs ({entry_a.get('source')} and "
            f"{entry_b.get('source')} samples)"
        )
        return section
    tolerance = max(float(entry_a.get("tolerance") or 0.0), float(entry_b.get("tolerance") or 0.0))
    for position in range(max(len(outputs[0]), len(outputs[1]))):
        mine = outputs[0][position] if position < len(outputs[0]) else None
        theirs = outputs[1][position] if position < len(outputs[1]) else None
        item = f"output {position}"
        if mine is None or theirs is None:
            status = Status.ADDED if mine is None else Status.REMOVED
            section.rows.append(DiffRow(item, status, _array_text(mine), _array_text(theirs)))
            continue
        comparison = compare_outputs([mine], [theirs], atol=tolerance)
        row = DiffRow(item, Status.SAME, _array_text(mine), _array_text(theirs))
        if comparison.verdict is Verdict.IDENTICAL:
            row.details.append("identical")
        else:
            row.numbers = {"max_abs": comparison.max_abs_diff}
            row.details.append(
                f"{comparison.verdict}: max abs diff {comparison.max_abs_diff:.3g} "
                f"(tolerance {tolerance:.3g})"
            )
            if comparison.verdict is Verdict.MISMATCH:
                row.status = Status.CHANGED
        section.rows.append(row)
    return section


# ---------------------------------------------------------------------------- helpers


def _verification_entry(manifest: Mapping[str, Any], index: int) -> Mapping[str, Any] | None:
    verification = manifest.get("verification")
    for entry in (
        (verification or {}).get("models", []) if isinstance(verification, Mapping) else []
    ):
        if isinstance(entry, Mapping) and entry.get("model") == index and entry.get("source"):
            return entry
    return None


def _model_text(manifest: Mapping[str, Any], index: int | None) -> str:
    if index is None:
        return ""
    entry = (manifest.get("models") or [])[index]
    cls = str(entry.get("class", "?")).rpartition(".")[2]
    params = entry.get("params")
    return f"{cls}, {params:,} params" if isinstance(params, int) else cls


def _array_text(array: Any) -> str:
    return "" if array is None else f"{tuple(array.shape)} {array.dtype}"


def _inputs_by_model(
    manifest: Mapping[str, Any], inputs: Arrays, project: Any
) -> dict[str, Any] | None:
    """The snapshot's stored verification inputs, by model name, for the project's models
    of the same names (so the exported project is verified on the same inputs)."""
    names = {getattr(m, "name", None) for m in (getattr(project, "models", None) or {}).values()}
    found: dict[str, Any] = {}
    for index, model in enumerate(manifest.get("models") or []):
        entry = _verification_entry(manifest, index)
        name = model.get("name")
        if entry is None or name not in names:
            continue
        try:
            arrays = [inputs[key] for key in entry["inputs"]]
        except (KeyError, TypeError):
            continue
        structure = entry.get("structure")
        if structure == "array" and len(arrays) == 1:
            found[name] = arrays[0]
        elif structure == "list":
            found[name] = arrays
        elif isinstance(structure, Mapping) and isinstance(structure.get("dict"), list):
            found[name] = dict(zip(structure["dict"], arrays))
    return found or None
