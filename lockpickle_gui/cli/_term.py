"""Terminal helpers shared by the sub-commands: exit codes, a progress bar and JSON output."""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Any

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and the answer is "no" (verification failed, mismatch)
EXIT_ERROR = 2  # bad input: the message says what and how to fix
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell shows for a process killed by SIGPIPE


class ProgressBar:
    """A ``progress(fraction, message)`` callback that draws one line on a terminal.

    On a pipe or file it stays silent, so ``--json`` output and logs stay clean.
    """

    def __init__(self, stream: IO[str] | None = None, width: int = 30, min_interval: float = 0.05):
        self.stream = stream or sys.stderr
        self.width = width
        self.min_interval = min_interval
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if fraction < 1.0 and now - self._last < self.min_interval:
            return
        self._last = now
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {fraction:4.0%} {message[:60]:<60}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cli_message(error: BaseException) -> str:
    """``str(error)``, with the how-to-fix sentence written for the command line when the
    error has one (``cli_hint``: the flags to add rather than the Python arguments)."""
    text = str(error)
    hint, cli_hint = getattr(error, "hint", None), getattr(error, "cli_hint", None)
    if isinstance(hint, str) and isinstance(cli_hint, str) and hint and text.endswith(hint):
        return text[: -len(hint)] + cli_hint
    return text


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (what is not JSON is written as ``str()``)."""
    json.dump(data, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")
