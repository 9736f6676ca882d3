"""The pure core: no Qt, and TensorFlow/Keras only imported inside functions."""
