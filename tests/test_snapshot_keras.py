"""Snapshots holding Keras models: one member per distinct model, layers and sub-models shared,
locks in layers, custom layers, verification, projects (one slow subprocess test)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import subprocess
import sys
import textwrap
import threading
import zipfile

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.errors import SnapshotError, UntrustedCode, VerificationFailed
from lockpickle_gui.core.tf_runtime import import_keras

keras = import_keras()
TRUST = [__name__]


@keras.saving.register_keras_serializable(package="lp_snapshot_tests")
class Guarded(keras.layers.Layer):
    """A registered custom layer whose constructor makes its own lock."""

    def __init__(self, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.lock = threading.Lock()

    def call(self, x):
        return x * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


class Unregistered(keras.layers.Layer):
    def call(self, x):
        return x + 1.0


class Service:
    def __init__(self, model):
        self.model = model
        self.lock = threading.Lock()


def small_model(name="small", *extra):
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((4,), name="x"),
            keras.layers.Dense(5, name="hidden"),
            *extra,
            keras.layers.Dense(2, name="out"),
        ],
        name=name,
    )


def predict(model, x):
    return np.asarray(model(x, training=False))


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


def test_model_in_several_places_is_stored_once_and_restored_as_one(tmp_path):
    model = small_model()
    service = Service(model)
    service.models = {"a": model, "b": [model]}
    service.head = model.layers[1]  # a layer of the stored model
    target = tmp_path / "s.lpsnap"
    manifest = lp.save_snapshot(service, target)
    assert len(manifest["models"]) == 1 and manifest["models"][0]["path"] == "root.model"
    restored = lp.load_snapshot(target, trust=TRUST)
    assert restored.models["a"] is restored.model is restored.models["b"][0]
    assert restored.head is restored.model.layers[1]
    np.testing.assert_array_equal(predict(restored.model, X), predict(model, X))


def test_nested_models_are_stored_inside_their_outer_model(tmp_path):
    keras.utils.set_random_seed(2)
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="inner")
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(2)], name="outer")
    other = small_model("other")
    lone = keras.layers.Dense(2, name="lone")  # a bare layer, in no model
    lone.build((None, 4))
    target = tmp_path / "n.lpsnap"
    manifest = lp.save_snapshot(
        {"inner": inner, "outer": outer, "other": other, "lone": lone}, target
    )
    assert [m["name"] for m in manifest["models"]] == ["outer", "other", "lone"]
    with zipfile.ZipFile(target) as archive:
        state = json.loads(archive.read("state.json"))
    refs = [n for n in state["nodes"] if n["t"] == "keras"]
    assert {"model": 0, "path": ".layers[0]"}.items() <= refs[0].items()  # inner, inside outer
    restored = lp.load_snapshot(target)
    assert restored["inner"] is restored["outer"].layers[0]
    np.testing.assert_array_equal(restored["lone"].kernel.numpy(), lone.kernel.numpy())
    np.testing.assert_array_equal(predict(restored["outer"], X), predict(outer, X))
    np.testing.assert_array_equal(predict(restored["other"], X), predict(other, X))
    assert lp.verify_snapshot(target).verdict == "identical"


def test_lock_attached_after_construction_is_reattached_fresh_and_shared(tmp_path):
    model = small_model()
    model.layers[1].lock = threading.Lock()  # the seed's LockManager pattern
    model.layers[1].lock.acquire()
    service = Service(model)
    service.layer_locks = [model.layers[1].lock]
    target = tmp_path / "a.lpsnap"
    manifest = lp.save_snapshot(service, target)
    entry = next(e for e in manifest["primitives"] if e.get("attach"))
    assert entry["path"] == "root.model.layers[1].lock" and entry["kind"] == "Lock"
    assert entry["held_at_export"] is True and entry["also_at"] == ["root.layer_locks[0]"]
    assert entry["attach"] == [{"model": 0, "layer": ".layers[1]", "attribute": "lock"}]
    assert manifest["attachments"] == entry["attach"]
    restored = lp.load_snapshot(target, trust=TRUST)
    lock = restored.model.layers[1].lock
    assert isinstance(lock, type(threading.Lock())) and not lock.locked()
    assert restored.layer_locks[0] is lock
    model.layers[1].lock.release()


def test_locks_made_by_a_registered_layer_are_listed(tmp_path):
    model = small_model("guarded", Guarded(name="guard"))
    target = tmp_path / "g.lpsnap"
    manifest = lp.save_snapshot(model, target)
    [entry] = manifest["primitives"]
    assert entry["path"] == "root.layers[1].lock"
    assert manifest["types"] == [
        {
            "name": f"{__name__}:Guarded",
            "kind": "class",
            "use": "model",
            "registered": "lp_snapshot_tests>Guarded",
        }
    ]
    restored = lp.load_snapshot(target)  # registered in this process: Keras finds it
    assert isinstance(restored.layers[1], Guarded) and not restored.layers[1].lock.locked()
    np.testing.assert_array_equal(predict(restored, X), predict(model, X))


def test_registered_layer_not_imported_needs_trust(tmp_path):
    model = small_model("guarded", Guarded(name="guard"))
    target = tmp_path / "g.lpsnap"
    lp.save_snapshot(model, target)
    registry = keras.saving.get_custom_objects()
    saved = registry.pop("lp_snapshot_tests>Guarded")
    try:  # as in a fresh process that never imported this module
        with pytest.raises(UntrustedCode, match="Guarded") as caught:
            lp.load_snapshot(target)
        assert caught.value.module == __name__ and "--trust" in str(caught.value)
        restored = lp.load_snapshot(target, trust=TRUST)
        assert type(restored.layers[1]).__name__ == "Guarded"
    finally:
        registry["lp_snapshot_tests>Guarded"] = saved


def test_unregistered_custom_layer_is_refused_at_export(tmp_path):
    model = small_model("bad", Unregistered(name="plus_one"))
    target = tmp_path / "u.lpsnap"
    with pytest.raises(SnapshotError, match="register_keras_serializable") as caught:
        lp.save_snapshot({"model": model}, target)
    assert f"{__name__}.Unregistered" in str(caught.value)
    assert "root['model'].layers[1]" in str(caught.value)
    assert not target.exists()


def test_verification_mismatch_and_given_inputs(tmp_path):
    model = small_model()
    target = tmp_path / "v.lpsnap"
    manifest = lp.save_snapshot(model, target, verify_inputs=X)
    assert manifest["verification"]["models"][0]["source"] == "given"
    assert manifest["verification"]["models"][0]["samples"] == 3
    assert manifest["verification"]["models"][0]["runs"] == 2
    import craft

    members = craft.members_of(target)
    output = np.load(io.BytesIO(members["verify/out/0_0.npy"]), allow_pickle=False)
    buffer = io.BytesIO()
    np.save(buffer, output + 0.5)
    tampered = craft.write(
        tmp_path / "t.lpsnap", craft.resealed(members, {"verify/out/0_0.npy": buffer.getvalue()})
    )
    result = lp.verify_snapshot(tampered)
    assert result.verdict == "mismatch" and result.max_abs_diff == pytest.approx(0.5)
    with pytest.raises(VerificationFailed) as caught:
        result.raise_if_failed()
    assert caught.value.max_abs_diff == pytest.approx(0.5)
    with pytest.raises(SnapshotError, match="verification inputs"):
        lp.save_snapshot(model, tmp_path / "w.lpsnap", verify_inputs=np.ones((2, 7), "float32"))


def test_no_verify_and_manifest_tree(tmp_path):
    model = small_model()
    model.layers[0].lock = threading.RLock()
    target = tmp_path / "n.lpsnap"
    manifest = lp.save_snapshot(Service(model), target, verify=False)
    assert manifest["verification"] is None
    assert "verify/outputs.npz" not in manifest["members"]
    assert lp.verify_snapshot(target, trust=TRUST).verdict == "no data"
    from lockpickle_gui.core.snapshot import manifest_tree

    tree = manifest_tree(lp.read_manifest(target))
    model_node = tree.find("root.model")
    assert model_node.role == "model" and model_node.keras["params"] == model.count_params()
    assert [a.path for a in model_node.annotations] == ["root.model.layers[0].lock"]
    assert [a.path for a in tree.annotations] == ["root.lock"]


def test_lambda_layer_needs_safe_mode_off(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 3.0)])
    target = tmp_path / "l.lpsnap"
    lp.save_snapshot(model, target, verify=False)
    with pytest.raises(SnapshotError, match="safe_mode=False"):
        lp.load_snapshot(target)
    restored = lp.load_snapshot(target, safe_mode=False)
    np.testing.assert_allclose(predict(restored, np.ones((1, 2), "float32")), [[3.0, 3.0]])


def test_open_project_opens_a_snapshot(tmp_path):
    from lockpickle_gui.core.project import open_project

    target = tmp_path / "p.lpsnap"
    lp.save_snapshot(Service(small_model("detector")), target)
    project = open_project(target, trust=TRUST)
    assert project.kind == "snapshot" and list(project.models) == ["detector"]
    assert isinstance(project.runtime, Service) and project.manifest["format_version"] == 2
    assert lp.verify_snapshot(target, obj=project.runtime).verdict == "identical"


# --------------------------------------------------------------------------- projects

LAYERS_PY = """
    import keras

    @keras.saving.register_keras_serializable(package="lp_snapshot_project")
    class Shift(keras.layers.Layer):
        def __init__(self, shift=1.0, **kwargs):
            super().__init__(**kwargs)
            self.shift = shift

        def call(self, x):
            return x + self.shift

        def get_config(self):
            return {**super().get_config(), "shift": self.shift}
"""

SERVICE_PY = """
    import threading

    class Service:
        def __init__(self, model):
            self.model = model
            self.lock = threading.Lock()
            self.cond = threading.Condition(self.lock)

    def build(models):
        return Service(models["detector"])
"""

TOML = """
    [project]
    name = "snap-demo"
    [[models]]
    name = "detector"
    path = "model.keras"
    [code]
    modules = ["layers.py", "service.py"]
    [runtime]
    factory = "service:build"
"""

FRESH_PROCESS = """
    import json, sys
    import lockpickle_gui as lp
    path = sys.argv[1]
    report = {}
    try:
        lp.load_snapshot(path)
    except lp.UntrustedCode as error:
        report["refused"] = str(error)
    service = lp.load_snapshot(path, trust_bundled_code=True)
    report["type"] = type(service).__module__ + "." + type(service).__qualname__
    report["lock_free"] = not service.lock.locked()
    report["shared"] = service.cond._lock is service.lock
    report["layer"] = type(service.model.layers[1]).__name__
    report["verdict"] = lp.verify_snapshot(path, obj=service).verdict
    print(json.dumps(report))
"""


@pytest.mark.slow
def test_project_snapshot_loads_in_a_fresh_process_without_the_folder(tmp_path):
    from lockpickle_gui.core.code_package import import_code_package
    from lockpickle_gui.core.project import code_package_name, open_project

    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "lockpickle.toml").write_text(textwrap.dedent(TOML))
    (folder / "layers.py").write_text(textwrap.dedent(LAYERS_PY))
    (folder / "service.py").write_text(textwrap.dedent(SERVICE_PY))
    # Build the project's model with its own Shift layer, imported the way open_project does.
    package = code_package_name(folder, "snap-demo")
    shift = import_code_package(package, {"layers": folder / "layers.py"}, "test")["layers"].Shift
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), shift(0.5)], name="detector"
    )
    model.save(folder / "model.keras")
    project = open_project(folder)
    target = tmp_path / "demo.lpsnap"
    manifest = lp.save_snapshot(project, target)
    assert manifest["code_package"] == project.code_package == package
    assert {c["module"] for c in manifest["code"]} == {"layers", "service"}
    # everything needed is the bundled code
    assert {t["name"].split(":")[0] for t in manifest["types"]} <= {
        f"{package}.layers",
        f"{package}.service",
    }
    assert lp.untrusted_types(target, trust_bundled_code=True) == []
    with pytest.raises(UntrustedCode, match="trust_bundled_code=True"):
        lp.load_snapshot(target)
    shutil.rmtree(folder)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FRESH_PROCESS), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert "--trust-bundled-code" in report["refused"]
    assert report["type"] == f"{package}.service.Service"
    assert report == dict(report, lock_free=True, shared=True, layer="Shift", verdict="identical")
    # Re-exporting the opened snapshot bundles the same code, read back from the snapshot.
    reopened = open_project(target, trust_bundled_code=True)
    again = lp.save_snapshot(reopened, tmp_path / "again.lpsnap")
    assert again["code"] == manifest["code"] and again["code_package"] == package


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
    model.fit(X, np.ones((3, 2), "float32"), epochs=2, verbose=0)
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
    fast.fit(X, np.ones((3, 2), "float32"), epochs=1, verbose=0)  # trains on


def test_savedmodel_is_refused_rather_than_saved_half(tmp_path):
    """A TFSMLayer keeps its graph in the SavedModel folder: the snapshot could not load
    without it, so export says so instead of writing a file that fails later."""
    from lockpickle_gui.core.project import open_project

    small_model().export(str(tmp_path / "saved"), verbose=False)
    project = open_project(tmp_path / "saved")
    with pytest.raises(SnapshotError, match="SavedModel folder") as caught:
        lp.save_snapshot(project, tmp_path / "s.lpsnap")
    assert "TFSMLayer" in str(caught.value) and not (tmp_path / "s.lpsnap").exists()


def test_another_keras_version_falls_back_to_keras_public_format_with_one_warning(
    tmp_path, monkeypatch, caplog
):
    """On a Keras whose internals were not checked, models go through Keras' public
    .keras format (a temporary file), and the log says so once per process."""
    from lockpickle_gui.core.snapshot.keras import compat

    monkeypatch.setattr(compat, "TESTED", ((0, 1), (0, 2)))
    monkeypatch.setattr(compat, "_warned", threading.Event())
    model = small_model()
    with caplog.at_level(logging.WARNING, logger="lockpickle_gui.core.snapshot.keras.compat"):
        first = lp.save_snapshot(model, tmp_path / "a.lpsnap")
        lp.save_snapshot(model, tmp_path / "b.lpsnap")
        restored = lp.load_snapshot(tmp_path / "a.lpsnap")
    assert first["models"][0]["storage"] == "keras"
    warnings = [r for r in caplog.records if "public .keras format" in r.getMessage()]
    assert len(warnings) == 1 and keras.__version__ in warnings[0].getMessage()
    np.testing.assert_array_equal(predict(restored, X), predict(model, X))
    assert lp.verify_snapshot(tmp_path / "a.lpsnap", obj=restored).verdict == "identical"
