"""Preview settings: merged in one place (core.preview.defaults: built-in < preferences <
the project's [preview] table < explicit choices, for the CLI and the GUI alike), and refused
before any thread starts when out of range, in one paragraph.

``--max-delay-ms inf`` used to overflow inside a worker and hang the run; ``--workers
100000`` made the OS refuse a thread mid-start; ``--seed -1`` surfaced numpy's ValueError.
"""

from __future__ import annotations

import math
import threading

import pytest
from projects import write_project

from lockpickle_gui.cli import main
from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.modelio.inputs import generate_inputs
from lockpickle_gui.core.preview import InferencePool, check_thread_safety
from lockpickle_gui.core.preview.defaults import BUILT_IN, preview_settings


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--max-delay-ms", "inf"], "max_delay_ms between 0 and"),
        (["--max-delay-ms", "nan"], "max_delay_ms between 0 and"),
        (["--workers", "100000"], "at most 256 workers"),
        (["--clients", "100000"], "at most 1024 client threads"),
        (["--seed", "-1"], "seed that is an integer >= 0"),
    ],
)
def test_cli_refuses_out_of_range_settings(model_file, capsys, argv, words):
    threads_before = threading.active_count()
    code = main(["preview", str(model_file), "--requests", "4", *argv])
    _, err = capsys.readouterr()
    assert code == 2 and words in err
    assert "bug in lockpickle" not in err and err.count("\n") == 1
    assert threading.active_count() == threads_before


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"max_delay_ms": math.inf}, "max_delay_ms between 0 and"),
        ({"max_delay_ms": 1e9}, "max_delay_ms between 0 and"),
        ({"workers": 10_000}, "at most 256 workers"),
        ({"workers": 0}, "workers to be an integer >= 1"),
    ],
)
def test_the_pool_refuses_them_before_starting_a_thread(tiny_model, kwargs, words):
    threads_before = threading.active_count()
    with pytest.raises(PreviewError, match=words):
        InferencePool(tiny_model, **kwargs)
    assert threading.active_count() == threads_before


def test_the_check_and_the_inputs_refuse_them_too(tiny_model):
    with pytest.raises(PreviewError, match="clients"):
        check_thread_safety(tiny_model, generate_inputs(tiny_model, 2), clients=0)
    with pytest.raises(PreviewError, match="seed"):
        generate_inputs(tiny_model, 2, seed=-5)


def test_a_model_the_pool_cannot_serve_is_explained():
    with pytest.raises(PreviewError, match="Expected a Keras model"):
        InferencePool(object())


def test_a_project_setting_the_built_in_value_still_wins_over_a_preference(tmp_path, tiny_model):
    from lockpickle_gui.core.project import open_project

    built_in = BUILT_IN["workers"]
    folder = write_project(
        tmp_path / "p",
        f"""
        [[models]]
        name = "m"
        path = "model.keras"
        [preview]
        workers = {built_in}
        """,
        model=tiny_model,
    )
    project = open_project(folder)
    merged = preview_settings(
        preferences={"workers": built_in + 2, "max_batch": 64}, project=project.preview
    )
    assert merged["workers"] == built_in  # the project's choice, not the preference's
    assert merged["max_batch"] == 64  # the project does not set it: the preference holds


def test_explicit_choices_win_and_preferences_never_choose_inputs():
    merged = preview_settings(
        preferences={"requests": 100, "inputs": "mine.npy"},
        project={"requests": 50, "inputs": "project.npy"},
        overrides={"requests": 7, "clients": None},
    )
    assert merged["requests"] == 7 and merged["clients"] == BUILT_IN["clients"]
    assert merged["inputs"] == "project.npy"
    assert preview_settings(preferences={"inputs": "mine.npy"})["inputs"] is None
