"""Issue 9: fuzzers. A structural fuzzer (hypothesis) mutates valid state.json documents and
manifests -- kept consistent, sha256s included, as an attacker would -- and a bit-flip
fuzzer flips bytes of real snapshot files. Whatever comes out: only LockpickleError
subclasses, no untrusted code imported or run, no signal, bounded time."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import sys
import threading

import pytest
from hostile import Case, run_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lockpickle_gui as lp
from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.snapshot.state.schema import SPECS

TRUST = ["lpsec_fixtures"]
EXAMPLES = int(os.environ.get("LP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def _members(obj) -> dict:
    manifest, members = lp.to_members(obj, verify=False)
    return {
        name: (
            value.tobytes()
            if hasattr(value, "tobytes") and not isinstance(value, (bytes, memoryview))
            else bytes(value)
        )
        if name != "manifest.json"
        else bytes(value)
        for name, value in members.items()
    }


def _npy(array) -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bases():
    """Valid snapshots as member dicts (arrays as .npy bytes): plain data, trusted objects."""
    import collections
    import queue

    import lpsec_fixtures
    import numpy as np

    service = lpsec_fixtures.Service(2)
    service.cond = threading.Condition()
    service.items = [1, "two", 3.5, None, (4, 5), {6, 7}, b"eight", 10**30, float("inf")]
    service.shared = service.items
    service.me = service
    service.points = {lpsec_fixtures.Point(1, 2): "p"}
    service.queue = queue.PriorityQueue()
    service.queue.put((1, "a"))
    service.array = np.arange(5000.0)
    service.small = np.ones((2, 2), "f4")
    service.ordered = collections.OrderedDict(a=1)
    service.managers = [lpsec_fixtures.LockManager(2)]
    found = []
    for obj in (service, {"a": [1, 2, {"b": (3,)}], "lock": threading.RLock()}):
        manifest, members = lp.to_members(obj, verify=False)
        found.append(
            {
                name: _npy(value) if name.endswith(".npy") else bytes(value)
                for name, value in members.items()
            }
        )
    return found


def reseal(members: dict, state: dict | None = None, manifest: dict | None = None) -> dict:
    """Members with a new state.json (the manifest lists its types) and manifest, sha256s
    recomputed: the structure is what is under test, not the hashes."""
    members = dict(members)
    manifest = copy.deepcopy(manifest or json.loads(members["manifest.json"]))
    if state is not None:
        data = json.dumps(state).encode()
        members["state.json"] = data
        manifest["members"]["state.json"] = hashlib.sha256(data).hexdigest()
        listed = state.get("types") if isinstance(state, dict) else None
        if isinstance(listed, list):
            manifest["types"] = [
                {"name": t.get("name"), "kind": t.get("kind"), "use": "state"}
                for t in listed
                if isinstance(t, dict)
            ]
    members["manifest.json"] = json.dumps(manifest).encode()
    return members


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
NAMES = [
    "lpsec_fixtures:Service",
    "lpsec_fixtures:LockManager",
    "lpcanary:Boom",
    "lpcanary:boom",
    "os:system",
    "builtins:eval",
    "lpsec_fixtures:system",
    "lpsec_fixtures:Service.__init__",
    "lpsec_inherits:Inherits",
    "numpy:float32",
    "queue:Queue",
]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _parent(doc, path):
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw, documents):
    doc = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path[:-1]), path[-1]
        action = draw(
            st.sampled_from(["replace", "delete", "bump", "tag", "name", "ref", "dup", "wrap"])
        )
        value = parent[key]
        if action == "replace":
            parent[key] = draw(JSON_VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "bump" and type(value) is int:
            parent[key] = value + draw(st.sampled_from([-1, 1, 2**31, -(2**40), 10**20]))
        elif action == "tag" and key == "t":
            parent[key] = draw(st.sampled_from(sorted(SPECS)))
        elif action == "name" and key == "name":
            parent[key] = draw(st.sampled_from(NAMES))
        elif action == "ref" and isinstance(value, dict) and "r" in value:
            value["r"] = draw(st.integers(-1, 50))
        elif action == "dup" and isinstance(parent, list):
            parent.append(copy.deepcopy(value))
        elif action == "wrap":
            parent[key] = {"r": value} if draw(st.booleans()) else [value]
    return doc


def _only_our_errors(call) -> None:
    try:
        call()
    except LockpickleError:
        pass
    assert "lpcanary" not in sys.modules, "an untrusted module was imported"


@pytest.fixture(autouse=True)
def canary(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("canary") / "canary.txt"
    monkeypatch.setenv("LPCANARY_FILE", str(path))
    yield
    assert not path.exists(), path.read_text()


def test_mutated_state_documents_give_only_our_errors(bases):
    states = [json.loads(members["state.json"]) for members in bases]

    @FUZZ
    @given(mutated(states), st.sampled_from(range(len(bases))))
    def check(doc, base):
        members = reseal(bases[base], state=doc)
        _only_our_errors(lambda: lp.from_members(members, trust=TRUST))
        _only_our_errors(lambda: lp.untrusted_types(members, TRUST))

    check()


def test_mutated_manifests_give_only_our_errors(bases):
    manifests = [json.loads(members["manifest.json"]) for members in bases]

    @FUZZ
    @given(mutated(manifests), st.sampled_from(range(len(bases))))
    def check(manifest, base):
        members = reseal(bases[base], manifest=manifest)
        _only_our_errors(lambda: lp.read_manifest(members))
        _only_our_errors(lambda: lp.from_members(members, trust=TRUST))

    check()


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_are_not_a_snapshot(data):
    _only_our_errors(lambda: lp.loads(data))


def _flipped(source, tmp_path, count: int, seed: int) -> list:
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    made = []
    for number in range(count):
        copy_ = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(copy_))
            copy_[position] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flip{seed}-{number}.lpsnap"
        path.write_bytes(bytes(copy_))
        made.append(path)
    return made


def test_bit_flips_in_real_files_give_only_our_errors(good_state, tmp_path):
    flips = _flipped(good_state, tmp_path, 150, seed=1)
    cases = [Case(f"flip {n}", path, "load", tuple(TRUST)) for n, path in enumerate(flips)]
    outcomes = run_cases(cases, tmp_path)  # a 1.5 GB address space, 30 s a file at most
    loaded = [o for o in outcomes.values() if o["outcome"] == "ok"]
    assert len(loaded) < len(cases)  # most flips are caught (sha256, structure)


@pytest.mark.slow
def test_bit_flips_in_files_with_models_and_code_give_only_our_errors(
    good_model, good_project, tmp_path
):
    cases = []
    for source, trust, bundled in ((good_model, tuple(TRUST), False), (good_project, (), True)):
        for n, path in enumerate(_flipped(source, tmp_path, 40, seed=len(cases) + 2)):
            cases.append(Case(f"{source.stem} flip {n}", path, "load", trust, bundled))
            cases.append(Case(f"{source.stem} info {n}", path, "info"))
    run_cases(cases, tmp_path, memory_mb=None)
