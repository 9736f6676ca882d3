"""One verdict, one comparison: do two sets of model outputs agree?

Used by the preview (pooled outputs against a sequential pass) and by snapshot verification
(a loaded model's outputs against the ones stored at export). Both ask the same question
and answer with the same words:

``identical``         bit for bit (NaN where NaN was)
``within tolerance``  every element within ``atol + rtol * max(1, |expected|)``
``mismatch``          anything else: a larger difference, another shape, a missing output
``no data``           nothing to compare (no stored verification, no models)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


class Verdict(str, enum.Enum):
    IDENTICAL = "identical"
    WITHIN_TOLERANCE = "within tolerance"
    MISMATCH = "mismatch"
    NO_DATA = "no data"

    def __str__(self) -> str:  # f"{verdict}" is the word people read
        return self.value

    @property
    def holds(self) -> bool:
        """The outputs agree (bit for bit or within tolerance)."""
        return self in (Verdict.IDENTICAL, Verdict.WITHIN_TOLERANCE)

    @classmethod
    def worst(cls, verdicts: Iterable[Verdict]) -> Verdict:
        """The least reassuring of ``verdicts`` (``no data`` when there are none)."""
        order = (cls.MISMATCH, cls.WITHIN_TOLERANCE, cls.IDENTICAL)
        found = set(verdicts)
        return next((verdict for verdict in order if verdict in found), cls.NO_DATA)


@dataclass(frozen=True)
class Comparison:
    """How far ``got`` is from ``expected``; ``worst`` is the index of the worst output."""

    verdict: Verdict
    max_abs_diff: float
    worst: int | None = None


def compare_outputs(
    expected: Sequence[np.ndarray],
    got: Sequence[np.ndarray] | None,
    *,
    atol: float = 0.0,
    rtol: float = 0.0,
) -> Comparison:
    """Compare two flat lists of output arrays (one call of one model).

    ``got=None`` (the call failed), a missing output or another shape is a mismatch with an
    infinite difference.
    """
    identical = within = True
    max_diff, worst = 0.0, None
    for position, want in enumerate(expected):
        want = np.asarray(want)
        have = None if got is None or position >= len(got) else np.asarray(got[position])
        if have is None or have.shape != want.shape:
            diff = float("inf")
            identical = within = False
        elif np.array_equal(have, want, equal_nan=want.dtype.kind in "fc"):
            diff = 0.0
        else:
            identical = False
            a, b = want.astype(np.float64), have.astype(np.float64)
            gap = np.abs(a - b)
            gap[np.isnan(a) & np.isnan(b)] = 0.0
            gap[np.isnan(gap)] = np.inf
            diff = float(gap.max()) if gap.size else 0.0
            if not np.all(gap <= atol + rtol * np.maximum(1.0, np.abs(a))):
                within = False
        if diff > max_diff or (worst is None and diff > 0.0):
            max_diff, worst = diff, position
    if got is not None and len(got) != len(expected):
        identical = within = False
        max_diff = float("inf")
    if identical:
        return Comparison(Verdict.IDENTICAL, 0.0)
    return Comparison(Verdict.WITHIN_TOLERANCE if within else Verdict.MISMATCH, max_diff, worst)


def explain_verification(
    verdict: Verdict, max_abs_diff: float | None = None, tolerance: float | None = None
) -> str:
    """What a snapshot's verification verdict means, in words the CLI and the GUI both show
    after the verdict itself (``f"{verdict}: {explain_verification(...)}"``)."""
    diff, tol = format_difference(max_abs_diff), format_difference(tolerance)
    if verdict is Verdict.IDENTICAL:
        return "the loaded model(s) reproduce the outputs stored at export bit for bit"
    if verdict is Verdict.WITHIN_TOLERANCE:
        return f"max difference {diff} <= tolerance {tol}"
    if verdict is Verdict.MISMATCH:
        return f"max difference {diff} exceeds the tolerance {tol}"
    return "nothing was compared: the snapshot was exported without verification"


def format_difference(value: float | None) -> str:
    """A difference or a tolerance in three significant digits ("?" when unknown)."""
    return "?" if value is None else f"{value:.3g}"
