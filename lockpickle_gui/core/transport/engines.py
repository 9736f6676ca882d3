"""Thin helpers for engines that have hooks of their own. Ray and Dask are optional
(``pip install lockpickle-gui[ray]`` / ``[dask]``); they are imported only here, in functions.

* :func:`ray_register` — ``ray.util.register_serializer``: Ray's own per-class hook, the
  same snapshot as :func:`~lockpickle_gui.core.transport.registry.register`.
* :func:`ray_runtime_env` — a ``runtime_env`` for ``ray.init`` / ``.options`` that installs
  the trust policy and registrations in every worker process (``worker_process_setup_hook``).
* :func:`dask_worker_plugin` — the same for Dask workers (``client.register_plugin``).
* ``multiprocessing`` / ``ProcessPoolExecutor`` / loky: pass
  ``initializer=setup_worker, initargs=(trust, [Service])``.

Dask's tokenising never loads a portable object: :class:`Portable` and :class:`LazyRef` give
``__dask_tokenize__`` the content digest.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from typing import Any

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.transport import codec, policy, registry
from lockpickle_gui.core.transport.payload import Payload
from lockpickle_gui.core.transport.portable import LazyRef, arrive

SETUP_HOOK = "lockpickle_gui.core.transport.registry._setup_from_environment"

EXTRAS = {"ray": "ray[serve,tune]", "dask": "dask[distributed]"}


def require(engine: str) -> Any:
    """Import an optional engine, or say how to install it."""
    module = "distributed" if engine == "dask" else engine
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise LockpickleError(
            f"Expected {engine} to be installed for this. Received: {error}.",
            hint=f"Install it with: pip install 'lockpickle-gui[{engine}]' "
            f"(or pip install '{EXTRAS[engine]}').",
        ) from None


def available(engine: str) -> bool:
    module = "distributed" if engine == "dask" else engine
    return importlib.util.find_spec(module) is not None


def _ray_deserialize(payload: Payload) -> Any:
    return arrive(payload)


def _ray_deserialize_lazy(payload: Payload) -> LazyRef:
    return LazyRef(payload)


def ray_register(cls: type, *, trust: Iterable[str] | None = None, lazy: bool = False) -> type:
    """Register ``cls`` with Ray's own serializer hook (this process only; see
    :func:`ray_runtime_env` for the workers)."""
    require("ray")
    ray_util = importlib.import_module("ray.util")
    names = None if trust is None else tuple(trust)

    def serialize(obj: Any) -> Payload:
        return codec.encode(obj, trust=names)

    ray_util.register_serializer(
        cls,
        serializer=serialize,
        deserializer=_ray_deserialize_lazy if lazy else _ray_deserialize,
    )
    return cls


def _environment(trust: Iterable[str] | None, register: Iterable[str | type]) -> dict[str, str]:
    env = {}
    if trust is not None:
        env[policy.TRUST_ENV] = ",".join(trust)
    names = [c if isinstance(c, str) else registry.qualified_name(c) for c in register]
    if names:
        env[registry.REGISTER_ENV] = ",".join(names)
    return env


def ray_runtime_env(
    trust: Iterable[str] | None = None,
    register: Iterable[str | type] = (),
    env_vars: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``runtime_env`` that caps what workers accept (``trust``) and registers classes in them:
    ``ray.init(runtime_env=lp.transport.ray_runtime_env(trust=[...], register=[Service]))``."""
    return {
        "env_vars": {**(env_vars or {}), **_environment(trust, register)},
        "worker_process_setup_hook": SETUP_HOOK,
    }


def dask_worker_plugin(
    trust: Iterable[str] | None = None, register: Iterable[str | type] = ()
) -> Any:
    """A Dask ``WorkerPlugin`` doing :func:`setup_worker` on every worker:
    ``client.register_plugin(lp.transport.dask_worker_plugin(trust=[...]))``."""
    distributed = require("dask")
    trust_list = None if trust is None else list(trust)
    names = [c if isinstance(c, str) else registry.qualified_name(c) for c in register]

    class LockpickleWorkerPlugin(distributed.WorkerPlugin):  # type: ignore[misc, name-defined]
        name = "lockpickle"

        def setup(self, worker: Any) -> None:
            registry.setup_worker(trust_list, names)

    return LockpickleWorkerPlugin()
