"""Rebuild model.keras for this demo: python build_model.py [--out PATH]."""

import argparse
import importlib.util
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent

import keras  # noqa: E402


def _load_layers():
    """layers.py by file name: this folder is not put on sys.path (lockpickle does not either)."""
    spec = importlib.util.spec_from_file_location("locked_layer_layers", HERE / "layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LockedDense = _load_layers().LockedDense


def build():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((4,), name="features"),
            LockedDense(8, activation="relu", name="locked_dense"),
            keras.layers.Dense(2, name="scores"),
        ],
        name="locked_model",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "model.keras")
    out = parser.parse_args().out
    build().save(out)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
