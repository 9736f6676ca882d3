"""core.inspect on Keras models: layers in Keras' order, nested models as subtrees, sublayers
found through attributes, locks on layers, unregistered and incomplete custom layers flagged;
Keras' own internals hidden unless show_internal."""

from __future__ import annotations

import threading

import pytest
from helpers import annotations_by_path, assert_paths_resolve
from models import LockedScale, mlp, nested

from lockpickle_gui.core.inspect import inspect, resolve_path


@pytest.fixture(scope="module")
def layer_classes(keras):
    """Custom layers: unregistered, incomplete get_config, composite."""

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

    return {"Unregistered": Unregistered, "Forgetful": Forgetful, "Block": Block}


def test_nested_models_are_subtrees_in_keras_order():
    outer = nested()
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


def test_registered_complete_layer_has_only_its_lock():
    model = mlp(insert=[LockedScale(name="scale")])  # its constructor makes the lock
    notes = annotations_by_path(inspect(model))
    assert list(notes) == ["root.layers[1].lock"]


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
