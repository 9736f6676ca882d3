"""The receiving side's trust policy: what an arriving object may rebuild.

A payload says which types loading it needs (``Payload.needs``: ``module.Class`` names, as
the snapshot's manifest lists them) and which ones its sender vouched for
(``Payload.trust``). On arrival the sender's list is *capped* by this process's policy:

* ``LOCKPICKLE_TRUST`` (environment variable; comma- or space-separated patterns), or
  :func:`set_trust` (which overrides the variable in this process);
* a pattern is a type (``pkg.mod.Service``), a module with everything below it (``pkg.layers``
  or ``pkg.layers.*``);
* no policy (variable unset, no ``set_trust``): the sender's list is used as it is.

Inside a Ray or Dask cluster the engine's own pickle already runs whatever a cluster member
sends, so the policy is no defence against a hostile member (that takes the engine's
authentication); it catches mistakes and stale bytes: a payload that needs more than this
process agreed to is refused with :class:`~lockpickle_gui.core.errors.UntrustedCode`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable

TRUST_ENV = "LOCKPICKLE_TRUST"

_lock = threading.Lock()
_override: tuple[str, ...] | None = None
_overridden = False


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[,\s]+", text) if part)


def set_trust(patterns: Iterable[str] | str | None) -> None:
    """Cap what arriving objects may rebuild in this process (see the module docstring).

    ``None`` goes back to the ``LOCKPICKLE_TRUST`` variable (or no cap when it is unset);
    an empty list allows only what every snapshot may use (built-ins, locks, numpy, Keras).
    """
    global _override, _overridden
    with _lock:
        if patterns is None:
            _override, _overridden = None, False
            return
        items = _split(patterns) if isinstance(patterns, str) else tuple(str(p) for p in patterns)
        _override, _overridden = items, True


def get_trust() -> tuple[str, ...] | None:
    """The patterns in force, or None when nothing caps what arrives."""
    with _lock:
        if _overridden:
            return _override
    text = os.environ.get(TRUST_ENV)
    return None if text is None else _split(text)


def policy_source() -> str:
    """Where the policy in force comes from, for error messages."""
    with _lock:
        if _overridden:
            return "lp.set_trust()"
    return f"the {TRUST_ENV} environment variable"


def matches(pattern: str, name: str) -> bool:
    """Does ``pattern`` allow the type ``name``? ``pkg.mod`` and ``pkg.mod.*`` allow every type
    in ``pkg.mod`` and below it; ``pkg.mod.Service`` allows that type."""
    base = pattern[:-2] if pattern.endswith(".*") else pattern
    if not base:
        return False
    return name == base or name.startswith(base + ".")


def capped(trust: Iterable[str]) -> tuple[tuple[str, ...], list[str]]:
    """(the sender's names this process allows, the ones its policy refuses)."""
    policy = get_trust()
    names = tuple(trust)
    if policy is None:
        return names, []
    allowed = tuple(n for n in names if any(matches(p, n) for p in policy))
    return allowed, [n for n in names if n not in allowed]
