"""`python -m lockpickle_gui.cli` as a user runs it, in a fresh interpreter: the answer on
stdout and nothing else on stderr (TensorFlow's native start-up lines stay off unless
--verbose asks for them), and a bad path is one line on stderr with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
NATIVE_NOISE = ("absl::InitializeLog", "cudart_stub", "oneDNN custom operations", "cuInit")

pytestmark = pytest.mark.slow


def run_process(*args: str) -> subprocess.CompletedProcess:
    """``python -m lockpickle_gui.cli ARGS...`` with the user's environment, in which nobody
    set TF_CPP_MIN_LOG_LEVEL (the suite's conftest does)."""
    clean = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "lockpickle_gui.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean,
    )


def test_inspect_prints_the_tree_and_nothing_on_stderr():
    """anomaly_service's layers.py starts with `import keras`: that import must not be the one
    that starts TensorFlow (and prints its native lines) either."""
    done = run_process("inspect", str(EXAMPLES / "anomaly_service"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("anomaly-service (project): ")
    assert done.stdout.rstrip().endswith("6 annotation(s)")
    assert done.stderr == ""


def test_verbose_lets_tensorflow_speak():
    done = run_process("--verbose", "inspect", str(EXAMPLES / "single_lock"))
    assert done.returncode == 0, done.stderr
    assert "PredictionService" in done.stdout
    assert any(noise in done.stderr for noise in NATIVE_NOISE), done.stderr


def test_a_bad_path_is_one_line_on_stderr_and_exit_2(tmp_path):
    done = run_process("inspect", str(tmp_path / "nothing.keras"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("lockpickle inspect: No such file or folder: ")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_preview_on_worker_processes_carries_project_code_and_stays_quiet():
    """anomaly_service's model has a custom layer from the project's own code: worker
    processes get that code with the model (nothing on their disk has it) and start
    TensorFlow as quietly as the parent. Exit status 0: the verdict holds, nothing failed."""
    done = run_process(
        "preview", str(EXAMPLES / "anomaly_service"), "--backend", "processes",
        "--workers", "2", "--requests", "64",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 worker processes" in done.stdout
    assert done.stdout.count("-process-") == 2 and "(pid " in done.stdout  # per-worker counts
    assert done.stderr == ""
