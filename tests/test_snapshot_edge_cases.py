"""QA defects in snapshots: held locks in a model's call(), manifest size, bound methods,
.keras files given to `info`, unwritable or foreign targets, weak references, shared layers."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.tf_runtime import import_keras

keras = import_keras()
TRUST = [__name__]


@keras.saving.register_keras_serializable(package="lp_snapshot_qa_tests")
class LockedModel(keras.Model):
    """A subclassed model whose forward pass takes its own lock."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)
        self.lock = threading.Lock()

    def call(self, x):
        with self.lock:
            return self.dense(x)


def _locked_model():
    model = LockedModel(name="locked")
    model(np.zeros((1, 3), "float32"))  # built, so export has an input spec to run on
    return model


# --------------------------------------------------------------------------- 1. held locks


def _export_while_held(model, target, holder_is_exporter: bool):
    """save_snapshot on a helper thread while ``model.lock`` is held (by that thread or by
    this one); the lock is released in a finally, so a regression fails, never hangs."""
    outcome: dict = {"messages": []}
    holding = threading.Event()

    def export():
        try:
            if holder_is_exporter:
                model.lock.acquire()
                holding.set()
            outcome["manifest"] = lp.save_snapshot(
                model,
                target,
                verify_inputs=np.ones((2, 3), "float32"),
                progress=lambda fraction, message: outcome["messages"].append(message),
            )
        except BaseException as error:  # noqa: BLE001 - reported by the test; the thread must end either way
            outcome["error"] = error
        finally:
            if holder_is_exporter and holding.is_set():
                model.lock.release()

    if not holder_is_exporter:
        model.lock.acquire()
    worker = threading.Thread(target=export, name="export-under-lock")
    try:
        worker.start()
        worker.join(timeout=30)
        hung = worker.is_alive()
    finally:
        if holder_is_exporter:
            if worker.is_alive():  # stuck in its own lock: free it from here (a plain Lock)
                model.lock.release()
        else:
            model.lock.release()
        worker.join()
    assert not hung, "save_snapshot waited for the held lock"
    assert "error" not in outcome, outcome.get("error")
    return outcome


@pytest.mark.parametrize("holder_is_exporter", [False, True], ids=["other thread", "exporter"])
def test_export_while_a_lock_the_model_takes_is_held_skips_verification(
    tmp_path, holder_is_exporter
):
    model = _locked_model()
    target = tmp_path / "locked.lpsnap"
    outcome = _export_while_held(model, target, holder_is_exporter)
    entry = outcome["manifest"]["verification"]["models"][0]
    assert entry["source"] is None
    assert entry["skipped"] == ("root.lock was held at export; running the model would wait for it")
    assert any(
        "Not verifying model 'locked'" in m and "root.lock" in m for m in outcome["messages"]
    )
    assert lp.read_manifest(target)["verification"]["models"][0]["skipped"] == entry["skipped"]
    loaded = lp.load_snapshot(target, trust=TRUST)
    assert not loaded.lock.locked()
    assert lp.verify_snapshot(target, obj=loaded).verdict == "no data"


def test_export_with_the_lock_free_still_verifies(tmp_path):
    model = _locked_model()
    manifest = lp.save_snapshot(
        model, tmp_path / "free.lpsnap", verify_inputs=np.ones((2, 3), "float32")
    )
    entry = manifest["verification"]["models"][0]
    assert entry["source"] == "given" and "skipped" not in entry


def test_cli_export_summary_says_verification_was_skipped(tmp_path):
    from lockpickle_gui.cli._render import summary

    target = tmp_path / "locked.lpsnap"
    outcome = _export_while_held(_locked_model(), target, holder_is_exporter=True)
    text = summary(target, outcome["manifest"])
    assert "Verification skipped for model 'locked': root.lock was held at export" in text


# --------------------------------------------------------------------------- 2. manifest size


def test_a_manifest_larger_than_readers_accept_is_refused_at_export(tmp_path):
    from lockpickle_gui.core.errors import CorruptSnapshot, SnapshotError
    from lockpickle_gui.core.snapshot.budgets import DEFAULT

    # 6,000 locks under 3,000-character keys: their paths make a ~18 MB manifest (a path
    # longer than a reader shows is shortened, so long keys alone do not do it).
    graph = {f"k{i:04d}" + "y" * 3_000: threading.Lock() for i in range(6000)}
    target = tmp_path / "big.lpsnap"
    messages: list[str] = []
    with pytest.raises(SnapshotError) as caught:
        lp.save_snapshot(graph, target, progress=lambda f, m: messages.append(m))
    assert not isinstance(caught.value, CorruptSnapshot)
    text = str(caught.value)
    assert str(target) in text and f"at most {DEFAULT.max_manifest_bytes} bytes" in text
    assert "6000 lock-like object(s)" in text and "nothing was written" in text
    assert "share one lock" in text
    assert "Writing the snapshot" not in messages  # refused before writing anything
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- 3. bound methods


class Service:
    """A plain service whose callback is one of its own methods."""

    def __init__(self):
        self.lock = threading.Lock()
        self.callback = self.handle

    def handle(self, item):
        return item


def test_bound_methods_are_refused_at_export_with_their_paths(tmp_path):
    from lockpickle_gui.core.errors import UnpicklableState

    service = Service()
    with pytest.raises(UnpicklableState) as caught:
        lp.save_snapshot({"service": service, "append": [].append}, tmp_path / "s.lpsnap")
    assert ("root['service'].callback", "bound method") in caught.value.blocked
    assert any(kind == "bound method" for _, kind in caught.value.blocked)
    assert len(caught.value.blocked) == 2
    assert not (tmp_path / "s.lpsnap").exists()
    manifest = lp.save_snapshot(service, tmp_path / "s.lpsnap", on_blocked="drop")
    assert [(d["path"], d["kind"]) for d in manifest["dropped"]] == [
        ("root.callback", "bound method")
    ]
    loaded = lp.load_snapshot(tmp_path / "s.lpsnap", trust=TRUST)
    assert loaded.callback is None and not loaded.lock.locked()


def test_a_file_naming_builtins_never_suggests_trusting_them(tmp_path):
    import craft

    from lockpickle_gui.core.errors import UntrustedCode

    good = tmp_path / "good.lpsnap"
    lp.save_snapshot({"n": 1}, good)
    doc = craft.state_doc([{"t": "func", "c": 0}], [("builtins:getattr", "function")])
    crafted = craft.write(
        tmp_path / "getattr.lpsnap", craft.with_state(craft.members_of(good), doc)
    )
    with pytest.raises(UntrustedCode) as caught:
        lp.load_snapshot(crafted)
    text = str(caught.value)
    assert caught.value.module == "builtins" and caught.value.name == "getattr"
    assert "never trusts" in text and "cannot be loaded safely" in text
    assert "trust=['builtins" not in text and "--trust builtins" not in text
    with pytest.raises(lp.SnapshotError, match="never trusts it"):
        lp.load_snapshot(crafted, trust=["builtins.getattr"])


@pytest.mark.parametrize("module", ["builtins", "os", "os.path", "subprocess", "importlib.util"])
def test_trusting_a_module_that_reaches_any_code_is_refused(tmp_path, module):
    from lockpickle_gui.core.errors import SnapshotError, UntrustedCode

    good = tmp_path / "good.lpsnap"
    lp.save_snapshot({"n": 1}, good)
    with pytest.raises(SnapshotError, match="never trusts it") as caught:
        lp.load_snapshot(good, trust=[module])
    assert not isinstance(caught.value, UntrustedCode)
    assert repr(module) in str(caught.value) and str(good) in str(caught.value)


# --------------------------------------------------------------------------- 4. .keras given


def test_a_keras_file_is_not_a_snapshot(tmp_path, tiny_model, capsys):
    from lockpickle_gui import cli
    from lockpickle_gui.core.errors import NotASnapshot

    model_file = tmp_path / "model.keras"
    tiny_model.save(model_file)
    with pytest.raises(NotASnapshot) as caught:
        lp.read_manifest(model_file)
    text = str(caught.value)
    assert str(model_file) in text and "not a lockpickle snapshot" in text
    assert "manifest.json" in text and "lockpickle inspect" in text
    assert "unexpected member" not in text and "export the snapshot again" not in text
    assert cli.main(["info", str(model_file)]) == 2
    assert "not a lockpickle snapshot" in capsys.readouterr().err


# --------------------------------------------------------------------------- 5. targets


def test_a_folder_target_fails_before_any_work(tmp_path, tiny_model):
    from lockpickle_gui.core.atomic import UnwritableTarget

    messages: list[str] = []
    with pytest.raises(UnwritableTarget, match="which is a folder"):
        lp.save_snapshot(tiny_model, tmp_path, progress=lambda f, m: messages.append(m))
    assert messages == []  # not even the inspection started
    with pytest.raises(UnwritableTarget, match="does not exist"):
        lp.save_snapshot(
            tiny_model, tmp_path / "missing" / "m.lpsnap", progress=lambda f, m: messages.append(m)
        )
    assert messages == []


def test_an_existing_file_that_is_not_a_snapshot_is_never_overwritten(tmp_path, tiny_model):
    from lockpickle_gui.core.errors import SnapshotError

    model_file = tmp_path / "m.keras"
    tiny_model.save(model_file)
    before = model_file.read_bytes()
    with pytest.raises(SnapshotError) as caught:
        lp.save_snapshot(tiny_model, model_file)
    text = str(caught.value)
    assert str(model_file) in text and "not a lockpickle snapshot" in text
    assert "m.lpsnap" in text and "delete" in text
    assert model_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]
    notes = tmp_path / "notes.lpsnap"
    notes.write_text("my notes")
    with pytest.raises(SnapshotError, match="not a lockpickle snapshot"):
        lp.save_snapshot({"n": 1}, notes)
    assert notes.read_text() == "my notes"


def test_an_existing_snapshot_is_replaced(tmp_path):
    target = tmp_path / "s.lpsnap"
    lp.save_snapshot({"n": 1}, target)
    lp.save_snapshot({"n": 2}, target)
    assert lp.load_snapshot(target) == {"n": 2}


# --------------------------------------------------------------------------- 6. weak references


class Node:
    """A plain object that may point back at its parent weakly."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def test_weak_references_are_reported_with_their_paths_and_dropped(tmp_path):
    import weakref

    from lockpickle_gui.core.errors import UnpicklableState

    parent = Node(name="parent")
    child = Node(parent=weakref.ref(parent), proxy=weakref.proxy(parent), lock=threading.Lock())
    graph = Node(parent=parent, child=child)
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
    assert "root.child.parent (weakref, ref to a Node)" in str(caught.value)
    manifest = lp.save_snapshot(graph, tmp_path / "w.lpsnap", on_blocked="drop")
    assert sorted(d["path"] for d in manifest["dropped"]) == [
        "root.child.parent",
        "root.child.proxy",
    ]
    loaded = lp.load_snapshot(tmp_path / "w.lpsnap", trust=TRUST)
    assert loaded.child.parent is None and loaded.child.proxy is None
    assert loaded.parent.name == "parent" and not loaded.child.lock.locked()


def test_a_dead_weak_proxy_is_described_not_raised():
    import weakref

    from lockpickle_gui.core.inspect import primitives

    proxy = weakref.proxy(Node())  # its object is gone at once
    info = primitives.describe(proxy)
    assert info.kind == "weakref" and info.action == primitives.BLOCK


# --------------------------------------------------------------------------- 7. shared layers


def test_two_stored_models_sharing_a_layer_get_a_note_and_separate_copies(tmp_path):
    from lockpickle_gui.cli._render import summary

    shared = keras.layers.Dense(2, name="shared")
    inputs_a, inputs_b = keras.Input((3,)), keras.Input((3,))
    a = keras.Model(inputs_a, shared(inputs_a), name="a")
    b = keras.Model(inputs_b, keras.layers.Dense(1, name="head")(shared(inputs_b)), name="b")
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
