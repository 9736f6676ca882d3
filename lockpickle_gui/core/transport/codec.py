"""The one adapter between transport and the snapshot layer: object -> Payload -> object.

Everything an object's travel needs from the snapshot format goes through :func:`encode` and
:func:`decode`; nothing else in ``transport/`` knows how a snapshot is laid out. They use the
snapshot layer's public API (``save_snapshot`` / ``load_snapshot``: the same format, trust
rules and refusals as files) through a scratch file in memory-backed storage when the system
has one (``/dev/shm``), which is removed before they return. When the snapshot layer offers
in-memory snapshots with members (``dumps``/``loads``), the scratch file goes and the models'
arrays become separate out-of-band buffers; the :class:`Payload` contract stays the same.

Errors keep their type (:class:`UnpicklableState`, :class:`UntrustedCode`, ...) and name the
object's origin, never the scratch file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from lockpickle_gui.core.errors import LockpickleError, UntrustedCode
from lockpickle_gui.core.snapshot import load_snapshot, save_snapshot
from lockpickle_gui.core.transport import policy
from lockpickle_gui.core.transport.payload import Origin, Payload, as_buffer

_MEMORY_BACKED = Path("/dev/shm")
_state = threading.local()
E = TypeVar("E", bound=BaseException)


def encoding() -> bool:
    """True while this thread is inside :func:`encode` (copyreg reducers step aside then, or
    the snapshot's own pickler would call them again for the object being saved)."""
    return getattr(_state, "depth", 0) > 0


@contextlib.contextmanager
def _encoding() -> Iterator[None]:
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    root = (
        _MEMORY_BACKED if _MEMORY_BACKED.is_dir() and os.access(_MEMORY_BACKED, os.W_OK) else None
    )
    with tempfile.TemporaryDirectory(prefix="lockpickle-transport-", dir=root) as folder:
        yield Path(folder) / "object.lpsnap"


def retitled(error: E, scratch: Path, origin: str) -> E:
    """The same error, of the same type and attributes, naming ``origin`` instead of the
    scratch file."""
    text = str(error).replace(f"{scratch}: ", "").replace(str(scratch), origin)
    fresh = type(error).__new__(type(error))
    Exception.__init__(fresh, f"{origin}: {text}" if origin not in text else text)
    fresh.__dict__.update(error.__dict__)
    if isinstance(fresh, LockpickleError):
        fresh.path = None
    return fresh


def encode(
    obj: Any,
    *,
    trust: Iterable[str] | None = None,
    label: str | None = None,
    register: tuple[str, bool] | None = None,
) -> Payload:
    """Snapshot ``obj`` into a :class:`Payload`. ``trust=None`` vouches for exactly what the
    object holds; a list vouches for those names only. Raises what ``save_snapshot`` raises
    (``UnpicklableState`` listing every path that cannot travel, ...), naming the object."""
    origin = Origin.here(obj, label)
    with _scratch() as path, _encoding():
        try:
            manifest = save_snapshot(obj, path, verify=False)
        except LockpickleError as error:
            raise retitled(error, path, f"Making {origin.type_name} portable") from None
        data = path.read_bytes()
    # format 2 names every type loading needs ("pkg.mod:Service" -> "pkg.mod.Service")
    needs = tuple(str(entry["name"]).replace(":", ".") for entry in manifest["types"])
    digest = hashlib.sha256(
        json.dumps([manifest["members"], manifest["created_utc"]], sort_keys=True).encode()
    ).hexdigest()
    vouched = needs if trust is None else tuple(str(t) for t in trust)
    return Payload([as_buffer(data)], digest, needs, vouched, origin, register)


def allowed_names(payload: Payload) -> tuple[str, ...]:
    """The names loading may trust here: what the sender vouched for, capped by this process's
    policy. Raises UntrustedCode naming the first need that is not covered, and why."""
    allowed, refused_by_policy = policy.capped(payload.trust)
    where = payload.origin.describe()
    for need in payload.needs:
        if any(policy.matches(name, need) for name in allowed):
            continue
        if any(policy.matches(name, need) for name in refused_by_policy):
            raise UntrustedCode(
                f"Expected an arriving object to need only what this process trusts. Received "
                f"{where}, which needs {need!r}; {policy.policy_source()} does not allow it "
                f"(it allows: {', '.join(policy.get_trust() or ()) or 'nothing beyond built-ins'}).",
                module=need.rpartition(".")[0],
                name=need.rpartition(".")[2],
                hint=f"If {need!r} is yours, add it to {policy.TRUST_ENV} or lp.set_trust() "
                "in the receiving process.",
            )
        raise UntrustedCode(
            f"Expected an arriving object to need only what its sender vouched for. Received "
            f"{where}, which needs {need!r}; the sender trusted only "
            f"{', '.join(payload.trust) or 'built-ins'}.",
            module=need.rpartition(".")[0],
            name=need.rpartition(".")[2],
            hint=f"Pass trust=[..., {need!r}] to lp.portable()/lp.register() on the sending side.",
        )
    return tuple(n for n in allowed if any(policy.matches(n, need) for need in payload.needs))


def decode(payload: Payload) -> Any:
    """Rebuild the object: fresh locks, the same sharing, the models bit-identical. Only what
    :func:`allowed_names` allows is imported; errors name the payload's origin."""
    trusted = allowed_names(payload)
    modules = tuple(
        dict.fromkeys(n for n in payload.needs if any(policy.matches(t, n) for t in trusted))
    )
    with _scratch() as path:
        with open(path, "wb") as file:
            for buffer in payload.buffers:
                file.write(buffer.data)
        try:
            return load_snapshot(path, trust=modules)
        except LockpickleError as error:
            raise retitled(error, path, f"Loading {payload.origin.describe()}") from None
