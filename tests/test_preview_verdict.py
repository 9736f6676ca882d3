"""The thread-safety verdict, run_preview's result and the `lockpickle preview` command."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from lockpickle_gui.core.errors import PreviewError

ISSUE_KEYS = {
    "completed",
    "failed",
    "throughput_rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "mean_batch",
    "verdict",
}


def _rows(n, width=4, seed=0):
    return list(np.random.default_rng(seed).standard_normal((n, width)).astype("float32"))


# ------------------------------------------------------------------ compare()


def test_compare_gives_the_three_verdicts_and_the_worst_sample():
    from lockpickle_gui.core.preview.thread_safety import compare

    reference = [[np.full(3, i, "float32")] for i in range(4)]
    same = [r[0].copy() for r in reference]
    assert compare(reference, same, ["scores"]) == ("identical", 0.0, None, None)

    rounded = [r[0] + np.float32(3e-7) for r in reference]
    verdict, diff, _, _ = compare(reference, rounded, ["scores"])
    assert verdict == "within tolerance" and 0 < diff < 1e-6

    wrong = [r[0].copy() for r in reference]
    wrong[2] = wrong[2] + 0.5
    assert compare(reference, wrong, ["scores"]) == ("mismatch", 0.5, 2, "scores")

    broken = [r[0].copy() for r in reference]
    broken[1] = PreviewError("failed in the pool")
    assert compare(reference, broken, ["scores"])[:3] == ("mismatch", float("inf"), 1)


def test_within_tolerance_says_batching_rounding_is_expected():
    from lockpickle_gui.core.preview.thread_safety import ROUNDING_NOTE
    from lockpickle_gui.core.preview.thread_safety import safety_report as _safety_report

    report = _safety_report("within tolerance", 8e-7, 3, "out", 1e-5, 10, [], "2 workers")
    assert "1e-6" in ROUNDING_NOTE and ROUNDING_NOTE in report.message
    assert report.to_dict()["verdict"] == "within tolerance"


# ------------------------------------------------------------------ check_thread_safety


def test_check_thread_safety_on_a_plain_model_is_not_a_mismatch(tiny_model):
    import lockpickle_gui as lp

    report = lp.check_thread_safety(tiny_model, _rows(40), workers=2, clients=4, max_batch=8)
    assert report.verdict in ("identical", "within tolerance")
    assert report.max_abs_diff <= 1e-5 and report.samples == 40
    assert report.lock_layers == [] and report.message
    json.dumps(report.to_dict())


def test_a_layer_with_hidden_call_state_is_a_mismatch(keras):
    from lockpickle_gui.core.preview import check_thread_safety

    class CallCounter(keras.layers.Layer):
        """Adds how many times it has been called: answers depend on who came before."""

        def build(self, shape):
            self.count = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="count"
            )

        def call(self, x):
            self.count.assign_add(1.0)
            return x + self.count

    model = keras.Sequential([keras.Input((4,)), CallCounter(), keras.layers.Dense(2)])
    report = check_thread_safety(model, _rows(24), workers=2, clients=3, max_batch=8)
    assert report.verdict == "mismatch"
    assert report.worst_index is not None and report.max_abs_diff > 1e-3
    assert f"sample {report.worst_index}" in report.message


def test_layers_keeping_a_lock_are_flagged(tiny_model):
    from lockpickle_gui.core.inspect import resolve_path
    from lockpickle_gui.core.preview import check_thread_safety

    tiny_model.layers[1].guard = threading.RLock()
    report = check_thread_safety(tiny_model, _rows(8), workers=1, clients=2)
    assert len(report.lock_layers) == 1
    assert resolve_path(tiny_model, report.lock_layers[0]) is tiny_model.layers[1]
    assert report.locks[0]["kind"] == "RLock" and report.locks[0]["path"].endswith(".guard")
    assert "keep a lock" in report.message


# ------------------------------------------------------------------ run_preview


def test_run_preview_result_has_the_issue_keys_and_summaries(keras):
    from lockpickle_gui.core.modelio.inputs import generate_inputs
    from lockpickle_gui.core.preview import run_preview

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="softmax")])
    progress = []
    result = run_preview(
        model,
        generate_inputs(model, 20),
        workers=2,
        max_batch=8,
        max_delay_ms=1.0,
        clients=3,
        requests=300,
        progress=lambda f, m: progress.append(f),
    )
    assert result.stats.completed == 300 and result.stats.failed == 0
    assert result.verdict in ("identical", "within tolerance")
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) >= ISSUE_KEYS
    assert data["requests"] == 300 and data["clients"] == 3
    assert len(result.outputs) == 10 and result.outputs[0].shape == (5,)
    assert data["outputs"][0]["summary"].startswith("class ")
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)


def test_run_preview_closed_loop_clients_cap_the_batch(tiny_model):
    from lockpickle_gui.core.preview import run_preview

    result = run_preview(
        tiny_model,
        _rows(5),
        workers=1,
        max_batch=32,
        max_delay_ms=1.0,
        clients=2,
        requests=60,
        in_flight=1,
    )
    assert result.stats.completed == 60
    assert max(result.stats.batch_sizes) <= 2  # one outstanding request per client


def test_run_preview_rejects_bad_samples_before_starting(tiny_model):
    from lockpickle_gui.core.preview import run_preview

    with pytest.raises(PreviewError, match=r"Sample 1 of 2: .*shape \(4,\)"):
        run_preview(tiny_model, [np.zeros(4, "float32"), np.zeros(5, "float32")], requests=10)


# ------------------------------------------------------------------ the command


@pytest.fixture
def model_file(tiny_model, tmp_path):
    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    return path


def test_cli_preview_json(model_file, capsys):
    from lockpickle_gui.cli import main

    code = main(
        [
            "preview",
            str(model_file),
            "--requests",
            "96",
            "--clients",
            "3",
            "--max-batch",
            "8",
            "--workers",
            "1",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert set(data) >= ISSUE_KEYS
    assert data["completed"] == 96 and data["model"] == "tiny" and data["inputs"] == "generated"
    assert data["max_batch"] == 8 and max(int(k) for k in data["batch_sizes"]) <= 8


def test_cli_preview_text_with_an_inputs_file(model_file, tmp_path, capsys):
    from lockpickle_gui.cli import main

    np.save(tmp_path / "rows.npy", np.stack(_rows(12)))
    code = main(
        ["preview", str(model_file), "--requests", "40", "--inputs", str(tmp_path / "rows.npy")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "40 requests from 4 client threads" in out and "rows.npy" in out
    assert "throughput" in out and "p95" in out


def test_cli_preview_unknown_model_name_is_a_clear_error(model_file, capsys):
    from lockpickle_gui.cli import main

    assert main(["preview", str(model_file), "--model", "nope"]) == 2
    assert "--model NAME" in capsys.readouterr().err
