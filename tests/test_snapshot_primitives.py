"""Each lock-like kind comes back fresh and of its kind; data-like state (an Event's flag, a
Semaphore's count, a Queue's items) is kept; a lock held at export comes back free."""

from __future__ import annotations

import queue
import threading

import pytest
from models import Box, round_trip

from lockpickle_gui.core.inspect import primitives

KIND_FACTORIES = {
    "Lock": threading.Lock,
    "RLock": threading.RLock,
    "Condition": threading.Condition,
    "Semaphore": lambda: threading.Semaphore(4),
    "BoundedSemaphore": lambda: threading.BoundedSemaphore(2),
    "Event": threading.Event,
    "Barrier": lambda: threading.Barrier(3, timeout=1.5),
    "Queue": lambda: queue.Queue(7),
    "SimpleQueue": queue.SimpleQueue,
    "local": threading.local,
}


@pytest.mark.parametrize("kind", sorted(KIND_FACTORIES))
def test_every_kind_alone_comes_back_fresh_and_of_the_same_kind(kind, tmp_path):
    original = KIND_FACTORIES[kind]()
    manifest, restored = round_trip(Box(it=original), tmp_path)
    assert restored.it is not original
    assert primitives.kind_of(restored.it).name == primitives.kind_of(original).name
    [entry] = manifest["primitives"]
    assert entry["path"] == "root.it" and entry["held_at_export"] is False
    assert type(restored.it) is type(original)


def test_all_kinds_together_keep_their_data_like_state(tmp_path):
    event = threading.Event()
    event.set()
    semaphore = threading.Semaphore(5)
    semaphore.acquire()
    bounded = threading.BoundedSemaphore(3)
    bounded.acquire()
    fifo, lifo, priority = queue.Queue(10), queue.LifoQueue(), queue.PriorityQueue(4)
    for item in (3, 1, 2):
        fifo.put(item)
        lifo.put(item)
        priority.put(item)
    fifo.get()  # taken, not task_done(): the consumer belongs to this process
    simple = queue.SimpleQueue()
    simple.put("x")
    simple.put("y")
    barrier = threading.Barrier(2, timeout=3.0)
    held = threading.Lock()
    held.acquire()
    obj = Box(
        event=event,
        semaphore=semaphore,
        bounded=bounded,
        fifo=fifo,
        lifo=lifo,
        priority=priority,
        simple=simple,
        barrier=barrier,
        held=held,
        local=threading.local(),
        cond=threading.Condition(threading.Lock()),
    )
    manifest, restored = round_trip(obj, tmp_path)
    assert restored.event.is_set()
    assert restored.semaphore._value == 4
    assert restored.bounded._value == 3  # a BoundedSemaphore restores to its bound
    assert list(restored.fifo.queue) == [1, 2] and restored.fifo.maxsize == 10
    assert restored.fifo.unfinished_tasks == 2
    assert [restored.lifo.get_nowait() for _ in range(3)] == [2, 1, 3]
    assert [restored.priority.get_nowait() for _ in range(3)] == [1, 2, 3]
    assert [restored.simple.get_nowait(), restored.simple.get_nowait()] == ["x", "y"]
    assert [simple.get_nowait(), simple.get_nowait()] == ["x", "y"]  # the original kept its items
    assert restored.barrier.parties == 2 and restored.barrier._timeout == 3.0
    assert not restored.held.locked()
    assert isinstance(restored.cond._lock, primitives.LOCK_TYPE)
    entries = {entry["path"]: entry for entry in manifest["primitives"]}
    assert entries["root.held"]["held_at_export"] is True
    assert entries["root.bounded"]["held_at_export"] is True
    assert entries["root.priority"]["kind"] == "PriorityQueue"
    assert entries["root.priority"]["params"]["maxsize"] == 4
    held.release()


def test_lock_held_by_another_thread_is_restored_free(tmp_path):
    lock, rlock = threading.Lock(), threading.RLock()
    holding, release = threading.Event(), threading.Event()

    def hold():
        with lock, rlock:
            holding.set()
            release.wait(10)

    helper = threading.Thread(target=hold, name="holder")
    helper.start()
    try:
        assert holding.wait(10)
        manifest, restored = round_trip(Box(lock=lock, rlock=rlock), tmp_path)
    finally:
        release.set()
        helper.join()
    assert [entry["held_at_export"] for entry in manifest["primitives"]] == [True, True]
    assert "holder" in manifest["primitives"][1]["state"]
    assert restored.lock.acquire(blocking=False)
    assert restored.rlock.acquire(blocking=False)
    restored.rlock.release()
    restored.lock.release()
