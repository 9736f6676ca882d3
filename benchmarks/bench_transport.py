"""Sending the 21M-parameter MLP service (a Lock, an RLock shared by a Condition, an Event, a
Queue, a locked layer) to another process, end to end, against the weights-only limit; then
the preview's process and Ray backends against the thread backend.

Transport, side by side in one run, into warm receivers (TensorFlow already imported there,
so the figures are the transport, not the import), medians of ``--rounds``:

  limit            model.get_weights() + ray.put of the bare arrays (zero-copy) + from_config
                   + set_weights on the other side, the model run once: what any transport
                   of this model must at least pay
  portable         lp.portable(service) sent as an argument; the receiver gets the service,
                   fresh locks, and runs the model once
  register         the class registered with lp.register (copyreg); same work
  ...through Ray (a task in one warm actor) and through ProcessPoolExecutor (one warm spawned
  worker; its limit sends the same arrays through the executor's pipe).

Preview: run_preview on each backend (2 workers, 8 client threads, max batch 32), the MLP and
a tiny model (where the per-request overhead shows): requests/s, p50, and the overhead per
request against the thread backend, 1/throughput(backend) - 1/throughput(threads).

Run: .venv/bin/python benchmarks/bench_transport.py [--quick] [--rounds N] [--skip-preview]
Needs the extras (make bench installs them): ray for the Ray rows.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(EXAMPLES), os.environ.get("PYTHONPATH")])
)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import locked_service  # noqa: E402

import lockpickle_gui as lp  # noqa: E402


# ---------------------------------------------------------------- receiving side (workers)
def warm() -> int:
    from lockpickle_gui.core.tf_runtime import import_keras

    import_keras()
    return os.getpid()


def build_from_weights(config: str, weights: list) -> float:
    """The limit's receiver: from_config + set_weights, then one forward pass."""
    from lockpickle_gui.core.tf_runtime import import_keras

    keras = import_keras()
    model = keras.Sequential.from_config(json.loads(config))
    model.set_weights(weights)
    x = np.zeros((1, model.input_shape[-1]), "float32")
    return float(np.asarray(model(x)).sum())


def receive(service) -> float:
    """Our receiver: the service arrived (eager: rebuilt on unpickling); run it once."""
    x = np.zeros((1, service.model.input_shape[-1]), "float32")
    service.check()
    return float(service.predict(x).sum())


# ---------------------------------------------------------------- sending side
def limit_args(service):
    model = service.model
    return json.dumps(model.get_config()), model.get_weights()


def interleaved(cases, rounds):
    """Each round runs every case once, in turn, so a shared machine's drift hits them alike;
    returns {name: [seconds per round]}."""
    times = {name: [] for name, _ in cases}
    for _ in range(rounds):
        for name, fn in cases:
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return times


def transport_ray(service, rounds):
    import ray

    ray.init(
        address="local",  # a cluster of our own, never one already running here
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.environ["PYTHONPATH"]}},
    )
    try:
        actor = ray.remote(num_cpus=1)(Receiver).remote()
        ray.get(actor.warm.remote())

        def limit():
            config, weights = limit_args(service)
            ray.get(actor.build.remote(config, ray.put(weights)))

        def portable():
            ray.get(actor.receive.remote(lp.portable(service)))

        def register():
            lp.register(locked_service.LockedService)
            try:
                ray.get(actor.receive.remote(service))
            finally:
                lp.unregister(locked_service.LockedService)

        rows = interleaved(
            (("limit", limit), ("portable", portable), ("register", register)), rounds
        )
        ray.kill(actor)
    finally:
        ray.shutdown()
    return rows


class Receiver:
    def warm(self):
        return warm()

    def build(self, config, weights):
        return build_from_weights(config, weights)

    def receive(self, service):
        return receive(service)


def transport_processes(service, rounds):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(warm).result()

        def limit():
            pool.submit(build_from_weights, *limit_args(service)).result()

        def portable():
            pool.submit(receive, lp.portable(service)).result()

        def register():
            lp.register(locked_service.LockedService)
            try:
                pool.submit(receive, service).result()
            finally:
                lp.unregister(locked_service.LockedService)

        return interleaved(
            (("limit", limit), ("portable", portable), ("register", register)), rounds
        )


def print_transport(engine, rows):
    limit = rows["limit"]
    for name, times in rows.items():
        ratio = ""
        if name != "limit":  # the median of the per-round ratios: each round side by side
            ratios = [t / b for t, b in zip(times, limit)]
            ratio = f"   {statistics.median(ratios):4.2f}x the limit (goal <= 1.5x)"
        print(
            f"  {engine:<22} {name:<9} {statistics.median(times) * 1000:7.0f} ms "
            f"(best {min(times) * 1000:5.0f}){ratio}"
        )


# ---------------------------------------------------------------- preview backends
def preview(model, samples, backend, requests):
    from lockpickle_gui.core.preview import run_preview

    result = run_preview(
        model,
        samples,
        workers=2,
        max_batch=32,
        max_delay_ms=2.0,
        clients=8,
        requests=requests,
        backend=backend,
        check_samples=4,
    )
    return result.stats


def print_preview(label, model, samples, requests, backends):
    rows = {b: preview(model, samples, b, requests) for b in backends}
    base = rows["threads"].throughput_rps
    for backend, stats in rows.items():
        extra = ""
        if backend != "threads" and stats.throughput_rps and base:
            overhead = (1 / stats.throughput_rps - 1 / base) * 1e6
            extra = f"   {stats.throughput_rps / base:4.2f}x threads, +{overhead:,.0f} us/request"
        print(
            f"  {label:<10} {backend:<10} {stats.throughput_rps:9,.0f} req/s  "
            f"p50 {stats.p50_ms:7.1f} ms  mean batch {stats.mean_batch:4.1f}{extra}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny model, 2 rounds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-preview", action="store_true")
    args = parser.parse_args()
    kind = "tiny" if args.quick else "big"
    rounds = 2 if args.quick else args.rounds
    service = locked_service.build_service(kind)
    size = sum(w.nbytes for w in service.model.get_weights()) / 2**20
    print(
        f"transport of the {kind} MLP service ({service.model.count_params():,} params, "
        f"{size:.0f} MiB), median of {rounds} interleaved rounds, into a warm receiver:"
    )
    ray_available = lp.transport.available("ray")
    print_transport("ProcessPoolExecutor", transport_processes(service, rounds))
    if ray_available:
        print_transport("Ray (actor argument)", transport_ray(service, rounds))
    else:
        print("  Ray: not installed (pip install 'lockpickle-gui[ray]')")
    if args.skip_preview:
        return
    from lockpickle_gui.core.modelio.inputs import generate_inputs

    backends = ["threads", "processes"] + (["ray"] if ray_available else [])
    print("preview backends (2 workers, 8 clients, max batch 32):")
    big = service.model
    print_preview(
        kind + " MLP", big, generate_inputs(big, 32), 400 if args.quick else 2_000, backends
    )
    tiny = locked_service.build_model("tiny")
    print_preview(
        "tiny MLP", tiny, generate_inputs(tiny, 32), 2_000 if args.quick else 20_000, backends
    )


if __name__ == "__main__":
    main()
