"""A SavedModel through Keras' TFSMLayer: the pool serves its endpoint (positional, or a
signature's named inputs) with the model's own answers, and the thread-safety check runs on
it."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_outputs_close
from models import branching, keras, mlp

from lockpickle_gui.core.preview import InferencePool, check_thread_safety


@pytest.fixture(scope="module")
def saved_model_layer(tmp_path_factory):
    model = mlp()
    folder = tmp_path_factory.mktemp("savedmodel") / "exported"
    model.export(str(folder), verbose=False)
    return model, keras.layers.TFSMLayer(str(folder))


def test_pool_serves_a_savedmodel_through_tfsmlayer(saved_model_layer):
    model, layer = saved_model_layer
    samples = list(np.random.default_rng(0).standard_normal((30, 4)).astype("float32"))
    with InferencePool(layer, workers=2, max_batch=4) as pool:
        assert pool.signature.call_style == "endpoint"
        results = pool.map(samples)
    assert_outputs_close(results, model(np.stack(samples)))


def test_savedmodel_signature_endpoint_takes_named_inputs(tmp_path):
    import tensorflow as tf

    model = branching()
    folder = tmp_path / "sig"
    tf.saved_model.save(model, str(folder))
    layer = keras.layers.TFSMLayer(str(folder), call_endpoint="serving_default")
    with InferencePool(layer, workers=1, max_batch=4) as pool:
        assert pool.signature.call_style == "kwargs"
        # the signature names the traced call's arguments: inputs (in_a), inputs_1 (in_b)
        assert dict(zip(pool.signature.names, (s.shape for s in pool.signature.specs))) == {
            "inputs": (32,),
            "inputs_1": (16,),
        }
        rng = np.random.default_rng(1)
        sample = {"inputs": rng.standard_normal(32), "inputs_1": rng.standard_normal(16)}
        sample = {name: value.astype("float32") for name, value in sample.items()}
        result = pool.submit(sample).result()
    cls, reg = model([sample["inputs"][None], sample["inputs_1"][None]], training=False)
    assert set(result) == {"output_0", "output_1"}
    np.testing.assert_allclose(result["output_0"], np.asarray(cls)[0], atol=1e-5)
    np.testing.assert_allclose(result["output_1"], np.asarray(reg)[0], atol=1e-5)


def test_check_thread_safety_on_a_savedmodel(saved_model_layer):
    _, layer = saved_model_layer
    samples = list(np.random.default_rng(1).standard_normal((12, 4)).astype("float32"))
    report = check_thread_safety(layer, samples, workers=2, clients=3, max_batch=4)
    assert report.verdict in ("identical", "within tolerance") and report.lock_layers == []
