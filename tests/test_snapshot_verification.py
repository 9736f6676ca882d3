"""Verification: outputs stored at export and compared at load (generated or given inputs,
a tampered output is a mismatch); none with verify=False; skipped, and said, when a lock the
model takes in call() is held at export."""

from __future__ import annotations

import io
import threading

import craft
import numpy as np
import pytest
from models import Box, keras, mlp

import lockpickle_gui as lp
from lockpickle_gui.core.errors import SnapshotError, VerificationFailed

TRUST = ["models", __name__]
X = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


def test_verification_mismatch_and_given_inputs(tmp_path):
    model = mlp()
    target = tmp_path / "v.lpsnap"
    manifest = lp.save_snapshot(model, target, verify_inputs=X)
    assert manifest["verification"]["models"][0]["source"] == "given"
    assert manifest["verification"]["models"][0]["samples"] == 3
    assert manifest["verification"]["models"][0]["runs"] == 2
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


def test_no_verify_stores_no_outputs_and_verifying_says_no_data(tmp_path):
    target = tmp_path / "n.lpsnap"
    manifest = lp.save_snapshot(Box(model=mlp(), lock=threading.Lock()), target, verify=False)
    assert manifest["verification"] is None
    assert [name for name in manifest["members"] if name.startswith("verify/")] == []
    assert lp.verify_snapshot(target, trust=TRUST).verdict == "no data"


@keras.saving.register_keras_serializable(package="lp_snapshot_qa_tests")
class LockedModel(keras.Model):
    """A subclassed model whose forward pass takes its own lock."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)
        self.lock = threading.Lock()

    def call(self, x):
        with self.lock:
            return self.dense(x)


def _locked_model():
    model = LockedModel(name="locked")
    model(np.zeros((1, 3), "float32"))  # built, so export has an input spec to run on
    return model


def _export_while_held(model, target, holder_is_exporter: bool):
    """save_snapshot on a helper thread while ``model.lock`` is held (by that thread or by
    this one); the lock is released in a finally, so a regression fails, never hangs."""
    outcome: dict = {"messages": []}
    holding = threading.Event()

    def export():
        try:
            if holder_is_exporter:
                model.lock.acquire()
                holding.set()
            outcome["manifest"] = lp.save_snapshot(
                model,
                target,
                verify_inputs=np.ones((2, 3), "float32"),
                progress=lambda fraction, message: outcome["messages"].append(message),
            )
        except BaseException as error:  # noqa: BLE001 - reported by the test; the thread must end either way
            outcome["error"] = error
        finally:
            if holder_is_exporter and holding.is_set():
                model.lock.release()

    if not holder_is_exporter:
        model.lock.acquire()
    worker = threading.Thread(target=export, name="export-under-lock")
    try:
        worker.start()
        worker.join(timeout=30)
        hung = worker.is_alive()
    finally:
        if holder_is_exporter:
            if worker.is_alive():  # stuck in its own lock: free it from here (a plain Lock)
                model.lock.release()
        else:
            model.lock.release()
        worker.join()
    assert not hung, "save_snapshot waited for the held lock"
    assert "error" not in outcome, outcome.get("error")
    return outcome


@pytest.mark.parametrize("holder_is_exporter", [False, True], ids=["other thread", "exporter"])
def test_export_while_a_lock_the_model_takes_is_held_skips_verification(
    tmp_path, holder_is_exporter
):
    model = _locked_model()
    target = tmp_path / "locked.lpsnap"
    outcome = _export_while_held(model, target, holder_is_exporter)
    entry = outcome["manifest"]["verification"]["models"][0]
    assert entry["source"] is None
    assert entry["skipped"] == ("root.lock was held at export; running the model would wait for it")
    assert any(
        "Not verifying model 'locked'" in m and "root.lock" in m for m in outcome["messages"]
    )
    assert lp.read_manifest(target)["verification"]["models"][0]["skipped"] == entry["skipped"]
    loaded = lp.load_snapshot(target, trust=TRUST)
    assert not loaded.lock.locked()
    assert lp.verify_snapshot(target, obj=loaded).verdict == "no data"


def test_export_with_the_lock_free_still_verifies(tmp_path):
    model = _locked_model()
    manifest = lp.save_snapshot(
        model, tmp_path / "free.lpsnap", verify_inputs=np.ones((2, 3), "float32")
    )
    entry = manifest["verification"]["models"][0]
    assert entry["source"] == "given" and "skipped" not in entry


def test_cli_export_summary_says_verification_was_skipped(tmp_path):
    from lockpickle_gui.cli._render import summary

    target = tmp_path / "locked.lpsnap"
    outcome = _export_while_held(_locked_model(), target, holder_is_exporter=True)
    text = summary(target, outcome["manifest"])
    assert "Verification skipped for model 'locked': root.lock was held at export" in text
