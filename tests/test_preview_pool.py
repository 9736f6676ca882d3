"""InferencePool answers as the model itself does, one answer per request: every kind of
model, variable-length inputs, many client threads at once; it traces the model once
whatever the batch sizes; an unbuilt subclassed model needs a call or a signature; close."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from helpers import assert_outputs_close
from models import branching, classifier, image_and_tokens, keras, nested

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.preview import InferencePool

ATOL = 1e-5


def subclassed():
    class Residual(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = keras.layers.Dense(4, activation="relu")
            self.out = keras.layers.Dense(4)

        def call(self, x):
            return x + self.out(self.inner(x))

    keras.utils.set_random_seed(3)
    model = Residual()
    model(np.zeros((2, 4), "float32"))  # built by a call: Keras records the input shape
    return model


BUILDERS = {
    "sequential": classifier,
    "functional with branches, lists in and out": branching,
    "nested": nested,
    "subclassed": subclassed,
    "dicts in and out": image_and_tokens,
}


def batch_of(samples):
    """Samples -> the batch the model itself is called with."""
    first = samples[0]
    if isinstance(first, dict):
        return {k: np.stack([s[k] for s in samples]) for k in first}
    if isinstance(first, list):
        return [np.stack([s[i] for s in samples]) for i in range(len(first))]
    return np.stack(samples)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_pool_outputs_equal_the_models(kind):
    from lockpickle_gui.core.modelio.inputs import generate_inputs

    model = BUILDERS[kind]()
    samples = generate_inputs(model, 40, seed=7)
    expected = model(batch_of(samples), training=False)
    with InferencePool(model, workers=2, max_batch=8, max_delay_ms=1.0) as pool:
        results = pool.map(samples)
    assert len(results) == 40
    assert_outputs_close(results, expected, atol=ATOL)


def test_the_model_is_traced_once_whatever_the_batch_sizes():
    from lockpickle_gui.core.preview import InferencePool

    traces = []

    class CountingDense(keras.layers.Dense):
        def call(self, x):
            traces.append(x.shape)  # Python runs call() only while tracing
            return super().call(x)

    model = keras.Sequential([keras.Input((4,)), CountingDense(3)])
    samples = list(np.random.default_rng(8).standard_normal((61, 4)).astype("float32"))
    with InferencePool(model, workers=2, max_batch=7, max_delay_ms=50) as pool:
        traced = len(traces)
        for size in (1, 2, 7, 3):
            pool.map(samples[:size])
        pool.map(samples)
        sizes = pool.stats().batch_sizes
    assert len(traces) == traced and len(sizes) > 1


def test_many_client_threads_each_get_their_own_answer():
    from lockpickle_gui.core.preview import InferencePool

    model = classifier()
    rng = np.random.default_rng(2)
    samples = rng.standard_normal((16 * 40, 4)).astype("float32")
    expected = np.asarray(model(samples, training=False))
    answers = {}
    errors = []

    def client(c):
        try:
            mine = [(i, pool.submit(samples[i])) for i in range(c, len(samples), 16)]
            answers.update((i, f.result()) for i, f in mine)
        except BaseException as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    with InferencePool(model, workers=3, max_batch=16, max_delay_ms=1.0) as pool:
        threads = [threading.Thread(target=client, args=(c,)) for c in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = pool.stats()
    assert not errors
    assert sorted(answers) == list(range(len(samples)))
    for i, answer in answers.items():
        np.testing.assert_allclose(answer, expected[i], atol=ATOL)
    assert stats.completed == len(samples) and stats.failed == stats.cancelled == 0
    assert sum(size * n for size, n in stats.batch_sizes.items()) == len(samples)
    assert sum(stats.per_worker.values()) == len(samples)
    assert max(stats.batch_sizes) <= 16


def test_variable_length_inputs_are_batched_by_shape():
    from lockpickle_gui.core.preview import InferencePool

    keras.utils.set_random_seed(8)
    tokens = keras.Input((None,), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(30, 4)(tokens))
    model = keras.Model(tokens, keras.layers.Dense(2)(pooled))
    rng = np.random.default_rng(3)
    samples = [rng.integers(0, 30, size=n).astype("int32") for n in (3, 5, 3, 7, 5, 3)]
    with InferencePool(model, workers=1, max_batch=8, max_delay_ms=5.0) as pool:
        assert pool.signature.variable_shape
        results = pool.map(samples)
    for sample, result in zip(samples, results):
        np.testing.assert_allclose(result, np.asarray(model(sample[None]))[0], atol=ATOL)


def test_unbuilt_subclassed_model_needs_a_call_or_a_signature():
    import tensorflow as tf

    from lockpickle_gui.core.preview import InferencePool

    class Plain(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(PreviewError, match="has not been built yet"):
        InferencePool(Plain())
    model = Plain()
    with InferencePool(
        model, workers=1, input_signature=tf.TensorSpec((None, 3), tf.float32)
    ) as pool:
        result = pool.submit(np.ones(3, "float32")).result()
    np.testing.assert_allclose(result, np.asarray(model(np.ones((1, 3), "float32")))[0], atol=ATOL)


def test_close_is_idempotent_and_refuses_new_requests(tiny_model):
    from lockpickle_gui.core.preview import InferencePool

    pool = InferencePool(tiny_model, workers=2)
    with pool:
        assert pool.submit(np.zeros(4, "float32")).result().shape == (3,)
    pool.close()
    pool.close(wait=False)
    assert pool.closed
    with pytest.raises(PreviewError, match="after close"):
        pool.submit(np.zeros(4, "float32"))
