"""core.inspect.structure: the layer graph from the public config, live or from a file."""

from __future__ import annotations

import json
import zipfile

from models import branching

from lockpickle_gui.core.inspect.structure import graph_of_config, graph_of_model


def test_a_keras_files_config_gives_the_same_graph_as_the_live_model(tmp_path):
    model = branching()
    path = tmp_path / "m.keras"
    model.save(path)
    live = graph_of_model(model)
    with zipfile.ZipFile(path) as archive:
        from_file = graph_of_config(json.loads(archive.read("config.json"))["config"])
    edges = {(e.source, e.target) for e in live.edges}
    assert edges == {(e.source, e.target) for e in from_file.edges}
    assert {("in_a", "a_dense"), ("a_dense", "branch1"), ("a_dense", "branch2")} <= edges
    # the nested model's own input layer is named by Keras (input_layer, input_layer_3, ...)
    assert any(s == "cat" and t.startswith("trunk/input_layer") for s, t in edges)
    assert ("trunk/s2", "skip_add") in edges
    assert live.inputs_of("cat") == ["branch1", "branch2", "b_dense"]  # in the call's order
    assert live.inputs_of("trunk") == ["cat"]  # a nested model: what feeds it from outside
    assert live.nodes["cat"].output_shapes == [(None, 128)]
    assert live.nodes["a_dense"].params == 32 * 64 + 64
    collapsed = live.view({"trunk"})
    collapsed_edges = {(e.source, e.target) for e in collapsed.edges}
    assert {("cat", "trunk"), ("trunk", "skip_add"), ("trunk", "reg")} <= collapsed_edges
    assert "trunk/s1" not in collapsed.nodes and "trunk" in collapsed.nodes


def test_a_subclassed_model_has_no_graph(keras):
    class Plain(keras.Model):
        def call(self, x):
            return x

    assert graph_of_model(Plain()) is None
