"""What a snapshot holds and what loading it needs, in words, from the checked manifest and
state.json alone: the one view ``lockpickle info`` prints and the app's trust dialog shows.
Nothing is imported and no model is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.snapshot import trust as trust_rules
from lockpickle_gui.core.snapshot.loader import checked_state, untrusted_in
from lockpickle_gui.core.snapshot.manifest import CodeFile, Manifest, PrimitiveEntry, Verification
from lockpickle_gui.core.snapshot.reader import open_snapshot
from lockpickle_gui.core.text import format_size


@dataclass(frozen=True)
class Row:
    label: str
    detail: str


@dataclass(frozen=True)
class TypeRow:
    name: str  # "pkg.mod.Name", as written in trust=[...] / --trust
    kind: str  # "class" | "function"
    use: str  # what loading does with it
    trusted: bool
    bundled: bool
    never: str = ""  # the never-trusted module it belongs to ("os"): the file cannot load


@dataclass
class ManifestView:
    path: str
    size: int
    format_version: int
    checked: bool
    made_by: str
    versions: list[Row]
    root: str
    models: list[Row]
    primitives: list[Row]
    dropped: list[Row]
    code_package: str | None
    code: list[CodeFile]
    types: list[TypeRow]
    verification: str
    notes: list[str] = field(default_factory=list)
    needs_trust: bool = False  # loading it needs some trust (given already or not)

    @property
    def untrusted(self) -> list[TypeRow]:
        return [t for t in self.types if not t.trusted]

    def trust_flags(self) -> list[str]:
        """The command-line flags loading needs (beyond those already given)."""
        flags = ["--trust-bundled-code"] if any(t.bundled for t in self.untrusted) else []
        return flags + [f"--trust {t.name}" for t in self.untrusted if not t.bundled]


def manifest_view(
    origin: Any, *, trust: Any = (), trust_bundled_code: bool = False, check: bool = False
) -> ManifestView:
    """The view of the snapshot at ``origin``; ``check`` also verifies every sha256.

    The bundled code's sha256 is always checked (a few small files): the code people are
    asked to trust is the code the file was written with, or the file is refused here.
    """
    with open_snapshot(origin) as opened:
        opened.check_hashes(None if check else [f.member for f in opened.manifest.code])
        manifest = opened.manifest
        document = checked_state(opened)
        missing = set(untrusted_in(opened, document, trust, trust_bundled_code))
        missing_all = set(untrusted_in(opened, document))
        size = (
            Path(origin).stat().st_size
            if isinstance(origin, (str, Path))
            else sum(opened.source.size(n) for n in opened.source.names())
        )
    package = manifest.code_package
    types = []
    for name in sorted(missing_all | {t.name for t in manifest.types}):
        entry = next((t for t in manifest.types if t.name == name), None)
        kind = entry.kind if entry is not None else "class"
        bundled = trust_rules.in_package(name.partition(":")[0], package)
        use = "builds and sets the state of its objects (runs its __new__/__init__/__setstate__)"
        if entry is not None and entry.use == "model":
            use = f"a Keras custom {kind} of a stored model ({entry.registered})"
        never = trust_rules.never_trusted(name.partition(":")[0]) or ""
        if never:
            use = f"never trusted: {never} reaches any code, so this file cannot be loaded"
        types.append(
            TypeRow(trust_rules.display_name(name), kind, use, name not in missing, bundled, never)
        )
    return ManifestView(
        path=str(opened.path),
        size=size,
        format_version=manifest.format_version,
        checked=check,
        made_by=f"{manifest.producer.get('name')} {manifest.producer.get('version')} on {manifest.created_utc}",
        versions=[
            Row(label, value)
            for label, value in (
                ("Python", manifest.python),
                ("Keras", manifest.keras),
                ("TensorFlow", manifest.tensorflow),
                ("NumPy", manifest.numpy),
            )
            if value
        ],
        root=manifest.root,
        models=[
            Row(
                f"models/{i}",
                f"{m.name}  {m.cls.rpartition('.')[2]}  {m.params:,} params  {format_size(m.bytes)}  at {m.path}"
                + (f", also at {', '.join(m.also_at)}" if m.also_at else "")
                + f"  ({m.storage})",
            )
            for i, m in enumerate(manifest.models)
        ],
        primitives=[Row(p.path, _primitive_detail(p)) for p in manifest.primitives],
        dropped=[
            Row(d.path, f"{d.kind} ({d.state})" if d.state else d.kind) for d in manifest.dropped
        ],
        code_package=package,
        code=list(manifest.code),
        types=types,
        verification=describe_verification(manifest.verification),
        notes=list(manifest.notes),
        needs_trust=bool(missing_all),
    )


def _primitive_detail(entry: PrimitiveEntry) -> str:
    params = ", ".join(f"{k}={v}" for k, v in entry.params.items())
    text = entry.kind + (f" ({params})" if params else "")
    for name, used in entry.uses.items():
        text += f", its {name} is {used}"
    if entry.held_at_export:
        text += ", held at export"
    text += f" -> {entry.restore}"
    if entry.also_at:
        text += "; also at " + ", ".join(entry.also_at)
    return text


def describe_verification(check: Verification | None) -> str:
    if check is None:
        return "none (exported with --no-verify)"
    runs = [m for m in check.models if m.source]
    if not runs:
        return "no data (" + "; ".join(m.reason or m.skipped or "?" for m in check.models) + ")"
    parts = [f"model {m.model}: {m.samples} {m.source} sample(s)" for m in runs]
    text = ", ".join(parts)
    if check.tolerance is not None:
        text += f"; tolerance {check.tolerance:.3g}"
    if check.max_abs_diff is not None:
        text += f", run-to-run difference at export {check.max_abs_diff:.3g}"
    return text


def manifest_of(origin: Any) -> Manifest:
    """The checked manifest of the snapshot at ``origin``."""
    with open_snapshot(origin) as opened:
        manifest: Manifest = opened.manifest
    return manifest
