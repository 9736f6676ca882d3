"""The CLI speaks only for itself: TensorFlow's native start-up lines stay off stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
DEMO = EXAMPLES / "single_lock"
NATIVE_NOISE = ("absl::InitializeLog", "cudart_stub", "oneDNN custom operations", "cuInit")

pytestmark = pytest.mark.slow


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "lockpickle_gui.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, **env},
    )


def test_inspect_prints_no_tensorflow_start_up_lines():
    done = _run("inspect", str(DEMO))
    assert done.returncode == 0, done.stderr
    assert "PredictionService" in done.stdout
    assert done.stderr == ""


def test_project_code_that_imports_keras_itself_stays_quiet(tmp_path):
    """anomaly_service's layers.py starts with `import keras`: that import must not be the one
    that starts TensorFlow (and prints its native lines)."""
    done = _run("export", str(EXAMPLES / "anomaly_service"), "-o", str(tmp_path / "a.lpsnap"))
    assert done.returncode == 0, done.stderr
    assert "Saved" in done.stdout
    assert done.stderr == ""


def test_verbose_lets_tensorflow_speak():
    done = _run("--verbose", "inspect", str(DEMO))
    assert done.returncode == 0, done.stderr
    assert any(noise in done.stderr for noise in NATIVE_NOISE), done.stderr


def test_preview_worker_processes_carry_project_code_and_stay_quiet():
    """anomaly_service's model has a custom layer from the project's own code: worker
    processes get that code with the model (nothing on their disk has it) and start
    TensorFlow as quietly as the parent."""
    done = _run(
        "preview", str(EXAMPLES / "anomaly_service"), "--backend", "processes",
        "--workers", "2", "--requests", "64", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"verdict": "identical"' in done.stdout
    assert done.stderr == ""
