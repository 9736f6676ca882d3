"""core.inspect.structure: the layer graph from the public config, live or from a file."""

from __future__ import annotations

import json
import zipfile

from lockpickle_gui.core.inspect.structure import graph_of_config, graph_of_model


def test_a_keras_files_config_gives_the_same_graph_as_the_live_model(keras, tmp_path):
    inputs = keras.Input((8,), name="x")
    left = keras.layers.Dense(4, name="left")(inputs)
    right = keras.layers.Dense(4, name="right")(inputs)
    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3, name="i1")], name="inner")
    merged = keras.layers.Concatenate(name="merge")([left, right])
    model = keras.Model(inputs, [inner(merged), keras.layers.Dense(2, name="aux")(left)])
    path = tmp_path / "m.keras"
    model.save(path)
    live = graph_of_model(model)
    with zipfile.ZipFile(path) as archive:
        from_file = graph_of_config(json.loads(archive.read("config.json"))["config"])
    edges = {(e.source, e.target) for e in live.edges}
    assert edges == {(e.source, e.target) for e in from_file.edges}
    assert any(s == "merge" and t.startswith("inner/input_layer") for s, t in edges)
    assert ("x", "left") in edges and ("left", "aux") in edges
    assert live.inputs_of("merge") == ["left", "right"]
    assert live.inputs_of("inner") == ["merge"]  # a nested model: what feeds it from outside
    assert live.nodes["merge"].output_shapes == [(None, 8)] and live.nodes["left"].params == 36
    collapsed = live.view({"inner"})
    assert ("merge", "inner") in {(e.source, e.target) for e in collapsed.edges}
    assert "inner/i1" not in collapsed.nodes


def test_a_subclassed_model_has_no_graph(keras):
    class Plain(keras.Model):
        def call(self, x):
            return x

    assert graph_of_model(Plain()) is None
