"""core.inspect.details: what the Details panel shows of a node (a layer's config and weight
statistics, a plain value, an array) and saving a weight as .npy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lockpickle_gui.core.inspect import details


def test_layer_details_and_save_npy(tiny_model, tmp_path):
    found = details.node_details(tiny_model.layers[0], "hidden")
    assert json.loads(found.config_json)["units"] == 8 and not found.config_error
    names = [w.name for w in found.weights]
    assert names == ["tiny/hidden/kernel", "tiny/hidden/bias"]
    kernel = tiny_model.layers[0].kernel.numpy()
    assert found.weights[0].minimum == pytest.approx(kernel.min())
    assert found.weights[0].mean == pytest.approx(kernel.mean())
    saved = details.save_npy(found.weights[0].array, tmp_path / "kernel")
    assert saved.name == "kernel.npy"
    np.testing.assert_array_equal(np.load(saved, allow_pickle=False), kernel)


def test_plain_value_and_array_details():
    found = details.node_details({"a": 1}, "cfg")
    assert found.value == "{'a': 1}" and not found.weights and not found.config_json
    array = details.node_details(np.arange(6.0).reshape(2, 3), "table")
    assert array.weights[0].shape == (2, 3) and array.weights[0].maximum == 5.0
