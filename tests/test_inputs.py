"""Preview inputs: generated from the spec, loaded from .npy/.npz/images; output summaries."""

from __future__ import annotations

import numpy as np
import pytest
from models import branching, image_and_tokens, image_classifier

from lockpickle_gui.core.errors import PreviewError


@pytest.fixture(scope="module")
def text_and_image_model():
    return image_and_tokens()


@pytest.fixture(scope="module")
def image_model():
    return image_classifier()


def test_generated_inputs_follow_the_spec_and_the_seed(text_and_image_model):
    from lockpickle_gui.core.modelio.inputs import generate_inputs

    samples = generate_inputs(text_and_image_model, 20, seed=3)
    assert len(samples) == 20
    assert samples[0]["image"].shape == (8, 8, 3) and samples[0]["image"].dtype == np.float32
    tokens = np.stack([s["tokens"] for s in samples])
    assert tokens.dtype == np.int32 and tokens.min() >= 0 and tokens.max() < 12  # Embedding(12)
    again = generate_inputs(text_and_image_model, 20, seed=3)
    assert all(np.array_equal(a["image"], b["image"]) for a, b in zip(samples, again))
    other = generate_inputs(text_and_image_model, 20, seed=4)
    assert not np.array_equal(samples[0]["image"], other[0]["image"])


def test_generated_inputs_for_variable_axes_and_bad_counts(keras):
    from lockpickle_gui.core.modelio.inputs import VARIABLE_AXIS_SIZE, generate_inputs

    model = keras.Sequential([keras.Input((None, 2)), keras.layers.GlobalAveragePooling1D()])
    assert generate_inputs(model, 2)[0].shape == (VARIABLE_AXIS_SIZE, 2)
    with pytest.raises(PreviewError, match="count >= 1"):
        generate_inputs(model, 0)


def test_load_npy_batch_and_single_sample(tiny_model, tmp_path):
    from lockpickle_gui.core.modelio.inputs import load_inputs

    batch = np.arange(20, dtype="float64").reshape(5, 4)
    np.save(tmp_path / "batch.npy", batch)
    samples = load_inputs(tmp_path / "batch.npy", tiny_model)
    assert len(samples) == 5 and samples[4].dtype == np.float32
    np.testing.assert_array_equal(samples[4], batch[4])
    np.save(tmp_path / "one.npy", batch[0])
    assert len(load_inputs(tmp_path / "one.npy", tiny_model)) == 1
    np.save(tmp_path / "bad.npy", np.zeros((3, 5)))
    with pytest.raises(
        PreviewError, match=r"Sample 0: .*shape \(4,\).*Received shape \(5,\)"
    ) as info:
        load_inputs(tmp_path / "bad.npy", tiny_model)
    assert info.value.path == str(tmp_path / "bad.npy")


def test_load_npz_by_name_or_position(text_and_image_model, tmp_path):
    from lockpickle_gui.core.modelio.inputs import load_inputs

    images = np.zeros((3, 8, 8, 3), "float32")
    tokens = np.ones((3, 6), "int32")
    np.savez(tmp_path / "named.npz", image=images, tokens=tokens)
    samples = load_inputs(tmp_path / "named.npz", text_and_image_model)
    assert len(samples) == 3 and set(samples[0]) == {"image", "tokens"}
    np.savez(tmp_path / "wrong.npz", pictures=images, tokens=tokens)
    with pytest.raises(
        PreviewError, match=r"named after the model's inputs.*savez\(path, image=..., tokens=...\)"
    ):
        load_inputs(tmp_path / "wrong.npz", text_and_image_model)
    with pytest.raises(PreviewError, match="holds one array"):
        np.save(tmp_path / "x.npy", images)
        load_inputs(tmp_path / "x.npy", text_and_image_model)


def test_load_npz_positional_for_a_list_input_model(tmp_path):
    from lockpickle_gui.core.modelio.inputs import load_inputs

    np.savez(tmp_path / "pos.npz", np.zeros((4, 32)), np.ones((4, 16)))
    samples = load_inputs(tmp_path / "pos.npz", branching())  # inputs [in_a (32,), in_b (16,)]
    assert len(samples) == 4 and [s.shape for s in samples[0]] == [(32,), (16,)]
    np.testing.assert_array_equal(samples[3][1], np.ones(16))


def test_load_image_folder_resized_to_the_input(image_model, tmp_path):
    import tensorflow as tf

    from lockpickle_gui.core.modelio.inputs import load_inputs
    from lockpickle_gui.core.preview import InferencePool

    folder = tmp_path / "images"
    folder.mkdir()
    red = np.zeros((16, 12, 3), "uint8")
    red[..., 0] = 255
    tf.io.write_file(str(folder / "b_red.png"), tf.io.encode_png(red))
    tf.io.write_file(
        str(folder / "a_grey.jpg"), tf.io.encode_jpeg(np.full((5, 7, 3), 128, "uint8"))
    )
    (folder / "notes.txt").write_text("not an image")
    samples = load_inputs(folder, image_model)
    assert [s.shape for s in samples] == [(8, 8, 3), (8, 8, 3)]
    assert abs(float(samples[0].mean()) - 128) < 3  # a_grey first (name order)
    np.testing.assert_allclose(samples[1][..., 0], 255)
    assert len(load_inputs(folder / "b_red.png", image_model)) == 1
    with InferencePool(image_model, workers=1) as pool:
        assert pool.submit(samples[0]).result().shape == (4,)


def test_image_inputs_need_an_image_model_and_images(tiny_model, image_model, tmp_path):
    from lockpickle_gui.core.modelio.inputs import load_inputs

    (tmp_path / "empty").mkdir()
    with pytest.raises(PreviewError, match="Received none"):
        load_inputs(tmp_path / "empty", image_model)
    with pytest.raises(PreviewError, match="one image input"):
        load_inputs(tmp_path / "empty", tiny_model)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(PreviewError, match="unreadable"):
        load_inputs(broken, image_model)
    with pytest.raises(PreviewError, match="does not exist"):
        load_inputs(tmp_path / "missing.npy", image_model)
    (tmp_path / "x.csv").write_text("1,2")
    with pytest.raises(PreviewError, match="'.csv' file"):
        load_inputs(tmp_path / "x.csv", image_model)


def test_as_samples_accepts_lists_batches_and_batched_dicts(tiny_model, text_and_image_model):
    from lockpickle_gui.core.modelio.inputs import as_samples

    assert len(as_samples(np.zeros((7, 4)), tiny_model)) == 7
    assert len(as_samples([np.zeros(4)] * 3, tiny_model)) == 3
    batched = {"image": np.zeros((2, 8, 8, 3)), "tokens": np.zeros((2, 6), "int32")}
    assert len(as_samples(batched, text_and_image_model)) == 2
    one = {"image": np.zeros((8, 8, 3)), "tokens": np.zeros(6, "int32")}
    assert as_samples(one, text_and_image_model) == [one]


def test_summaries_for_people():
    from lockpickle_gui.core.modelio.inputs import summarize_output

    probabilities = np.array([0.05, 0.7, 0.05, 0.2], "float32")
    assert summarize_output(probabilities) == "class 1: 0.700, class 3: 0.200, class 0: 0.050"
    assert summarize_output(probabilities, top_k=1) == "class 1: 0.700"
    assert (
        summarize_output(np.array([[1.0, -3.0], [2.0, 4.0]]))
        == "shape (2, 2), min -3, mean 1, max 4"
    )
    assert summarize_output(np.array([0.25], "float32")) == "value 0.25"
    assert summarize_output({"label": probabilities, "score": np.array([2.5])}) == {
        "label": "class 1: 0.700, class 3: 0.200, class 0: 0.050",
        "score": "value 2.5",
    }
    assert set(summarize_output([np.zeros(2), np.ones(3)])) == {"output[0]", "output[1]"}
