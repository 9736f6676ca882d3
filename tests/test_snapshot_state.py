"""Snapshots of plain object graphs: every primitive kind, sharing, held locks, cycles,
blocked state, cancel, and hypothesis-generated graphs. No Keras here (fast)."""

from __future__ import annotations

import io
import queue
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lockpickle_gui as lp
from lockpickle_gui.core.errors import Cancelled, UnpicklableState, UntrustedCode
from lockpickle_gui.core.inspect import primitives

TRUST = [__name__]


class Box:
    """A plain object holding whatever the test puts in it."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class TaggedQueue(queue.Queue):
    """A Queue subclass with its own state (travels with the items)."""

    def __init__(self, tag, maxsize=0):
        super().__init__(maxsize)
        self.tag = tag


def round_trip(obj, tmp_path, **save_kw):
    target = tmp_path / "state.lpsnap"
    manifest = lp.save_snapshot(obj, target, **save_kw)
    return manifest, lp.load_snapshot(target, trust=TRUST)


# --------------------------------------------------------------------------- each kind


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


def test_queue_subclass_needs_trust_and_keeps_its_attributes(tmp_path):
    tagged = TaggedQueue("jobs", maxsize=3)
    tagged.put({"job": 1})
    target = tmp_path / "q.lpsnap"
    manifest = lp.save_snapshot({"q": tagged}, target)
    assert [t["name"] for t in manifest["types"]] == [f"{__name__}:TaggedQueue"]
    assert lp.untrusted_types(target) == [f"{__name__}.TaggedQueue"]
    with pytest.raises(UntrustedCode, match="TaggedQueue") as caught:
        lp.load_snapshot(target)
    assert caught.value.module == __name__ and caught.value.name == "TaggedQueue"
    assert caught.value.types == [f"{__name__}.TaggedQueue"]
    assert "trust=" in str(caught.value) and "--trust" in str(caught.value)
    restored = lp.load_snapshot(target, trust=TRUST)["q"]
    assert type(restored) is TaggedQueue and restored.tag == "jobs"
    assert restored.get_nowait() == {"job": 1} and restored.maxsize == 3


# --------------------------------------------------------------------------- sharing


def test_condition_lock_stored_elsewhere_is_the_same_new_rlock(tmp_path):
    rlock = threading.RLock()
    first, second = threading.Condition(rlock), threading.Condition(rlock)
    obj = Box(rlock=rlock, first=first, second=second, alias=rlock, locks=[rlock, first])
    manifest, restored = round_trip(obj, tmp_path)
    assert restored.rlock is not rlock
    assert restored.first._lock is restored.rlock is restored.second._lock is restored.alias
    assert restored.locks[0] is restored.rlock and restored.locks[1] is restored.first
    paths = [entry["path"] for entry in manifest["primitives"]]
    assert paths == ["root.rlock", "root.first", "root.second"]  # an alias is not an entry
    assert manifest["primitives"][0]["also_at"] == ["root.alias", "root.locks[0]"]


def test_a_queue_is_one_entry_and_its_items_keep_sharing(tmp_path):
    lock = threading.Lock()
    jobs = queue.Queue()
    jobs.put(lock)
    jobs.put(Box(lock=lock))
    manifest, restored = round_trip(Box(jobs=jobs, lock=lock), tmp_path)
    assert [entry["path"] for entry in manifest["primitives"]] == ["root.jobs", "root.lock"]
    first, second = restored.jobs.get_nowait(), restored.jobs.get_nowait()
    assert first is restored.lock is second.lock


def test_cycles_and_self_references_survive(tmp_path):
    a, b = Box(), Box()
    a.other, b.other = b, a
    a.me = a
    loop = [a]
    loop.append(loop)
    jobs = queue.Queue()
    jobs.put(jobs)  # a queue holding itself
    a.loop, a.jobs = loop, jobs
    _, restored = round_trip(a, tmp_path)
    assert restored.other.other is restored and restored.me is restored
    assert restored.loop[1] is restored.loop and restored.loop[0] is restored
    assert restored.jobs.get_nowait() is restored.jobs


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


# --------------------------------------------------------------------------- blocked


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


# --------------------------------------------------------------------------- progress


def test_progress_reports_and_cancel_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.lpsnap"
    calls = []
    lp.save_snapshot(Box(lock=threading.Lock()), target, progress=lambda f, m: calls.append((f, m)))
    assert calls[0][0] == 0.0 and calls[-1][0] == 1.0
    assert [f for f, _ in calls] == sorted(f for f, _ in calls)
    before = target.read_bytes()

    def cancel_when_writing(fraction, message):
        if message.startswith("Writing"):
            raise Cancelled()

    with pytest.raises(Cancelled):
        lp.save_snapshot(Box(other=1), target, progress=cancel_when_writing)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.lpsnap"]


# --------------------------------------------------------------------------- hypothesis

LEAVES = st.one_of(
    st.integers(-5, 5),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
PRIMITIVES = [
    threading.Lock,
    threading.RLock,
    threading.Event,
    lambda: threading.Semaphore(2),
    queue.Queue,
    threading.Condition,
]


@st.composite
def object_graphs(draw):
    containers = [
        draw(st.sampled_from([list, dict, Box]))() for _ in range(draw(st.integers(1, 6)))
    ]
    locks = [draw(st.sampled_from(PRIMITIVES))() for _ in range(draw(st.integers(0, 4)))]
    rlock = threading.RLock()
    locks.append(threading.Condition(rlock))
    locks.append(rlock)
    for lock in locks:
        if isinstance(lock, primitives.LOCK_TYPE) and draw(st.booleans()):
            lock.acquire()  # held at export: comes back free
    for container in containers:
        for slot in range(draw(st.integers(0, 4))):
            pick = draw(st.integers(0, 2))
            value = (
                draw(LEAVES)
                if pick == 0
                else draw(st.sampled_from(containers))
                if pick == 1
                else draw(st.sampled_from(locks))
            )
            if isinstance(container, list):
                container.append(value)
            elif isinstance(container, dict):
                container[f"k{slot}"] = value
            else:
                setattr(container, f"a{slot}", value)
    return containers[0]


def assert_isomorphic(original, restored, seen: dict, taken: set):
    if id(original) in seen:
        assert seen[id(original)] is restored, "sharing differs"
        return
    if isinstance(original, (int, float, str, bool, type(None))):
        assert original == restored
        return
    assert id(restored) not in taken, "two objects merged into one"
    seen[id(original)] = restored
    taken.add(id(restored))
    assert type(restored) is type(original) and restored is not original
    kind = primitives.kind_of(original)
    if kind is not None:
        if kind.name in ("Lock", "RLock"):
            assert not primitives.lock_is_held(restored)
        elif kind.name == "Condition":
            assert_isomorphic(original._lock, restored._lock, seen, taken)
        elif kind.name == "Event":
            assert restored.is_set() == original.is_set()
        return
    if isinstance(original, list):
        assert len(original) == len(restored)
        for a, b in zip(original, restored):
            assert_isomorphic(a, b, seen, taken)
    else:
        items = original if isinstance(original, dict) else vars(original)
        copies = restored if isinstance(restored, dict) else vars(restored)
        assert list(items) == list(copies)
        for key in items:
            assert_isomorphic(items[key], copies[key], seen, taken)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(object_graphs())
def test_generated_graphs_round_trip_with_identity(graph):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "g.lpsnap"
        lp.save_snapshot(graph, target, verify=False)
        restored = lp.load_snapshot(target, trust=TRUST)
    assert_isomorphic(graph, restored, {}, set())


def test_read_manifest_imports_nothing(tmp_path):
    target = tmp_path / "m.lpsnap"
    lp.save_snapshot(Box(q=TaggedQueue("t")), target)
    manifest = lp.read_manifest(target)  # TaggedQueue's module is not trusted: still readable
    assert manifest["format"] == "lockpickle-snapshot" and manifest["format_version"] == 2
    assert manifest["root"] == f"{__name__}.Box"
    assert set(manifest["members"]) == {"state.json"}
    for field in (
        "producer",
        "created_utc",
        "python",
        "keras",
        "tensorflow",
        "numpy",
        "models",
        "primitives",
        "types",
        "attachments",
        "members",
        "verification",
        "code",
        "dropped",
    ):
        assert field in manifest
    assert isinstance(io.BytesIO(), io.IOBase)


class LockManager:
    """The seed's recipe: the class says itself how it is saved (__reduce__)."""

    def __init__(self, count=1):
        self.locks = [threading.Lock() for _ in range(count)]

    def __reduce__(self):
        return (LockManager, (len(self.locks),))


class Cache:
    """The other recipe: __getstate__ leaves the lock out, __setstate__ makes a new one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = {"a": 1}

    def __getstate__(self):
        return {"items": self.items}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.Lock()


def test_classes_keep_their_own_say_over_what_is_saved(tmp_path):
    manager, cache = LockManager(3), Cache()
    manager.locks[0].acquire()
    manifest, restored = round_trip(Box(manager=manager, cache=cache, again=manager), tmp_path)
    assert restored.manager is restored.again and len(restored.manager.locks) == 3
    assert not any(lock.locked() for lock in restored.manager.locks)  # made by __init__
    assert restored.cache.items == {"a": 1} and not restored.cache.lock.locked()
    assert {t["name"] for t in manifest["types"]} == {
        f"{__name__}:{name}" for name in ("Box", "LockManager", "Cache")
    }
    manager.locks[0].release()


def test_dumps_loads_and_members_are_the_same_format(tmp_path):
    import numpy as np

    service = Box(lock=threading.Lock(), weights=np.arange(500_000.0), queue=queue.Queue())
    data = lp.dumps(service)
    assert data.startswith(b"PK") and lp.loads(data, trust=TRUST).weights.shape == (500_000,)
    target = tmp_path / "same.lpsnap"
    target.write_bytes(data)  # bytes from dumps are a snapshot file
    assert lp.read_manifest(target)["types"] == lp.read_manifest(data)["types"]
    manifest, members = lp.to_members(service)
    assert isinstance(members["arrays/0.npy"], np.ndarray)  # not copied into bytes
    back = lp.from_members(members, trust=TRUST)
    assert np.array_equal(back.weights, service.weights) and not back.lock.locked()
    with pytest.raises(UntrustedCode):
        lp.from_members(members)
    with pytest.raises(lp.CorruptSnapshot, match="sha256"):
        lp.from_members(dict(members, **{"arrays/0.npy": np.zeros(500_000)}), trust=TRUST)
