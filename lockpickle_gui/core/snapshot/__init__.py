"""Lock-safe snapshots (``.lpsnap``): save, load, read the manifest, verify.

    save_snapshot(obj, path, *, verify_inputs=None, verify=True, progress=None,
                  on_blocked="error") -> manifest
    load_snapshot(path, *, trust=(), trust_bundled_code=False, custom_objects=None,
                  safe_mode=True, progress=None) -> obj
    read_manifest(path) -> manifest            (no model built, no pickle run)
    verify_snapshot(path, *, trust=(), trust_bundled_code=False, obj=None) -> VerificationResult

``progress(fraction, message)`` is called as work advances; raising
:class:`~lockpickle_gui.core.errors.Cancelled` from it stops cleanly (nothing half-written).
The format: ``format.py``; writing: ``writer.py``; checks: ``reader.py``; loading:
``loader.py``; what may be imported: ``trust.py``.
"""

from __future__ import annotations

from typing import Any

from lockpickle_gui.core.snapshot.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SUFFIX,
    VERIFY_INPUTS_MEMBER,
    VERIFY_OUTPUTS_MEMBER,
)
from lockpickle_gui.core.snapshot.reader import read_manifest
from lockpickle_gui.core.snapshot.tree import manifest_tree
from lockpickle_gui.core.snapshot.verify import VerificationResult
from lockpickle_gui.core.snapshot.writer import save_snapshot

__all__ = [
    "save_snapshot",
    "load_snapshot",
    "read_manifest",
    "verify_snapshot",
    "VerificationResult",
    "manifest_tree",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "SUFFIX",
]


def load_snapshot(
    path,
    *,
    trust=(),
    trust_bundled_code: bool = False,
    custom_objects=None,
    safe_mode: bool = True,
    progress=None,
) -> Any:
    """Load a snapshot: every check first, then only code the caller trusts.

    ``trust`` lists modules (a module trusts its submodules) whose classes ``state.pkl``
    may use; ``trust_bundled_code`` allows the project code bundled in the snapshot.
    Raises NotASnapshot, UnsupportedVersion, CorruptSnapshot, UntrustedCode, SnapshotError.
    """
    from lockpickle_gui.core.snapshot.loader import load

    return load(
        path,
        trust_modules=trust,
        trust_bundled_code=trust_bundled_code,
        custom_objects=custom_objects,
        safe_mode=safe_mode,
        progress=progress,
    ).obj


def verify_snapshot(
    path, *, trust=(), trust_bundled_code: bool = False, obj: Any = None
) -> VerificationResult:
    """Re-run the verification stored in the snapshot.

    Without ``obj`` the snapshot is loaded first; with ``obj`` (what ``load_snapshot``
    returned) its models are checked in place. The result's ``verdict`` is "identical",
    "within tolerance", "mismatch" or "no data"; ``result.raise_if_failed()`` raises
    :class:`~lockpickle_gui.core.errors.VerificationFailed` on a mismatch.
    """
    from lockpickle_gui.core.snapshot import verify as verification
    from lockpickle_gui.core.snapshot.reader import SnapshotArchive

    if obj is None:
        from lockpickle_gui.core.snapshot.loader import load

        loaded = load(path, trust_modules=trust, trust_bundled_code=trust_bundled_code)
        models, manifest = loaded.models, loaded.manifest
    else:
        models, manifest = _models_of(obj), read_manifest(path)
    members = (VERIFY_INPUTS_MEMBER, VERIFY_OUTPUTS_MEMBER)
    with SnapshotArchive(path) as archive:
        present = [name for name in members if name in archive.manifest["members"]]
        archive.check_hashes(only=present)
        data = [archive.read(name) if name in present else None for name in members]
    if len(models) != len(manifest["models"]):
        from lockpickle_gui.core.errors import SnapshotError

        raise SnapshotError(
            f"Expected {len(manifest['models'])} model(s) in the object to verify. "
            f"Received: {len(models)}.",
            path=path,
            hint="Pass the object load_snapshot returned for this snapshot.",
        )
    return verification.check(models, manifest["verification"], data[0], data[1], path)


def _models_of(obj: Any) -> list:
    """The stored (top-level) models of ``obj``, in the order the writer stored them."""
    from lockpickle_gui.core.snapshot.pickler import StateStream

    stream = StateStream()
    stream.dump(obj)
    objects = stream.registry.keras_objects
    if not objects:
        return []
    from lockpickle_gui.core.inspect.keras_adapter import iter_layers

    nested = {id(layer) for o in objects for rel, layer in iter_layers(o) if rel}
    return [o for o in objects if id(o) not in nested]
