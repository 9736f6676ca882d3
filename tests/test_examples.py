"""The bundled demo projects open out of the box and show the expected annotations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import annotations_by_path, assert_paths_resolve

from lockpickle_gui.core.project import open_project

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"
DEMOS = ("single_lock", "lock_pool", "locked_layer", "anomaly_service")


def annotations(project) -> dict:
    """The project's annotations by path; every path leads back to its object."""
    tree = project.inspect()
    assert_paths_resolve(project.runtime, tree)
    return annotations_by_path(tree)


@pytest.mark.parametrize("demo", DEMOS)
def test_demo_opens_with_registered_layers_and_a_tiny_model(demo):
    folder = EXAMPLES / demo
    assert (folder / "model.keras").stat().st_size < 32_000
    project = open_project(folder)
    assert project.kind == "project" and set(project.code_files) <= {"layers", "service"}
    kinds = {note.kind for note in project.inspect().iter_annotations()}
    assert not kinds & {"unregistered layer", "incomplete get_config"}


def test_single_lock():
    project = open_project(EXAMPLES / "single_lock")
    notes = annotations(project)
    assert {p: n.kind for p, n in notes.items()} == {"root.lock_manager.locks[0]": "Lock"}
    assert project.runtime.model is project.models["classifier"]
    out = project.runtime.predict(np.ones((2, 4), "float32"))
    assert out.shape == (2, 3)


def test_lock_pool():
    notes = annotations(open_project(EXAMPLES / "lock_pool"))
    assert sorted(notes) == [f"root.lock_manager.locks[{i}]" for i in range(5)]
    assert all(n.action == "recreate" and not n.held for n in notes.values())


def test_locked_layer():
    project = open_project(EXAMPLES / "locked_layer")
    assert project.runtime is project.models["model"]
    notes = annotations(project)
    assert {p: n.kind for p, n in notes.items()} == {"root.layers[0].lock": "Lock"}
    layer = project.runtime.layers[0]
    assert type(layer).__module__ == f"{project.code_package}.layers"
    rebuilt = type(layer).from_config(layer.get_config())
    assert rebuilt.units == layer.units and rebuilt.lock is not layer.lock
    assert project.runtime.predict(np.ones((1, 4), "float32"), verbose=0).shape == (1, 2)


def test_anomaly_service():
    project = open_project(EXAMPLES / "anomaly_service")
    service = project.runtime
    tree = project.inspect()
    notes = annotations(project)
    assert {p: n.kind for p, n in notes.items()} == {
        "root.state_lock": "RLock",
        "root.work_ready": "Condition",
        "root.stopping": "Event",
        "root.slots": "BoundedSemaphore",
        "root.pending": "Queue",
        "root.executor": "ThreadPoolExecutor",
    }
    assert "shares root.state_lock" in notes["root.work_ready"].detail
    assert notes["root.pending"].state == "2 of 64 items" and notes["root.pending"].action == "keep"
    assert notes["root.executor"].action == "recreate"  # idle: recreated like a lock
    assert notes["root.executor"].state == "idle, 0 thread(s)"
    assert tree.find("root.models['primary']").shared_with == "root.detector"
    assert tree.find("root.detector").keras["class"] == "Functional"
    assert project.preview["workers"] == 4 and project.preview["max_batch"] == 16
    assert project.preview["inputs"] == EXAMPLES / "anomaly_service" / "samples" / "readings.npy"
    verdicts = service.drain()
    assert sorted(verdicts) == [0, 1] and service.processed == 2
    service.close()


def test_build_scripts_rebuild_the_committed_models(tmp_path):
    """One subprocess runs every build_model.py into tmp_path (the committed files stay)."""
    script = "\n".join(
        f"sys.argv = ['build_model.py', '--out', {str(tmp_path / (demo + '.keras'))!r}]\n"
        f"runpy.run_path({str(EXAMPLES / demo / 'build_model.py')!r}, run_name='__main__')"
        for demo in DEMOS
    )
    result = subprocess.run(
        [sys.executable, "-c", "import runpy, sys\n" + script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    from lockpickle_gui.core.tf_runtime import import_keras

    keras = import_keras()
    for demo in DEMOS:
        committed = next(iter(open_project(EXAMPLES / demo).models.values()))  # registers layers
        rebuilt = keras.saving.load_model(tmp_path / f"{demo}.keras")
        assert [type(a).__name__ for a in rebuilt.layers] == [
            type(b).__name__ for b in committed.layers
        ]
        for a, b in zip(committed.get_weights(), rebuilt.get_weights()):
            np.testing.assert_array_equal(a, b)
