"""Lock-safe snapshots (``.lpsnap``, format 2): save, load, read, verify -- as files, as
bytes, or as a dict of members.

    save_snapshot(obj, path, *, verify_inputs=None, verify=True, progress=None,
                  on_blocked="error") -> manifest
    load_snapshot(path, *, trust=(), trust_bundled_code=False, custom_objects=None,
                  safe_mode=True, progress=None) -> obj
    read_manifest(path) -> manifest            (nothing imported, no model built)
    untrusted_types(path, trust=()) -> [...]   (what loading would need you to trust)
    verify_snapshot(path, *, trust=(), trust_bundled_code=False, obj=None) -> VerificationResult
    dumps(obj, ...) -> bytes  /  loads(data, *, trust=(), ...) -> obj
    to_members(obj, ...) -> (manifest, {name: buffer})  /  from_members(members, ...) -> obj

``progress(fraction, message)`` is called as work advances; raising
:class:`~lockpickle_gui.core.errors.Cancelled` from it stops cleanly (nothing half-written).
The format: ``format.py`` (members), ``manifest.py`` (the manifest), ``state/`` (the object
graph as data), ``keras/`` (models); the checks: ``reader.py``; the trust rules:
``trust.py``; loading: ``loader.py``; writing: ``writer.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockpickle_gui.core.errors import NotASnapshot, SnapshotError
from lockpickle_gui.core.progress import Progress
from lockpickle_gui.core.snapshot import trust as trust_rules
from lockpickle_gui.core.snapshot import verify as verification
from lockpickle_gui.core.snapshot.archive import Hasher
from lockpickle_gui.core.snapshot.budgets import DEFAULT
from lockpickle_gui.core.snapshot.format import FORMAT_NAME, FORMAT_VERSION, SUFFIX
from lockpickle_gui.core.snapshot.loader import LoadOptions, checked_state, load, untrusted_in
from lockpickle_gui.core.snapshot.parts import BundledCode, SnapshotParts, SnapshotSource
from lockpickle_gui.core.snapshot.reader import open_snapshot, read_manifest
from lockpickle_gui.core.snapshot.state import encode_state
from lockpickle_gui.core.snapshot.tree import manifest_tree
from lockpickle_gui.core.snapshot.verify import VerificationResult
from lockpickle_gui.core.snapshot.writer import dumps, save_snapshot, to_members

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "SUFFIX",
    "BundledCode",
    "CodeText",
    "SnapshotParts",
    "SnapshotSource",
    "VerificationResult",
    "dumps",
    "from_members",
    "load_snapshot",
    "loads",
    "manifest_tree",
    "read_bundled_code",
    "read_manifest",
    "save_snapshot",
    "to_members",
    "untrusted_types",
    "verify_snapshot",
]


def load_snapshot(
    path: Any,
    *,
    trust: Any = (),
    trust_bundled_code: bool = False,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool = True,
    progress: Progress | None = None,
) -> Any:
    """Load a snapshot: every check first, then only code the caller trusts.

    ``trust`` lists type names (``"pkg.mod.Service"``) or modules (``"pkg.layers"`` or
    ``"pkg.layers.*"``: the classes defined there); ``trust_bundled_code`` allows the
    project code bundled in the snapshot. Raises NotASnapshot, UnsupportedVersion,
    CorruptSnapshot (BudgetExceeded), UntrustedCode (listing every type to trust),
    TrustedCodeFailed, SnapshotError -- all ``lp.LockpickleError``.
    """
    options = LoadOptions(trust, trust_bundled_code, custom_objects, safe_mode)
    return load(path, options, progress).obj


def loads(data: Any, **options: Any) -> Any:
    """The object in ``data`` (what :func:`dumps` made); the same checks and trust rules as
    :func:`load_snapshot`, the same keyword arguments, no temporary file."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise NotASnapshot(
            f"Expected snapshot bytes. Received: {type(data).__name__}.",
            hint="Pass what lp.dumps() returned.",
        )
    return load_snapshot(data, **options)


def from_members(members: Any, **options: Any) -> Any:
    """The object in ``members`` (what :func:`to_members` made: ``{name: bytes | memoryview |
    numpy array}``, ``manifest.json`` included); the same checks and trust rules as a file."""
    if not isinstance(members, dict):
        raise NotASnapshot(
            f"Expected a dict of snapshot members. Received: {type(members).__name__}."
        )
    return load_snapshot(members, **options)


def untrusted_types(path: Any, trust: Any = (), *, trust_bundled_code: bool = False) -> list[str]:
    """Every type (``"pkg.mod.Name"``) loading ``path`` would need that ``trust`` does not
    cover, bundled code included unless ``trust_bundled_code``; read from the manifest and
    state.json after every check: nothing is imported, no model built."""
    with open_snapshot(path) as opened:
        document = checked_state(opened)
        missing = untrusted_in(opened, document, trust, trust_bundled_code)
    return [trust_rules.display_name(name) for name in missing]


@dataclass(frozen=True)
class CodeText:
    """One bundled code file, read (and its sha256 checked) without importing it."""

    module: str
    member: str
    sha256: str
    text: str


def read_bundled_code(path: Any) -> list[CodeText]:
    """The snapshot's bundled code files, each checked against its sha256: what a person
    reads before trusting it (the app's trust dialog shows them)."""
    with open_snapshot(path) as opened:
        return [
            CodeText(
                f.module,
                f.member,
                f.sha256,
                opened.read(f.member, DEFAULT.max_code_bytes).decode("utf-8", "replace"),
            )
            for f in opened.manifest.code
        ]


def verify_snapshot(
    path: Any, *, trust: Any = (), trust_bundled_code: bool = False, obj: Any = None
) -> VerificationResult:
    """Re-run the verification stored in the snapshot.

    Without ``obj`` the snapshot is loaded first; with ``obj`` (what ``load_snapshot``
    returned) its models are checked in place. The result's ``verdict`` is "identical",
    "within tolerance", "mismatch" or "no data"; ``result.raise_if_failed()`` raises
    :class:`~lockpickle_gui.core.errors.VerificationFailed` on a mismatch.
    """
    if obj is None:
        models = load(path, LoadOptions(trust, trust_bundled_code)).models
    else:
        models = models_of(obj)
    with open_snapshot(path) as opened, Hasher() as hasher:
        manifest = opened.manifest
        if len(models) != len(manifest.models):
            raise SnapshotError(
                f"Expected {len(manifest.models)} model(s) in the object to verify. Received: {len(models)}.",
                path=opened.path,
                hint="Pass the object load_snapshot returned for this snapshot.",
            )
        result = verification.check(
            models, manifest.verification, opened.array_reader(hasher), opened.path
        )
        opened.check_digests(hasher)
    return result


def models_of(obj: Any) -> list[Any]:
    """The stored (top-level) models of ``obj``, in the order the writer stores them."""
    return list(encode_state(obj, on_blocked="drop").models)
