"""Rebuild model.keras and samples/readings.npy for this demo: python build_model.py [--out PATH]."""

import argparse
import importlib.util
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent

import keras  # noqa: E402


def _load_layers():
    """layers.py by file name: this folder is not put on sys.path (lockpickle does not either)."""
    spec = importlib.util.spec_from_file_location("anomaly_service_layers", HERE / "layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ReconstructionError = _load_layers().ReconstructionError


def build():
    """An 8 -> 4 -> 8 autoencoder whose output is the reconstruction error of each reading."""
    keras.utils.set_random_seed(0)
    reading = keras.Input((8,), name="reading")
    code = keras.layers.Dense(4, activation="relu", name="encode")(reading)
    reconstruction = keras.layers.Dense(8, name="decode")(code)
    score = ReconstructionError(name="score")([reading, reconstruction])
    return keras.Model(reading, score, name="detector")


def samples(count=64):
    return np.random.default_rng(0).normal(size=(count, 8)).astype("float32")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "model.keras")
    out = parser.parse_args().out
    build().save(out)
    (out.parent / "samples").mkdir(exist_ok=True)
    np.save(out.parent / "samples" / "readings.npy", samples())
    print(f"wrote {out} ({out.stat().st_size} bytes) and samples/readings.npy")
