"""How Keras models are stored: config.json + plain .npy variables loaded without Keras'
random initialisation (the same variables, optimizer state and outputs as Keras' own round
trip), Keras' own format for a model with assets, and Keras' public format, with one
warning, on a Keras version whose internals were not checked."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import zipfile

import numpy as np
from models import keras, mlp, predict

import lockpickle_gui as lp

X = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


def test_model_round_trip_is_config_and_plain_npy_variables(tiny_model, tmp_path, caplog):
    target = tmp_path / "m.lpsnap"
    manifest = lp.save_snapshot(tiny_model, target)
    [entry] = manifest["models"]
    assert entry["storage"] == "native" and entry["name"] == "tiny"
    assert entry["params"] == tiny_model.count_params() and entry["path"] == "root"
    assert entry["variables"] == len(tiny_model.weights)
    assert manifest["root"].endswith("Sequential") and manifest["keras"] == keras.__version__
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert all(archive.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names)
        variables = sorted(n for n in names if n.startswith("models/0/vars/"))
        assert len(variables) == len(tiny_model.weights)
        for name in variables:  # plain .npy: numpy alone reads them, without pickle
            data = archive.read(name)
            assert hashlib.sha256(data).hexdigest() == manifest["members"][name]
            np.load(io.BytesIO(data), allow_pickle=False)
        config = json.loads(archive.read("models/0/config.json"))
    assert config["class_name"] == "Sequential"
    assert not any(n.endswith((".h5", ".keras", ".pkl")) for n in names)  # no HDF5, no pickle
    x = np.ones((2, 4), "float32")
    with caplog.at_level(logging.DEBUG, logger="lockpickle_gui.core.snapshot.keras.deferred_load"):
        restored = lp.load_snapshot(target)
    assert not caplog.records, "the deferred-initialisation loader fell back to Keras' path"
    np.testing.assert_array_equal(predict(restored, x), predict(tiny_model, x))
    assert manifest["verification"]["models"][0]["source"] == "generated"
    result = lp.verify_snapshot(target)
    assert result.verdict == "identical" and result.max_abs_diff == 0.0 and result.ok


def test_a_model_with_assets_is_stored_in_keras_own_format(tmp_path):
    lookup = keras.layers.StringLookup(vocabulary=["a", "b", "c"], name="lookup")
    model = keras.Sequential([keras.Input((1,), dtype="string"), lookup], name="vocab")
    target = tmp_path / "v.lpsnap"
    manifest = lp.save_snapshot(model, target, verify=False)
    assert manifest["models"][0]["storage"] == "keras"
    plain = tmp_path / "plain.keras"
    with zipfile.ZipFile(target) as archive:
        plain.write_bytes(archive.read("models/0/model.keras"))
    assert keras.saving.load_model(plain).layers[0].get_vocabulary() == ["[UNK]", "a", "b", "c"]
    restored = lp.load_snapshot(target)
    assert restored.layers[0].get_vocabulary() == ["[UNK]", "a", "b", "c"]


def test_native_storage_matches_keras_on_a_trained_compiled_model(tmp_path, caplog):
    """config.json + .npy variables, loaded without the random initialisation Keras
    overwrites: the same variables, optimizer state and outputs as Keras' own round trip."""
    keras.utils.set_random_seed(4)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    y = np.ones((3, 2), "float32")
    model.fit(X, y, epochs=2, verbose=0)
    target = tmp_path / "trained.lpsnap"
    lp.save_snapshot(model, target, verify=False)
    with caplog.at_level(logging.DEBUG, logger="lockpickle_gui.core.snapshot.keras.deferred_load"):
        fast = lp.load_snapshot(target)
    assert not caplog.records, "the deferred-initialisation loader fell back to Keras' order"
    model.save(tmp_path / "plain.keras")
    plain = keras.saving.load_model(tmp_path / "plain.keras")
    for mine, theirs in (
        (fast.variables, plain.variables),
        (fast.optimizer.variables, plain.optimizer.variables),
    ):
        assert len(mine) == len(theirs) > 0
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert fast.compiled and int(fast.optimizer.iterations) == 2
    np.testing.assert_array_equal(predict(fast, X), predict(model, X))
    # Training goes on from the restored optimizer state exactly as from Keras' own.
    for restored in (fast, plain):
        restored.fit(X, y, epochs=1, shuffle=False, verbose=0)
    assert int(fast.optimizer.iterations) == 3
    for a, b in zip(fast.variables, plain.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_another_keras_version_falls_back_to_keras_public_format_with_one_warning(
    tmp_path, monkeypatch, caplog
):
    """On a Keras whose internals were not checked, models go through Keras' public
    .keras format (a temporary file), and the log says so once per process."""
    from lockpickle_gui.core.snapshot.keras import compat

    monkeypatch.setattr(compat, "TESTED", ((0, 1), (0, 2)))
    monkeypatch.setattr(compat, "_warned", threading.Event())
    model = mlp()
    with caplog.at_level(logging.WARNING, logger="lockpickle_gui.core.snapshot.keras.compat"):
        first = lp.save_snapshot(model, tmp_path / "a.lpsnap")
        lp.save_snapshot(model, tmp_path / "b.lpsnap")
        restored = lp.load_snapshot(tmp_path / "a.lpsnap")
    assert first["models"][0]["storage"] == "keras"
    warnings = [r for r in caplog.records if "public .keras format" in r.getMessage()]
    assert len(warnings) == 1 and keras.__version__ in warnings[0].getMessage()
    np.testing.assert_array_equal(predict(restored, X), predict(model, X))
    assert lp.verify_snapshot(tmp_path / "a.lpsnap", obj=restored).verdict == "identical"
