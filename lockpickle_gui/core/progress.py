"""How long work reports as it goes: ``progress(fraction, message)``.

Opening a project, saving or loading a snapshot, scanning the library and the preview take
an optional ``progress`` callback; ``fraction`` runs from 0 to 1. Raising
:class:`~lockpickle_gui.core.errors.Cancelled` from it stops the work cleanly (nothing
half-written); the GUI's workers do that for their Cancel buttons.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


class Reporter:
    """Calls ``progress`` (when given) with the fraction clamped to [0, 1]; a Cancelled it
    raises propagates."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    def __call__(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)
