"""A model taken out of an opened project carries the project code its classes come from.

Its custom layer lives in the project's private ``lpproject_...`` package, which exists only
in the process that opened the project. Saved on its own (``lp.dumps(model)``, the preview's
worker processes, a Ray actor), it must bring those sources — the ones that ran — or it could
never load anywhere else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.errors import UntrustedCode

DEMO = Path(__file__).resolve().parents[1] / "resources" / "examples" / "anomaly_service"

FRESH = """
import sys
import lockpickle_gui as lp
model = lp.loads(open(sys.argv[1], "rb").read(), trust_bundled_code=True)
layer = model.layers[-1]
print(type(layer).__module__.partition(".")[0].startswith("lpproject_"), type(layer).__name__)
"""


def test_a_project_model_saved_alone_bundles_its_code_and_loads_elsewhere(tmp_path):
    project = lp.open_project(shutil.copytree(DEMO, tmp_path / "demo"))
    model = project.models["detector"]
    data = lp.dumps(model, verify=False)
    manifest = lp.read_manifest(_write(tmp_path / "alone.lpsnap", data))
    assert manifest["code_package"] == project.code_package
    assert {c["module"] for c in manifest["code"]} == {"layers", "service"}
    with pytest.raises(UntrustedCode, match="trust_bundled_code=True"):
        lp.loads(data)
    shutil.rmtree(tmp_path / "demo")  # the other side has no project folder
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FRESH), str(tmp_path / "alone.lpsnap")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-2:] == ["True", "ReconstructionError"]


def test_plain_objects_carry_no_code(tmp_path):
    manifest = lp.read_manifest(_write(tmp_path / "plain.lpsnap", lp.dumps({"a": [1, 2]})))
    assert manifest["code"] in (None, [], ())


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
