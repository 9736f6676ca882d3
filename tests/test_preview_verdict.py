"""The thread-safety verdict: outputs under concurrent batching compared with the model's own
(identical, within tolerance, mismatch and the worst sample), layers keeping a lock flagged."""

from __future__ import annotations

import json
import threading

import numpy as np
from helpers import random_rows

from lockpickle_gui.core.errors import PreviewError

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

    report = lp.check_thread_safety(tiny_model, random_rows(40), workers=2, clients=4, max_batch=8)
    assert report.verdict in ("identical", "within tolerance")
    assert report.max_abs_diff <= 1e-5 and report.samples == 40
    assert report.lock_layers == [] and report.message
    assert json.loads(json.dumps(report.to_dict()))["verdict"] == str(report.verdict)


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
    report = check_thread_safety(model, random_rows(24), workers=2, clients=3, max_batch=8)
    assert report.verdict == "mismatch"
    assert report.worst_index is not None and report.max_abs_diff > 1e-3
    assert f"sample {report.worst_index}" in report.message


def test_layers_keeping_a_lock_are_flagged(tiny_model):
    from lockpickle_gui.core.inspect import resolve_path
    from lockpickle_gui.core.preview import check_thread_safety

    tiny_model.layers[1].guard = threading.RLock()
    report = check_thread_safety(tiny_model, random_rows(8), workers=1, clients=2)
    assert len(report.lock_layers) == 1
    assert resolve_path(tiny_model, report.lock_layers[0]) is tiny_model.layers[1]
    assert report.locks[0]["kind"] == "RLock" and report.locks[0]["path"].endswith(".guard")
    assert "keep a lock" in report.message
