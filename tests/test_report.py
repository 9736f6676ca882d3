"""core.report (row words, HTML/JSON report) and core.details (config, weights, .npy)."""

from __future__ import annotations

import io
import json
import threading

import numpy as np
import pytest

from lockpickle_gui.core.inspect import details, inspect, report


class Service:
    def __init__(self, model):
        self.model = model
        self.lock = threading.Lock()
        self.busy = threading.RLock()
        self.stop = threading.Event()
        self.buffer = io.StringIO()  # data: a snapshot keeps its contents
        self.lock.acquire()  # held right now


@pytest.fixture
def service(tiny_model, tmp_path_factory):
    service = Service(tiny_model)
    service.out = open(tmp_path_factory.mktemp("log") / "log.txt", "w")  # noqa: SIM115 - an open file blocks export
    yield service
    service.out.close()
    service.lock.release()


def test_row_summaries(service):
    tree = inspect(service)
    root = report.summarize(tree)
    assert root.class_name == "Service"
    assert root.locks == 4 and root.locks_below == 0
    assert root.level == "block"
    assert root.snapshot == "1 blocking · 1 held now · 1 kept · 1 recreated"
    assert "root.lock: Lock, locked — held now, restored free" in root.tooltip
    model = report.summarize(tree.find("root.model"))
    assert (model.class_name, model.output_shape, model.params) == ("Sequential", "(None, 3)", "67")
    assert model.snapshot == "stored once (Keras config + .npy weights)" and model.level is None
    assert report.counts_by_level(tree) == {
        "block": 1,
        "held": 1,
        "keep": 1,
        "recreate": 1,
        "handled": 0,
    }


@pytest.mark.parametrize(
    "shape, text",
    [
        ((None, 8), "(None, 8)"),
        ([None, 3], "(None, 3)"),
        ((5,), "(5,)"),
        ([(None, 2), (None, 3)], "(None, 2), (None, 3)"),
        (None, ""),
        ({"a": (1, 2)}, "a: (1, 2)"),
    ],
)
def test_shape_text(shape, text):
    assert report.shape_text(shape) == text


def test_write_report_html_json_png(service, tmp_path):
    tree = inspect(service)
    written = report.write_report(
        tree, tmp_path / "r", title="svc <demo>", source="/x/y", png=b"\x89PNG"
    )
    assert [p.name for p in written] == ["r.html", "r.json", "r.png"]
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"] == {
        "annotations": 4,
        "block": 1,
        "held": 1,
        "keep": 1,
        "recreate": 1,
        "handled": 0,
    }
    assert data["tree"]["children"][0]["name"] == "model"
    assert data["versions"]["keras"] != "not loaded"
    html = (tmp_path / "r.html").read_text()
    assert "svc &lt;demo&gt;" in html and "<script" not in html
    assert "root.busy" in html and 'src="r.png"' in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.png"]


def test_layer_details_and_save_npy(tiny_model, tmp_path):
    found = details.node_details(tiny_model.layers[0], "hidden")
    assert json.loads(found.config_json)["units"] == 8 and not found.config_error
    names = [w.name for w in found.weights]
    assert names == ["tiny/hidden/kernel", "tiny/hidden/bias"]
    kernel = tiny_model.layers[0].kernel.numpy()
    assert found.weights[0].minimum == pytest.approx(kernel.min())
    assert found.weights[0].mean == pytest.approx(kernel.mean())
    saved = details.save_npy(found.weights[0].array, tmp_path / "kernel")
    assert saved.name == "kernel.npy"
    np.testing.assert_array_equal(np.load(saved, allow_pickle=False), kernel)


def test_plain_value_and_array_details():
    found = details.node_details({"a": 1}, "cfg")
    assert found.value == "{'a': 1}" and not found.weights and not found.config_json
    array = details.node_details(np.arange(6.0).reshape(2, 3), "table")
    assert array.weights[0].shape == (2, 3) and array.weights[0].maximum == 5.0
