"""Loading runs only trusted code: a class in the state or a custom layer Keras does not
know must be trusted by name, the error says how; modules that reach any code are never
trusted; a Lambda layer needs safe_mode=False."""

from __future__ import annotations

import queue

import craft
import numpy as np
import pytest
from models import LockedScale, keras, mlp, predict

import lockpickle_gui as lp
from lockpickle_gui.core.errors import SnapshotError, UntrustedCode

TRUST = [__name__]


class TaggedQueue(queue.Queue):
    """A Queue subclass with its own state (travels with the items)."""

    def __init__(self, tag, maxsize=0):
        super().__init__(maxsize)
        self.tag = tag


def test_queue_subclass_needs_trust_and_keeps_its_attributes(tmp_path):
    tagged = TaggedQueue("jobs", maxsize=3)
    tagged.put({"job": 1})
    target = tmp_path / "q.lpsnap"
    manifest = lp.save_snapshot({"q": tagged}, target)
    assert [t["name"] for t in manifest["types"]] == [f"{__name__}:TaggedQueue"]
    assert lp.untrusted_types(target) == [f"{__name__}.TaggedQueue"]
    with pytest.raises(UntrustedCode, match="TaggedQueue") as caught:
        lp.load_snapshot(target)
    assert caught.value.module == __name__ and caught.value.name == "TaggedQueue"
    assert caught.value.types == [f"{__name__}.TaggedQueue"]
    assert "trust=" in str(caught.value) and "--trust" in str(caught.value)
    restored = lp.load_snapshot(target, trust=TRUST)["q"]
    assert type(restored) is TaggedQueue and restored.tag == "jobs"
    assert restored.get_nowait() == {"job": 1} and restored.maxsize == 3


def test_registered_layer_not_imported_needs_trust(tmp_path):
    model = mlp(insert=[LockedScale(name="guard")])
    target = tmp_path / "g.lpsnap"
    lp.save_snapshot(model, target)
    registry = keras.saving.get_custom_objects()
    saved = registry.pop("lp_tests>LockedScale")
    try:  # as in a fresh process that never imported the module defining the layer
        with pytest.raises(UntrustedCode, match="LockedScale") as caught:
            lp.load_snapshot(target)
        assert caught.value.module == "models" and "--trust" in str(caught.value)
        restored = lp.load_snapshot(target, trust=["models"])
        assert type(restored.layers[1]) is LockedScale
    finally:
        registry["lp_tests>LockedScale"] = saved


def test_lambda_layer_needs_safe_mode_off(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 3.0)])
    target = tmp_path / "l.lpsnap"
    lp.save_snapshot(model, target, verify=False)
    with pytest.raises(SnapshotError, match="safe_mode=False"):
        lp.load_snapshot(target)
    restored = lp.load_snapshot(target, safe_mode=False)
    np.testing.assert_allclose(predict(restored, np.ones((1, 2), "float32")), [[3.0, 3.0]])


def test_a_file_naming_builtins_never_suggests_trusting_them(tmp_path):
    good = tmp_path / "good.lpsnap"
    lp.save_snapshot({"n": 1}, good)
    doc = craft.state_doc([{"t": "func", "c": 0}], [("builtins:getattr", "function")])
    crafted = craft.write(
        tmp_path / "getattr.lpsnap", craft.with_state(craft.members_of(good), doc)
    )
    with pytest.raises(UntrustedCode) as caught:
        lp.load_snapshot(crafted)
    text = str(caught.value)
    assert caught.value.module == "builtins" and caught.value.name == "getattr"
    assert "never trusts" in text and "cannot be loaded safely" in text
    assert "trust=['builtins" not in text and "--trust builtins" not in text
    with pytest.raises(SnapshotError, match="never trusts it"):
        lp.load_snapshot(crafted, trust=["builtins.getattr"])


@pytest.mark.parametrize("module", ["builtins", "os", "os.path", "subprocess", "importlib.util"])
def test_trusting_a_module_that_reaches_any_code_is_refused(tmp_path, module):
    good = tmp_path / "good.lpsnap"
    lp.save_snapshot({"n": 1}, good)
    with pytest.raises(SnapshotError, match="never trusts it") as caught:
        lp.load_snapshot(good, trust=[module])
    assert not isinstance(caught.value, UntrustedCode)
    assert repr(module) in str(caught.value) and str(good) in str(caught.value)
