"""Shared fixtures. Environment first: Qt offscreen, TensorFlow quiet, before any import."""

from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest

LEAK_GRACE_SECONDS = 3.0


def _live_python_threads():
    return {
        thread
        for thread in threading.enumerate()
        if thread.is_alive() and not isinstance(thread, threading._DummyThread)  # type: ignore[attr-defined]
    }


@pytest.fixture(autouse=True)
def fail_on_leaked_threads(request):
    """Fail any test that leaves a thread running (napari's conftest does the same).

    A test that starts threads must stop and join them; pools must be closed.
    """
    before = _live_python_threads()
    yield
    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    leaked = _live_python_threads() - before
    while leaked and time.monotonic() < deadline:
        time.sleep(0.02)
        leaked = _live_python_threads() - before
    if leaked:
        names = ", ".join(sorted(t.name for t in leaked))
        pytest.fail(f"{request.node.nodeid} left threads running: {names}", pytrace=False)


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path_factory, monkeypatch):
    """Settings, logs and the snapshot library of every test (and of the CLI processes it
    starts) go to a fresh folder, never to the real home."""
    from lockpickle_gui.core.settings import SETTINGS_DIR_ENV

    folder = tmp_path_factory.mktemp("user")
    monkeypatch.setenv(SETTINGS_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def keras():
    """Keras (TensorFlow backend), imported once per test run."""
    from lockpickle_gui.core.tf_runtime import import_keras

    return import_keras()


@pytest.fixture
def tiny_model(keras):
    """A 2-layer Sequential MLP: 4 -> 8 -> 3, built, deterministic weights."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,), name="features"),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(3, name="scores"),
        ],
        name="tiny",
    )
    return model
