"""The detector's custom layer: registered, with a complete get_config()."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="lockpickle_demo_anomaly")
class ReconstructionError(keras.layers.Layer):
    """Mean squared difference between a reading and its reconstruction, per sample."""

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        reading, reconstruction = inputs
        return self.scale * ops.mean(ops.square(reading - reconstruction), axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], 1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
