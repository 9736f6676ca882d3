"""Objects with locks that travel through pickle-based engines, and back.

    portable(obj, lazy=False, *, trust=None, label=None) -> Portable   (see portable.py)
    register(cls, *, trust=None, lazy=False) / unregister(cls)        (copyreg; registry.py)
    set_trust(patterns) / get_trust()                                  (receiver policy; policy.py)
    setup_worker(trust, register_classes)                              (worker initializer)
    ray_register, ray_runtime_env, dask_worker_plugin                  (engine hooks; engines.py)

The bytes are a lock-safe snapshot (the snapshot layer's format, trust rules and refusals);
``codec.py`` is the one place that talks to it.
"""

from __future__ import annotations

from lockpickle_gui.core.transport.engines import (
    available,
    dask_worker_plugin,
    ray_register,
    ray_runtime_env,
    require,
)
from lockpickle_gui.core.transport.payload import Origin, Payload
from lockpickle_gui.core.transport.policy import TRUST_ENV, get_trust, set_trust
from lockpickle_gui.core.transport.portable import LazyRef, Portable, Unavailable, portable
from lockpickle_gui.core.transport.registry import (
    REGISTER_ENV,
    register,
    registered,
    setup_worker,
    unregister,
)

__all__ = [
    "portable",
    "Portable",
    "LazyRef",
    "Unavailable",
    "Payload",
    "Origin",
    "register",
    "unregister",
    "registered",
    "setup_worker",
    "set_trust",
    "get_trust",
    "TRUST_ENV",
    "REGISTER_ENV",
    "ray_register",
    "ray_runtime_env",
    "dask_worker_plugin",
    "available",
    "require",
]
