"""InferencePool under pressure: exceptions in the model, cancel storms, close while busy,
back-pressure, cancelling a preview run.

Concurrency is made deterministic on purpose (napari style): the model contains a *gate*, a
layer whose ``tf.py_function`` blocks any batch holding a marker sample until the test opens
the gate, and counts the rows the model really computed. No test sleeps and hopes.
"""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest

from lockpickle_gui.core.errors import Cancelled, PreviewError

MARKER = 7.0  # a sample whose first feature is MARKER holds its batch at the gate
GATE_TIMEOUT = 20.0  # a safety net: a broken test fails instead of hanging


class Gate:
    """The test's handle on the gated model."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.rows = 0  # rows computed (the warm-up batch included)
        self.held = 0  # batches that reached the gate with a marker
        self.changed = threading.Condition()

    def __call__(self, batch):
        array = batch.numpy()
        marked = bool(np.any(array[:, 0] == MARKER))
        with self.changed:
            self.rows += len(array)
            self.held += marked
            self.changed.notify_all()
        if marked:
            self.entered.set()
            if not self.release.wait(GATE_TIMEOUT):
                raise RuntimeError("the test never opened the gate")
        return array


def gated_model(keras, gate, poison=False):
    """4 -> gate -> (poison check) -> Dense(3). ``poison``: a sample with a value >= 1000
    makes tf.debugging raise InvalidArgumentError inside the compiled function."""
    import tensorflow as tf

    class GateLayer(keras.layers.Layer):
        def call(self, x):
            y = tf.py_function(gate, [x], Tout=x.dtype)
            y.set_shape(x.shape)
            return y

    class PoisonCheck(keras.layers.Layer):
        def call(self, x):
            tf.debugging.assert_less(tf.reduce_max(x), 1000.0, message="poison value in the batch")
            return x

    keras.utils.set_random_seed(0)
    layers = (
        [keras.Input((4,)), GateLayer()]
        + ([PoisonCheck()] if poison else [])
        + [keras.layers.Dense(3)]
    )
    return keras.Sequential(layers)


def blocker():
    return np.array([MARKER, 0, 0, 0], "float32")


def normal(i):
    return np.array([i, 1, 2, 3], "float32") / 100.0


def wait(event: threading.Event):
    assert event.wait(GATE_TIMEOUT), "timed out waiting for the pool"


def wait_held(gate: Gate, batches: int):
    with gate.changed:
        assert gate.changed.wait_for(lambda: gate.held >= batches, GATE_TIMEOUT)


def test_exception_inside_the_model_fails_its_batch_only_and_the_pool_keeps_serving(keras):
    from lockpickle_gui.core.preview import InferencePool

    gate = Gate()
    model = gated_model(keras, gate, poison=True)
    with InferencePool(model, workers=1, max_batch=3, max_delay_ms=0) as pool:
        held = pool.submit(blocker())
        wait(gate.entered)  # the only worker holds the blocker: the next batch forms in the queue
        poison = np.array([0, 0, 5000, 0], "float32")
        same_batch = [pool.submit(normal(1)), pool.submit(poison), pool.submit(normal(2))]
        gate.release.set()
        assert held.result().shape == (3,)
        for future in same_batch:
            with pytest.raises(PreviewError, match="InvalidArgumentError.*batch of 3") as info:
                future.result()
            assert "poison value" in str(info.value.__cause__)
        later = [pool.submit(normal(i)) for i in range(6)]
        assert all(f.result().shape == (3,) for f in later)
        stats = pool.stats()
    assert (stats.failed, stats.completed) == (3, 7)


def test_cancel_storm_every_future_resolved_and_cancelled_ones_never_run(keras):
    from lockpickle_gui.core.preview import InferencePool

    gate = Gate()
    model = gated_model(keras, gate)
    count = 4000
    pool = InferencePool(model, workers=2, max_batch=32, max_delay_ms=0, max_queue=count)
    warm_rows = gate.rows
    futures = [pool.submit(blocker())]
    wait_held(gate, 1)
    futures.append(pool.submit(blocker()))
    wait_held(gate, 2)  # both workers hold a blocker: nothing else runs until the gate opens
    futures += [pool.submit(normal(i % 50)) for i in range(count)]
    cancelled = sum(f.cancel() for f in futures[2::2])
    gate.release.set()
    pool.close(wait=True)
    assert all(f.done() for f in futures)
    assert cancelled == count // 2
    assert sum(f.cancelled() for f in futures) == cancelled
    ran = [f for f in futures if not f.cancelled()]
    assert all(f.result().shape == (3,) for f in ran)
    assert gate.rows - warm_rows == len(ran)  # cancelled requests never reached the model
    stats = pool.stats()
    assert (stats.completed, stats.cancelled, stats.queued) == (len(ran), cancelled, 0)


def test_cancel_pending_cancels_everything_queued(keras):
    from lockpickle_gui.core.preview import InferencePool

    gate = Gate()
    model = gated_model(keras, gate)
    with InferencePool(model, workers=1, max_batch=8, max_delay_ms=0, max_queue=5000) as pool:
        first = pool.submit(blocker())
        wait(gate.entered)
        queued = [pool.submit(normal(i % 10)) for i in range(2000)]
        assert pool.cancel_pending() == 2000
        gate.release.set()
        assert first.result().shape == (3,)
        assert all(f.cancelled() for f in queued)
        assert pool.submit(normal(1)).result().shape == (3,)  # still serving
    assert pool.stats().cancelled == 2000


@pytest.mark.parametrize("wait_for_queue", [True, False])
def test_close_while_requests_are_in_flight(keras, wait_for_queue):
    from lockpickle_gui.core.preview import InferencePool

    gate = Gate()
    model = gated_model(keras, gate)
    pool = InferencePool(model, workers=1, max_batch=4, max_delay_ms=0)
    running = pool.submit(blocker())
    wait(gate.entered)
    queued = [pool.submit(normal(i)) for i in range(10)]
    closer = threading.Thread(target=pool.close, kwargs={"wait": wait_for_queue})
    closer.start()
    while not pool.closed:  # close() flips this (and drains, for wait=False) in one locked step
        closer.join(0.001)
    with pytest.raises(PreviewError, match="after close"):
        pool.submit(normal(0))
    gate.release.set()
    closer.join()
    assert running.result().shape == (3,)
    assert all(f.done() for f in queued)
    if wait_for_queue:
        assert all(f.result().shape == (3,) for f in queued)
    else:
        assert all(f.cancelled() for f in queued)


def test_back_pressure_when_the_queue_is_full(keras):
    from lockpickle_gui.core.preview import InferencePool

    gate = Gate()
    model = gated_model(keras, gate)
    with InferencePool(model, workers=1, max_batch=1, max_delay_ms=0, max_queue=3) as pool:
        futures = [pool.submit(blocker())]
        wait(gate.entered)  # the worker holds the blocker; the queue is empty
        futures += [pool.submit(normal(i)) for i in range(3)]  # now full
        with pytest.raises(queue.Full, match="queue is full"):
            pool.submit(normal(9), block=False)
        with pytest.raises(queue.Full):
            pool.submit(normal(9), timeout=0.01)
        returned = threading.Event()

        def blocked_submitter():
            futures.append(pool.submit(normal(5)))  # blocks until a worker takes a request
            returned.set()

        submitter = threading.Thread(target=blocked_submitter)
        submitter.start()
        assert not returned.wait(0.2)  # a blocking submit does not return while full
        assert pool.stats().queued == 3
        gate.release.set()
        submitter.join()
        assert returned.is_set()
        assert all(f.result().shape == (3,) for f in futures)
        stats = pool.stats()
    assert (stats.completed, stats.rejected) == (5, 2)


def test_close_wakes_a_blocked_submitter(keras):
    from lockpickle_gui.core.preview import InferencePool

    gate = Gate()
    model = gated_model(keras, gate)
    pool = InferencePool(model, workers=1, max_batch=1, max_delay_ms=0, max_queue=1)
    pool.submit(blocker())
    wait(gate.entered)
    pool.submit(normal(1))  # the queue is full now
    errors = []

    def blocked_submitter():
        try:
            pool.submit(normal(2))
        except PreviewError as error:
            errors.append(error)

    submitter = threading.Thread(target=blocked_submitter)
    submitter.start()
    closer = threading.Thread(target=pool.close, kwargs={"wait": False})
    closer.start()
    submitter.join()
    gate.release.set()
    closer.join()
    assert len(errors) == 1 and "after close" in str(errors[0])


@pytest.mark.parametrize("how", ["progress raises", "event"])
def test_run_preview_cancels_promptly_and_leaves_no_thread(keras, how):
    from lockpickle_gui.core.preview import run_preview

    gate = Gate()
    model = gated_model(keras, gate)
    cancel = threading.Event()
    calls = []

    def progress(fraction, message):
        calls.append((fraction, message))
        if "requests" in message:  # the load phase: the blocker holds the only worker
            wait(gate.entered)
            gate.release.set()  # the running batch may finish; nothing else will start
            if how == "event":
                cancel.set()
            else:
                raise Cancelled()

    samples = [normal(1), blocker()]
    with pytest.raises(Cancelled):
        run_preview(
            model,
            samples,
            workers=1,
            max_batch=4,
            max_delay_ms=0,
            clients=2,
            requests=100_000,
            max_queue=64,
            check_samples=1,
            progress=progress,
            cancel=cancel,
        )
    assert any("requests" in message for _, message in calls)


def test_map_progress_can_cancel_and_the_pool_keeps_serving(tiny_model):
    from lockpickle_gui.core.preview import InferencePool

    samples = list(np.random.default_rng(6).standard_normal((50, 4)).astype("float32"))
    seen = []

    def progress(fraction, message):
        seen.append(fraction)
        if len(seen) == 3:
            raise Cancelled()

    with InferencePool(tiny_model, workers=1, max_batch=4) as pool:
        with pytest.raises(Cancelled):
            pool.map(samples, progress=progress)
        assert len(pool.map(samples[:5])) == 5
    assert len(seen) == 3
