"""The one adapter between transport and the snapshot layer: object -> Payload -> object.

Everything an object's travel needs from the snapshot format goes through :func:`encode` and
:func:`decode`; nothing else in ``transport/`` knows how a snapshot is laid out. They use the
snapshot layer's members API: :func:`~lockpickle_gui.core.snapshot.to_members` gives the
manifest and the members (the models' variables as numpy arrays, no archive, nothing copied)
and :func:`~lockpickle_gui.core.snapshot.from_members` loads them back with the same checks,
trust rules and refusals as a file (the sha256 of every member, types trusted by name, models
built with Keras' ``safe_mode`` and without random initialisation).

Errors keep their type (:class:`UnpicklableState`, :class:`UntrustedCode`, ...) and name the
object's origin, never a placeholder path.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import numpy as np

from lockpickle_gui.core.code_package import PACKAGE_PREFIX
from lockpickle_gui.core.errors import LockpickleError, UntrustedCode
from lockpickle_gui.core.snapshot import from_members, to_members
from lockpickle_gui.core.snapshot.trust import display_name
from lockpickle_gui.core.transport import policy
from lockpickle_gui.core.transport.payload import Origin, Payload

MANIFEST_MEMBER = "manifest.json"
# what the snapshot layer calls the target of an in-memory snapshot in its messages
_PLACEHOLDERS = ("<snapshot members>", "<members>", "<memory>")
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


def retitled(error: E, origin: str) -> E:
    """The same error, of the same type and attributes, naming ``origin`` instead of the
    snapshot layer's placeholder for an in-memory snapshot."""
    text = str(error)
    for placeholder in _PLACEHOLDERS:
        text = text.replace(f"{placeholder}: ", "").replace(placeholder, origin)
    fresh = type(error).__new__(type(error))
    Exception.__init__(fresh, text if origin in text else f"{origin}: {text}")
    fresh.__dict__.update(error.__dict__)
    if isinstance(fresh, LockpickleError):
        fresh.path = None
    return fresh


def _buffer(member: Any) -> np.ndarray | bytes:
    """Arrays (the models' variables) as they are, so they travel out of band; the small
    members (manifest, state, configs) as bytes, in the pickle."""
    if isinstance(member, np.ndarray):
        return np.ascontiguousarray(member)
    return bytes(member)


def _member(name: str, buffer: Any) -> Any:
    """What arrived, as the snapshot layer reads it: ``.npy`` members as arrays (read-only
    views of Ray's object store, joblib memory maps), the others as bytes."""
    if isinstance(buffer, bytes):
        return buffer
    if name.endswith(".npy"):  # a joblib memory map is an ndarray subclass: view it as one
        return buffer.view(np.ndarray) if isinstance(buffer, np.ndarray) else buffer
    return np.asarray(buffer).tobytes()


def encode(
    obj: Any,
    *,
    trust: Iterable[str] | None = None,
    label: str | None = None,
    register: tuple[str, bool] | None = None,
) -> Payload:
    """Snapshot ``obj`` into a :class:`Payload`. ``trust=None`` vouches for exactly the types
    the object holds; a list vouches for those names only. Raises what the snapshot layer
    raises (``UnpicklableState`` listing every path that cannot travel, ...), naming the
    object instead of a path."""
    origin = Origin.here(obj, label)
    with _encoding():
        try:
            manifest, members = to_members(obj, verify=False)
        except LockpickleError as error:
            raise retitled(error, f"Making {origin.type_name} portable") from None
    needs = tuple(dict.fromkeys(display_name(entry["name"]) for entry in manifest["types"]))
    digest = hashlib.sha256(bytes(members[MANIFEST_MEMBER])).hexdigest()  # every member's sha256
    vouched = needs if trust is None else tuple(str(t) for t in trust)
    names = tuple(members)
    return Payload(
        names, [_buffer(members[n]) for n in names], digest, needs, vouched, origin, register
    )


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
    return tuple(n for n in payload.needs if any(policy.matches(a, n) for a in allowed))


def decode(payload: Payload) -> Any:
    """Rebuild the object: fresh locks, the same sharing, the models bit-identical. Only what
    :func:`allowed_names` allows is imported; errors name the payload's origin."""
    trusted = allowed_names(payload)
    members = {n: _member(n, b) for n, b in zip(payload.names, payload.buffers)}
    # Types of a project's own code travel as its bundled sources (an lpproject_ package):
    # running them is what trusting those names, vouched for and allowed above, means here.
    bundled = any(name.startswith(PACKAGE_PREFIX) for name in trusted)
    try:
        return from_members(members, trust=trusted, trust_bundled_code=bundled)
    except LockpickleError as error:
        raise retitled(error, f"Loading {payload.origin.describe()}") from None
