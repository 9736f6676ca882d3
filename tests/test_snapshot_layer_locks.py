"""Locks inside Keras layers: one attached after construction is re-attached fresh (and shared
with its other places); one a registered layer's constructor makes is listed and made again
by the constructor."""

from __future__ import annotations

import threading

import numpy as np
from models import Box, LockedScale, mlp, predict

import lockpickle_gui as lp

X = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


def test_lock_attached_after_construction_is_reattached_fresh_and_shared(tmp_path):
    model = mlp()
    model.layers[1].lock = threading.Lock()  # the seed's LockManager pattern
    model.layers[1].lock.acquire()
    service = Box(model=model, lock=threading.Lock(), layer_locks=[model.layers[1].lock])
    target = tmp_path / "a.lpsnap"
    manifest = lp.save_snapshot(service, target)
    entry = next(e for e in manifest["primitives"] if e.get("attach"))
    assert entry["path"] == "root.model.layers[1].lock" and entry["kind"] == "Lock"
    assert entry["held_at_export"] is True and entry["also_at"] == ["root.layer_locks[0]"]
    assert entry["attach"] == [{"model": 0, "layer": ".layers[1]", "attribute": "lock"}]
    assert manifest["attachments"] == entry["attach"]
    restored = lp.load_snapshot(target, trust=["models"])
    lock = restored.model.layers[1].lock
    assert isinstance(lock, type(threading.Lock())) and not lock.locked()
    assert restored.layer_locks[0] is lock
    model.layers[1].lock.release()


def test_locks_made_by_a_registered_layer_are_listed(tmp_path):
    model = mlp(insert=[LockedScale(name="guard")])
    target = tmp_path / "g.lpsnap"
    manifest = lp.save_snapshot(model, target)
    [entry] = manifest["primitives"]
    assert entry["path"] == "root.layers[1].lock"
    assert manifest["types"] == [
        {
            "name": "models:LockedScale",
            "kind": "class",
            "use": "model",
            "registered": "lp_tests>LockedScale",
        }
    ]
    restored = lp.load_snapshot(target)  # registered in this process: Keras finds it
    assert isinstance(restored.layers[1], LockedScale) and not restored.layers[1].lock.locked()
    assert restored.layers[1].lock is not model.layers[1].lock  # made by the constructor
    np.testing.assert_array_equal(predict(restored, X), predict(model, X))
