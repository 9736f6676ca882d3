"""The adversarial suite: crafted snapshot files for every class of break issue 9 lists,
built in code, loaded in a child process under limits (``hostile.py``)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # lpsec_fixtures, lpcanary: importable, as trusted code is

TRUST = ("lpsec_fixtures",)


@pytest.fixture(scope="session")
def good_state(tmp_path_factory) -> Path:
    """A snapshot without models: a trusted Service holding locks, data and an array."""
    import lpsec_fixtures
    import numpy as np

    import lockpickle_gui as lp

    service = lpsec_fixtures.Service(3)
    service.rlock = threading.RLock()
    service.ready = threading.Condition(service.rlock)
    service.data = {"numbers": [1, 2.5, None], "name": "svc", "weights": np.arange(300_000.0)}
    service.managers = [lpsec_fixtures.LockManager(2)]
    path = tmp_path_factory.mktemp("good") / "state.lpsnap"
    lp.save_snapshot(service, path)
    return path


@pytest.fixture(scope="session")
def good_model(tmp_path_factory) -> Path:
    """A snapshot with a small model, a lock re-attached to a layer, and verification."""
    import lpsec_fixtures
    from models import mlp

    import lockpickle_gui as lp

    model = mlp(name="small")
    model.layers[0].lock = threading.Lock()
    service = lpsec_fixtures.Service(1)
    service.model = model
    service.head = model.layers[1]
    path = tmp_path_factory.mktemp("good") / "model.lpsnap"
    lp.save_snapshot(service, path)
    return path


@pytest.fixture(scope="session")
def good_project(tmp_path_factory) -> Path:
    """A project snapshot: a model, and the project's own code bundled."""
    from models import mlp
    from projects import service_project

    import lockpickle_gui as lp
    from lockpickle_gui.core.project import open_project

    folder = service_project(tmp_path_factory.mktemp("project"), mlp(), name="sec-demo")
    path = folder / "project.lpsnap"
    lp.save_snapshot(open_project(folder), path)
    return path
