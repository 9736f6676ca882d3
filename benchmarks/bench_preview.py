"""Batch-1 requests from 8 client threads: the seed's recipe vs compiled vs the pool vs the limit.

In one process, side by side, for the 25M-parameter MLP (4096 -> five Dense(2048), 96 MiB)
and MobileNetV2(weights=None):

  seed recipe   8 client threads sharing one global lock around model.predict(x[None])
  compiled x4   4 threads calling the compiled (concrete) function on one sample each
  pool          8 client threads submitting one sample per request to an InferencePool
                (open loop: each client keeps up to max_queue/8 requests in flight and drops
                the futures it has read, as a server would)
  pool closed   the same with one outstanding request per client (batches of at most 8)
  limit         the same samples stacked into batches of the pool's max_batch, one thread,
                straight through the compiled function (no queue, no futures, no stacking)

Prints requests/s, the ratios the issue sets as goals (pool >= 100x the seed recipe and >= 0.8x
the limit) and p95 latency; then the pool's own overhead per request on a tiny model. The
pool and the limit run back to back in ``--rounds`` rounds (medians printed, and the median of
the per-round ratios) because a shared machine drifts: read the ratios, not the absolute figures.

Run: .venv/bin/python benchmarks/bench_preview.py [--quick] [--skip-mobilenet] [--seconds S]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import statistics
import threading
import time

import numpy as np

from lockpickle_gui.core.modelio.signature import compile_model, signature_of
from lockpickle_gui.core.preview import InferencePool
from lockpickle_gui.core.tf_runtime import import_keras

CLIENTS = 8


def mlp(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input((4096,))] + [keras.layers.Dense(2048, activation="relu") for _ in range(5)],
        name="mlp25m",
    )


def mobilenet(keras):
    return keras.applications.MobileNetV2(weights=None)


def tiny(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)]
    )


def closed_loop(call, samples, threads: int, seconds: float):
    """``threads`` clients calling ``call(sample)`` back to back for ``seconds``."""
    counter = itertools.count()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    def client():
        mine = []
        while time.perf_counter() < deadline:
            sample = samples[next(counter) % len(samples)]
            start = time.perf_counter()
            call(sample)
            mine.append(time.perf_counter() - start)
        latencies.extend(mine)

    began = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, float(
        np.percentile(latencies, 95)
    ) * 1e3 if latencies else float("nan")


def pool_run(model, samples, requests: int, in_flight: int | None, **pool_kw):
    """8 clients, ``requests`` in all, ``in_flight`` outstanding per client (None: open loop,
    max_queue/8 each); (requests/s, p95 ms, mean batch)."""
    with InferencePool(model, **pool_kw) as pool:
        start = threading.Barrier(CLIENTS + 1)
        window_size = in_flight or max(1, pool.max_queue // CLIENTS)

        def client(first):
            window = collections.deque()
            start.wait()
            for i in range(first, requests, CLIENTS):
                if len(window) >= window_size:
                    window.popleft().result()
                window.append(pool.submit(samples[i % len(samples)]))
            for future in window:
                future.result()

        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for t in threads:
            t.start()
        start.wait()
        began = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        stats = pool.stats()
    return requests / elapsed, stats.p95_ms, stats.mean_batch


def limit_run(function, samples, batch: int, requests: int) -> float:
    stacked = np.stack([samples[i % len(samples)] for i in range(batch)])
    function(stacked)
    batches = max(1, requests // batch)
    began = time.perf_counter()
    for _ in range(batches):
        function(stacked).numpy()
    return batches * batch / (time.perf_counter() - began)


def compare(keras, name, model, samples, args, max_batch: int, pool_requests: int):
    signature = signature_of(model)
    function = compile_model(model, signature)
    function(samples[0][None])
    lock = threading.Lock()

    def seed_recipe(x):
        with lock:
            model.predict(x[None], verbose=0)

    model.predict(samples[0][None], verbose=0)  # the first predict builds its function
    rows = []
    rps, p95 = closed_loop(seed_recipe, samples, CLIENTS, args.seconds)
    rows.append(("seed recipe (lock + predict)", rps, p95, 1.0))
    rps, p95 = closed_loop(lambda x: function(x[None]).numpy(), samples, 4, args.seconds)
    rows.append(("compiled fn, 4 threads", rps, p95, 1.0))
    knobs = {"workers": 2, "max_batch": max_batch, "max_delay_ms": 2.0, "max_queue": 2 * max_batch}
    pools, limits, ratios = [], [], []
    for _ in range(args.rounds):  # back to back, so drift on a shared machine hits both alike
        pools.append(pool_run(model, samples, pool_requests, None, **knobs))
        limits.append(limit_run(function, samples, max_batch, pool_requests))
        ratios.append(pools[-1][0] / limits[-1])
    rps = statistics.median(p[0] for p in pools)
    rows.append(
        (
            f"pool (open loop, max_batch {max_batch})",
            rps,
            statistics.median(p[1] for p in pools),
            statistics.median(p[2] for p in pools),
        )
    )
    closed = pool_run(model, samples, pool_requests // 4, 1, **knobs)
    rows.append(("pool (closed loop, 1 in flight/client)", *closed))
    limit = statistics.median(limits)
    rows.append((f"limit (batches of {max_batch}, 1 thread)", limit, float("nan"), max_batch))

    seed = rows[0][1]
    print(
        f"\n{name}: batch-1 requests from {CLIENTS} client threads (pool and limit: median of {args.rounds} rounds)"
    )
    print(f"{'':42}{'req/s':>10}{'x seed':>9}{'x limit':>9}{'p95 ms':>10}{'mean batch':>12}")
    for label, rps, p95, batch in rows:
        print(
            f"{label:42}{rps:>10,.0f}{rps / seed:>9.1f}{rps / limit:>9.2f}{p95:>10.1f}{batch:>12.1f}"
        )
    pool_rps = rows[2][1]
    print(
        f"goals: pool / seed = {pool_rps / seed:.0f}x (goal >= 100x); pool / limit = "
        f"{statistics.median(ratios):.2f} median of per-round ratios "
        f"({', '.join(f'{r:.2f}' for r in ratios)}) (goal >= 0.8)"
    )


def overhead(keras, args):
    model = tiny(keras)
    samples = list(np.random.default_rng(0).standard_normal((1024, 4)).astype("float32"))
    function = compile_model(model, signature_of(model))
    requests = args.tiny_requests
    limit = limit_run(function, samples, 64, requests)
    print(
        f"\npool overhead on a tiny model (4 -> 8 -> 3), {requests:,} requests from {CLIENTS} clients"
    )
    print(f"{'':42}{'req/s':>10}{'us/request':>12}")
    print(f"{'limit (batches of 64, 1 thread)':42}{limit:>10,.0f}{1e6 / limit:>12.1f}")
    for max_batch in (1, 64):
        rps, _, batch = pool_run(
            model,
            samples,
            requests if max_batch > 1 else requests // 4,
            None,
            workers=2,
            max_batch=max_batch,
            max_delay_ms=0.0,
            max_queue=1024,
        )
        print(
            f"{f'pool, max_batch {max_batch} (mean {batch:.1f})':42}{rps:>10,.0f}{1e6 / rps:>12.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each closed-loop run")
    parser.add_argument("--quick", action="store_true", help="short runs, MLP and tiny model only")
    parser.add_argument("--skip-mobilenet", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="pool/limit rounds (medians)")
    parser.add_argument("--tiny-requests", type=int, default=40_000)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.skip_mobilenet, args.tiny_requests, args.rounds = 2.0, True, 10_000, 1
    keras = import_keras()
    print(
        f"bench_preview: {os.cpu_count()} CPUs, {args.seconds:g} s per closed-loop run "
        "(shared machine: expect noise; compare the ratios)"
    )
    rng = np.random.default_rng(0)
    model = mlp(keras)
    samples = list(rng.standard_normal((512, 4096)).astype("float32"))
    compare(
        keras,
        f"MLP {model.count_params() / 1e6:.1f}M params",
        model,
        samples,
        args,
        512,
        4_000 if args.quick else 16_384,
    )
    if not args.skip_mobilenet:
        model = mobilenet(keras)
        samples = list(rng.random((32, 224, 224, 3), dtype=np.float32))
        compare(keras, "MobileNetV2 (weights=None)", model, samples, args, 64, 384)
    overhead(keras, args)


if __name__ == "__main__":
    main()
