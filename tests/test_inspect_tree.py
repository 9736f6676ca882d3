"""core.inspect's tree of a plain object graph: paths through attributes, containers, slots
and odd keys; uninteresting attributes pruned unless show_internal; the Node helpers."""

from __future__ import annotations

import collections
import json
import threading

import pytest
from helpers import annotations_by_path, assert_paths_resolve

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.inspect import inspect, resolve_path


class LockManager:
    def __init__(self, count):
        self.locks = [threading.Lock() for _ in range(count)]


class Service:
    def __init__(self, model):
        self.model = model
        self.lock_manager = LockManager(5)
        self.lock = threading.Lock()


class Slotted:
    __slots__ = ("lock", "__private", "empty")

    def __init__(self):
        self.lock = threading.Lock()
        self.__private = threading.Event()


def test_service_with_lock_manager_paths(tiny_model):
    service = Service(tiny_model)
    tree = inspect(service)
    notes = annotations_by_path(tree)
    assert set(notes) == {"root.lock", *(f"root.lock_manager.locks[{i}]" for i in range(5))}
    assert tree.lock_count() == 6
    locks_node = tree.find("root.lock_manager.locks")
    assert locks_node is not None and len(locks_node.annotations) == 5  # on the owning node
    assert locks_node.parent is tree.find("root.lock_manager")
    model_node = tree.find("root.model")
    assert model_node.role == "model" and model_node.keras["params"] == 4 * 8 + 8 + 8 * 3 + 3
    assert [c.path for c in model_node.children] == ["root.model.layers[0]", "root.model.layers[1]"]
    assert_paths_resolve(service, tree)


def test_containers_slots_sets_and_odd_keys():
    slotted = Slotted()
    lone = threading.Lock()
    graph = {
        "slotted": slotted,
        3: [threading.Event(), (threading.Semaphore(),)],
        ("a", 1): collections.deque([threading.Lock()]),
        object(): threading.Lock(),
        "set": {lone},
    }
    tree = inspect(graph)
    paths = {n.path for n in tree.iter_annotations()}
    assert {
        "root['slotted'].lock",
        "root['slotted']._Slotted__private",
        "root[3][0]",
        "root[3][1][0]",
        "root[('a', 1)][0]",
        "<set element of root['set']>",
    } <= paths
    assert any(p.startswith("<value for key <object object") for p in paths)
    assert_paths_resolve(graph, tree)
    set_note = next(n for n in tree.iter_annotations() if n.obj is lone)
    with pytest.raises(LockpickleError, match="set element"):
        resolve_path(graph, set_note.path)


def test_uninteresting_attributes_are_pruned_unless_show_internal():
    class Config:
        def __init__(self):
            self.size = 3
            self.names = ["a", "b"]

    class App:
        def __init__(self):
            self.config = Config()
            self.lock = threading.Lock()

    app = App()
    tree = inspect(app)
    assert tree.children == [] and [n.path for n in tree.annotations] == ["root.lock"]
    full = inspect(app, show_internal=True)
    assert {"root.config", "root.config.size", "root.config.names"} <= {n.path for n in full.walk()}


def test_lone_primitive_and_scalars_are_roots():
    tree = inspect(threading.Lock())
    assert tree.path == "root" and [n.path for n in tree.annotations] == ["root"]
    assert inspect(42).children == [] and inspect(42).type == "builtins.int"


def test_resolve_path_refuses_code():
    with pytest.raises(LockpickleError, match="Expected"):
        resolve_path({}, "root.__class__()")
    with pytest.raises(LockpickleError, match="Expected"):
        resolve_path({}, "os.system('x')")
    with pytest.raises(LockpickleError, match="Expected"):
        resolve_path({}, "root[")
    with pytest.raises(LockpickleError, match="KeyError"):
        resolve_path({}, "root['missing']")
    assert resolve_path({"a": [1, {"b": 2}]}, "root['a'][1]['b']") == 2


def test_node_helpers_walk_find_to_dict(tiny_model):
    service = Service(tiny_model)
    tree = inspect(service)
    order = [n.path for n in tree.walk()]
    assert order[0] == "root" and order.index("root.model") < order.index("root.model.layers[0]")
    assert tree.find("nope") is None
    data = tree.to_dict()
    assert set(data) == {
        "name",
        "path",
        "type",
        "role",
        "keras",
        "annotations",
        "shared_with",
        "truncated",
        "children",
    }
    assert data["type"].endswith("test_inspect_tree.Service")
    assert set(data["annotations"][0]) == {"path", "kind", "state", "held", "action", "detail"}
    assert json.loads(json.dumps(data)) == data  # plain JSON: no tuples, no objects
