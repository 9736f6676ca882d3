"""A sample that does not fit the model is refused when it is submitted, saying which input,
what shape or dtype was expected and what came; it never reaches a batch."""

from __future__ import annotations

import numpy as np
import pytest
from models import image_and_tokens

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.preview import InferencePool


def test_wrong_sample_fails_at_once_and_never_reaches_a_batch():
    model = image_and_tokens()
    good = {"image": np.zeros((8, 8, 3), "float32"), "tokens": np.arange(6, dtype="int32")}
    with InferencePool(model, workers=1, max_batch=8) as pool:
        first = pool.submit(good)
        with pytest.raises(
            PreviewError, match=r"'image' of shape \(8, 8, 3\).*Received shape \(8, 8\)"
        ):
            pool.submit({**good, "image": np.zeros((8, 8), "float32")})
        with pytest.raises(PreviewError, match="looks like a batch"):
            pool.submit({**good, "image": np.zeros((2, 8, 8, 3), "float32")})
        with pytest.raises(PreviewError, match="dtype float64"):
            pool.submit({**good, "tokens": np.ones(6)})  # floats for token ids
        with pytest.raises(PreviewError, match="missing"):
            pool.submit({"image": good["image"]})
        with pytest.raises(PreviewError, match="Expected a dict sample"):
            pool.submit(np.zeros(3))
        last = pool.submit({**good, "tokens": np.arange(6, dtype="int64")})  # int64 casts fine
        assert first.result()["label"].shape == (3,)
        assert last.result()["score"].shape == (1,)
        stats = pool.stats()
    assert stats.rejected == 5 and stats.completed == 2 and stats.failed == 0


def test_run_preview_rejects_bad_samples_before_starting(tiny_model):
    from lockpickle_gui.core.preview import run_preview

    with pytest.raises(PreviewError, match=r"Sample 1 of 2: .*shape \(4,\)"):
        run_preview(tiny_model, [np.zeros(4, "float32"), np.zeros(5, "float32")], requests=10)
