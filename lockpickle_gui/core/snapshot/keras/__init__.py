"""Keras models inside snapshots: the only place Keras' private API (``keras.src``) is used."""
