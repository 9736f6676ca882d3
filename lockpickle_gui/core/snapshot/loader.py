"""Loading a snapshot: every check first, then one trust decision for the whole file, then
only code the caller trusted.

  1. open and check (``reader.py``); the sha256 of every small member (state.json, the
     models' configs and weight indexes, the bundled code)
  2. parse state.json and the models' configs completely: the types they need must be the
     ones the manifest lists; nothing is imported yet
  3. the trust decision: every type the file needs that the caller did not trust is listed
     in one :class:`UntrustedCode`, before anything runs
  4. the bundled code (only when trusted; before the models, so custom layers register)
  5. the models: config with Keras' ``safe_mode``, variables from checked ``.npy`` members
     (their sha256 computed as they are read)
  6. the state (``state/builder.py``), and the objects set again on layers
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.code_package import import_code_package, is_own_package
from lockpickle_gui.core.errors import CorruptSnapshot, SnapshotError
from lockpickle_gui.core.progress import Progress, Reporter
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import safejson, trust, trusted_code
from lockpickle_gui.core.snapshot.archive import Hasher
from lockpickle_gui.core.snapshot.budgets import DEFAULT
from lockpickle_gui.core.snapshot.keras import saving as keras_saving
from lockpickle_gui.core.snapshot.manifest import Manifest
from lockpickle_gui.core.snapshot.model_types import custom_refs
from lockpickle_gui.core.snapshot.reader import Opened, open_snapshot
from lockpickle_gui.core.snapshot.state import Document, build_state, parse_state, untrusted_names


@dataclass(frozen=True)
class LoadOptions:
    """What the caller trusts and how Keras rebuilds the models: ``load_snapshot``'s options
    (every way of loading a snapshot passes them on as one)."""

    trust: Any = ()  # type or module names (see trust.py)
    trust_bundled_code: bool = False
    custom_objects: dict[str, Any] | None = None
    safe_mode: bool = True


@dataclass
class Loaded:
    obj: Any
    models: list[Any] = field(default_factory=list)
    manifest: Manifest | None = None
    code_modules: dict[str, Any] = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    code_sources: dict[str, str] = field(default_factory=dict)


def policy_for(
    entries: Any, trust_bundled_code: bool, manifest: Manifest, path: Any
) -> trust.TrustPolicy:
    """The caller's trust for this file (its bundled package only with trust_bundled_code)."""
    package = manifest.code_package if trust_bundled_code else None
    return trust.TrustPolicy.from_entries(entries, bundled_package=package, path=path)


def checked_state(opened: Opened) -> Document:
    """state.json parsed, checked, and held to what the manifest lists; nothing imported."""
    document = parse_state(opened.read(fmt.STATE_MEMBER, DEFAULT.max_member_bytes), opened.path)
    check_state_against_manifest(document, opened.manifest, opened.path)
    return document


def untrusted_in(
    opened: Opened, document: Document, entries: Any = (), trust_bundled_code: bool = False
) -> list[str]:
    """Every "module:Qualname" loading ``opened`` needs that this trust does not cover."""
    policy = policy_for(entries, trust_bundled_code, opened.manifest, opened.path)
    return needed_untrusted(opened.manifest, document, policy)


def needed_untrusted(
    manifest: Manifest, document: Document, policy: trust.TrustPolicy
) -> list[str]:
    """Every "module:Qualname" the file needs that ``policy`` does not cover; nothing is
    imported. The bundled code's types need ``trust_bundled_code``; a model's custom object
    that this program already registered with Keras counts as trusted, as it does for
    Keras' own ``load_model``."""
    bundled = manifest.code_package
    missing = set(untrusted_names(document, policy))
    for entry in manifest.types:
        module, qualname = entry.name.split(":")
        if trust.in_package(module, bundled):
            if policy.bundled_package is None:
                missing.add(entry.name)
        elif (
            entry.use == "model"
            and not _registered_here(entry.registered, entry.name)
            and not policy.trusts(module, qualname, entry.kind)
        ):
            missing.add(entry.name)
    return sorted(missing)


def _registered_here(registered: str | None, name: str) -> bool:
    if registered is None:
        return False
    keras = sys.modules.get("keras")  # registered here: only if this program imported Keras
    if keras is None:
        return False
    obj = keras.saving.get_registered_object(registered)
    return (
        obj is not None
        and f"{getattr(obj, '__module__', '')}:{getattr(obj, '__qualname__', '')}" == name
    )


def load(
    origin: Any, options: LoadOptions | None = None, progress: Progress | None = None
) -> Loaded:
    """The snapshot at ``origin`` (a path, bytes or members) loaded in the order of the
    module docstring; ``lockpickle_gui.core.snapshot.load_snapshot`` documents the errors."""
    options = options or LoadOptions()
    report = Reporter(progress)
    with open_snapshot(origin) as opened, Hasher() as hasher:
        manifest, path = opened.manifest, opened.path
        small = [n for n in manifest.members if not n.endswith((".npy", ".keras"))]
        opened.check_hashes(small, lambda f, m: report(0.05 * f, m))
        policy = policy_for(options.trust, options.trust_bundled_code, manifest, path)
        document = checked_state(opened)
        configs = _model_configs(opened)
        missing = needed_untrusted(manifest, document, policy)
        if missing:
            raise trust.untrusted_code(missing, path, policy, bundled_package=manifest.code_package)
        code_modules: dict[str, Any] = {}
        sources: dict[str, str] = {}
        if manifest.code_package is not None and options.trust_bundled_code:
            report(0.06, "Importing the bundled code")
            sources = {
                f.module: opened.read(f.member, DEFAULT.max_code_bytes).decode("utf-8")
                for f in manifest.code
            }
            code_modules = import_bundled(manifest.code_package, sources, path)
        custom = _custom_objects(manifest, path)
        custom.update(options.custom_objects or {})
        read_array = opened.array_reader(hasher)
        models = _load_models(opened, configs, read_array, custom, options.safe_mode, report)
        report(0.92, "Restoring the state")
        root, dropped = build_state(
            document,
            policy,
            path=path,
            models=models,
            array=lambda n: _state_array(read_array(fmt.array_member(n))),
            blob=lambda n: opened.read(fmt.blob_member(n), DEFAULT.max_member_bytes),
        )
        opened.check_digests(hasher)
    report(1.0, "Loaded")
    return Loaded(root, models, manifest, code_modules, dropped, sources)


def _state_array(array: Any) -> Any:
    return array if array.flags.writeable else array.copy()


def check_state_against_manifest(document: Document, manifest: Manifest, path: Any) -> None:
    """state.json may need only the types, and set only the layer attributes, the manifest
    lists (what people are shown before they trust a file); the manifest lists no state type
    that state.json does not use."""
    listed_types = {t.name for t in manifest.types if t.use == "state"}
    for module, qualname, kind in document.types:
        name = f"{module}:{qualname}"
        if name not in listed_types and name not in trust.ALWAYS_TRUSTED.get(kind, ()):
            raise CorruptSnapshot(
                f"Expected state.json to use only the types the manifest lists. Received: {trust.display_name(name)}, which it does not list.",
                path=path,
                hint=fmt.REEXPORT_HINT,
            )
    used = {f"{module}:{qualname}" for module, qualname, _kind in document.types}
    unused = sorted(listed_types - used)  # an edited manifest asking trust for a stranger
    if unused:
        raise CorruptSnapshot(
            "Expected the manifest to list only the types state.json uses. Received: "
            f"{', '.join(map(trust.display_name, unused))}, which no object in it uses.",
            path=path,
            hint=fmt.REEXPORT_HINT,
        )
    found = [(e["model"], e["layer"], e["attribute"]) for e in document.raw["attached"]]
    listed = [(a.model, a.layer, a.attribute) for a in manifest.attachments]
    if found != listed:
        raise CorruptSnapshot(
            "Expected state.json to set again exactly the layer attributes the manifest lists. "
            f"Received: {found[:5]} where the manifest lists {listed[:5]}.",
            path=path,
            hint=fmt.REEXPORT_HINT,
        )


def _model_configs(opened: Opened) -> list[str | None]:
    """Each native model's config, checked against the manifest's types before Keras sees it."""
    manifest, path = opened.manifest, opened.path
    registered = {t.registered for t in manifest.types if t.use == "model"}
    configs: list[str | None] = []
    for index, entry in enumerate(manifest.models):
        if entry.storage != "native":
            configs.append(None)
            continue
        data = opened.read(fmt.config_member(index), DEFAULT.max_config_bytes)
        config = safejson.loads(data, fmt.config_member(index), path)
        for ref in custom_refs(config):
            if ref.kind != "lambda" and ref.registered not in registered:
                raise CorruptSnapshot(
                    f"Expected {fmt.config_member(index)} to use only the custom objects the manifest lists. "
                    f"Received: {ref.registered[:80]!r}, which it does not list.",
                    path=path,
                    hint=fmt.REEXPORT_HINT,
                )
        configs.append(json.dumps(config))
    return configs


def _custom_objects(manifest: Manifest, path: Any) -> dict[str, Any]:
    """The models' custom objects the caller trusted (or this program registered)."""
    found: dict[str, Any] = {}
    for entry in manifest.types:
        if (
            entry.use != "model"
            or entry.registered is None
            or _registered_here(entry.registered, entry.name)
        ):
            continue
        module, qualname = entry.name.split(":")
        found[entry.registered] = trusted_code.resolve(module, qualname, entry.kind, path)
    return found


def _load_models(
    opened: Opened,
    configs: list[str | None],
    read_array: Callable[[str], Any],
    custom: dict[str, Any],
    safe_mode: bool,
    report: Reporter,
) -> list[Any]:
    manifest, path = opened.manifest, opened.path
    total = max(1, sum(m.bytes for m in manifest.models))
    done = 0
    models = []
    for index, entry in enumerate(manifest.models):
        report(0.1 + 0.8 * done / total, f"Loading model {entry.name!r}")
        try:
            if entry.storage == "native":
                where = _weights_index(opened, index, entry.variables)
                model = keras_saving.load_native(
                    configs[index] or "",
                    where,
                    _variables(read_array, index),
                    custom_objects=custom,
                    safe_mode=safe_mode,
                )
            else:
                opened.check_hashes([fmt.keras_member(index)])
                with opened.source.open(fmt.keras_member(index)) as stream:
                    model = keras_saving.load_keras_file(
                        stream, custom_objects=custom, safe_mode=safe_mode
                    )
        except SnapshotError:
            raise
        except Exception as error:
            raise model_error(path, entry.name, index, error) from error
        models.append(model)
        done += entry.bytes
    return models


def _variables(read_array: Callable[[str], Any], index: int) -> Callable[[int], Any]:
    def read(number: int) -> Any:
        return read_array(fmt.variable_member(index, number))

    return read


def _weights_index(opened: Opened, index: int, variables: int) -> dict[str, dict[str, int]]:
    name = fmt.weights_index_member(index)
    where = safejson.loads(opened.read(name, DEFAULT.max_config_bytes), name, opened.path)
    numbers: list[int] = []
    if type(where) is not dict or not all(
        type(v) is dict and all(type(n) is int for n in v.values()) for v in where.values()
    ):
        raise CorruptSnapshot(
            f"Expected {name} to map paths to variable numbers. Received: another shape.",
            path=opened.path,
            hint=fmt.REEXPORT_HINT,
        )
    for entries in where.values():
        numbers += entries.values()
    members = {m for m in opened.manifest.members if m.startswith(f"models/{index}/vars/")}
    if sorted(numbers) != list(range(variables)) or members != {
        fmt.variable_member(index, n) for n in range(variables)
    }:
        raise CorruptSnapshot(
            f"Expected {name} to use each of the model's {variables} variables once. Received: another set.",
            path=opened.path,
            hint=fmt.REEXPORT_HINT,
        )
    return where


def model_error(path: Any, name: str, index: int, error: Exception) -> SnapshotError:
    """Keras' refusal, with a hint that fits what it says."""
    text = " ".join(str(error).split())
    if len(text) > 400:
        text = text[:400] + "…"
    lowered = text.lower()
    if "safe_mode" in text or "lambda" in lowered:
        hint = "The model holds a Lambda layer or other Python code; if you trust the snapshot, load it with safe_mode=False."
    elif (
        "could not locate" in lowered
        or "unknown layer" in lowered
        or "not a kerassaveable" in lowered
    ):
        hint = "A custom class or function is not known here: trust its type (trust=['pkg.mod.Name'], --trust pkg.mod.Name), pass custom_objects={...}, or import the module that registers it first."
    elif "shape" in lowered or "expected" in lowered and "variables" in lowered:
        hint = "The stored variables do not fit the model the config builds: the custom layer's code differs from the code that saved it (its build() or get_config())."
    else:
        hint = "Keras could not rebuild the model from its config; the custom code or the Keras version differs from the one it was saved with (`lockpickle info` lists the versions)."
    return SnapshotError(
        f"Expected Keras to load model {index} ({name!r}). Received: {type(error).__name__}: {text}",
        path=path,
        hint=hint,
    )


def import_bundled(package: str, sources: dict[str, str], path: Any) -> dict[str, Any]:
    """Import the bundled code under its own package, never over a real module."""
    if not trust.BUNDLED_PACKAGE.fullmatch(package) or (
        (package in sys.modules or _installed(package)) and not is_own_package(package)
    ):
        raise CorruptSnapshot(
            f"Expected the bundled code under its own lpproject_<name>_<8 hex> package. Received: "
            f"{package!r}, which is not one or names a module this program already has.",
            path=path,
            hint=fmt.REEXPORT_HINT,
        )
    return import_code_package(package, dict(sources), origin=f"{path} (bundled code)")


def _installed(package: str) -> bool:
    """Whether an installed module has that name (the bundled code must not shadow it)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return True
