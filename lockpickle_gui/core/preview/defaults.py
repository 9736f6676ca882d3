"""A preview's settings and samples, decided in one place for the CLI and the GUI.

Precedence, lowest first: the built-in values below, the user's preferences (the GUI's
Edit ▸ Preferences), the project's ``[preview]`` table, explicit choices (CLI options, the
values typed in the GUI's form). A project that sets ``workers = 2`` therefore wins over a
preference of 4, even though 2 is also the built-in value: a project's table holds only
the keys its file sets (``core.project``), so "set to the default" and "not set" differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

BUILT_IN: dict[str, Any] = {
    "workers": 2,
    "max_batch": 32,
    "max_delay_ms": 2.0,
    "requests": 256,
    "clients": 4,
    "seed": 0,
    "inputs": None,  # a .npy/.npz file or an image folder; None: generated from the input spec
}
MAX_GENERATED = 256  # distinct generated samples; requests beyond reuse them in turn


def preview_settings(
    *,
    preferences: Mapping[str, Any] | None = None,
    project: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every key of :data:`BUILT_IN`, each from the highest layer that gives it (None = not
    given). Preferences never carry ``inputs``: samples belong to a project."""
    merged = dict(BUILT_IN)
    for layer in (preferences, project, overrides):
        for key, value in (layer or {}).items():
            if (
                key in BUILT_IN
                and value is not None
                and (key != "inputs" or layer is not preferences)
            ):
                merged[key] = value
    return merged


def preview_samples(model: Any, inputs: str | Path | None, requests: int, seed: int = 0) -> Any:
    """The samples a preview sends: loaded from ``inputs`` (a .npy/.npz file or an image
    folder), else generated from the model's input spec (at most :data:`MAX_GENERATED`)."""
    # numpy (and TensorFlow for images) only when samples are made: the window reads the
    # settings above at start, before TensorFlow is loaded
    from lockpickle_gui.core.modelio import inputs as model_inputs

    if inputs:
        return model_inputs.load_inputs(inputs, model)
    return model_inputs.generate_inputs(model, min(requests, MAX_GENERATED), seed=seed)
