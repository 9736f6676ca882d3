"""Read and check ``lockpickle.toml``, the project file (schema in README "Model projects").

```toml
[project]
name = "anomaly-service"
[[models]]
name = "detector"
path = "model.keras"                      # .keras, .h5 or a SavedModel folder
[code]
modules = ["layers.py", "service.py"]     # imported before the models load
[runtime]
factory = "service:build"                 # callable({name: model}) -> the object the app runs
[preview]
inputs = "samples/inputs.npy"             # optional
workers = 4
max_batch = 32
```

Nothing here imports or runs anything: the result is a :class:`ProjectSpec` of checked
values and resolved paths. Every error names the file and, when it can be found, the line.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.errors import ProjectError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROJECT_FILE = "lockpickle.toml"

_KEYS = {
    "project": {"name", "description"},
    "models": {"name", "path"},
    "code": {"modules"},
    "runtime": {"factory"},
    "preview": {"inputs", "workers", "max_batch", "max_delay_ms", "clients", "requests"},
}
# [preview] key -> (type, minimum)
_PREVIEW_NUMBERS = {
    "workers": (int, 1),
    "max_batch": (int, 1),
    "max_delay_ms": (float, 0.0),
    "clients": (int, 1),
    "requests": (int, 1),
}


@dataclass
class ProjectSpec:
    file: Path
    name: str
    models: dict[str, Path] = field(default_factory=dict)  # name -> model path
    code_files: dict[str, Path] = field(default_factory=dict)  # module name -> .py file
    factory: tuple[str, str] | None = None  # (module, function)
    factory_line: int | None = None  # its line in the file
    preview: dict[str, Any] = field(default_factory=dict)  # the keys the file sets, checked


class _Checker:
    """Raises ProjectErrors that name the file and the line of the offending key."""

    def __init__(self, file: Path, text: str):
        self.file = file
        self.lines = text.splitlines()

    def line_of(self, key: str, section: str, occurrence: int = 0) -> int | None:
        """Best-effort line number of ``key = ...`` in the ``occurrence``-th ``[section]``."""
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(section) + r"\s*\]\]?\s*(#.*)?$")
        assignment = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        seen, inside = -1, False
        for number, line in enumerate(self.lines, 1):
            if header.match(line):
                seen += 1
                inside = seen == occurrence
                if inside and not key:
                    return number
            elif re.match(r"^\s*\[", line):
                inside = False
            elif inside and key and assignment.match(line):
                return number
        return None

    def fail(
        self, message: str, section: str = "", key: str = "", occurrence: int = 0, *, hint: str
    ) -> ProjectError:
        line = self.line_of(key, section, occurrence) if section else None
        where = f"{self.file}, line {line}" if line else str(self.file)
        return ProjectError(f"{where}: {message}", path=self.file, hint=hint)

    def table(self, data: dict[str, Any], section: str, occurrence: int = 0) -> dict[str, Any]:
        value = data.get(section, {}) if occurrence == 0 and section != "models" else data
        if not isinstance(value, dict):
            raise self.fail(
                f"expected [{section}] to be a table. Received: {type(value).__name__} {value!r}.",
                hint=f"Write it as a [{section}] section with key = value lines.",
            )
        unknown = sorted(set(value) - _KEYS[section])
        if unknown:
            raise self.fail(
                f"unknown key {unknown[0]!r} in [{section}]; expected one of "
                f"{', '.join(sorted(_KEYS[section]))}.",
                section,
                unknown[0],
                occurrence,
                hint="Remove the key or fix its spelling.",
            )
        return value

    def optional_string(
        self, table: dict[str, Any], key: str, section: str, occurrence: int = 0
    ) -> str | None:
        if table.get(key) is None:
            return None
        return self.string(table, key, section, occurrence)

    def string(self, table: dict[str, Any], key: str, section: str, occurrence: int = 0) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            what = "missing" if value is None else f"{value!r}"
            raise self.fail(
                f'expected {key} = "..." (a non-empty string) in [{section}]. Received: {what}.',
                section,
                key if value is not None else "",
                occurrence,
                hint=f'Write {key} = "..." in that [{section}] entry.',
            )
        return value


def _inside(folder: Path, relative: str) -> Path:
    return (folder / relative).resolve()


def read_project_file(file: Path) -> ProjectSpec:
    """Parse and check ``file`` (a lockpickle.toml); resolve every path against its folder."""
    file = Path(file)
    folder = file.parent.resolve()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(
            f"Expected a project file. Received: {file}, which does not exist "
            "(project file not found).",
            path=file,
            hint=f"Create {PROJECT_FILE} in the project folder (schema in the "
            "README, 'Model projects').",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProjectError(
            f"Expected a readable UTF-8 project file. Received: {file}, which "
            f"cannot be read ({error}).",
            path=file,
            hint="Check its permissions and save it as UTF-8 text.",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # its message ends "(at line N, column M)"
        raise ProjectError(
            f"{file} is not valid TOML: {error}.",
            path=file,
            hint="Fix that line; the schema is in the README, 'Model projects'.",
        ) from None
    check = _Checker(file, text)
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise check.fail(
            f"unknown table [{unknown[0]}]; expected {', '.join('[' + k + ']' for k in _KEYS)}.",
            unknown[0],
            hint="Remove the table or fix its name.",
        )

    project = check.table(data, "project")
    name = check.optional_string(project, "name", "project") or folder.name
    spec = ProjectSpec(file=file, name=name)

    entries = data.get("models")
    if not isinstance(entries, list) or not entries:
        raise check.fail(
            "expected at least one [[models]] entry with name and path.",
            hint='Add: [[models]] name = "model" path = "model.keras".',
        )
    for index, entry in enumerate(entries):
        entry = check.table(entry, "models", index)
        model_name = check.string(entry, "name", "models", index)
        model_path = check.string(entry, "path", "models", index)
        if model_name in spec.models:
            raise check.fail(
                f"two [[models]] are named {model_name!r}; names must be unique.",
                "models",
                "name",
                index,
                hint="Rename one of them.",
            )
        resolved = _inside(folder, model_path)
        if not resolved.exists():
            raise check.fail(
                f"model file not found: {resolved} (path = {model_path!r}).",
                "models",
                "path",
                index,
                hint=f"Fix path (relative to {folder}) or save the model there.",
            )
        spec.models[model_name] = resolved

    code = check.table(data, "code")
    modules = code.get("modules", [])
    if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
        raise check.fail(
            'expected modules = ["layers.py", ...] (a list of file names) in [code]. '
            f"Received: {modules!r}.",
            "code",
            "modules",
            hint='Write modules = ["layers.py", "service.py"].',
        )
    for module in modules:
        source = _inside(folder, module)
        if source.suffix != ".py" or not source.is_relative_to(folder):
            raise check.fail(
                f"expected a .py file inside the project folder in [code] modules. "
                f"Received: {module!r}.",
                "code",
                "modules",
                hint="List .py files of the project folder, e.g. modules = "
                '["layers.py"]; only the project\'s own files are imported.',
            )
        if not source.is_file():
            raise check.fail(
                f"project code file not found: {source} (in modules: {module!r}).",
                "code",
                "modules",
                hint=f"Create {module} in {folder}, or remove it from [code] modules.",
            )
        if not source.stem.isidentifier() or source.stem in spec.code_files:
            raise check.fail(
                f"expected distinct module names that are Python identifiers. "
                f"Received: {module!r}.",
                "code",
                "modules",
                hint="Rename the file (letters, digits, underscores; not starting "
                "with a digit) so each module name is unique.",
            )
        spec.code_files[source.stem] = source

    runtime = check.table(data, "runtime")
    factory = check.optional_string(runtime, "factory", "runtime")
    if factory is not None:
        module, _, function = factory.partition(":")
        if module.endswith(".py"):
            module = module[:-3]
        if not function.isidentifier() or module not in spec.code_files:
            raise check.fail(
                f'expected factory = "module:function" naming one of the [code] modules '
                f"({', '.join(spec.code_files) or 'none declared'}). Received: {factory!r}.",
                "runtime",
                "factory",
                hint='Add the module to [code] modules and write factory = "service:build".',
            )
        spec.factory = (module, function)
        spec.factory_line = check.line_of("factory", "runtime")

    spec.preview = _read_preview(check, check.table(data, "preview"), folder)
    return spec


def _read_preview(check: _Checker, table: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The keys the file sets, checked (``core.preview.defaults`` fills in the rest)."""
    preview: dict[str, Any] = {}
    inputs = check.optional_string(table, "inputs", "preview")
    if inputs is not None:
        resolved = _inside(folder, inputs)
        if not resolved.exists():
            raise check.fail(
                f"preview inputs not found: {resolved} (inputs = {inputs!r}).",
                "preview",
                "inputs",
                hint=f"Fix inputs (relative to {folder}): a .npy/.npz file or an "
                "image folder, or remove it to generate inputs.",
            )
        preview["inputs"] = resolved
    for key, (kind, minimum) in _PREVIEW_NUMBERS.items():
        if key not in table:
            continue
        value = table[key]
        valid = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (kind is float or isinstance(value, int))
            and value >= minimum
        )
        if not valid:
            noun = "an integer" if kind is int else "a number"
            raise check.fail(
                f"expected {key} to be {noun} >= {minimum}. Received: {value!r}.",
                "preview",
                key,
                hint=f"Write e.g. {key} = {kind(max(minimum, 1))!r}.",
            )
        preview[key] = kind(value)
    return preview
