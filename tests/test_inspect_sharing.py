"""core.inspect on shared objects: an object in several places is annotated once, the other
places are stubs pointing back; a Condition and its lock name each other; cycles end."""

from __future__ import annotations

import threading

from helpers import annotations_by_path
from models import Box, sharing_a_layer

from lockpickle_gui.core.inspect import inspect, resolve_path


def test_shared_objects_are_annotated_once_and_stubs_point_back(tiny_model):
    lock = threading.Lock()
    service = Box(model=tiny_model, lock=lock, same_lock=lock, backup=tiny_model)
    service.by_name = {"main": tiny_model}
    tree = inspect(service)
    notes = [n for n in tree.iter_annotations() if n.obj is lock]
    assert len(notes) == 1 and notes[0].path == "root.lock"
    assert "also at root.same_lock" in notes[0].detail
    assert tree.find("root.same_lock").shared_with == "root.lock"
    backup = tree.find("root.backup")
    assert backup.shared_with == "root.model" and backup.children == [] and backup.role == "model"
    assert tree.find("root.by_name['main']").shared_with == "root.model"
    assert resolve_path(service, "root.by_name['main']") is tiny_model


def test_condition_sharing_an_rlock_names_the_other_place():
    rlock = threading.RLock()
    holder = {"cond": threading.Condition(rlock), "rlock": rlock}
    notes = annotations_by_path(inspect(holder))
    assert "shares root['rlock']" in notes["root['cond']"].detail
    assert "also the lock of root['cond']" in notes["root['rlock']"].detail
    # The other order: the lock first.
    notes = annotations_by_path(inspect({"a": rlock, "b": threading.Condition(rlock)}))
    assert "shares root['a']" in notes["root['b']"].detail
    # Two conditions on one lock that is stored nowhere else.
    inner = threading.Lock()
    notes = annotations_by_path(inspect([threading.Condition(inner), threading.Condition(inner)]))
    assert set(notes) == {"root[0]", "root[1]"}
    assert "shares its lock with root[0]" in notes["root[1]"].detail


def test_a_cycle_is_walked_once():
    class Link:
        def __init__(self, nxt=None):
            self.next = nxt
            self.lock = threading.Lock()

    head = Link()
    head.next = Link(Link(head))  # a cycle of three
    tree = inspect(head)
    assert {n.path for n in tree.iter_annotations()} == {
        "root.lock",
        "root.next.lock",
        "root.next.next.lock",
    }


def test_a_layer_in_two_models_is_a_stub_in_the_second():
    a, b = sharing_a_layer()
    tree = inspect({"a": a, "b": b})
    stub = tree.find("root['b'].layers[1]")
    assert stub.shared_with == "root['a'].layers[1]" and stub.keras["class"] == "Dense"
    assert stub.children == []
