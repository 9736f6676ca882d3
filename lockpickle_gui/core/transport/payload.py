"""The bytes that travel: one snapshot, its buffers out of band, and where it came from.

A :class:`Payload` is what pickling a portable object produces. Its reduction depends on the
pickle protocol the engine uses:

* protocol 5 (Ray, Dask, ``pickle.dumps(..., protocol=5)``): the buffers go to the engine as
  ``numpy`` arrays, so a pickler with a ``buffer_callback`` moves them out of band without a
  copy (Ray's shared-memory object store, Dask's frames) and joblib memory-maps them;
* protocol 4 and below (``multiprocessing`` on Python < 3.14): the same arrays, in band.

A payload pickles as the same bytes every time (nothing in it changes after it is made), so
an engine that unpickles and re-pickles it in between (Dask's scheduler, Ray Serve's
``.bind()``, Tune's config copies) hands the next process what the sender made.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Origin:
    """Where a payload was made: named in every error about it (never a temporary path)."""

    type_name: str
    pid: int
    host: str
    label: str | None = None

    @classmethod
    def here(cls, obj: Any, label: str | None = None) -> Origin:
        kind = type(obj)
        return cls(
            f"{kind.__module__}.{kind.__qualname__}", os.getpid(), socket.gethostname(), label
        )

    def describe(self) -> str:
        what = f"{self.label!r} ({self.type_name})" if self.label else self.type_name
        return f"the {what} sent by process {self.pid} on {self.host}"


class Payload:
    """A snapshot in transit: its members (``names`` and ``buffers``: the models' variables as
    the arrays they are, the other members as read-only byte arrays) plus what loading needs.

    ``needs`` are the names the snapshot's loader must trust; ``trust`` the ones the sender
    vouched for (see ``policy.py``); ``digest`` identifies the content (Dask's token, caches).
    ``register`` is set when the payload was made by a copyreg registration: the receiver
    registers the class too, so the object can travel back.
    """

    __slots__ = ("names", "buffers", "digest", "needs", "trust", "origin", "register")

    def __init__(
        self,
        names: tuple[str, ...],
        buffers: list[np.ndarray | bytes],
        digest: str,
        needs: tuple[str, ...],
        trust: tuple[str, ...],
        origin: Origin,
        register: tuple[str, bool] | None = None,
    ):
        self.names = names
        self.buffers = buffers
        self.digest = digest
        self.needs = needs
        self.trust = trust
        self.origin = origin
        self.register = register

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes if isinstance(b, np.ndarray) else len(b) for b in self.buffers)

    def __reduce__(self) -> tuple[Any, ...]:
        # the models' variables are numpy arrays, which reduce by protocol: PickleBuffers (out
        # of band when the pickler takes them) at 5, a bytes copy below; joblib's reducer
        # memory-maps large ones. The small members are bytes, in the pickle.
        return (
            Payload,
            (
                self.names,
                self.buffers,
                self.digest,
                self.needs,
                self.trust,
                self.origin,
                self.register,
            ),
        )

    def __repr__(self) -> str:
        return f"<Payload {self.digest[:12]} {self.nbytes:,} B from {self.origin.describe()}>"
