"""Identity survives a snapshot: one object stored in several places comes back as one
(locks, a Condition's lock, a queue's items, cycles, a model and its layers, a nested model),
also in generated graphs; two stored models sharing a layer get their own copies and a note."""

from __future__ import annotations

import json
import queue
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models import Box, keras, mlp, nested, predict, round_trip, sharing_a_layer

import lockpickle_gui as lp
from lockpickle_gui.core.inspect import primitives

X = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


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


def test_model_in_several_places_is_stored_once_and_restored_as_one(tmp_path):
    model = mlp()
    service = Box(model=model, lock=threading.Lock(), models={"a": model, "b": [model]})
    service.head = model.layers[1]  # a layer of the stored model
    manifest, restored = round_trip(service, tmp_path)
    assert len(manifest["models"]) == 1 and manifest["models"][0]["path"] == "root.model"
    assert restored.models["a"] is restored.model is restored.models["b"][0]
    assert restored.head is restored.model.layers[1]
    np.testing.assert_array_equal(predict(restored.model, X), predict(model, X))


def test_nested_models_are_stored_inside_their_outer_model(tmp_path):
    outer = nested()
    inner = outer.get_layer("inner")
    other = mlp(name="other")
    lone = keras.layers.Dense(2, name="lone")  # a bare layer, in no model
    lone.build((None, 4))
    target = tmp_path / "n.lpsnap"
    manifest = lp.save_snapshot(
        {"inner": inner, "outer": outer, "other": other, "lone": lone}, target
    )
    assert [m["name"] for m in manifest["models"]] == ["outer", "other", "lone"]
    with zipfile.ZipFile(target) as archive:
        state = json.loads(archive.read("state.json"))
    refs = [n for n in state["nodes"] if n["t"] == "keras"]
    assert {"model": 0, "path": ".layers[1]"}.items() <= refs[0].items()  # inner, inside outer
    restored = lp.load_snapshot(target)
    assert restored["inner"] is restored["outer"].layers[1]
    np.testing.assert_array_equal(restored["lone"].kernel.numpy(), lone.kernel.numpy())
    np.testing.assert_array_equal(predict(restored["outer"], X), predict(outer, X))
    np.testing.assert_array_equal(predict(restored["other"], X), predict(other, X))
    assert lp.verify_snapshot(target).verdict == "identical"


def test_two_stored_models_sharing_a_layer_get_a_note_and_separate_copies(tmp_path):
    from lockpickle_gui.cli._render import summary

    a, b = sharing_a_layer()
    target = tmp_path / "pair.lpsnap"
    messages: list[str] = []
    manifest = lp.save_snapshot({"a": a, "b": b}, target, progress=lambda f, m: messages.append(m))
    assert len(manifest["models"]) == 2
    [note] = manifest["notes"]
    assert "root['b'].layers[1] is the same layer as root['a'].layers[1]" in note
    assert "own copy" in note
    assert any(m.startswith("Note: root['b']") for m in messages)
    assert lp.read_manifest(target)["notes"] == [note]
    assert f"Note: {note}" in summary(target, manifest)
    loaded = lp.load_snapshot(target)
    assert loaded["a"].get_layer("shared") is not loaded["b"].get_layer("shared")  # as documented


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
        restored = lp.load_snapshot(target, trust=["models"])
    assert_isomorphic(graph, restored, {}, set())
