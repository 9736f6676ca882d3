"""Snapshots in memory: lp.dumps/loads bytes are a snapshot file, and lp.to_members/
from_members (what transport uses) keep arrays as arrays and check every member."""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest
from models import Box

import lockpickle_gui as lp
from lockpickle_gui.core.errors import UntrustedCode


def test_dumps_loads_and_members_are_the_same_format(tmp_path):
    service = Box(lock=threading.Lock(), weights=np.arange(500_000.0), queue=queue.Queue())
    data = lp.dumps(service)
    assert data.startswith(b"PK") and lp.loads(data, trust=["models"]).weights.shape == (500_000,)
    target = tmp_path / "same.lpsnap"
    target.write_bytes(data)  # bytes from dumps are a snapshot file
    assert lp.read_manifest(target)["types"] == lp.read_manifest(data)["types"]
    manifest, members = lp.to_members(service)
    assert isinstance(members["arrays/0.npy"], np.ndarray)  # not copied into bytes
    back = lp.from_members(members, trust=["models"])
    assert np.array_equal(back.weights, service.weights) and not back.lock.locked()
    with pytest.raises(UntrustedCode):
        lp.from_members(members)
    with pytest.raises(lp.CorruptSnapshot, match="sha256"):
        lp.from_members(dict(members, **{"arrays/0.npy": np.zeros(500_000)}), trust=["models"])
