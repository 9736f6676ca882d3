"""Snapshot speed and memory, side by side with Keras' own save/load, pickle and raw numpy.

    .venv/bin/python benchmarks/bench_snapshot.py                 # both models, 5 paired runs
    .venv/bin/python benchmarks/bench_snapshot.py --repeats 2 --models mlp --no-memory
    .venv/bin/python benchmarks/bench_snapshot.py --only save --repeats 9   # saving only

Models: a 21M-parameter MLP (four Dense 2048 layers on a 4096-wide input) and
``keras.applications.ResNet50(weights=None)``. Issue 9's goals, printed under each table:
load <= 0.7x ``keras.saving.load_model``; save without verification <= 1.0x ``model.save``,
with verification <= 1.25x. Each repeat runs every contender once, in an
order that alternates between repeats (pairs), and the table shows medians. "save_snapshot"
includes its verification run (the default); "load + verify" adds ``verify_snapshot`` on the
loaded object, which is what the GUI and ``lockpickle verify`` do. Next to each median, the
fastest run: on a shared machine the minimum shows what the code costs when nothing else
runs, the median what a user would see.

Peak memory is measured in separate single runs: Python/numpy allocations with tracemalloc,
and the process' resident-set growth sampled every millisecond (TensorFlow's own buffers
are only visible there). The machine may be shared: figures are noisy, ratios less so.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

import lockpickle_gui as lp
from lockpickle_gui.core.tf_runtime import import_keras

keras = import_keras()


def build(name: str):
    keras.utils.set_random_seed(0)
    if name == "mlp":
        inputs = keras.Input((4096,))
        x = inputs
        for i in range(4):
            x = keras.layers.Dense(2048, activation="relu", name=f"dense_{i}")(x)
        return keras.Model(inputs, x, name="mlp21m")
    return keras.applications.ResNet50(weights=None)


GOALS = {
    "save": {"lp.save_snapshot (no verify)": 1.0, "lp.save_snapshot (verify)": 1.25},
    "load": {"lp.load_snapshot": 0.7},
}


class RssSampler:
    """Peak resident-set growth over a baseline, sampled from /proc/self/statm."""

    def __init__(self, interval=0.001):
        self.interval = interval
        self.page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * self.page

    def __enter__(self):
        self.base = self.peak = self._rss()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self._rss())
        self.growth = self.peak - self.base


def contenders(model, folder: Path):
    keras_file = folder / "model.keras"
    snap = folder / "model.lpsnap"
    npy = folder / "weights.npz"
    weights = model.get_weights()
    pickled = {}

    def keras_save():
        model.save(keras_file)

    def snap_save():
        lp.save_snapshot(model, snap)

    def snap_save_no_verify():
        lp.save_snapshot(model, snap, verify=False)

    def keras_load():
        keras.saving.load_model(keras_file)

    def snap_load():
        lp.load_snapshot(snap)

    def snap_load_verify():
        restored = lp.load_snapshot(snap)
        lp.verify_snapshot(snap, obj=restored).raise_if_failed()

    def pickle_dumps():
        pickled["data"] = pickle.dumps(model, protocol=5)

    def pickle_loads():
        pickle.loads(pickled["data"])

    def np_save():
        with open(npy, "wb") as handle:
            for array in weights:
                np.save(handle, array)

    def np_load():
        with open(npy, "rb") as handle:
            for _ in weights:
                np.load(handle)

    saves = {
        "keras model.save('.keras')": keras_save,
        "lp.save_snapshot (verify)": snap_save,
        "lp.save_snapshot (no verify)": snap_save_no_verify,
        "pickle.dumps(model)": pickle_dumps,
        "np.save weights (lower bound)": np_save,
    }
    loads = {
        "keras.saving.load_model": keras_load,
        "lp.load_snapshot": snap_load,
        "lp.load_snapshot + verify": snap_load_verify,
        "pickle.loads(model)": pickle_loads,
        "np.load weights (lower bound)": np_load,
    }
    return saves, loads


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run_model(name: str, repeats: int, memory: bool, only: str | None = None) -> None:
    model = build(name)
    params = model.count_params()
    size = sum(w.size * w.dtype.itemsize for w in model.get_weights())
    print(
        f"\n{model.name}: {params:,} params, {size / 2**20:.1f} MiB of weights; "
        f"median of {repeats} paired runs"
    )
    with tempfile.TemporaryDirectory(dir=os.environ.get("LP_BENCH_DIR")) as tmp:
        saves, loads = contenders(model, Path(tmp))
        for fn in (*saves.values(), *loads.values()):  # warm-up: tracing, imports, page cache
            fn()
        groups = [
            ("save", saves, "keras model.save('.keras')"),
            ("load", loads, "keras.saving.load_model"),
        ]
        for title, group, reference in (g for g in groups if only in (None, g[0])):
            times = {key: [] for key in group}
            order = list(group)
            for repeat in range(repeats):
                for key in order if repeat % 2 == 0 else reversed(order):
                    times[key].append(timed(group[key]))
            base = statistics.median(times[reference])
            ratios = {key: statistics.median(values) / base for key, values in times.items()}
            for key, values in times.items():
                median = statistics.median(values)
                ratio = "" if key == reference else f"{median / base:6.2f}x"
                print(
                    f"  {title}  {key:<34} {median:9.0f} ms  {ratio:>7}   "
                    f"(fastest {min(values):5.0f} ms)"
                )
            for key, goal in GOALS.get(title, {}).items():
                verdict = "met" if ratios[key] <= goal else "MISSED"
                print(f"  goal  {key:<34} <= {goal:.2f}x  {verdict} ({ratios[key]:.2f}x)")
        if memory:
            print("  peak memory during one run (tracemalloc: Python+numpy; RSS growth: all)")
            for key in (
                "keras model.save('.keras')",
                "lp.save_snapshot (verify)",
                "keras.saving.load_model",
                "lp.load_snapshot + verify",
            ):
                fn = (saves if only != "load" else {}).get(key) or (
                    loads if only != "save" else {}
                ).get(key)
                if fn is None:
                    continue
                tracemalloc.start()
                fn()
                traced = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                with RssSampler() as rss:
                    fn()
                print(
                    f"        {key:<34} tracemalloc {traced / 2**20:7.1f} MiB   "
                    f"RSS +{rss.growth / 2**20:7.1f} MiB"
                )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="paired runs per contender")
    parser.add_argument("--models", default="mlp,resnet", help="comma list of mlp, resnet")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--only", choices=("save", "load"), help="time saving or loading only")
    args = parser.parse_args(argv)
    print(
        f"lockpickle_gui {lp.__version__}, Keras {keras.__version__}, Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs (figures are noisy on a shared machine)"
    )
    for name in args.models.split(","):
        run_model(name.strip(), args.repeats, not args.no_memory, args.only)


if __name__ == "__main__":
    main()
