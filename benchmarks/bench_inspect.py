"""How long lp.inspect takes on a 1,000-layer model and on a service around it.

Prints one line per case: layers, nodes, median of 5 runs. The issue's goal: a 1,000-layer
model in well under a second, cost growing linearly (the 250 / 500 / 1,000 rows show it).
Run: .venv/bin/python benchmarks/bench_inspect.py
"""

from __future__ import annotations

import statistics
import threading
import time

from lockpickle_gui.core.inspect import inspect
from lockpickle_gui.core.tf_runtime import import_keras


def wide_model(keras, layers: int, depth: int = 25):
    """``layers`` Dense layers in branches of ``depth`` (Keras cannot map a 1,000-deep chain)."""
    inputs = keras.Input((8,))
    outputs = []
    for _ in range(layers // depth):
        x = inputs
        for _ in range(depth):
            x = keras.layers.Dense(4)(x)
        outputs.append(x)
    return keras.Model(inputs, keras.layers.Concatenate()(outputs))


class Service:
    def __init__(self, model):
        self.model = model
        self.backup = model
        self.locks = [threading.Lock() for _ in range(100)]
        self.cond = threading.Condition(threading.RLock())


def median_seconds(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    keras = import_keras()
    print("bench_inspect: lp.inspect, median of 5 runs")
    print(f"{'case':<28}{'layers':>8}{'nodes':>8}{'ms':>10}{'us/layer':>10}")
    for count in (250, 500, 1000):
        model = wide_model(keras, count)
        for name, obj in (
            (f"model {count}", model),
            (f"service around model {count}", Service(model)),
        ):
            nodes = sum(1 for _ in inspect(obj).walk())
            seconds = median_seconds(lambda obj=obj: inspect(obj))
            print(
                f"{name:<28}{count:>8}{nodes:>8}{seconds * 1e3:>10.1f}{seconds * 1e6 / count:>10.1f}"
            )


if __name__ == "__main__":
    main()
