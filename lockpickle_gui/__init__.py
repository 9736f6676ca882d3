"""lockpickle_gui: inspect, preview and snapshot Keras models inside threaded programs.

Importing this package is cheap: it loads neither Qt nor TensorFlow. The public API below
is resolved lazily, on first attribute access (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from lockpickle_gui._version import __version__

# public name -> module that defines it
_LAZY = {
    "inspect": "lockpickle_gui.core.inspect",
    "Node": "lockpickle_gui.core.inspect",
    "Annotation": "lockpickle_gui.core.inspect",
    "open_project": "lockpickle_gui.core.project",
    "ModelProject": "lockpickle_gui.core.project",
    "save_snapshot": "lockpickle_gui.core.snapshot",
    "load_snapshot": "lockpickle_gui.core.snapshot",
    "read_manifest": "lockpickle_gui.core.snapshot",
    "verify_snapshot": "lockpickle_gui.core.snapshot",
    "untrusted_types": "lockpickle_gui.core.snapshot",
    "dumps": "lockpickle_gui.core.snapshot",
    "loads": "lockpickle_gui.core.snapshot",
    "to_members": "lockpickle_gui.core.snapshot",
    "from_members": "lockpickle_gui.core.snapshot",
    "read_bundled_code": "lockpickle_gui.core.snapshot",
    "import_snapshot": "lockpickle_gui.core.project",
    "InferencePool": "lockpickle_gui.core.preview",
    "portable": "lockpickle_gui.core.transport",
    "Portable": "lockpickle_gui.core.transport",
    "LazyRef": "lockpickle_gui.core.transport",
    "Unavailable": "lockpickle_gui.core.transport",
    "register": "lockpickle_gui.core.transport",
    "unregister": "lockpickle_gui.core.transport",
    "set_trust": "lockpickle_gui.core.transport",
    "setup_worker": "lockpickle_gui.core.transport",
    "check_thread_safety": "lockpickle_gui.core.preview",
    "LockpickleError": "lockpickle_gui.core.errors",
    "Cancelled": "lockpickle_gui.core.errors",
    "ProjectError": "lockpickle_gui.core.errors",
    "SnapshotError": "lockpickle_gui.core.errors",
    "NotASnapshot": "lockpickle_gui.core.errors",
    "UnsupportedVersion": "lockpickle_gui.core.errors",
    "CorruptSnapshot": "lockpickle_gui.core.errors",
    "UntrustedCode": "lockpickle_gui.core.errors",
    "BudgetExceeded": "lockpickle_gui.core.errors",
    "TrustedCodeFailed": "lockpickle_gui.core.errors",
    "VerificationFailed": "lockpickle_gui.core.errors",
    "UnpicklableState": "lockpickle_gui.core.errors",
    "PreviewError": "lockpickle_gui.core.errors",
}

__all__ = ["__version__", "transport", *_LAZY]


def __getattr__(name: str) -> object:
    if name == "transport":  # lp.transport.ray_runtime_env(...), lp.transport.dask_worker_plugin
        module = importlib.import_module("lockpickle_gui.core.transport")
        globals()[name] = module
        return module
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'lockpickle_gui' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lockpickle_gui.core import transport
    from lockpickle_gui.core.errors import (  # noqa: F401
        BudgetExceeded,
        Cancelled,
        CorruptSnapshot,
        LockpickleError,
        NotASnapshot,
        PreviewError,
        ProjectError,
        SnapshotError,
        TrustedCodeFailed,
        UnpicklableState,
        UnsupportedVersion,
        UntrustedCode,
        VerificationFailed,
    )
    from lockpickle_gui.core.inspect import Annotation, Node, inspect  # noqa: F401
    from lockpickle_gui.core.preview import InferencePool, check_thread_safety  # noqa: F401
    from lockpickle_gui.core.project import (  # noqa: F401
        ModelProject,
        import_snapshot,
        open_project,
    )
    from lockpickle_gui.core.snapshot import (  # noqa: F401
        dumps,
        from_members,
        load_snapshot,
        loads,
        read_bundled_code,
        read_manifest,
        save_snapshot,
        to_members,
        untrusted_types,
        verify_snapshot,
    )
    from lockpickle_gui.core.transport import (  # noqa: F401
        LazyRef,
        Portable,
        Unavailable,
        portable,
        register,
        set_trust,
        setup_worker,
        unregister,
    )
