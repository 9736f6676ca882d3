"""InferencePool: outputs equal the model's for every model kind; validation; stats; map."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from lockpickle_gui.core.errors import Cancelled, PreviewError

ATOL = 1e-5


@pytest.fixture(scope="module")
def tf(keras):
    import tensorflow

    return tensorflow


def _sequential(keras):
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )


def _functional(keras):
    keras.utils.set_random_seed(2)
    x = keras.Input((5,), name="x")
    h = keras.layers.Dense(8, activation="tanh")(x)
    return keras.Model(x, keras.layers.Dense(3)(keras.layers.Concatenate()([x, h])))


def _subclassed(keras):
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


def _multi_io_dict(keras):
    keras.utils.set_random_seed(4)
    image = keras.Input((4, 4, 1), name="image")
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    a = keras.layers.Flatten()(keras.layers.Conv2D(2, 3, padding="same")(image))
    b = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 3)(tokens))
    joined = keras.layers.Concatenate()([a, b])
    return keras.Model(
        {"image": image, "tokens": tokens},
        {
            "label": keras.layers.Dense(3, activation="softmax", name="label")(joined),
            "score": keras.layers.Dense(1, name="score")(joined),
        },
    )


def _multi_io_list(keras):
    keras.utils.set_random_seed(5)
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    return keras.Model([a, b], [keras.layers.Dense(2)(joined), keras.layers.Dense(1)(joined)])


BUILDERS = {
    "sequential": _sequential,
    "functional": _functional,
    "subclassed": _subclassed,
    "multi_io_dict": _multi_io_dict,
    "multi_io_list": _multi_io_list,
}


def _batch_of(samples, structure):
    """Samples -> the batch the model itself is called with."""
    first = samples[0]
    if isinstance(first, dict):
        return {k: np.stack([s[k] for s in samples]) for k in first}
    if isinstance(first, list):
        return [np.stack([s[i] for s in samples]) for i in range(len(first))]
    return np.stack(samples)


def _assert_outputs_close(results, expected_batch):
    for i, result in enumerate(results):
        if isinstance(expected_batch, dict):
            assert set(result) == set(expected_batch)
            for key in expected_batch:
                np.testing.assert_allclose(
                    result[key], np.asarray(expected_batch[key])[i], atol=ATOL
                )
        elif isinstance(expected_batch, (list, tuple)):
            assert len(result) == len(expected_batch)
            for got, want in zip(result, expected_batch):
                np.testing.assert_allclose(got, np.asarray(want)[i], atol=ATOL)
        else:
            np.testing.assert_allclose(result, np.asarray(expected_batch)[i], atol=ATOL)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_pool_outputs_equal_the_models(keras, kind):
    from lockpickle_gui.core.modelio.inputs import generate_inputs
    from lockpickle_gui.core.preview import InferencePool

    model = BUILDERS[kind](keras)
    samples = generate_inputs(model, 40, seed=7)
    expected = model(_batch_of(samples, None), training=False)
    with InferencePool(model, workers=2, max_batch=8, max_delay_ms=1.0) as pool:
        results = pool.map(samples)
    _assert_outputs_close(results, expected)


@pytest.fixture(scope="module")
def saved_model_layer(keras, tmp_path_factory):
    keras.utils.set_random_seed(6)
    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(7, activation="relu"), keras.layers.Dense(2)]
    )
    folder = tmp_path_factory.mktemp("savedmodel") / "exported"
    model.export(str(folder), verbose=False)
    return model, keras.layers.TFSMLayer(str(folder))


def test_pool_serves_a_savedmodel_through_tfsmlayer(saved_model_layer):
    from lockpickle_gui.core.preview import InferencePool

    model, layer = saved_model_layer
    samples = list(np.random.default_rng(0).standard_normal((30, 5)).astype("float32"))
    with InferencePool(layer, workers=2, max_batch=4) as pool:
        assert pool.signature.call_style == "endpoint"
        results = pool.map(samples)
    _assert_outputs_close(results, model(np.stack(samples)))


def test_check_thread_safety_on_a_savedmodel(saved_model_layer):
    from lockpickle_gui.core.preview import check_thread_safety

    _, layer = saved_model_layer
    samples = list(np.random.default_rng(1).standard_normal((12, 5)).astype("float32"))
    report = check_thread_safety(layer, samples, workers=2, clients=3, max_batch=4)
    assert report.verdict in ("identical", "within tolerance") and report.lock_layers == []


def test_the_model_is_traced_once_whatever_the_batch_sizes(keras):
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


def test_savedmodel_signature_endpoint_takes_named_inputs(keras, tf, tmp_path):
    from lockpickle_gui.core.preview import InferencePool

    model = _multi_io_list(keras)
    folder = tmp_path / "sig"
    tf.saved_model.save(model, str(folder))
    layer = keras.layers.TFSMLayer(str(folder), call_endpoint="serving_default")
    with InferencePool(layer, workers=1, max_batch=4) as pool:
        assert pool.signature.call_style == "kwargs"
        names = pool.signature.names
        rng = np.random.default_rng(1)
        sample = {
            name: rng.standard_normal(spec.shape).astype("float32")
            for name, spec in zip(names, pool.signature.specs)
        }
        result = pool.submit(sample).result()
    assert isinstance(result, dict) and len(result) == 2


def test_many_client_threads_each_get_their_own_answer(keras):
    from lockpickle_gui.core.preview import InferencePool

    model = _sequential(keras)
    rng = np.random.default_rng(2)
    samples = rng.standard_normal((16 * 40, 6)).astype("float32")
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


def test_wrong_sample_fails_at_once_and_never_reaches_a_batch(keras):
    from lockpickle_gui.core.preview import InferencePool

    model = _multi_io_dict(keras)
    good = {"image": np.zeros((4, 4, 1), "float32"), "tokens": np.arange(5, dtype="int32")}
    with InferencePool(model, workers=1, max_batch=8) as pool:
        first = pool.submit(good)
        with pytest.raises(
            PreviewError, match=r"'image' of shape \(4, 4, 1\).*Received shape \(4, 4\)"
        ):
            pool.submit({**good, "image": np.zeros((4, 4), "float32")})
        with pytest.raises(PreviewError, match="looks like a batch"):
            pool.submit({**good, "image": np.zeros((2, 4, 4, 1), "float32")})
        with pytest.raises(PreviewError, match="dtype float64"):
            pool.submit({**good, "tokens": np.ones(5)})  # floats for token ids
        with pytest.raises(PreviewError, match="missing"):
            pool.submit({"image": good["image"]})
        with pytest.raises(PreviewError, match="Expected a dict sample"):
            pool.submit(np.zeros(3))
        last = pool.submit({**good, "tokens": np.arange(5, dtype="int64")})  # int64 casts fine
        assert first.result()["label"].shape == (3,)
        assert last.result()["score"].shape == (1,)
        stats = pool.stats()
    assert stats.rejected == 5 and stats.completed == 2 and stats.failed == 0


def test_variable_length_inputs_are_batched_by_shape(keras):
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


def test_max_batch_one_serves_requests_one_by_one(tiny_model):
    from lockpickle_gui.core.preview import InferencePool

    samples = list(np.random.default_rng(4).standard_normal((25, 4)).astype("float32"))
    with InferencePool(tiny_model, workers=2, max_batch=1) as pool:
        pool.map(samples)
        stats = pool.stats()
    assert stats.batch_sizes == {1: 25} and stats.mean_batch == 1.0


def test_stats_are_consistent_and_json_ready(tiny_model):
    from lockpickle_gui.core.preview import InferencePool

    samples = list(np.random.default_rng(5).standard_normal((64, 4)).astype("float32"))
    with InferencePool(tiny_model, workers=2, max_batch=16, max_delay_ms=1.0) as pool:
        pool.map(samples)
        stats = pool.stats()
    assert (stats.submitted, stats.completed, stats.queued, stats.resolved) == (64, 64, 0, 64)
    assert len(stats.latencies_ms) == 64 and all(v >= 0 for v in stats.latencies_ms)
    assert 0 <= stats.p50_ms <= stats.p95_ms <= stats.p99_ms
    assert stats.throughput_rps > 0 and stats.throughput_series
    assert sum(size * n for size, n in stats.batch_sizes.items()) == 64
    data = json.loads(json.dumps(stats.to_dict()))
    assert data["completed"] == 64 and "latencies_ms" not in stats.to_dict(raw=False)


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


def test_bad_knobs_and_unknown_models_are_explained(keras, tiny_model):
    from lockpickle_gui.core.preview import InferencePool

    with pytest.raises(PreviewError, match="workers to be an integer >= 1"):
        InferencePool(tiny_model, workers=0)
    with pytest.raises(PreviewError, match="Expected a Keras model"):
        InferencePool(object())


def test_unbuilt_subclassed_model_needs_a_call_or_a_signature(keras, tf):
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


def test_throughput_series_counts_the_last_bucket_over_its_elapsed_part():
    from lockpickle_gui.core.preview.stats import StatsRecorder

    recorder = StatsRecorder(["w0"], bucket_s=1.0, min_buckets=1)  # no finer buckets
    recorder.on_submit(100.0)
    recorder.on_batch("w0", [100.0] * 10, done=100.5, ok=True)  # bucket 0: 10 requests
    recorder.on_batch("w0", [100.0] * 5, done=101.5, ok=True)  # bucket 1, half elapsed: 5
    series = recorder.snapshot(submitted=15, queued=0).throughput_series
    assert series == [(0.0, 10.0), (1.0, 10.0)]  # 5 requests in 0.5 s is 10/s, not 5/s

    recorder.on_batch("w0", [100.0], done=102.1, ok=True)  # a 0.1 s sliver of bucket 2
    series = recorder.snapshot(submitted=16, queued=0).throughput_series
    assert series == [(0.0, 10.0), (1.0, 5.0)]  # bucket 1 is whole now; the sliver waits


def test_a_short_run_gets_finer_buckets_than_one_dot():
    from lockpickle_gui.core.preview.stats import StatsRecorder

    recorder = StatsRecorder(["w0"], bucket_s=0.25, min_buckets=12)
    recorder.on_submit(10.0)
    for step in range(1, 25):  # 24 batches of 4 over 0.12 s: half a coarse bucket
        recorder.on_batch("w0", [10.0] * 4, done=10.0 + step * 0.005, ok=True)
    stats = recorder.snapshot(submitted=96, queued=0)
    assert stats.bucket_s < 0.25 and len(stats.throughput_series) >= 10
    assert all(rps > 0 for _, rps in stats.throughput_series)
