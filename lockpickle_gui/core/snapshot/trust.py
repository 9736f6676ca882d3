"""Trust by type: which classes and functions a snapshot may make the loader import, build
or call, decided from their names before anything is imported.

A snapshot names every type it needs as ``module:Qualname`` (the colon says where the
module ends) with a kind, "class" or "function"; ``lp.untrusted_types(path)`` lists them.
The caller's ``trust`` entries grant:

* ``"pkg.mod.Service"`` -- exactly that class or function (it also reads as the module
  ``pkg.mod.Service``, granting the classes defined there: the name is resolved to what it
  really is, so the two readings grant nothing more);
* ``"pkg.mod"`` or ``"pkg.mod.*"`` -- every class *defined* in ``pkg.mod``: not its
  functions, not its submodules, not what it imports;
* ``"pkg.**"`` -- every class defined in ``pkg`` or any module below it (format 1's
  meaning of ``trust=["pkg"]``, now asked for explicitly);
* ``trust_bundled_code=True`` -- the classes and functions of the snapshot's own bundled
  project code (its ``lpproject_...`` package).

Names are checked before use: a module is dotted identifiers without dunder segments; a
qualname is 1-8 segments without a leading underscore (no private, dunder or ``<locals>``
names). Some modules are never trusted whatever the caller says (:data:`NEVER_TRUST`,
and every top-level module whose name starts with ``_``): their names reach arbitrary code,
files, processes or the interpreter.

Once trust is decided, ``trusted_code.py`` finds what was trusted and checks the code that
building an object runs; :func:`untrusted_code` here is the refusal that lists what to trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.errors import (
    CorruptSnapshot,
    SnapshotError,
    UntrustedCode,
)
from lockpickle_gui.core.snapshot.budgets import DEFAULT

KINDS = ("class", "function")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_QUAL_PART = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
BUNDLED_PACKAGE = re.compile(r"lpproject_[a-z0-9_]{1,64}_[0-9a-f]{8}")

# Modules (with everything below them) whose classes or functions reach arbitrary code,
# processes, files, memory, other deserializers or the interpreter; and the large packages
# whose objects a snapshot stores natively (arrays, models) so it never needs their names.
NEVER_TRUST = frozenset(
    {
        "builtins", "os", "posix", "nt", "sys", "subprocess", "importlib", "imp", "pkgutil",
        "runpy", "code", "codeop", "pickle", "pickletools", "copyreg", "copy", "marshal",
        "shelve", "dbm", "types", "ctypes", "gc", "inspect", "operator", "functools",
        "itertools", "shutil", "tempfile", "glob", "fileinput", "socket", "ssl", "select",
        "selectors", "asyncio", "multiprocessing", "concurrent", "threading", "queue",
        "signal", "pty", "tty", "pdb", "bdb", "trace", "timeit", "profile", "cProfile",
        "webbrowser", "urllib", "http", "ftplib", "smtplib", "xmlrpc", "sqlite3",
        "zipimport", "zipfile", "tarfile", "gzip", "bz2", "lzma", "zlib", "site", "io",
        "atexit", "weakref", "platform", "sysconfig", "ensurepip", "venv", "idlelib",
        "tkinter", "ast", "dis", "compileall", "py_compile", "posixpath", "ntpath",
        "genericpath", "logging", "mmap", "resource", "faulthandler", "hashlib", "hmac",
        "numpy", "tensorflow", "keras", "tf_keras", "jax", "torch", "h5py", "dill",
        "cloudpickle", "joblib", "lockpickle_gui", "pytest", "_pytest", "setuptools", "pip",
    }
)  # fmt: skip

# Names any snapshot may use without trust, by kind: classes that appear as *values*
# (a defaultdict's factory, an enum member's class, a standard queue). Building objects of
# these never goes through their names: state.json has a node type for each.
_BUILTIN_TYPES = [
    "bool",
    "int",
    "float",
    "complex",
    "str",
    "bytes",
    "bytearray",
    "list",
    "tuple",
    "dict",
    "set",
    "frozenset",
    "object",
]
ALWAYS_TRUSTED: dict[str, frozenset[str]] = {
    "class": frozenset(
        [f"builtins:{name}" for name in _BUILTIN_TYPES]
        + [
            "collections:OrderedDict",
            "collections:deque",
            "collections:Counter",
            "collections:defaultdict",
            "decimal:Decimal",
            "fractions:Fraction",
            "datetime:date",
            "datetime:datetime",
            "datetime:time",
            "datetime:timedelta",
            "datetime:timezone",
            "uuid:UUID",
            "uuid:SafeUUID",
            "queue:Queue",
            "queue:LifoQueue",
            "queue:PriorityQueue",
            "re:RegexFlag",
            "http:HTTPStatus",
        ]
    ),
    "function": frozenset(),
}


def never_trusted(module: str) -> str | None:
    """The never-trusted top-level module ``module`` belongs to, else None."""
    top = module.partition(".")[0]
    return top if top.startswith("_") or top in NEVER_TRUST else None


def in_package(module: str, package: str | None) -> bool:
    """``module`` is ``package`` or one of its submodules (never for ``package=None``)."""
    return package is not None and (module == package or module.startswith(package + "."))


def display_name(name: str) -> str:
    """``"pkg.mod:Cls"`` -> ``"pkg.mod.Cls"``, the spelling users write in ``trust``."""
    return name.replace(":", ".")


def check_type_name(name: Any) -> tuple[str, str]:
    """``"module:Qualname"`` -> (module, qualname); CorruptSnapshot for anything else."""
    budgets = DEFAULT
    if not isinstance(name, str) or len(name) > budgets.max_name_chars or name.count(":") != 1:
        raise CorruptSnapshot(f"Expected a type name 'module:Qualname'. Received: {name!r:.80}.")
    module, qualname = name.split(":")
    if not _MODULE.fullmatch(module) or any(
        part.startswith("__") and part.endswith("__") for part in module.split(".")
    ):
        raise CorruptSnapshot(
            f"Expected a module name without dunder parts. Received: {module!r:.80}."
        )
    parts = qualname.split(".")
    if len(parts) > budgets.max_qualname_parts or not all(_QUAL_PART.fullmatch(p) for p in parts):
        raise CorruptSnapshot(
            f"Expected a public qualified name (no '_', dunder or '<locals>' parts). Received: "
            f"{qualname!r:.80}."
        )
    return module, qualname


def name_problem(obj: Any, kind: str) -> str | None:
    """Writer side: why ``obj`` (a class or function) cannot be named by a snapshot, or
    None when a loader could find it again by its name."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return "it has no module and qualified name"
    try:
        check_type_name(f"{module}:{qualname}")
    except CorruptSnapshot:
        if module == "__main__":
            return (
                f"{qualname} is defined in the script run as __main__, which another program "
                "cannot import: move it into a module"
            )
        return (
            f"{module}.{qualname} has a private, dunder or local name (defined inside a "
            "function, or starting with '_'): define it at module level with a public name"
        )
    name = f"{module}:{qualname}"
    if name not in ALWAYS_TRUSTED.get(kind, ()) and never_trusted(module):
        return (
            f"{module}.{qualname} belongs to {never_trusted(module)}, which a snapshot never "
            "trusts (its names reach any code)"
        )
    return None


@dataclass(frozen=True)
class TrustPolicy:
    """What a caller trusts; :meth:`from_entries` checks the entries."""

    exact: frozenset[str] = frozenset()  # "module:qualname"
    modules: frozenset[str] = frozenset()  # classes defined in exactly these modules
    packages: frozenset[str] = frozenset()  # classes defined in these modules or below
    bundled_package: str | None = None
    entries: tuple[str, ...] = field(default=())

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[str] | str | None,
        *,
        bundled_package: str | None = None,
        path: Any = None,
    ) -> TrustPolicy:
        if isinstance(entries, str):
            entries = [entries]
        exact: set[str] = set()
        modules: set[str] = set()
        packages: set[str] = set()
        listed = tuple(entries or ())
        for entry in listed:
            if not isinstance(entry, str) or not entry:
                raise SnapshotError(
                    f"Expected trust entries as type or module names. Received: {entry!r}.",
                    path=path,
                    hint="Name a type (pkg.mod.Service) or the classes of a module (pkg.layers, "
                    "pkg.layers.*, pkg.** with its submodules); `lockpickle info SNAP` "
                    "(lp.untrusted_types) lists the types a snapshot needs.",
                )
            deep = entry.endswith(".**")
            base = entry[:-3] if deep else entry[:-2] if entry.endswith(".*") else entry
            module = base.partition(":")[0]
            if not _MODULE.fullmatch(module):
                raise SnapshotError(
                    f"Expected a type name like 'pkg.mod.Service' or a module like 'pkg.layers' "
                    f"in trust. Received: {entry!r}.",
                    path=path,
                    hint="Write dotted Python names; 'pkg.mod.*' trusts the classes defined in pkg.mod.",
                )
            bad = never_trusted(module)
            if bad is not None:
                raise SnapshotError(
                    f"Expected trust to name your own types or modules (e.g. trust=['myapp.Service']). "
                    f"Received: {entry!r}; lockpickle never trusts it, since {bad}'s names reach "
                    "any code, files or processes.",
                    path=path,
                    hint=f"Remove {entry!r} from trust (--trust). A snapshot that needs it cannot be "
                    "loaded safely; export it again without that object.",
                )
            if deep:
                packages.add(base)
            elif ":" in base:
                exact.add(base)
            elif entry.endswith(".*"):
                modules.add(base)
            else:
                modules.add(base)
                head, _, tail = base.rpartition(".")
                if head:
                    exact.add(f"{head}:{tail}")
        return cls(
            frozenset(exact), frozenset(modules), frozenset(packages), bundled_package, listed
        )

    def in_bundled(self, module: str) -> bool:
        return in_package(module, self.bundled_package)

    def trusts(self, module: str, qualname: str, kind: str) -> bool:
        name = f"{module}:{qualname}"
        if name in ALWAYS_TRUSTED.get(kind, ()):
            return True
        if never_trusted(module) is not None:
            return False
        if self.in_bundled(module):
            return True
        if name in self.exact:
            return True
        return kind == "class" and (module in self.modules or self._in_package(module))

    def _in_package(self, module: str) -> bool:
        return any(in_package(module, p) for p in self.packages)

    def trusts_by_user(self, module: str, qualname: str, kind: str) -> bool:
        """Trusted by the caller or the bundled code (not merely always allowed): what
        *building* an object of a class or *calling* it requires."""
        if never_trusted(module) is not None:
            return False
        name = f"{module}:{qualname}"
        return (
            self.in_bundled(module)
            or name in self.exact
            or (kind == "class" and (module in self.modules or self._in_package(module)))
        )


def _names_bundled_code(entry: str) -> bool:
    """Whether a trust entry names a snapshot's bundled package (``lpproject_…``)."""
    return bool(BUNDLED_PACKAGE.fullmatch(entry.partition(":")[0].split(".")[0]))


def untrusted_code(
    names: list[str],
    path: Any,
    policy: TrustPolicy | None = None,
    *,
    why: str = "",
    bundled_package: str | None = None,
) -> UntrustedCode:
    """The refusal for ``names`` ("module:Qualname"): every one listed, with the flag to add
    (or why it can never be trusted). Nothing was imported or run."""
    names = sorted(set(names))
    shown = [display_name(n) for n in names]
    package = bundled_package or (policy.bundled_package if policy is not None else None)
    bundled = [n for n in names if in_package(n.partition(":")[0], package)]
    never = [n for n in names if never_trusted(n.partition(":")[0])]
    listed = ", ".join(shown[:20]) + (f" and {len(shown) - 20} more" if len(shown) > 20 else "")
    module, _, qualname = names[0].partition(":") if names else ("", "", "")
    named_bundled = [
        e for e in (policy.entries if policy is not None else ()) if _names_bundled_code(e)
    ]
    shown_entries = ", ".join(map(repr, named_bundled[:3]))
    not_covered, cli_not_covered = (
        (
            f" Trust entries ({shown_entries}) never cover the bundled project code (its "
            "lpproject_… package).",
            f" --trust {shown_entries} does not cover the bundled project code (its "
            "lpproject_… package).",
        )
        if named_bundled and bundled
        else ("", "")
    )
    if never:
        hint = cli_hint = (
            f"{display_name(never[0])} belongs to {never_trusted(never[0].partition(':')[0])}, which "
            "lockpickle never trusts (its names reach any code): such a snapshot cannot be loaded "
            "safely. Keep plain data in the exported state and export it again."
        )
    elif bundled and len(bundled) == len(names):
        hint = (
            f"They are the snapshot's bundled project code.{not_covered} If you trust it, load "
            "with trust_bundled_code=True (command line: --trust-bundled-code)."
        )
        cli_hint = (
            f"They are the snapshot's bundled project code.{cli_not_covered} If you trust it, add "
            "--trust-bundled-code."
        )
    else:
        others = [display_name(n) for n in names if n not in bundled]
        flags = " ".join(f"--trust {n}" for n in others[:5])
        runs = " Trusting a type runs its module's code, its constructor and __setstate__."
        hint = (
            f"If you trust that code, load with trust={others[:5]!r} (command line: {flags}"
            + ("; and --trust-bundled-code for the bundled code" if bundled else "")
            + f").{not_covered}{runs}"
        )
        cli_hint = (
            f"If you trust that code, add {flags}"
            + (" and --trust-bundled-code for the bundled code" if bundled else "")
            + f".{cli_not_covered}{runs}"
        )
    return UntrustedCode(
        f"Expected only built-in data, arrays, models and trusted types. Received: a snapshot "
        f"that needs {listed}" + (f" ({why})" if why else "") + ", which you did not trust; "
        "nothing was imported or run.",
        module=module,
        name=qualname,
        types=shown,
        path=path,
        hint=hint,
        cli_hint=cli_hint,
    )
