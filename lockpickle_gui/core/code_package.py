"""Import a project's own Python files under a private package.

Two projects may both have a ``layers.py``; importing them as top-level ``layers`` would make
the second silently reuse the first. Each project's code therefore lives under its own
package, ``lpproject_<slug>_<8 hex>`` (see ``core.code_package_name``), whose only
submodules are the declared files: a meta-path finder serves them from memory, nothing is
searched on disk and the project folder is never put on ``sys.path``. Siblings import each
other relatively (``from .layers import Detector``).

The snapshot reader reuses :func:`import_code_package` for the ``code/*.py`` members it
bundles (sources given as text), under the package name recorded in the manifest, so that
pickled references such as ``lpproject_x.service.Service`` resolve.

An exception raised by project code becomes a :class:`ProjectError` naming the project file
and line (:func:`project_code_error`), not a 40-line traceback through importlib.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import linecache
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.tf_runtime import import_keras

_lock = threading.RLock()  # one import of project code at a time (sys.modules is global)
_packages: dict[str, _Package] = {}

PACKAGE_PREFIX = "lpproject_"
RELATIVE_IMPORT_HINT = (
    "Project modules must be listed in [code] modules and import each other "
    "relatively (from .layers import Detector): list it there."
)


@dataclass
class _Package:
    name: str
    origin: str
    texts: dict[str, str]  # module name -> source text
    filenames: dict[str, str]  # module name -> filename used for code objects
    fingerprint: str
    modules: dict[str, types.ModuleType] = field(default_factory=dict)


class _ProjectFinder(importlib.abc.MetaPathFinder):
    """Finds ``<package>.<module>`` for the packages imported through this module only."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        package_name, _, module = fullname.rpartition(".")
        package = _packages.get(package_name)
        if package is None or module not in package.texts:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname, _ProjectLoader(package, module), origin=package.filenames[module]
        )
        spec.has_location = True
        return spec


class _ProjectLoader(importlib.abc.Loader):
    def __init__(self, package: _Package, module: str):
        self.package = package
        self.module = module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        filename = self.package.filenames[self.module]
        module.__file__ = filename
        code = compile(self.package.texts[self.module], filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)


_finder = _ProjectFinder()


def _install_finder() -> None:
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)


def _read_sources(
    sources: Mapping[str, str | Path], origin: str
) -> tuple[dict[str, str], dict[str, str]]:
    texts, filenames = {}, {}
    for module, source in sources.items():
        if not module.isidentifier():
            raise ProjectError(
                f"Expected project module names that are Python identifiers. Received: "
                f"{module!r} in {origin}.",
                path=origin,
                hint="Rename the file (letters, digits, underscores).",
            )
        if isinstance(source, Path):
            try:
                texts[module] = source.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise ProjectError(
                    f"Project code file not found: {source}.",
                    path=source,
                    hint=f"Create it or remove it from {origin}.",
                ) from None
            except (OSError, UnicodeDecodeError) as error:
                raise ProjectError(
                    f"Expected a readable UTF-8 Python file. Received: {source}, "
                    f"which cannot be read ({error}).",
                    path=source,
                    hint="Check its permissions and save it as UTF-8.",
                ) from None
            filenames[module] = str(source)
        else:
            texts[module] = source
            filenames[module] = f"<{origin}>/{module}.py"
            # Lets tracebacks and inspect.getsource show the lines of in-memory sources.
            linecache.cache[filenames[module]] = (
                len(source),
                None,
                source.splitlines(True),
                filenames[module],
            )
    return texts, filenames


def _fingerprint(texts: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for module, text in texts.items():
        digest.update(module.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def _forget(package_name: str) -> None:
    for name in [n for n in sys.modules if n == package_name or n.startswith(package_name + ".")]:
        del sys.modules[name]
    _packages.pop(package_name, None)


def package_sources(package: str) -> dict[str, str]:
    """The source texts that ran for ``package`` (module name -> text), as imported."""
    with _lock:
        record = _packages.get(package)
        return dict(record.texts) if record is not None else {}


def is_own_package(package: str) -> bool:
    """Whether ``package`` was imported by :func:`import_code_package` (not a real module)."""
    with _lock:
        return package in _packages


def import_code_package(
    package: str, sources: Mapping[str, str | Path], origin: str
) -> dict[str, types.ModuleType]:
    """Import ``sources`` (module name -> file Path or source text) as ``package.<module>``.

    Modules are imported in the given order. Idempotent: the same package name with the
    same sources returns the modules already imported; changed sources replace them.
    ``origin`` names where the code comes from (the lockpickle.toml, the snapshot) in errors.
    """
    if not package.isidentifier() or not package.startswith(PACKAGE_PREFIX):
        raise ProjectError(
            f"Expected a code package name {PACKAGE_PREFIX}<name> for {origin}. "
            f"Received: {package!r}.",
            path=origin,
            hint="Name it with core.project.code_package_name(folder, name).",
        )
    if package in sys.modules and not is_own_package(package):
        raise ProjectError(
            f"Expected a code package name no other module uses. Received: {package!r}, "
            f"a module this program already imported; it was not replaced ({origin}).",
            path=origin,
            hint="Rename the project (its package name comes from it).",
        )
    texts, filenames = _read_sources(sources, origin)
    fingerprint = _fingerprint(texts)
    # Project code sits beside Keras models and usually starts with `import keras`: import it
    # through tf_runtime first, so TensorFlow starts quietly and with its warm-up on this
    # thread, not as a side effect of the user's import line.
    import_keras()
    with _lock:
        existing = _packages.get(package)
        if existing is not None and existing.fingerprint == fingerprint:
            return dict(existing.modules)
        _forget(package)
        record = _Package(package, origin, texts, filenames, fingerprint)
        package_module = types.ModuleType(package, f"lockpickle project code from {origin}")
        package_module.__path__ = []  # a package, but nothing on disk is ever searched
        package_module.__package__ = package
        package_module.__spec__ = importlib.machinery.ModuleSpec(package, None, is_package=True)
        _packages[package] = record
        sys.modules[package] = package_module
        _install_finder()
        try:
            for module in texts:
                record.modules[module] = importlib.import_module(f"{package}.{module}")
        except (Exception, SystemExit) as error:
            _forget(package)
            raise project_code_error(error, origin, filenames.values()) from error
        return dict(record.modules)


def project_code_error(error: BaseException, origin: str, filenames: Iterable[str]) -> ProjectError:
    """A one-paragraph ProjectError for ``error`` raised while running project code."""
    files = set(filenames)
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError) and error.filename in files:
        return ProjectError(
            f"{error.filename}, line {error.lineno}: invalid Python ({error.msg}).",
            path=error.filename,
            hint="Project code must be valid Python: fix the syntax error and open the project "
            "again.",
        )
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in files]
    hint = RELATIVE_IMPORT_HINT if isinstance(error, ImportError) else None
    if not frames:
        return ProjectError(
            f"Project code from {origin} failed: {what}.",
            path=origin,
            hint=hint
            or "The project's code must run without raising when it "
            "is opened: fix it (or what it calls) and open it again.",
        )
    frame = frames[-1]
    line = f": {frame.line.strip()}" if frame.line else ""
    where = "the module" if frame.name == "<module>" else f"{frame.name}()"
    return ProjectError(
        f"{frame.filename}, line {frame.lineno}, in {frame.name}{line} -- raised {what}.",
        path=frame.filename,
        hint=hint
        or f"The project's code must run without raising when it is opened: fix "
        f"{where} in {Path(frame.filename).name} and open the project again.",
    )


def call_project_code(
    fn: Callable[..., Any], *args: Any, origin: str, filenames: Iterable[str]
) -> Any:
    """Call ``fn`` (a project function); its exceptions become a ProjectError with file:line."""
    try:
        return fn(*args)
    except (Exception, SystemExit) as error:
        raise project_code_error(error, origin, filenames) from error
