"""Classes that pickle themselves are walked; what their own pickling leaves out is marked
"handled by the class" (before, such an object was opaque: its model and locks vanished)."""

from __future__ import annotations

import threading

from lockpickle_gui.core.inspect import inspect
from lockpickle_gui.core.inspect.report import level_of


class LockManager:  # the recipe: __reduce__ rebuilds it with fresh locks from its count
    def __init__(self, count):
        self.count = count
        self.locks = [threading.Lock() for _ in range(count)]

    def __reduce__(self):
        return (LockManager, (self.count,))


class StatefulHolder:  # __getstate__ keeps the model, drops the lock
    def __init__(self, model):
        self.model = model
        self.lock = threading.RLock()

    def __getstate__(self):
        return {"model": self.model}

    def __setstate__(self, state):
        self.__dict__.update(state, lock=threading.RLock())


class Service:
    def __init__(self, model):
        self.manager = LockManager(2)
        self.holder = StatefulHolder(model)
        self.own_lock = threading.Lock()


def test_self_pickling_objects_are_walked_and_their_left_out_locks_marked(tiny_model):
    tree = inspect(Service(tiny_model))
    notes = {a.path: a for a in tree.iter_annotations()}
    assert set(notes) == {
        "root.manager.locks[0]",
        "root.manager.locks[1]",
        "root.holder.lock",
        "root.own_lock",
    }
    for path in ("root.manager.locks[0]", "root.manager.locks[1]", "root.holder.lock"):
        assert level_of(notes[path]) == "handled"
        assert "handled by the class" in notes[path].detail
    assert "LockManager.__reduce__" in notes["root.manager.locks[0]"].detail
    assert "StatefulHolder.__getstate__" in notes["root.holder.lock"].detail
    assert level_of(notes["root.own_lock"]) == "recreate"  # nobody else handles this one
    model = tree.find("root.holder.model")  # the model inside is in the tree
    assert model is not None and model.role == "model"


def test_library_classes_with_their_own_pickling_stay_opaque():
    import logging

    class Holder:
        def __init__(self):
            self.log = logging.getLogger("x")
            self.lock = threading.Lock()

    tree = inspect(Holder())
    assert [node.path for node in tree.walk()] == ["root"]  # the logger is not walked
