"""Projects and snapshots: open_project opens a snapshot; a project's snapshot bundles its
code and loads in a fresh process without the project folder (one slow subprocess test)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest
from models import Box, mlp
from projects import write_project

import lockpickle_gui as lp
from lockpickle_gui.core.errors import UntrustedCode


def test_open_project_opens_a_snapshot(tmp_path):
    from lockpickle_gui.core.project import open_project

    target = tmp_path / "p.lpsnap"
    lp.save_snapshot(Box(model=mlp(name="detector"), lock=threading.Lock()), target)
    project = open_project(target, trust=["models"])
    assert project.kind == "snapshot" and list(project.models) == ["detector"]
    assert isinstance(project.runtime, Box) and project.manifest["format_version"] == 2
    assert project.runtime.model is project.models["detector"]
    assert lp.verify_snapshot(target, obj=project.runtime).verdict == "identical"


LAYERS_PY = """
    import keras

    @keras.saving.register_keras_serializable(package="lp_snapshot_project")
    class Shift(keras.layers.Layer):
        def __init__(self, shift=1.0, **kwargs):
            super().__init__(**kwargs)
            self.shift = shift

        def call(self, x):
            return x + self.shift

        def get_config(self):
            return {**super().get_config(), "shift": self.shift}
"""

SERVICE_PY = """
    import threading

    class Service:
        def __init__(self, model):
            self.model = model
            self.lock = threading.Lock()
            self.cond = threading.Condition(self.lock)

    def build(models):
        return Service(models["detector"])
"""

TOML = """
    [project]
    name = "snap-demo"
    [[models]]
    name = "detector"
    path = "model.keras"
    [code]
    modules = ["layers.py", "service.py"]
    [runtime]
    factory = "service:build"
"""

FRESH_PROCESS = """
    import json, sys
    import lockpickle_gui as lp
    path = sys.argv[1]
    report = {}
    try:
        lp.load_snapshot(path)
    except lp.UntrustedCode as error:
        report["refused"] = str(error)
    service = lp.load_snapshot(path, trust_bundled_code=True)
    report["type"] = type(service).__module__ + "." + type(service).__qualname__
    report["lock_free"] = not service.lock.locked()
    report["shared"] = service.cond._lock is service.lock
    report["layer"] = type(service.model.layers[1]).__name__
    report["verdict"] = lp.verify_snapshot(path, obj=service).verdict
    print(json.dumps(report))
"""


@pytest.mark.slow
def test_project_snapshot_loads_in_a_fresh_process_without_the_folder(tmp_path):
    from lockpickle_gui.core.code_package import import_code_package
    from lockpickle_gui.core.project import code_package_name, open_project

    folder = write_project(
        tmp_path / "project", TOML, {"layers.py": LAYERS_PY, "service.py": SERVICE_PY}
    )
    # Build the project's model with its own Shift layer, imported the way open_project does.
    package = code_package_name(folder, "snap-demo")
    shift = import_code_package(package, {"layers": folder / "layers.py"}, "test")["layers"].Shift
    mlp(insert=[shift(0.5)], name="detector").save(folder / "model.keras")
    project = open_project(folder)
    target = tmp_path / "demo.lpsnap"
    manifest = lp.save_snapshot(project, target)
    assert manifest["code_package"] == project.code_package == package
    assert {c["module"] for c in manifest["code"]} == {"layers", "service"}
    # everything needed is the bundled code
    assert {t["name"] for t in manifest["types"]} == {
        f"{package}.layers:Shift",
        f"{package}.service:Service",
    }
    assert lp.untrusted_types(target, trust_bundled_code=True) == []
    with pytest.raises(UntrustedCode, match="trust_bundled_code=True"):
        lp.load_snapshot(target)
    shutil.rmtree(folder)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FRESH_PROCESS), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert "--trust-bundled-code" in report["refused"]
    assert report["type"] == f"{package}.service.Service"
    assert report == dict(report, lock_free=True, shared=True, layer="Shift", verdict="identical")
    # Re-exporting the opened snapshot bundles the same code, read back from the snapshot.
    reopened = open_project(target, trust_bundled_code=True)
    again = lp.save_snapshot(reopened, tmp_path / "again.lpsnap")
    assert again["code"] == manifest["code"] and again["code_package"] == package
