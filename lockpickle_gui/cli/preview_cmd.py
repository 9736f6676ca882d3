"""``lockpickle preview PATH``: serve a model to concurrent clients and report what happened.

Runs R requests (one sample each) from C client threads against the project's first model
(or ``--model NAME``) through the batching inference pool, then prints throughput, latency
percentiles, batch sizes and the thread-safety verdict. Exit status 1 when the verdict is
``mismatch`` or requests failed. Settings come from the options, else the project's
``[preview]`` table, else the defaults below.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lockpickle_gui.cli._args import add_trust_arguments, trust_options
from lockpickle_gui.cli._term import EXIT_FAILED, EXIT_OK, ProgressBar, print_json
from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.text import backend_workers, counted

if TYPE_CHECKING:  # TensorFlow and numpy load only when the command runs
    from lockpickle_gui.core.preview import PreviewResult
    from lockpickle_gui.core.project import ModelProject

HELP = (
    "Run a model under concurrent requests: throughput, latency, batching and the "
    "thread-safety verdict."
)

POOL_KEYS = ("workers", "max_batch", "max_delay_ms", "requests", "clients")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", help="a .keras/.h5 file, a SavedModel folder, a project folder or a .lpsnap"
    )
    parser.add_argument(
        "--model", metavar="NAME", help="which model of the project (default: the first)"
    )
    parser.add_argument(
        "--workers", type=int, metavar="N", help="worker threads running batches (default 2)"
    )
    parser.add_argument(
        "--max-batch", type=int, metavar="B", help="largest batch (default 32; 1 = no batching)"
    )
    parser.add_argument(
        "--max-delay-ms",
        type=float,
        metavar="D",
        help="how long a request waits for companions (default 2.0)",
    )
    parser.add_argument("--requests", type=int, metavar="R", help="requests to serve (default 256)")
    parser.add_argument(
        "--clients", type=int, metavar="C", help="client threads sending them (default 4)"
    )
    parser.add_argument(
        "--inputs",
        metavar="FILE|FOLDER",
        help="a .npy/.npz file, an image, or a folder of images (default: "
        "the project's [preview] inputs, else generated from the input spec)",
    )
    parser.add_argument("--seed", type=int, help="seed of generated inputs (default 0)")
    parser.add_argument(
        "--backend",
        choices=("threads", "processes", "ray"),
        help="where batches run: threads in this process (default), one worker process per "
        "worker, or one Ray actor per worker (needs: pip install 'lockpickle-gui[ray]')",
    )
    parser.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="the Ray cluster to run on (e.g. auto, ray://host:10001; default: a new local "
        "cluster); implies --backend ray",
    )
    add_trust_arguments(parser, "opening a .lpsnap")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from lockpickle_gui.core.errors import PreviewError
    from lockpickle_gui.core.preview import run_preview
    from lockpickle_gui.core.preview.defaults import preview_samples, preview_settings
    from lockpickle_gui.core.project import open_project

    backend = _backend(args)
    bar = ProgressBar()
    with bar:
        project = open_project(args.path, progress=bar, **trust_options(args))
        if not project.models:
            raise PreviewError(
                "Expected a project with at least one model. Received none.", path=project.path
            )
        name = args.model or next(iter(project.models))
        if name not in project.models:
            raise PreviewError(
                f"Expected a model name among {sorted(project.models)}. Received {name!r}.",
                path=project.path,
                hint="Pick one with --model NAME.",
            )
        model = project.models[name]
        chosen = {key: getattr(args, key) for key in (*POOL_KEYS, "inputs", "seed")}
        settings = preview_settings(project=project.preview, overrides=chosen)
        source = settings["inputs"]
        samples = preview_samples(model, source, settings["requests"], settings["seed"])
        result = run_preview(
            model,
            samples,
            progress=bar,
            backend=backend,
            ray_address=args.ray_address,
            **{key: settings[key] for key in POOL_KEYS},
        )
    if args.json:
        print_json(
            {
                "project": str(project.path),
                "model": name,
                "inputs": str(source) if source else "generated",
                **result.to_dict(),
            }
        )
    else:
        _print_text(project, name, source, result)
    return EXIT_FAILED if not result.verdict.holds or result.stats.failed else EXIT_OK


def _print_text(
    project: ModelProject, name: str, source: str | Path | None, result: PreviewResult
) -> None:
    s, c = result.stats, result.config
    sizes = ", ".join(f"{size}x{count}" for size, count in list(s.batch_sizes.items())[:8])
    if len(s.batch_sizes) > 8:
        sizes += ", ..."
    lines = [
        f"{project.name} / {name}: {counted(c['requests'], 'request')} from "
        f"{counted(c['clients'], 'client thread')}, "
        f"{backend_workers(c['workers'], c['backend'])}, max batch {c['max_batch']}, "
        f"max delay {c['max_delay_ms']:g} ms",
        f"  inputs      {source or 'generated from the input spec'}",
        f"  completed   {s.completed:,}   failed {s.failed:,}   cancelled {s.cancelled:,}   "
        f"in {s.elapsed_s:.2f} s",
        f"  throughput  {s.throughput_rps:,.0f} requests/s",
        f"  latency     p50 {s.p50_ms:.2f} ms   p95 {s.p95_ms:.2f} ms   p99 {s.p99_ms:.2f} ms",
        f"  batches     {s.batches:,}, mean size {s.mean_batch:.1f} ({sizes})",
        "  per worker  " + ", ".join(f"{n}: {k:,}" for n, k in s.per_worker.items()),
        f"  verdict     {result.safety.message}",
    ]
    if result.first_error:
        lines.append(f"  first error {result.first_error}")
    for entry in result.summaries[:3]:
        lines.append(f"  sample {entry['sample']}    {entry['summary']}")
    print("\n".join(lines))


def _backend(args: argparse.Namespace) -> str:
    """``--backend``, or ``ray`` when only ``--ray-address`` was given; refused when the two
    disagree (the address would be silently ignored)."""
    if args.ray_address is None:
        return str(args.backend or "threads")
    if args.backend in (None, "ray"):
        return "ray"
    raise LockpickleError(
        f"Expected --ray-address only with --backend ray. Received: --ray-address "
        f"{args.ray_address} with --backend {args.backend}.",
        hint="Drop --backend (the address implies ray), or drop --ray-address to run on "
        f"{args.backend}.",
    )
