"""What a snapshot may make the loader import or call: the allow-list and the trust rules.

``state.pkl`` names classes and functions as ``(module, name)`` pairs. The restricted
unpickler asks :func:`resolve` for each one, and :func:`resolve` decides from the *names
alone* before importing anything:

* safe built-ins and containers, a few inert standard-library value types, the standard
  ``queue`` classes, numpy's array and scalar reconstruction, and lockpickle's own restore
  functions (``restore.py``) are always allowed;
* a module listed in ``trust`` allows itself and its submodules (``trust=["myapp"]``
  allows ``myapp.service.Service``);
* the snapshot's bundled code package is allowed when the caller passed
  ``trust_bundled_code=True``;
* anything else raises :class:`UntrustedCode` naming the module and the class.

Some modules are never trusted (:data:`NEVER_TRUST`): trusting ``builtins`` (``getattr``,
``eval``), ``os`` or ``subprocess`` amounts to trusting any code, so ``trust=["builtins"]``
is refused and a refusal never suggests it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from lockpickle_gui.core.errors import SnapshotError, UntrustedCode
from lockpickle_gui.core.snapshot.restore import RESTORE_FUNCTIONS

_NUMPY_RECONSTRUCT = frozenset({"_reconstruct", "scalar"})
SAFE_GLOBALS: dict[str, frozenset[str]] = {
    "builtins": frozenset(
        {
            "dict",
            "list",
            "tuple",
            "set",
            "frozenset",
            "bytearray",
            "bytes",
            "str",
            "int",
            "float",
            "complex",
            "bool",
            "slice",
            "range",
            "Ellipsis",
            "NotImplemented",
        }
    ),
    "collections": frozenset({"OrderedDict", "defaultdict", "deque", "Counter"}),
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone"}),
    "decimal": frozenset({"Decimal"}),
    "fractions": frozenset({"Fraction"}),
    "uuid": frozenset({"UUID"}),
    "pathlib": frozenset(
        {"PurePath", "PurePosixPath", "PureWindowsPath", "Path", "PosixPath", "WindowsPath"}
    ),
    "types": frozenset({"SimpleNamespace"}),
    "queue": frozenset({"Queue", "LifoQueue", "PriorityQueue", "SimpleQueue"}),
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy.core.multiarray": _NUMPY_RECONSTRUCT,
    "numpy._core.multiarray": _NUMPY_RECONSTRUCT,
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "numpy._core.numeric": frozenset({"_frombuffer"}),
    "lockpickle_gui.core.snapshot.restore": frozenset(RESTORE_FUNCTIONS),
}


# Modules (and their submodules) whose names reach any code: eval/getattr/__import__,
# processes, files, raw memory, other pickles. ``posix``/``nt`` are where os' functions
# pickle from; ``operator`` has attrgetter/methodcaller, getattr by another name.
NEVER_TRUST = frozenset(
    {
        "builtins",
        "os",
        "posix",
        "nt",
        "sys",
        "subprocess",
        "importlib",
        "pickle",
        "marshal",
        "types",
        "ctypes",
        "shutil",
        "socket",
        "operator",
    }
)


def never_trusted(module: str) -> str | None:
    """The :data:`NEVER_TRUST` module ``module`` is (or is inside of), else None."""
    return next((bad for bad in sorted(NEVER_TRUST) if in_modules(module, [bad])), None)


def check_trust_list(trusted: Iterable[str], path=None) -> None:
    """Refuse a ``trust`` list naming a module that would trust any code."""
    for module in trusted:
        bad = never_trusted(module)
        if bad is not None:
            raise SnapshotError(
                f"Expected trust to name your own modules (e.g. trust=['myapp']). Received: "
                f"{module!r}; trusting {bad} would let the snapshot run any code "
                f"({_REACH.get(bad, 'it reaches the interpreter itself')}), so lockpickle "
                "never trusts it.",
                path=path,
                hint=f"Remove {module!r} from trust (--trust). A snapshot that needs it "
                "cannot be loaded safely; export it again without that object.",
            )


_REACH = {
    "builtins": "getattr, eval, exec and __import__ are builtins",
    "operator": "attrgetter and methodcaller call anything by name",
    "os": "os.system runs commands",
    "posix": "posix.system runs commands",
    "nt": "nt.system runs commands",
    "subprocess": "it runs commands",
    "importlib": "it imports any module",
    "pickle": "it unpickles without these checks",
    "marshal": "it loads code objects",
    "types": "it builds functions from code objects",
    "ctypes": "it writes raw memory",
    "shutil": "it deletes and moves files",
    "socket": "it opens connections",
    "sys": "it reaches every loaded module",
}


def _is_numpy_scalar_type(module: str, name: str) -> bool:
    """``numpy.float32`` and friends, and ``numpy.dtypes.Float32DType``: data types only."""
    if module == "numpy.dtypes":
        return name.isidentifier() and name.endswith("DType")
    if module != "numpy" or not name.isidentifier():
        return False
    import numpy

    value = getattr(numpy, name, None)
    return isinstance(value, type) and issubclass(value, numpy.generic)


def is_always_allowed(module: str, name: str) -> bool:
    return name in SAFE_GLOBALS.get(module, ()) or _is_numpy_scalar_type(module, name)


def in_modules(module: str, trusted: Iterable[str]) -> bool:
    """``module`` is one of ``trusted`` or a submodule of one."""
    return any(module == t or module.startswith(t + ".") for t in trusted)


def untrusted(
    module: str,
    name: str,
    *,
    path=None,
    bundled_package: str | None = None,
    what: str = "state.pkl refers to",
) -> UntrustedCode:
    bad = never_trusted(module)
    if module == "builtins" and name == "getattr":
        return UntrustedCode(
            f"Expected only safe built-ins, numpy arrays and trusted modules. Received: {what} "
            "builtins.getattr, which is how pickle stores a bound method (obj.method) or a "
            "built-in method (a_list.append); snapshots do not support them and nothing was "
            "imported or run.",
            module=module,
            name=name,
            path=path,
            hint="Do not trust builtins (that trusts all code). Store the object itself in the "
            "exported state and look the method up after loading (getattr(obj, 'name') "
            "in your code, or a __setstate__ that sets the callback again), then export "
            "again.",
        )
    if bad is not None:
        return UntrustedCode(
            f"Expected only safe built-ins, numpy arrays and trusted modules. Received: {what} "
            f"{module}.{name}; lockpickle never trusts {bad} "
            f"({_REACH.get(bad, 'it reaches any code')}), and nothing was imported or run.",
            module=module,
            name=name,
            path=path,
            hint=f"Snapshots do not support {module}.{name}: keep plain data in the exported "
            "state and create that callable again after loading (in __setstate__ or in "
            "your code), then export again.",
        )
    if bundled_package and in_modules(module, [bundled_package]):
        hint = (
            "It is the snapshot's bundled project code: if you trust it, load with "
            "trust_bundled_code=True (command line: --trust-bundled-code)."
        )
    else:
        hint = (
            f"If you trust that code, load with trust=[{module!r}] (command line: "
            f"--trust {module}); trusting a package trusts its submodules."
        )
    return UntrustedCode(
        f"Expected only safe built-ins, numpy arrays and trusted modules. Received: {what} "
        f"{module}.{name}, from a module you did not trust; nothing was imported or run.",
        module=module,
        name=name,
        path=path,
        hint=hint,
    )


def resolve(
    module: str, name: str, trusted: Iterable[str], *, bundled_package: str | None = None, path=None
) -> Any:
    """The object ``module.name`` if the rules allow it; the decision comes first.

    ``trusted`` holds the caller's ``trust`` modules plus the bundled code package when the
    caller trusts it; ``bundled_package`` only chooses the hint of the refusal.
    """
    if not (isinstance(module, str) and isinstance(name, str)):
        raise untrusted(str(module), str(name), path=path)
    always = is_always_allowed(module, name)
    if not (always or in_modules(module, trusted)):
        raise untrusted(module, name, path=path, bundled_package=bundled_package)
    if not always and any(not part.isidentifier() for part in name.split(".")):
        raise untrusted(module, name, path=path)
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj
