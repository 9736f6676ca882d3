"""GUI fixtures: a real main window per test (temporary settings folder), real model files.

Every window is closed at teardown, which cancels its work and joins its worker threads
before the thread-leak check in tests/conftest.py runs.
"""

from __future__ import annotations

import pytest
from gui_helpers import LOAD_TIMEOUT_MS
from projects import factory_project
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture
def settings_dir(tmp_path):
    return tmp_path / "settings"


@pytest.fixture
def make_window(qtbot, keras):
    """Build main windows on demand (several per test for persistence checks)."""
    from lockpickle_gui.gui.app import build_main_window

    windows = []

    def make(settings_dir, **kw):
        window = build_main_window(settings_dir, **kw)
        windows.append(window)
        qtbot.waitUntil(lambda: window.loader.tensorflow_state == "ready", timeout=LOAD_TIMEOUT_MS)
        return window

    yield make
    for window in windows:
        window.close()  # saves settings, cancels work, joins the worker threads
        window.deleteLater()
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox):
            widget.close()
    QApplication.processEvents()


@pytest.fixture
def window(make_window, settings_dir):
    return make_window(settings_dir)


SERVICE_CODE = '''
import threading

class Service:
    """What real programs hold: a model, locks around it, a file it writes to."""

    def __init__(self, model, log_path):
        self.model = model
        self.lock = threading.RLock()
        self.ready = threading.Condition(self.lock)
        self.log = open(log_path, "a")

def build(models):
    import pathlib
    service = Service(models["detector"], pathlib.Path(__file__).with_name("service.log"))
    service.model.layers[0].lock = threading.Lock()   # attached after construction
    return service
'''


@pytest.fixture
def service_project(tmp_path, tiny_model):
    """A project folder: one model, a factory building a service with locks and an open file."""
    return factory_project(
        tmp_path / "service_project",
        SERVICE_CODE,
        tiny_model,
        model_name="detector",
        name="service-demo",
    )
