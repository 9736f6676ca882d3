"""The preview panel's worker body: runs on a pool thread, calls the core, touches no widget.

It gathers the input samples (``core.preview.defaults``, as the CLI does), runs ``core.preview.run_preview`` and
hands back what the panel shows. Live statistics go out through ``stats_sink`` (a queued
signal's ``emit``); cancel arrives as ``Cancelled`` raised by ``progress``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.preview.defaults import preview_samples

FIRST_OUTPUTS = 10  # rows of the results table


@dataclass
class PanelResult:
    stats: Any  # PoolStats (or its dict)
    safety: Any | None  # ThreadSafetyReport, or None when nothing could be compared
    summaries: list[tuple[int, Any]] = field(default_factory=list)  # (request index, summary)
    preview: Any = None  # the core's PreviewResult, as is


def gather_samples(model, options):
    """The samples of a run: what the CLI would send (``core.preview.defaults``)."""
    if options.source == "generated":
        return preview_samples(model, None, options.requests, options.seed)
    if not options.path:
        raise PreviewError(
            f"Expected a {'folder of images' if options.source == 'folder' else '.npy or .npz file'}"
            " for the preview inputs. Received: an empty path.",
            hint="Choose one with Browse…, or use generated inputs.",
        )
    return preview_samples(model, options.path, options.requests)


def preview_job(
    model,
    options,
    *,
    progress: Callable[[float, str], None],
    stats_sink: Callable[[Any], None] | None = None,
) -> PanelResult:
    """Inputs, then ``run_preview``; ``progress`` raising Cancelled stops the run within ~50 ms
    (the core polls it that often) and closes the pool before this returns."""
    from lockpickle_gui.core.preview import run_preview

    progress(0.0, "Preparing the input samples…")
    samples = gather_samples(model, options)
    result = run_preview(
        model,
        samples,
        workers=options.workers,
        max_batch=options.max_batch,
        max_delay_ms=options.max_delay_ms,
        clients=options.clients,
        requests=options.requests,
        keep_outputs=FIRST_OUTPUTS,
        progress=progress,
        on_stats=stats_sink,
        backend=getattr(options, "backend", "threads"),
        ray_address=getattr(options, "ray_address", "") or None,
    )
    summaries = [(entry["sample"], entry["summary"]) for entry in result.summaries]
    return PanelResult(
        stats=result.stats, safety=result.safety, summaries=summaries, preview=result
    )
