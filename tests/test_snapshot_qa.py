"""QA defects in snapshots: held locks in a model's call(), manifest size, bound methods,
.keras files given to `info`, unwritable or foreign targets, weak references, shared layers."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.tf_runtime import import_keras

keras = import_keras()
TRUST = [__name__]


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


# --------------------------------------------------------------------------- 1. held locks


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
                model, target, verify_inputs=np.ones((2, 3), "float32"),
                progress=lambda fraction, message: outcome["messages"].append(message))
        except BaseException as error:  # reported by the test; the thread must end either way
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
def test_export_while_a_lock_the_model_takes_is_held_skips_verification(tmp_path,
                                                                        holder_is_exporter):
    model = _locked_model()
    target = tmp_path / "locked.lpsnap"
    outcome = _export_while_held(model, target, holder_is_exporter)
    entry = outcome["manifest"]["verification"]["models"][0]
    assert entry["source"] is None
    assert entry["skipped"] == ("root.lock was held at export; running the model would wait "
                                "for it")
    assert any("Not verifying model 'locked'" in m and "root.lock" in m
               for m in outcome["messages"])
    assert lp.read_manifest(target)["verification"]["models"][0]["skipped"] == entry["skipped"]
    loaded = lp.load_snapshot(target, trust=TRUST)
    assert not loaded.lock.locked()
    assert lp.verify_snapshot(target, obj=loaded).verdict == "no data"


def test_export_with_the_lock_free_still_verifies(tmp_path):
    model = _locked_model()
    manifest = lp.save_snapshot(model, tmp_path / "free.lpsnap",
                                verify_inputs=np.ones((2, 3), "float32"))
    entry = manifest["verification"]["models"][0]
    assert entry["source"] == "given" and "skipped" not in entry


def test_cli_export_summary_says_verification_was_skipped(tmp_path):
    from lockpickle_gui.commands.export_cmd import summary

    target = tmp_path / "locked.lpsnap"
    outcome = _export_while_held(_locked_model(), target, holder_is_exporter=True)
    text = summary(target, outcome["manifest"])
    assert "Verification skipped for model 'locked': root.lock was held at export" in text
