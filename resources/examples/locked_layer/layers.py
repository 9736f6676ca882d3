"""A custom Dense layer that owns a lock, done right.

The seed's version created its weights in __init__ and had no get_config(): Keras saved it,
then could neither rebuild it nor restore its weights. This one is registered, creates its
weights in build(), and returns every constructor argument from get_config(); its lock is
created by the constructor, so a reload makes a fresh one.
"""

import threading

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="lockpickle_demo_locked_layer")
class LockedDense(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        # Guards the Python side of call() when threads run the layer eagerly.
        self.lock = threading.Lock()

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        with self.lock:
            return self.activation(ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
        }
