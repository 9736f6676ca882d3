"""modelio.verdict: the one comparison the preview and snapshot verification share."""

from __future__ import annotations

import json

import numpy as np

from lockpickle_gui.core.modelio.verdict import Verdict, compare_outputs


def test_identical_arrays_with_nan_in_the_same_place():
    a = np.array([1.0, np.nan, 3.0], "float32")
    result = compare_outputs([a], [a.copy()])
    assert result.verdict is Verdict.IDENTICAL and result.max_abs_diff == 0.0


def test_absolute_and_relative_tolerances():
    expected = [np.array([1000.0, 1.0])]
    got = [np.array([1000.05, 1.0])]
    assert compare_outputs(expected, got, atol=0.1).verdict is Verdict.WITHIN_TOLERANCE
    assert compare_outputs(expected, got, atol=0.01).verdict is Verdict.MISMATCH
    # relative: 1e-4 of 1000 covers 0.05
    assert compare_outputs(expected, got, rtol=1e-4).verdict is Verdict.WITHIN_TOLERANCE
    assert compare_outputs(expected, got).max_abs_diff > 0.049


def test_missing_outputs_shapes_and_failed_calls_are_mismatches():
    expected = [np.zeros(3), np.ones(2)]
    assert compare_outputs(expected, [np.zeros(3)]).verdict is Verdict.MISMATCH
    assert compare_outputs(expected, [np.zeros(4), np.ones(2)]).worst == 0
    failed = compare_outputs(expected, None, atol=1.0)
    assert failed.verdict is Verdict.MISMATCH and failed.max_abs_diff == float("inf")


def test_worst_of_several_and_words():
    assert Verdict.worst([Verdict.IDENTICAL, Verdict.WITHIN_TOLERANCE]) is Verdict.WITHIN_TOLERANCE
    assert Verdict.worst([Verdict.IDENTICAL, Verdict.MISMATCH]) is Verdict.MISMATCH
    assert Verdict.worst([]) is Verdict.NO_DATA
    assert f"{Verdict.WITHIN_TOLERANCE}" == "within tolerance"
    assert json.dumps({"v": Verdict.MISMATCH}) == '{"v": "mismatch"}'
    assert Verdict.IDENTICAL.holds and not Verdict.NO_DATA.holds
