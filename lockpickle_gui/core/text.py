"""Words shared by the CLI, the GUI and the reports: one size format, one HTML escape."""

from __future__ import annotations

import html

SIZE_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def format_size(size: float) -> str:
    """``512 bytes``, ``1.5 KiB``, ``84.2 MiB``: binary units named as such (1 KiB = 1024)."""
    value = float(size)
    for unit in SIZE_UNITS:
        if value < 1024 or unit == SIZE_UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def escape_html(text: object) -> str:
    """``text`` made safe inside HTML, as text or in a quoted attribute: ``& < > " '``
    escaped, the quotes as ``&quot;`` and ``&#39;``, which Qt's rich text reads too (it
    shows ``&#x27;``, what ``html.escape`` writes, as is)."""
    return html.escape(str(text), quote=False).replace('"', "&quot;").replace("'", "&#39;")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``1 worker process``, ``2 worker processes``, ``1,024 requests``: the count with the
    noun that agrees with it (``plural`` defaults to ``singular + "s"``)."""
    noun = singular if count == 1 else (plural if plural is not None else singular + "s")
    return f"{count:,} {noun}"


# What runs the preview's batches, per backend: (one, several).
BACKEND_WORKERS = {
    "threads": ("worker thread", "worker threads"),
    "processes": ("worker process", "worker processes"),
    "ray": ("Ray actor", "Ray actors"),
}


def backend_workers(count: int, backend: str) -> str:
    """``1 worker process``, ``4 Ray actors``, ``2 worker threads``."""
    return counted(count, *BACKEND_WORKERS.get(backend, ("worker", "workers")))
