"""core.inspect.report: the words of a tree row (locks, snapshot summary, tooltip), shapes as
text, and the HTML/JSON/PNG report."""

from __future__ import annotations

import io
import json
import threading

import pytest

from lockpickle_gui.core.inspect import inspect, report


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
