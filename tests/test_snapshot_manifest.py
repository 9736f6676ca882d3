"""The manifest: read without importing or running anything from the file, and a manifest
larger than readers accept is refused at export."""

from __future__ import annotations

import sys
import threading

import pytest
from models import Box, mlp

import lockpickle_gui as lp
from lockpickle_gui.core.snapshot import manifest_tree

PROBE_PY = """
import pathlib, threading

pathlib.Path(__file__).with_name("imported.txt").write_text("the module ran")


class Probe:
    def __init__(self):
        self.lock = threading.Lock()
"""


def test_reading_the_manifest_imports_nothing_from_the_file(tmp_path, monkeypatch):
    """The manifest names a class whose module writes a file when imported: reading the
    manifest and the types it needs does not import it; loading it (trusted) does."""
    (tmp_path / "lp_manifest_probe.py").write_text(PROBE_PY)
    monkeypatch.syspath_prepend(str(tmp_path))
    import lp_manifest_probe

    target = tmp_path / "m.lpsnap"
    lp.save_snapshot(Box(probe=lp_manifest_probe.Probe()), target)
    monkeypatch.delitem(sys.modules, "lp_manifest_probe")
    (tmp_path / "imported.txt").unlink()

    manifest = lp.read_manifest(target)
    assert manifest["format"] == "lockpickle-snapshot" and manifest["format_version"] == 2
    assert manifest["root"] == "models.Box" and set(manifest["members"]) == {"state.json"}
    assert {t["name"] for t in manifest["types"]} == {"models:Box", "lp_manifest_probe:Probe"}
    assert [p["path"] for p in manifest["primitives"]] == ["root.probe.lock"]
    assert lp.untrusted_types(target, trust=["models"]) == ["lp_manifest_probe.Probe"]
    assert "lp_manifest_probe" not in sys.modules and not (tmp_path / "imported.txt").exists()

    restored = lp.load_snapshot(target, trust=["models", "lp_manifest_probe"])
    assert type(restored.probe).__name__ == "Probe" and not restored.probe.lock.locked()
    assert (tmp_path / "imported.txt").exists()  # the probe does tell an import


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
    assert not any(m.startswith("Writing") for m in messages)  # refused before writing
    assert list(tmp_path.iterdir()) == []


def test_the_manifest_tree_shows_models_and_locks_as_the_object_tree_does(tmp_path):
    model = mlp()
    model.layers[0].lock = threading.RLock()
    target = tmp_path / "n.lpsnap"
    lp.save_snapshot(Box(model=model, lock=threading.Lock()), target, verify=False)
    tree = manifest_tree(lp.read_manifest(target))
    model_node = tree.find("root.model")
    assert model_node.role == "model" and model_node.keras["params"] == model.count_params()
    assert [a.path for a in model_node.annotations] == ["root.model.layers[0].lock"]
    assert [a.path for a in tree.annotations] == ["root.lock"]
