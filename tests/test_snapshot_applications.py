"""keras.applications models round-trip bit-identical through a snapshot (weights=None, small
inputs, so each builds in seconds): every weight equal, outputs equal, fresh locks.

Dropout's random seed generators (EfficientNet has them) are not weights: Keras' own
save/load does not keep their state either, and they only matter while training."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import lockpickle_gui as lp

APPLICATIONS = {
    "ResNet50": {"input_shape": (64, 64, 3)},
    "MobileNetV2": {"input_shape": (64, 64, 3)},
    "EfficientNetB0": {"input_shape": (64, 64, 3)},
    "DenseNet121": {"input_shape": (64, 64, 3)},
    "VGG16": {"input_shape": (48, 48, 3)},
}


class Server:
    def __init__(self, model):
        self.model = model
        self.lock = threading.Lock()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_keras_applications_round_trip_bit_identical(name, keras, tmp_path):
    keras.utils.set_random_seed(0)
    model = getattr(keras.applications, name)(weights=None, classes=10, **APPLICATIONS[name])
    server = Server(model)
    target = tmp_path / f"{name}.lpsnap"
    manifest = lp.save_snapshot(server, target)
    assert manifest["models"][0]["storage"] == "native"
    assert manifest["types"] == [{"name": f"{__name__}:Server", "kind": "class", "use": "state"}]
    restored = lp.load_snapshot(target, trust=[f"{__name__}.Server"])
    assert restored.lock is not server.lock and not restored.lock.locked()
    mine, theirs = restored.model.weights, model.weights
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    x = np.random.default_rng(0).uniform(0, 255, (2, *APPLICATIONS[name]["input_shape"]))
    x = x.astype("float32")
    np.testing.assert_array_equal(
        np.asarray(restored.model(x, training=False)), np.asarray(model(x, training=False))
    )
    assert lp.verify_snapshot(target, obj=restored).verdict == "identical"
