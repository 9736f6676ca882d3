"""Verification: the outputs a model gave at export, re-checked after loading.

At export each stored model runs on sample inputs — given by the caller (at most 8
samples), a project's preview inputs, or one sample generated from the model's input spec
with a fixed seed. When that run was quick (< 0.1 s) a second run measures how much the
model differs from itself (usually nothing); the tolerance is 1e-5 of the largest output
magnitude (at least 1e-6), or ten times that run-to-run noise if larger. Inputs and outputs
go to ``verify/in/<model>_<n>.npy`` / ``verify/out/<model>_<n>.npy``, read back with the
snapshot's checked ``.npy`` reader.
After loading, the same inputs run again: identical, within tolerance, or a mismatch.

A model that holds a lock-like object which is held right now (by the exporting thread or
another one) is not run: its ``call`` may take that lock and wait forever. Its entry says
``skipped`` and why (:func:`held_locks`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import LockpickleError, SnapshotError, VerificationFailed
from lockpickle_gui.core.inspect import primitives
from lockpickle_gui.core.inspect.model_layers import attached_objects
from lockpickle_gui.core.modelio.inputs import generate_inputs as generate_samples
from lockpickle_gui.core.modelio.verdict import Verdict, compare_outputs
from lockpickle_gui.core.snapshot.format import verify_member
from lockpickle_gui.core.tf_runtime import import_keras

SEED = 0
GENERATED_BATCH = 1  # one generated sample: a ResNet50 forward pass costs ~0.2 s on 2 cores
MAX_SAMPLES = 8
RELATIVE_TOLERANCE = 1e-5  # of the largest output magnitude
MIN_TOLERANCE = 1e-6
NOISE_FACTOR = 10.0  # the tolerance covers ten times the run-to-run noise seen at export
# The second run (to measure run-to-run noise) only when the first was this quick.
SECOND_RUN_MAX_SECONDS = 0.1


@dataclass
class VerificationResult:
    verdict: Verdict
    max_abs_diff: float | None = None
    tolerance: float | None = None
    models: list[dict[str, Any]] = field(default_factory=list)
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "max_abs_diff": self.max_abs_diff,
            "tolerance": self.tolerance,
            "models": list(self.models),
        }

    @property
    def ok(self) -> bool:
        return self.verdict.holds

    def raise_if_failed(self) -> VerificationResult:
        """Raise :class:`VerificationFailed` on a mismatch; return self otherwise."""
        if self.verdict is Verdict.MISMATCH:
            raise VerificationFailed(
                f"Expected the loaded model(s) to reproduce the outputs stored at export within "
                f"{self.tolerance:.3g}. Received: a max abs difference of {self.max_abs_diff:.3g}.",
                max_abs_diff=self.max_abs_diff,
                path=self.path,
                hint="Load it with the Keras/TensorFlow versions listed by `lockpickle info`, "
                "or export it again from the original program.",
            )
        return self


# ----------------------------------------------------------------------------- inputs


def _structure(inputs: Any) -> tuple[Any, list[Any]]:
    """(description, flat list of arrays) of an array, a list/tuple or a dict of arrays."""
    if isinstance(inputs, dict):
        keys = list(inputs)
        return {"dict": [str(k) for k in keys]}, [np.asarray(inputs[k]) for k in keys]
    if isinstance(inputs, (list, tuple)):
        return "list", [np.asarray(x) for x in inputs]
    return "array", [np.asarray(inputs)]


def _rebuild(description: Any, arrays: list[Any]) -> Any:
    if description == "array":
        return arrays[0]
    if description == "list":
        return list(arrays)
    return dict(zip(description["dict"], arrays))


def generate_inputs(model: Any, seed: int = SEED) -> Any | None:
    """A batch built from the model's input spec by ``core.inputs`` (fixed seed), or None
    when the model has no usable input spec (an unbuilt or subclassed model)."""
    try:
        return stack_samples(generate_samples(model, GENERATED_BATCH, seed))
    except (LockpickleError, TypeError, ValueError, AttributeError):
        return None


def stack_samples(samples: list[Any]) -> Any:
    """A batch from samples (arrays, lists of arrays, or dicts of arrays) of one model."""
    first = samples[0]
    if isinstance(first, dict):
        return {key: np.stack([s[key] for s in samples]) for key in first}
    if isinstance(first, (list, tuple)):
        return [np.stack([s[i] for s in samples]) for i in range(len(first))]
    return np.stack(samples)


def _first_samples(inputs: Any) -> Any:
    if isinstance(inputs, dict):
        return {k: v[:MAX_SAMPLES] for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return [x[:MAX_SAMPLES] for x in inputs]
    return inputs[:MAX_SAMPLES]


def run_model(model: Any, inputs: Any) -> list[Any]:
    """Flat list of numpy outputs of one inference call (no predict() overhead)."""
    keras = import_keras()
    outputs = model(inputs, training=False)
    return [np.asarray(keras.ops.convert_to_numpy(t)) for t in keras.tree.flatten(outputs)]


# ----------------------------------------------------------------------------- export


def held_locks(model: Any, model_path: str, tree: Any) -> list[str]:
    """Paths of lock-like objects inside ``model`` that are held right now.

    Looks at what the inspector found in the model's subtree of ``tree`` (annotations, and
    stubs of primitives first met elsewhere) and at objects attached to its layers. A
    forward pass could wait for any of them forever, so such a model is not run.
    """
    found: dict[int, str] = {}
    node = tree.find(model_path) if tree is not None else None
    if node is not None:
        for note in node.iter_annotations():
            if note.held and note.obj is not None:
                found.setdefault(id(note.obj), note.path)
        for sub in node.walk():
            if sub.shared_with is not None and sub.obj is not None:
                info = primitives.describe(sub.obj)
                if info is not None and info.held:
                    found.setdefault(id(sub.obj), sub.path)
    for rel, obj, kind in attached_objects(model):
        if id(obj) not in found and kind.describe(obj).held:
            found[id(obj)] = model_path + rel
    return list(found.values())


def skip_reason(held: list[str]) -> str:
    listed = ", ".join(held)
    verb = "was" if len(held) == 1 else "were"
    return (
        f"{listed} {verb} held at export; running the model would wait for "
        f"{'it' if len(held) == 1 else 'them'}"
    )


def record(
    models: list[Any],
    given: Any = None,
    source: str = "given",
    path: str | os.PathLike[str] | None = None,
    skip: dict[int, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run every model, return (manifest 'verification', {member name: array}).

    ``given`` is used for every model (a dict {model name: inputs} targets models by name);
    it is the caller's choice, so a model that cannot run on it is an error. Without it,
    inputs come from each model's input spec. ``skip`` maps model indexes that must not
    run to the reason (see :func:`held_locks`), recorded as the entry's ``skipped``.
    """
    arrays: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    names = {getattr(model, "name", None) for model in models}
    for index, model in enumerate(models):
        if skip and index in skip:
            entries.append(
                {
                    "model": index,
                    "source": None,
                    "skipped": skip[index],
                    "reason": f"not run: {skip[index]}",
                }
            )
            continue
        chosen, origin = _inputs_for(model, given, source, names)
        if chosen is None:
            entries.append(
                {
                    "model": index,
                    "source": None,
                    "reason": "no sample inputs: the model has no input spec",
                }
            )
            continue
        chosen = _first_samples(chosen)
        description, flat_in = _structure(chosen)
        try:
            started = time.perf_counter()
            first = run_model(model, _rebuild(description, flat_in))
            second = None
            if time.perf_counter() - started < SECOND_RUN_MAX_SECONDS:
                second = run_model(model, _rebuild(description, flat_in))
        except Exception as error:  # the model's own error, reported with what we fed it
            if origin == "generated":
                entries.append(
                    {
                        "model": index,
                        "source": None,
                        "reason": f"generated inputs failed: {type(error).__name__}",
                    }
                )
                continue
            raise SnapshotError(
                f"Expected model {getattr(model, 'name', index)!r} to run on the {origin} "
                f"verification inputs. Received: {type(error).__name__}: {error}",
                path=path,
                hint="Pass verify_inputs matching the model's inputs, or verify=False.",
            ) from error
        noise = compare_outputs(first, second).max_abs_diff if second is not None else None
        scale = max(
            [float(np.max(np.abs(y))) for y in first if y.size and y.dtype.kind in "fc"] or [1.0]
        )
        tolerance = max(
            MIN_TOLERANCE, RELATIVE_TOLERANCE * max(scale, 1.0), NOISE_FACTOR * (noise or 0.0)
        )
        in_keys = [verify_member("in", index, n) for n in range(len(flat_in))]
        out_keys = [verify_member("out", index, n) for n in range(len(first))]
        arrays.update(zip(in_keys, flat_in))
        arrays.update(zip(out_keys, first))
        entries.append(
            {
                "model": index,
                "source": origin,
                "structure": description,
                "inputs": in_keys,
                "outputs": out_keys,
                "samples": int(len(flat_in[0])),
                "max_abs_diff": noise,
                "runs": 1 if second is None else 2,
                "tolerance": tolerance,
            }
        )
    checked = [e for e in entries if e.get("source")]
    summary = {
        "seed": SEED,
        "tolerance": max((e["tolerance"] for e in checked), default=None),
        "max_abs_diff": max(
            (e["max_abs_diff"] for e in checked if e["max_abs_diff"] is not None), default=None
        ),
        "models": entries,
    }
    return summary, arrays


def _inputs_for(model: Any, given: Any, source: str, names: set[Any]) -> tuple[Any, str]:
    if given is not None:
        if not (isinstance(given, dict) and given and set(given) <= names):
            return given, source
        if model.name in given:
            return given[model.name], source
    return generate_inputs(model), "generated"


# ----------------------------------------------------------------------------- load


def check(models: list[Any], summary: Any, read: Any, path: object = None) -> VerificationResult:
    """Re-run the stored inputs through ``models`` (in manifest order) and compare.

    ``summary`` is the manifest's parsed ``Verification`` (or None); ``read(member)`` gives
    a stored verification array.
    """
    checked = [e for e in (summary.models if summary is not None else ()) if e.source]
    if not checked:
        return VerificationResult(Verdict.NO_DATA, path=None if path is None else str(path))
    results: list[dict[str, Any]] = []
    for entry in checked:
        model = models[entry.model]
        inputs = _rebuild(entry.structure, [read(k) for k in entry.inputs])
        expected = [read(k) for k in entry.outputs]
        got = run_model(model, inputs)
        comparison = compare_outputs(expected, got, atol=entry.tolerance)
        results.append(
            {
                "model": entry.model,
                "verdict": comparison.verdict,
                "max_abs_diff": comparison.max_abs_diff,
                "tolerance": entry.tolerance,
            }
        )
    worst = max(r["max_abs_diff"] for r in results)
    verdict = Verdict.worst(r["verdict"] for r in results)
    tolerance = min(r["tolerance"] for r in results)
    return VerificationResult(
        verdict, worst, tolerance, results, None if path is None else str(path)
    )
