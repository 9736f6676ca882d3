"""Shared fixtures. Environment first: Qt offscreen, TensorFlow quiet, before any import.

The developer's home is neither read nor written: Keras' keras.json and the app's settings,
logs and snapshot library live in folders of the test run (each test gets its own settings
folder below, and whatever runs outside a test, such as a module's fixture, the run's one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Keras reads keras.json (floatx, image_data_format, ...) from KERAS_HOME, default ~/.keras,
# and writes one there on first import.
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="lockpickle-tests-keras-")
os.environ["LOCKPICKLE_GUI_SETTINGS_DIR"] = tempfile.mkdtemp(prefix="lockpickle-tests-user-")
# Qt's own settings (QFileDialog's history in QtProject.conf) go to XDG_CONFIG_HOME.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="lockpickle-tests-xdg-")

import pytest

from lockpickle_gui.core.settings import SETTINGS_DIR_ENV

RUN_FOLDERS = (
    os.environ["KERAS_HOME"],
    os.environ[SETTINGS_DIR_ENV],
    os.environ["XDG_CONFIG_HOME"],
)


def pytest_unconfigure(config):
    for folder in RUN_FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)


LEAK_GRACE_SECONDS = 3.0


def _live_python_threads():
    return {
        thread
        for thread in threading.enumerate()
        if thread.is_alive() and not isinstance(thread, threading._DummyThread)  # type: ignore[attr-defined]
    }


@pytest.fixture
def process_wide_threads() -> tuple[str, ...]:
    """Names (parts of names) of threads a library starts once and keeps until the process
    exits, by design: the thread check below lets them outlive a test. None here;
    tests/transport/conftest.py names the engines' ones."""
    return ()


@pytest.fixture(autouse=True)
def fail_on_leaked_threads(request, process_wide_threads):
    """Fail any test that leaves a thread running (napari's conftest does the same).

    A test that starts threads must stop and join them; pools must be closed.
    """
    before = _live_python_threads()
    yield

    def leaked():
        return {
            thread
            for thread in _live_python_threads() - before
            if not any(name in thread.name for name in process_wide_threads)
        }

    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    left = leaked()
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = leaked()
    if left:
        names = ", ".join(sorted(t.name for t in left))
        pytest.fail(f"{request.node.nodeid} left threads running: {names}", pytrace=False)


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path_factory, monkeypatch):
    """Settings, logs and the snapshot library of every test (and of the CLI processes it
    starts) go to a fresh folder, never to the real home."""
    folder = tmp_path_factory.mktemp("user")
    monkeypatch.setenv(SETTINGS_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def keras():
    """Keras (TensorFlow backend), imported once per test run."""
    from lockpickle_gui.core.tf_runtime import import_keras

    return import_keras()


@pytest.fixture
def tiny_model():
    """The suite's default model, new for each test: features (4,) -> Dense(8, relu)
    "hidden" -> Dense(3) "scores", named "tiny", 67 parameters, deterministic weights."""
    from models import mlp

    return mlp(activation="relu", name="tiny")


@pytest.fixture
def model_file(tmp_path, tiny_model):
    """``tiny_model`` saved as ``tmp_path / "tiny.keras"``."""
    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    return path


@pytest.fixture
def run_cli(capsys):
    """Run ``lockpickle ARGS...`` in this process: returns (exit status, stdout, stderr)."""
    from lockpickle_gui.cli import main

    def run(*args) -> tuple[int, str, str]:
        code = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
