"""Engines for the transport tests: the example service importable everywhere, one local Ray
cluster and one Dask LocalCluster per test run (started on first use), and a check that no
worker process outlives the run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from helpers import child_pids

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HERE = Path(__file__).resolve().parent
# Worker processes (spawned, Ray's, Dask's) import the service and the test layers by name.
for folder in (EXAMPLES, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(EXAMPLES), str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
)
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_DISABLE_DOCKER_CPU_WARNING", "1")


@pytest.fixture
def service(keras):
    import locked_service

    return locked_service.build_service()


@pytest.fixture
def expected(service):
    import locked_service

    return service.predict(locked_service.probe_input(service))


@pytest.fixture(autouse=True)
def clean_registrations():
    """Tests register classes and set trust policies: undo both after each test."""
    from lockpickle_gui.core import transport

    yield
    transport.set_trust(None)
    for name in list(transport.registered()):
        module, _, cls = name.rpartition(".")
        transport.unregister(getattr(sys.modules[module], cls))


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray cluster for the whole run (2 CPUs, no dashboard); shut down at the end,
    after which no Ray process may be left."""
    ray = pytest.importorskip("ray")
    ray.init(
        address="local",  # never another session's cluster on the same machine
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.environ["PYTHONPATH"]}},
    )
    ray.get(ray.put(0))  # the driver's helper threads start now, before any test's thread check
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="session", autouse=True)
def no_processes_left_behind():
    """Set up before the clusters, so it checks after they are shut down: every process the
    transport tests started (pools, executors, Ray, Dask) must have ended."""
    before = child_pids()
    yield
    assert_no_children("The transport tests", ignore=before)


def assert_no_children(what: str, ignore: set[int] = frozenset(), timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    left = child_pids() - ignore
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = child_pids() - ignore
    assert not left, f"{what} left processes behind: {sorted(left)}"


# Process-wide helper threads the engines start on first need and keep until the process
# exits, by design: Ray Serve's router event loop (one per process, started by the first
# handle) and distributed's offload executor (de)serialising large messages. Every other
# thread must still end with its test.
PROCESS_WIDE_THREADS = ("_run_router_event_loop", "Dask-Offload")


@pytest.fixture
def process_wide_threads(request) -> tuple[str, ...]:
    """The engines' process-wide threads, for the suite's thread check (tests/conftest.py).
    A test parametrized with backend "ray" gets the session's Ray cluster here, before the
    check counts the threads running."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "ray":
        request.getfixturevalue("ray_session")
    return PROCESS_WIDE_THREADS
