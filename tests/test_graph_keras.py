"""core.graph on Keras models: layer order, nested models, sublayers, layer problems."""

from __future__ import annotations

import threading

import pytest

from lockpickle_gui.core.inspect import inspect, resolve_path


def assert_paths_resolve(root_obj, tree):
    for note in tree.iter_annotations():
        assert resolve_path(root_obj, note.path) is note.obj, note.path
    for node in tree.walk():
        assert resolve_path(root_obj, node.path) is node.obj, node.path


def by_path(tree):
    return {note.path: note for note in tree.iter_annotations()}


@pytest.fixture(scope="module")
def layer_classes(keras):
    """Custom layers: registered+complete, unregistered, incomplete get_config, composite."""

    @keras.saving.register_keras_serializable(package="lp_test_graph")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor
            self.lock = threading.Lock()  # created by the constructor itself

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    class Unregistered(keras.layers.Layer):
        def call(self, x):
            return x

    @keras.saving.register_keras_serializable(package="lp_test_graph")
    class Forgetful(keras.layers.Layer):
        def __init__(self, units, offset=1, **kwargs):
            super().__init__(**kwargs)
            self.units, self.offset = units, offset

        def call(self, x):
            return x + self.offset

        def get_config(self):
            return {**super().get_config(), "units": self.units}  # offset forgotten

    @keras.saving.register_keras_serializable(package="lp_test_graph")
    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = keras.layers.Dense(4, name="first")
            self.stack = [keras.layers.Dense(4, name="s0"), keras.layers.Dense(4, name="s1")]
            self._hidden = keras.layers.Dense(4, name="hidden")

        def call(self, x):
            x = self.first(x)
            for layer in self.stack:
                x = layer(x)
            return self._hidden(x)

    return {"Scale": Scale, "Unregistered": Unregistered, "Forgetful": Forgetful, "Block": Block}


def test_nested_models_are_subtrees_in_keras_order(keras):
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, name="inner_dense")], name="inner"
    )
    inputs = keras.Input((4,), name="x")
    outputs = keras.layers.Dense(2, name="head")(inner(inputs))
    outer = keras.Model(inputs, outputs, name="outer")
    tree = inspect(outer)
    assert tree.role == "model" and tree.keras["class"] == "Functional"
    assert [c.name for c in tree.children] == ["x", "inner", "head"]
    inner_node = tree.children[1]
    assert inner_node.role == "model" and inner_node.path == "root.layers[1]"
    assert [c.path for c in inner_node.children] == ["root.layers[1].layers[0]"]
    assert inner_node.children[0].keras == {
        "class": "Dense",
        "output_shape": [None, 5],
        "params": 25,
        "trainable": True,
        "dtype": "float32",
    }
    assert tree.keras["output_shape"] == [None, 2]
    assert_paths_resolve(outer, tree)


def test_lock_attached_after_construction_is_on_the_layer(tiny_model):
    tiny_model.layers[1].lock = threading.Lock()
    tiny_model._guard = threading.RLock()  # private name, still the program's own lock
    tree = inspect(tiny_model)
    assert [(n.path, n.kind) for n in tree.annotations] == [("root._guard", "RLock")]
    layer_node = tree.find("root.layers[1]")
    assert [(n.path, n.kind) for n in layer_node.annotations] == [("root.layers[1].lock", "Lock")]
    assert tree.lock_count() == 2  # Keras' own internals (tracker, variables) are not listed
    assert_paths_resolve(tiny_model, tree)


def test_registered_complete_layer_has_only_its_lock(keras, layer_classes):
    model = keras.Sequential([keras.Input((3,)), layer_classes["Scale"](name="scale")])
    notes = by_path(inspect(model))
    assert list(notes) == ["root.layers[0].lock"]


def test_unregistered_and_incomplete_layers_are_flagged(keras, layer_classes):
    model = keras.Sequential(
        [
            keras.Input((3,)),
            layer_classes["Unregistered"](name="u"),
            layer_classes["Forgetful"](3, name="f"),
        ]
    )
    tree = inspect(model)
    u, f = tree.children
    assert [(n.kind, n.action, n.path) for n in u.annotations] == [
        ("unregistered layer", "block", "root.layers[0]")
    ]
    assert "register_keras_serializable" in u.annotations[0].detail
    assert u.annotations[0].obj is model.layers[0]
    assert [(n.kind, n.state) for n in f.annotations] == [
        ("incomplete get_config", "get_config() misses offset")
    ]


def test_sublayers_outside_layers_are_found_through_attributes(keras, layer_classes):
    model = keras.Sequential([keras.Input((4,)), layer_classes["Block"](name="block")])
    tree = inspect(model)
    block = tree.find("root.layers[0]")
    paths = [n.path for n in block.walk()][1:]
    assert paths == [
        "root.layers[0].first",
        "root.layers[0].stack",
        "root.layers[0].stack[0]",
        "root.layers[0].stack[1]",
        "root.layers[0]._layers[3]",
    ]
    assert resolve_path(model, "root.layers[0]._layers[3]").name == "hidden"
    assert_paths_resolve(model, tree)


def test_subclassed_and_unbuilt_models_do_not_crash(keras, layer_classes):
    @keras.saving.register_keras_serializable(package="lp_test_graph")
    class Net(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.body = keras.layers.Dense(3)
            self.guard = threading.RLock()

        def call(self, x):
            return self.body(x)

    net = Net()
    tree = inspect(net)  # unbuilt: no shapes, no params
    assert tree.keras["output_shape"] is None and tree.keras["params"] is None
    assert [c.path for c in tree.children] == ["root.layers[0]"]  # not repeated as root.body
    assert [n.path for n in tree.annotations] == ["root.guard"]
    net(keras.ops.ones((1, 2)))
    tree = inspect(net)
    assert tree.keras["params"] == 9 and tree.children[0].keras["output_shape"] is None
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    assert inspect(unbuilt).keras["output_shape"] is None


def test_show_internal_lists_keras_internals(tiny_model):
    plain = {n.path for n in inspect(tiny_model).walk()}
    full = {n.path for n in inspect(tiny_model, show_internal=True).walk()}
    assert "root.layers[0]._tracker" in full and "root.layers[0]._tracker" not in plain
    assert "root.layers[0].kernel" not in plain


def test_shared_layer_in_two_models(keras):
    shared = keras.layers.Dense(2, name="shared")
    a = keras.Sequential([keras.Input((2,)), shared], name="a")
    b = keras.Sequential([keras.Input((2,)), shared], name="b")
    tree = inspect({"a": a, "b": b})
    stub = tree.find("root['b'].layers[0]")
    assert stub.shared_with == "root['a'].layers[0]" and stub.keras["class"] == "Dense"
