"""load_snapshot: a checked ``.lpsnap`` -> the object graph, with fresh locks.

Order: every check of ``reader.py`` (hashes included), then the trust decisions, then
bundled code (only when trusted, before the models so custom layers register), the models
(Keras' own loader, ``safe_mode`` as asked, reading straight from the archive), the state
through :class:`RestrictedUnpickler`, and last the objects attached to layers.
"""

from __future__ import annotations

import importlib
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot, LockpickleError, SnapshotError
from lockpickle_gui.core.inspect import keras_adapter
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import restore, trust
from lockpickle_gui.core.snapshot.keras import saving as keras_saving
from lockpickle_gui.core.snapshot.pickler import referenced_globals
from lockpickle_gui.core.snapshot.reader import SnapshotArchive

Progress = Callable[[float, str], None]


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves globals only through ``trust.resolve`` and persistent ids only from the
    snapshot's own models, arrays and the primitives table."""

    def __init__(
        self,
        file,
        *,
        archive: SnapshotArchive,
        trusted: list[str],
        bundled_package: str | None,
        keras_refs: list[Any],
    ):
        super().__init__(file)
        self.archive = archive
        self.trusted = trusted
        self.bundled_package = bundled_package
        self.keras_refs = keras_refs
        self.primitives: dict[int, Any] = {}
        self.arrays: dict[int, Any] = {}

    def find_class(self, module, name):
        return trust.resolve(
            module, name, self.trusted, bundled_package=self.bundled_package, path=self.archive.path
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid):
            raise CorruptSnapshot(
                f"Expected a persistent id tuple in state.pkl. Received: {pid!r}.",
                path=self.archive.path,
            )
        tag = pid[0]
        if tag == restore.PRIMITIVE_PID:
            return restore.build_primitive(pid, self.primitives, self.archive.path)
        if tag == "dropped":
            return None
        index = pid[1] if len(pid) == 2 and type(pid[1]) is int else -1
        if tag == "keras" and 0 <= index < len(self.keras_refs):
            return self.keras_refs[index]
        if tag == "array" and fmt.array_member(index) in self.archive.manifest["members"]:
            if index not in self.arrays:
                self.arrays[index] = self._read_array(index)
            return self.arrays[index]
        raise CorruptSnapshot(
            f"Expected a model, array or primitive id in state.pkl. Received: {pid!r}.",
            path=self.archive.path,
            hint="The file was damaged or edited; export the snapshot again.",
        )

    def _read_array(self, index: int):
        import numpy as np

        with self.archive.window(fmt.array_member(index)) as window:
            try:
                return np.lib.format.read_array(window, allow_pickle=False)
            except ValueError as error:
                raise CorruptSnapshot(
                    f"Expected a plain numpy array in {fmt.array_member(index)}. "
                    f"Received: {error}.",
                    path=self.archive.path,
                ) from None


@dataclass
class Loaded:
    obj: Any
    models: list[Any] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    code_modules: dict[str, Any] = field(default_factory=dict)


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def load(
    path,
    *,
    trust_modules=(),
    trust_bundled_code: bool = False,
    custom_objects=None,
    safe_mode: bool = True,
    progress: Progress | None = None,
) -> Loaded:
    if isinstance(trust_modules, str):
        trust_modules = (trust_modules,)
    trusted = [str(t) for t in trust_modules]
    trust.check_trust_list(trusted, path)
    with SnapshotArchive(path) as archive:
        manifest = archive.manifest
        archive.check_hashes(lambda f, m: _report(progress, 0.25 * f, m))
        state = archive.read(fmt.STATE_MEMBER)
        package = manifest["code_package"] if manifest["code"] else None
        _check_bundled_trust(archive, state, package, trust_bundled_code)
        code_modules = {}
        if package is not None and trust_bundled_code:
            _report(progress, 0.26, "Importing the bundled code")
            code_modules = _import_bundled(archive, package)
            trusted.append(package)
        models = _load_models(
            archive, trusted, package, code_modules, custom_objects, safe_mode, progress
        )
        _report(progress, 0.92, "Restoring the state")
        refs = [_resolve_ref(archive, models, ref) for ref in manifest["model_refs"]]
        unpickler = RestrictedUnpickler(
            io.BytesIO(state),
            archive=archive,
            trusted=trusted,
            bundled_package=manifest["code_package"],
            keras_refs=refs,
        )
        try:
            obj = unpickler.load()
            attached = unpickler.load()
        except LockpickleError:
            raise
        except Exception as error:
            raise SnapshotError(
                f"Expected state.pkl to restore. Received: {type(error).__name__}: {error}.",
                path=archive.path,
                hint="Load it with the versions of the trusted code it was "
                "exported with, or export it again.",
            ) from error
        _reattach(archive, models, attached)
    _report(progress, 1.0, "Loaded")
    return Loaded(obj, models, manifest, code_modules)


def _check_bundled_trust(
    archive: SnapshotArchive, state: bytes, package: str | None, trusted: bool
) -> None:
    """Refuse before anything runs when the snapshot needs its bundled code and it is not
    trusted (the restricted unpickler would refuse anyway, later)."""
    if package is None or trusted:
        return
    for module, name in sorted(referenced_globals(state)):
        if trust.in_modules(module, [package]):
            raise trust.untrusted(module, name, path=archive.path, bundled_package=package)
    for model in archive.manifest["models"]:
        for cls in _custom_classes(archive, model):
            if trust.in_modules(cls["module"], [package]):
                raise trust.untrusted(
                    cls["module"],
                    cls["class"],
                    path=archive.path,
                    bundled_package=package,
                    what=f"{model['member']} uses the custom layer class",
                )


def _import_bundled(archive: SnapshotArchive, package: str) -> dict[str, Any]:
    from lockpickle_gui.core.code_package import import_code_package

    sources = {
        entry["module"]: archive.read(entry["member"]).decode("utf-8")
        for entry in archive.manifest["code"]
    }
    return import_code_package(package, sources, origin=f"{archive.path} (bundled code)")


def _custom_classes(archive: SnapshotArchive, model: dict) -> list[dict]:
    classes = model.get("custom_classes", [])
    if not isinstance(classes, list) or not all(
        isinstance(c, dict) and all(isinstance(c.get(k), str) for k in ("module", "class"))
        for c in classes
    ):
        raise CorruptSnapshot(
            f"Expected a list of custom classes for {model['member']}. Received: {classes!r}.",
            path=archive.path,
        )
    return classes


def _load_models(
    archive, trusted, package, code_modules, custom_objects, safe_mode, progress
) -> list[Any]:
    entries = archive.manifest["models"]
    if not entries:
        return []
    from lockpickle_gui.core.tf_runtime import import_keras

    keras = import_keras()
    extra_modules = list(code_modules.values())
    for model in entries:
        for cls in _custom_classes(archive, model):
            module = cls["module"]
            if trust.in_modules(module, [package] if package else []):
                continue
            name = cls.get("registered_name") or cls["class"]
            if keras.saving.get_registered_object(name) is not None:
                continue  # already imported and registered by this program
            if not trust.in_modules(module, trusted):
                raise trust.untrusted(
                    module,
                    cls["class"],
                    path=archive.path,
                    what=f"{model['member']} uses the custom layer class",
                )
            extra_modules.append(importlib.import_module(module))
    custom = keras_adapter.keras_classes_of(extra_modules)
    custom.update(custom_objects or {})
    total = max(1, sum(m["bytes"] for m in entries))
    done = 0
    models = []
    for model in entries:
        _report(progress, 0.3 + 0.6 * done / total, f"Loading {model['member']} ({model['name']})")
        with archive.window(model["member"]) as window:
            try:
                models.append(
                    keras_saving.load_keras_object(
                        window, custom_objects=custom, safe_mode=safe_mode
                    )
                )
            except Exception as error:
                raise _model_error(archive, model, error) from error
        done += model["bytes"]
    return models


def _model_error(archive, model: dict, error: Exception) -> SnapshotError:
    text = " ".join(str(error).split())
    if len(text) > 400:
        text = text[:400] + "…"
    hint = "Check that the Keras version can read it (`lockpickle info` lists the versions)."
    if "safe_mode" in text or "lambda" in text.lower():
        hint = (
            "The model holds a Lambda layer or other Python code; if you trust the snapshot, "
            "load it with safe_mode=False."
        )
    elif "Could not locate" in text:
        hint = (
            "Pass the module defining the class in trust=[...] (--trust MODULE), or "
            "custom_objects={...}."
        )
    return SnapshotError(
        f"Expected Keras to load {model['member']} ({model['name']}). "
        f"Received: {type(error).__name__}: {text}",
        path=archive.path,
        hint=hint,
    )


def _resolve_ref(archive, models: list, ref: dict) -> Any:
    try:
        return keras_adapter.resolve_relative(models[ref["model"]], ref["attribute"])
    except (AttributeError, IndexError, TypeError, KeyError) as error:
        raise CorruptSnapshot(
            f"Expected {ref['attribute'] or 'the model'} inside model "
            f"{ref['model']}. Received: {type(error).__name__}: {error}.",
            path=archive.path,
        ) from None


def _reattach(archive, models: list, attached: Any) -> None:
    """Set the objects Keras' save dropped from layer attributes, fresh and shared."""
    if not isinstance(attached, list):
        raise CorruptSnapshot(
            f"Expected the list of layer attachments after the state. "
            f"Received: {type(attached).__name__}.",
            path=archive.path,
        )
    for item in attached:
        if not (
            isinstance(item, tuple)
            and len(item) == 3
            and type(item[0]) is int
            and isinstance(item[1], str)
            and 0 <= item[0] < len(models)
        ):
            raise CorruptSnapshot(
                f"Expected (model, attribute, object) attachments. Received: {item!r}.",
                path=archive.path,
            )
        index, relative, value = item
        owner_path, attribute = keras_adapter.split_attribute(relative)
        owner = _resolve_ref(archive, models, {"model": index, "attribute": owner_path})
        setattr(owner, attribute, value)
