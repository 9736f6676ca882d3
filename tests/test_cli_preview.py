"""`lockpickle preview MODEL`: the run's figures as text or JSON, inputs from a file, and a
clear error for a model name the file does not hold."""

from __future__ import annotations

import json

import numpy as np
from helpers import PREVIEW_RESULT_KEYS, random_rows


def test_cli_preview_json(model_file, run_cli):
    code, out, _ = run_cli(
        "preview", model_file, "--requests", "96", "--clients", "3", "--max-batch", "8",
        "--workers", "1", "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert code == 0 and set(data) >= PREVIEW_RESULT_KEYS
    assert data["completed"] == 96 and data["model"] == "tiny" and data["inputs"] == "generated"
    assert data["max_batch"] == 8 and max(int(k) for k in data["batch_sizes"]) <= 8


def test_cli_preview_text_with_an_inputs_file(model_file, tmp_path, run_cli):
    np.save(tmp_path / "rows.npy", np.stack(random_rows(12)))
    code, out, _ = run_cli(
        "preview", model_file, "--requests", "40", "--inputs", tmp_path / "rows.npy"
    )
    assert code == 0
    assert "40 requests from 4 client threads" in out and "rows.npy" in out
    assert "throughput" in out and "p95" in out


def test_cli_preview_unknown_model_name_is_a_clear_error(model_file, run_cli):
    code, _, err = run_cli("preview", model_file, "--model", "nope")
    assert code == 2 and "--model NAME" in err
