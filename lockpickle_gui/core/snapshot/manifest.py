"""manifest.json, format 2: the typed dataclasses every reader gets, and the checks their
parser (``manifest_io.parse_manifest``) is built from.

Every field's type, range and form is checked before anything uses it (a path against the
path grammar, a type name against the trust rules' form, a member name against the
format's names, a sha256 is 64 hex digits...), and unknown fields are refused: a field the
reader does not know is a field it would not check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot, NotASnapshot, UnsupportedVersion
from lockpickle_gui.core.inspect.paths import PathError, check_display_path, parse_strict
from lockpickle_gui.core.snapshot import format as fmt

_SHA256 = re.compile(r"[0-9a-f]{64}")
_PUBLIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class TypeEntry:
    """A type the file needs: ``name`` is "module:Qualname"; ``use`` says where ("state"
    builds or names it, "model" is a Keras custom object, registered as ``registered``)."""

    name: str
    kind: str
    use: str
    registered: str | None = None


@dataclass(frozen=True)
class ModelEntry:
    name: str
    cls: str
    params: int
    bytes: int
    path: str
    storage: str  # "native": config.json + .npy variables; "keras": Keras' own .keras
    trainable: bool = True
    layers: int = 0
    variables: int = 0
    also_at: tuple[str, ...] = ()  # other paths the same model is reached at (aliases)


@dataclass(frozen=True)
class Attachment:
    model: int
    layer: str  # a strict path inside the stored model ("" is the model itself)
    attribute: str  # a public attribute name


@dataclass(frozen=True)
class PrimitiveEntry:
    path: str
    kind: str
    state: str
    held_at_export: bool
    restore: str
    params: dict[str, Scalar] = field(default_factory=dict)
    also_at: tuple[str, ...] = ()
    uses: dict[str, str] = field(default_factory=dict)  # e.g. a Condition's lock -> its path
    attach: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class DroppedEntry:
    path: str
    kind: str
    state: str


@dataclass(frozen=True)
class CodeFile:
    module: str
    member: str
    sha256: str


@dataclass(frozen=True)
class VerificationEntry:
    model: int
    source: str | None
    reason: str | None = None
    skipped: str | None = None
    structure: Any = None  # "array" | "list" | {"dict": [keys]}
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    samples: int = 0
    max_abs_diff: float | None = None
    runs: int = 0
    tolerance: float | None = None


@dataclass(frozen=True)
class Verification:
    seed: int
    tolerance: float | None
    max_abs_diff: float | None
    models: tuple[VerificationEntry, ...]


@dataclass(frozen=True)
class Manifest:
    producer: dict[str, str]
    created_utc: str
    python: str
    keras: str | None
    tensorflow: str | None
    numpy: str | None
    root: str
    models: tuple[ModelEntry, ...]
    primitives: tuple[PrimitiveEntry, ...]
    dropped: tuple[DroppedEntry, ...]
    attachments: tuple[Attachment, ...]
    types: tuple[TypeEntry, ...]
    code_package: str | None
    code: tuple[CodeFile, ...]
    members: dict[str, str]
    verification: Verification | None
    notes: tuple[str, ...] = ()
    project: dict[str, str | None] | None = None  # {"name", "source"}: where it came from
    format_version: int = fmt.FORMAT_VERSION


# ----------------------------------------------------------------------------- parsing


class Check:
    """Field readers that raise CorruptSnapshot naming the field."""

    def __init__(self, path: Any) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> CorruptSnapshot:
        return CorruptSnapshot(
            f"Expected a manifest.json as lockpickle writes it. Received: {where} {what}.",
            path=self.path,
            hint=fmt.REEXPORT_HINT,
        )

    def obj(
        self,
        value: Any,
        where: str,
        required: set[str],
        optional: frozenset[str] | set[str] = frozenset(),
    ) -> dict[str, Any]:
        if type(value) is not dict:
            raise self.fail(where, f"is a {type(value).__name__}, not an object")
        missing = required - set(value)
        if missing:
            raise self.fail(where, f"has no {sorted(missing)[0]!r}")
        unknown = set(value) - required - optional
        if unknown:
            raise self.fail(where, f"has an unknown field {sorted(unknown)[0][:40]!r}")
        return value

    def text(self, value: Any, where: str, *, limit: int = 4096, none: bool = False) -> Any:
        if value is None and none:
            return None
        if (
            type(value) is not str
            or len(value) > limit
            or any(ord(c) < 32 and c not in "\t\n" for c in value)
        ):
            raise self.fail(
                where, f"= {str(value)[:60]!r} (expected a printable string of at most {limit})"
            )
        return value

    def integer(self, value: Any, where: str, lo: int = 0, hi: int = 1 << 62) -> int:
        if type(value) is not int or not lo <= value <= hi:
            raise self.fail(where, f"= {str(value)[:40]!r} (expected an integer from {lo} to {hi})")
        return value

    def number(self, value: Any, where: str, *, none: bool = True) -> float | None:
        if value is None and none:
            return None
        if (
            type(value) not in (int, float)
            or value != value
            or value in (float("inf"), float("-inf"))
            or value < 0
        ):
            raise self.fail(where, f"= {str(value)[:40]!r} (expected a finite number >= 0)")
        return float(value)

    def flag(self, value: Any, where: str) -> bool:
        if type(value) is not bool:
            raise self.fail(where, f"= {str(value)[:40]!r} (expected true or false)")
        return value

    def items(self, value: Any, where: str, limit: int = 1_000_000) -> list[Any]:
        if type(value) is not list or len(value) > limit:
            raise self.fail(where, "is not a list (or is far too long)")
        return value

    def display_path(self, value: Any, where: str) -> str:
        try:
            return check_display_path(self.text(value, where))
        except PathError as error:
            raise self.fail(where, f"is not a path ({error})") from None

    def layer_path(self, value: Any, where: str) -> str:
        text = self.text(value, where)
        try:
            if text:
                parse_strict(text)
        except PathError as error:
            raise self.fail(where, f"is not a strict layer path ({error})") from None
        return str(text)

    def scalar(self, value: Any, where: str) -> Scalar:
        if type(value) in (str, int, float, bool, type(None)):
            if type(value) is str:
                self.text(value, where, limit=256)
            if type(value) is int:
                self.integer(value, where, -(1 << 62), 1 << 62)
            if type(value) is float:
                self.number(abs(value), where)
            return value  # type: ignore[no-any-return]
        raise self.fail(where, f"is a {type(value).__name__}, not a number, string or flag")


def check_header(raw: Any, path: Any) -> int:
    """``format`` and ``format_version`` first, so an old or newer file gets the right error."""
    if type(raw) is not dict or raw.get("format") != fmt.FORMAT_NAME:
        found = raw.get("format") if type(raw) is dict else type(raw).__name__
        raise NotASnapshot(
            f"Expected a lockpickle snapshot (manifest format {fmt.FORMAT_NAME!r}). Received: "
            f"format {str(found)[:60]!r}.",
            path=path,
            hint="Open a .lpsnap file written by `lockpickle export` or lp.save_snapshot().",
        )
    version = raw.get("format_version")
    if type(version) is int and version in fmt.PICKLE_VERSIONS:
        raise UnsupportedVersion(
            f"Expected a snapshot format_version this lockpickle reads "
            f"({', '.join(map(str, fmt.SUPPORTED_VERSIONS))}). Received: format_version {version}, "
            "which keeps its state in a pickle: it cannot be loaded without running whatever it "
            "names, so this version does not read it.",
            path=path,
            hint="Export it again with this version: open the project (or program) it came from "
            "and run `lockpickle export` / lp.save_snapshot(); an older lockpickle_gui still "
            "reads it if you trust the file.",
        )
    if type(version) is not int or version not in fmt.SUPPORTED_VERSIONS:
        raise UnsupportedVersion(
            f"Expected a snapshot format_version this lockpickle reads "
            f"({', '.join(map(str, fmt.SUPPORTED_VERSIONS))}). Received: format_version "
            f"{str(version)[:20]}.",
            path=path,
            hint="Upgrade lockpickle_gui to read it, or export it again with this version.",
        )
    return version


def manifest_to_json(m: Manifest) -> dict[str, Any]:
    def attach(a: Attachment) -> dict[str, Any]:
        return {"model": a.model, "layer": a.layer, "attribute": a.attribute}

    def primitive(p: PrimitiveEntry) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": p.path,
            "kind": p.kind,
            "state": p.state,
            "held_at_export": p.held_at_export,
            "restore": p.restore,
        }
        if p.params:
            out["params"] = dict(p.params)
        if p.also_at:
            out["also_at"] = list(p.also_at)
        if p.uses:
            out["uses"] = dict(p.uses)
        if p.attach:
            out["attach"] = [attach(a) for a in p.attach]
        return out

    def model(e: ModelEntry) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": e.name,
            "class": e.cls,
            "params": e.params,
            "bytes": e.bytes,
            "path": e.path,
            "storage": e.storage,
            "trainable": e.trainable,
            "layers": e.layers,
            "variables": e.variables,
        }
        if e.also_at:
            out["also_at"] = list(e.also_at)
        return out

    def verification(v: Verification | None) -> dict[str, Any] | None:
        if v is None:
            return None
        entries = []
        for e in v.models:
            entry: dict[str, Any] = {"model": e.model, "source": e.source}
            for name in ("reason", "skipped"):
                if getattr(e, name) is not None:
                    entry[name] = getattr(e, name)
            if e.source is not None:
                entry.update(
                    structure=e.structure,
                    inputs=list(e.inputs),
                    outputs=list(e.outputs),
                    samples=e.samples,
                    max_abs_diff=e.max_abs_diff,
                    runs=e.runs,
                    tolerance=e.tolerance,
                )
            entries.append(entry)
        return {
            "seed": v.seed,
            "tolerance": v.tolerance,
            "max_abs_diff": v.max_abs_diff,
            "models": entries,
        }

    return {
        "format": fmt.FORMAT_NAME,
        "format_version": m.format_version,
        "producer": dict(m.producer),
        "created_utc": m.created_utc,
        "python": m.python,
        "keras": m.keras,
        "tensorflow": m.tensorflow,
        "numpy": m.numpy,
        "root": m.root,
        "models": [model(e) for e in m.models],
        "primitives": [primitive(p) for p in m.primitives],
        "dropped": [{"path": d.path, "kind": d.kind, "state": d.state} for d in m.dropped],
        "attachments": [attach(a) for a in m.attachments],
        "types": [
            {
                "name": t.name,
                "kind": t.kind,
                "use": t.use,
                **({"registered": t.registered} if t.registered else {}),
            }
            for t in m.types
        ],
        "code_package": m.code_package,
        "code": [{"module": f.module, "member": f.member, "sha256": f.sha256} for f in m.code],
        "members": dict(sorted(m.members.items())),
        "verification": verification(m.verification),
        "notes": list(m.notes),
        "project": dict(m.project) if m.project is not None else None,
    }
