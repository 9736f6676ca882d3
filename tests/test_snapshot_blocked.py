"""What a snapshot cannot store is refused at export, every path named at once, and nothing
written; ``on_blocked="drop"`` stores None there instead."""

from __future__ import annotations

import socket
import threading
import weakref

import pytest
from models import Box, keras, mlp

import lockpickle_gui as lp
from lockpickle_gui.core.errors import SnapshotError, UnpicklableState

TRUST = ["models", __name__]


def test_blocked_state_is_reported_all_at_once(tmp_path):
    log = open(tmp_path / "log.txt", "w")  # noqa: SIM115 - the open file is the point
    sock = socket.socket()
    worker = threading.Thread(target=lambda: None)
    generator = (n for n in range(3))
    obj = Box(
        log=log,
        nested={"sock": sock},
        workers=[worker],
        gen=generator,
        callback=lambda: None,
        lock=threading.Lock(),
    )
    target = tmp_path / "blocked.lpsnap"
    try:
        with pytest.raises(UnpicklableState) as caught:
            lp.save_snapshot(obj, target)
        blocked = dict(caught.value.blocked)
        assert blocked == {
            "root.log": "file",
            "root.nested['sock']": "socket",
            "root.workers[0]": "Thread",
            "root.gen": "generator",
            "root.callback": "lambda",
        }
        assert "on_blocked" in str(caught.value) and not target.exists()
        manifest = lp.save_snapshot(obj, target, on_blocked="drop")
    finally:
        log.close()
        sock.close()
    assert {entry["path"] for entry in manifest["dropped"]} == set(blocked)
    restored = lp.load_snapshot(target, trust=TRUST)
    assert restored.log is None and restored.nested == {"sock": None}
    assert restored.workers == [None] and restored.gen is None and restored.callback is None
    assert not restored.lock.locked()


def test_unpicklable_object_is_a_clear_error(tmp_path):
    class Local:  # a class pickle cannot import by name
        pass

    with pytest.raises(UnpicklableState, match="Local"):
        lp.save_snapshot(Box(thing=Local()), tmp_path / "x.lpsnap")
    assert list(tmp_path.iterdir()) == []


def test_bad_on_blocked_policy(tmp_path):
    with pytest.raises(lp.LockpickleError, match="on_blocked"):
        lp.save_snapshot(Box(), tmp_path / "x.lpsnap", on_blocked="ignore")


class Service:
    """A plain service whose callback is one of its own methods."""

    def __init__(self):
        self.lock = threading.Lock()
        self.callback = self.handle

    def handle(self, item):
        return item


def test_bound_methods_are_refused_at_export_with_their_paths(tmp_path):
    service = Service()
    with pytest.raises(UnpicklableState) as caught:
        lp.save_snapshot({"service": service, "append": [].append}, tmp_path / "s.lpsnap")
    assert sorted(caught.value.blocked) == [
        ("root['append']", "bound method"),  # a built-in's method
        ("root['service'].callback", "bound method"),  # the object's own
    ]
    assert not (tmp_path / "s.lpsnap").exists()
    manifest = lp.save_snapshot(service, tmp_path / "s.lpsnap", on_blocked="drop")
    assert [(d["path"], d["kind"]) for d in manifest["dropped"]] == [
        ("root.callback", "bound method")
    ]
    loaded = lp.load_snapshot(tmp_path / "s.lpsnap", trust=TRUST)
    assert loaded.callback is None and not loaded.lock.locked()


def test_weak_references_are_reported_with_their_paths_and_dropped(tmp_path):
    parent = Box(name="parent")
    child = Box(parent=weakref.ref(parent), proxy=weakref.proxy(parent), lock=threading.Lock())
    graph = Box(parent=parent, child=child)
    notes = {note.path: note for note in lp.inspect(graph).iter_annotations()}
    assert notes["root.child.parent"].kind == "weakref"
    assert notes["root.child.parent"].action == "block"
    assert notes["root.child.proxy"].detail == (
        "a weak reference points into this process's memory"
    )
    with pytest.raises(UnpicklableState) as caught:
        lp.save_snapshot(graph, tmp_path / "w.lpsnap")
    assert sorted(caught.value.blocked) == [
        ("root.child.parent", "weakref"),
        ("root.child.proxy", "weakref"),
    ]
    assert "root.child.parent (weakref, ref to a Box)" in str(caught.value)
    manifest = lp.save_snapshot(graph, tmp_path / "w.lpsnap", on_blocked="drop")
    assert sorted(d["path"] for d in manifest["dropped"]) == [
        "root.child.parent",
        "root.child.proxy",
    ]
    loaded = lp.load_snapshot(tmp_path / "w.lpsnap", trust=TRUST)
    assert loaded.child.parent is None and loaded.child.proxy is None
    assert loaded.parent.name == "parent" and not loaded.child.lock.locked()


class Unregistered(keras.layers.Layer):
    def call(self, x):
        return x + 1.0


def test_unregistered_custom_layer_is_refused_at_export(tmp_path):
    model = mlp(insert=[Unregistered(name="plus_one")])
    target = tmp_path / "u.lpsnap"
    with pytest.raises(SnapshotError, match="register_keras_serializable") as caught:
        lp.save_snapshot({"model": model}, target)
    assert f"{__name__}.Unregistered" in str(caught.value)
    assert "root['model'].layers[1]" in str(caught.value)
    assert not target.exists()


def test_savedmodel_is_refused_rather_than_saved_half(tmp_path):
    """A TFSMLayer keeps its graph in the SavedModel folder: the snapshot could not load
    without it, so export says so instead of writing a file that fails later."""
    from lockpickle_gui.core.project import open_project

    mlp().export(str(tmp_path / "saved"), verbose=False)
    project = open_project(tmp_path / "saved")
    with pytest.raises(SnapshotError, match="SavedModel folder") as caught:
        lp.save_snapshot(project, tmp_path / "s.lpsnap")
    assert "TFSMLayer" in str(caught.value) and not (tmp_path / "s.lpsnap").exists()
