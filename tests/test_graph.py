"""core.graph: the tree of layers and objects, annotations, paths that resolve."""

from __future__ import annotations

import collections
import concurrent.futures
import io
import json
import queue
import socket
import threading

import pytest

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.inspect import Annotation, Node, inspect, resolve_path


def assert_paths_resolve(root_obj, tree: Node):
    for note in tree.iter_annotations():
        if not note.path.startswith("<"):
            assert resolve_path(root_obj, note.path) is note.obj, note.path
    for node in tree.walk():
        if not node.path.startswith("<"):
            assert resolve_path(root_obj, node.path) is node.obj, node.path


def by_path(tree: Node) -> dict[str, Annotation]:
    return {note.path: note for note in tree.iter_annotations()}


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


# --------------------------------------------------------------------------- plain graphs


def test_every_primitive_kind_is_annotated_with_a_resolving_path(tmp_path):
    class Holder:
        pass

    holder = Holder()
    holder.lock = threading.Lock()
    holder.rlock = threading.RLock()
    holder.cond = threading.Condition()
    holder.sem = threading.Semaphore(3)
    holder.bsem = threading.BoundedSemaphore(2)
    holder.event = threading.Event()
    holder.barrier = threading.Barrier(2)
    holder.queue = queue.Queue()
    holder.pqueue = queue.PriorityQueue()
    holder.lqueue = queue.LifoQueue()
    holder.squeue = queue.SimpleQueue()
    holder.local = threading.local()
    holder.pool = concurrent.futures.ThreadPoolExecutor(1)
    holder.pool.shutdown()
    holder.thread = threading.Thread(target=print)
    holder.file = open(tmp_path / "f.txt", "w")  # noqa: SIM115 - an open file is the point
    holder.sock = socket.socket()
    holder.gen = (i for i in range(3))
    holder.fn = lambda x: x
    try:
        tree = inspect(holder)
        kinds = {note.path: note.kind for note in tree.iter_annotations()}
        assert kinds == {
            "root.lock": "Lock",
            "root.rlock": "RLock",
            "root.cond": "Condition",
            "root.sem": "Semaphore",
            "root.bsem": "BoundedSemaphore",
            "root.event": "Event",
            "root.barrier": "Barrier",
            "root.queue": "Queue",
            "root.pqueue": "PriorityQueue",
            "root.lqueue": "LifoQueue",
            "root.squeue": "SimpleQueue",
            "root.local": "local",
            "root.pool": "ThreadPoolExecutor",
            "root.thread": "Thread",
            "root.file": "file",
            "root.sock": "socket",
            "root.gen": "generator",
            "root.fn": "lambda",
        }
        actions = {note.kind: note.action for note in tree.iter_annotations()}
        assert actions["Lock"] == "recreate" and actions["Event"] == "keep"
        assert actions["file"] == actions["socket"] == actions["ThreadPoolExecutor"] == "block"
        assert_paths_resolve(holder, tree)
        json.dumps(tree.to_dict())
        # A primitive's own internals (Queue mutex, Condition lock) are not listed again.
        assert len(tree.annotations) == len(kinds)
    finally:
        holder.file.close()
        holder.sock.close()


def test_held_locks_say_who_holds_them():
    holder = type("Holder", (), {})()
    holder.lock = threading.Lock()
    holder.rlock = threading.RLock()
    holder.lock.acquire()
    holder.rlock.acquire()
    holder.rlock.acquire()
    try:
        notes = by_path(inspect(holder))
    finally:
        holder.lock.release()
        holder.rlock.release()
        holder.rlock.release()
    assert notes["root.lock"].held and notes["root.lock"].state == "locked"
    assert notes["root.rlock"].held and notes["root.rlock"].state == "held by MainThread (2x)"
    assert notes["root.rlock"].action == "recreate"


def test_rlock_held_by_another_thread():
    rlock = threading.RLock()
    taken, release = threading.Event(), threading.Event()

    def hold():
        with rlock:
            taken.set()
            release.wait()

    worker = threading.Thread(target=hold, name="holder-thread")
    worker.start()
    try:
        taken.wait()
        note = by_path(inspect({"rlock": rlock}))["root['rlock']"]
        assert note.state == "held by holder-thread (1x)" and note.held
    finally:
        release.set()
        worker.join()


def test_service_with_lock_manager_paths(tiny_model):
    service = Service(tiny_model)
    tree = inspect(service)
    notes = by_path(tree)
    assert set(notes) == {"root.lock", *(f"root.lock_manager.locks[{i}]" for i in range(5))}
    assert tree.lock_count() == 6
    locks_node = tree.find("root.lock_manager.locks")
    assert locks_node is not None and len(locks_node.annotations) == 5  # on the owning node
    assert locks_node.parent is tree.find("root.lock_manager")
    model_node = tree.find("root.model")
    assert model_node.role == "model" and model_node.keras["params"] == 4 * 8 + 8 + 8 * 3 + 3
    assert [c.path for c in model_node.children] == ["root.model.layers[0]", "root.model.layers[1]"]
    assert_paths_resolve(service, tree)


def test_shared_objects_are_annotated_once_and_stubs_point_back(tiny_model):
    lock = threading.Lock()
    service = Service(tiny_model)
    service.lock = lock
    service.same_lock = lock
    service.backup = tiny_model
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
    notes = by_path(inspect(holder))
    assert "shares root['rlock']" in notes["root['cond']"].detail
    assert "also the lock of root['cond']" in notes["root['rlock']"].detail
    # The other order: the lock first.
    notes = by_path(inspect({"a": rlock, "b": threading.Condition(rlock)}))
    assert "shares root['a']" in notes["root['b']"].detail
    # Two conditions on one lock that is stored nowhere else.
    inner = threading.Lock()
    notes = by_path(inspect([threading.Condition(inner), threading.Condition(inner)]))
    assert set(notes) == {"root[0]", "root[1]"}
    assert "shares its lock with root[0]" in notes["root[1]"].detail


def test_cycles_and_depth_bound():
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
    chain = None
    for _ in range(200):
        chain = Link(chain)
    tree = inspect(chain, max_depth=10)
    assert tree.lock_count() == 10  # objects at depth 0..9 are opened, not deeper
    assert max(n.path.count(".next") for n in tree.walk()) == 10  # the cut, marked
    assert [n.path.count(".next") for n in tree.walk() if n.truncated] == [10]


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
    assert data["type"].endswith("test_graph.Service")
    assert set(data["annotations"][0]) == {"path", "kind", "state", "held", "action", "detail"}
    json.dumps(data)


def test_io_objects_found_in_a_list(tmp_path):
    with open(tmp_path / "f.txt", "w") as handle:
        tree = inspect([io.BytesIO(b"data"), io.StringIO("text"), handle])
    # in-memory streams are data (a snapshot keeps their contents); an open file blocks
    assert [(n.path, n.kind, n.action) for n in tree.annotations] == [("root[2]", "file", "block")]


def test_a_dead_weak_proxy_is_annotated_not_raised():
    import weakref

    class Target:
        pass

    class Holder:
        pass

    target = Target()
    holder = Holder()
    holder.proxy = weakref.proxy(target)
    del target  # the proxy is dead now: isinstance() on it raises ReferenceError
    notes = list(inspect(holder).iter_annotations())
    assert [(n.path, n.kind, n.action) for n in notes] == [("root.proxy", "weakref", "block")]
