"""core.inspect on lock-like objects: every kind annotated with its state and what a
snapshot does with it, held locks naming their holder, in-memory streams as data, open files
and dead weak proxies blocking export."""

from __future__ import annotations

import concurrent.futures
import io
import json
import queue
import socket
import threading

from helpers import annotations_by_path, assert_paths_resolve

from lockpickle_gui.core.inspect import inspect


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
        assert json.loads(json.dumps(tree.to_dict())) == tree.to_dict()  # JSON as it is
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
        notes = annotations_by_path(inspect(holder))
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
        note = annotations_by_path(inspect({"rlock": rlock}))["root['rlock']"]
        assert note.state == "held by holder-thread (1x)" and note.held
    finally:
        release.set()
        worker.join()


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
