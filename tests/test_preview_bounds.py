"""QA: out-of-range preview settings are refused before any thread starts, in one paragraph.

``--max-delay-ms inf`` used to overflow inside a worker and hang the run; ``--workers
100000`` made the OS refuse a thread mid-start; ``--seed -1`` surfaced numpy's ValueError.
"""

from __future__ import annotations

import math
import threading

import pytest

from lockpickle_gui.cli import main
from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.modelio.inputs import generate_inputs
from lockpickle_gui.core.preview import InferencePool, check_thread_safety


@pytest.fixture
def model_file(tmp_path, tiny_model):
    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    return path


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


def test_api_refuses_them_too(tiny_model):
    for kwargs in ({"max_delay_ms": math.inf}, {"max_delay_ms": 1e9}, {"workers": 10_000}):
        with pytest.raises(PreviewError):
            InferencePool(tiny_model, **kwargs)
    with pytest.raises(PreviewError, match="clients"):
        check_thread_safety(tiny_model, generate_inputs(tiny_model, 2), clients=0)
    with pytest.raises(PreviewError, match="seed"):
        generate_inputs(tiny_model, 2, seed=-5)
