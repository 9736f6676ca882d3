"""The inference pool on the "processes" and "ray" backends: the same API as the thread
backend, outputs matching the model, a failing batch that fails only its own requests,
cancel, and nothing left behind (worker processes, actors, threads)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from lockpickle_gui.core.errors import Cancelled, PreviewError
from lockpickle_gui.core.modelio.verdict import Verdict

pytestmark = pytest.mark.slow


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, timeout=20.0):
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def worker_pids(stats):
    return [int(name.rsplit("pid ", 1)[1].rstrip(")")) for name in stats.per_worker]


@pytest.fixture(params=["processes", "ray"])
def backend(request):
    """The Ray cluster for "ray" is started by the thread check (conftest), before it counts."""
    return request.param


def test_pool_on_a_remote_backend_serves_fails_one_batch_and_cancels(backend, keras):
    from transport_layers import poisoned_model

    from lockpickle_gui.core.preview import InferencePool

    model = poisoned_model()
    samples = [np.full(4, i / 10, "float32") for i in range(12)]
    reference = [np.asarray(model(s[None]))[0] for s in samples]
    pool = InferencePool(model, workers=2, max_batch=4, max_delay_ms=1.0, backend=backend)
    try:
        pids = worker_pids(pool.stats())
        assert len(pids) == 2 and os.getpid() not in pids and all(alive(p) for p in pids)
        outputs = pool.map(samples)
        for got, want in zip(outputs, reference):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        # a poisoned sample fails its batch (here: alone) and the pool keeps serving
        poisoned = pool.submit(np.array([0, 0, 5000, 0], "float32"))
        with pytest.raises(PreviewError, match="InvalidArgumentError") as info:
            poisoned.result()
        assert "poison value" in str(info.value.__cause__)
        assert len(pool.map(samples)) == len(samples)
        # cancel: thousands queued, close(wait=False) resolves every future at once
        futures = [pool.submit(samples[i % 12]) for i in range(1000)]
    finally:
        pool.close(wait=False)
    assert all(f.done() for f in futures)
    assert any(f.cancelled() for f in futures)
    stats = pool.stats()
    assert stats.failed >= 1 and stats.completed >= 24
    assert sum(stats.per_worker.values()) == stats.completed + stats.failed
    assert wait_gone(pids) == []


def test_run_preview_on_a_remote_backend_gives_the_verdict_and_per_worker_counts(backend, keras):
    import locked_service

    from lockpickle_gui.core.modelio.inputs import generate_inputs
    from lockpickle_gui.core.preview import run_preview

    model = locked_service.build_model()
    result = run_preview(
        model,
        generate_inputs(model, 16),
        workers=2,
        requests=200,
        clients=4,
        backend=backend,
        check_samples=8,
    )
    assert result.verdict in (Verdict.IDENTICAL, Verdict.WITHIN_TOLERANCE)
    assert result.stats.completed == 200 and result.config["backend"] == backend
    assert len(result.stats.per_worker) == 2
    assert sum(result.stats.per_worker.values()) == 200
    assert wait_gone(worker_pids(result.stats)) == []


def test_cancel_event_stops_a_remote_run(backend, keras):
    import threading

    import locked_service

    from lockpickle_gui.core.preview import run_preview

    cancel = threading.Event()
    seen = []

    def progress(fraction, message):
        seen.append(message)
        if "requests" in message:  # the load is running: cancel it
            cancel.set()

    from lockpickle_gui.core.modelio.inputs import generate_inputs

    model = locked_service.build_model()
    with pytest.raises(Cancelled):
        run_preview(
            model,
            generate_inputs(model, 4),
            workers=1,
            requests=1_000_000,
            clients=2,
            backend=backend,
            progress=progress,
            cancel=cancel,
        )
    assert any("requests" in m for m in seen)


def test_unknown_backend_is_refused_before_anything_starts(keras):
    import locked_service

    from lockpickle_gui.core.preview import InferencePool

    with pytest.raises(PreviewError, match="backend to be one of threads, processes, ray"):
        InferencePool(locked_service.build_model(), backend="gpu-farm")
