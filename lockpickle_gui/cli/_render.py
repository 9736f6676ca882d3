"""What the sub-commands print: trees, manifests, verification verdicts, export summaries.

Plain text for people on a terminal; the JSON forms come from the core objects' ``to_dict``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lockpickle_gui.cli._term import EXIT_OK, print_json
from lockpickle_gui.core.inspect import DEFAULT_MAX_DEPTH, Annotation, Node  # light: no numpy/TF/Qt
from lockpickle_gui.core.text import format_size

if TYPE_CHECKING:  # the snapshot and project packages load only when a command needs them
    from lockpickle_gui.core.project import ModelProject
    from lockpickle_gui.core.snapshot import VerificationResult
    from lockpickle_gui.core.snapshot.view import ManifestView

INDENT = "  "


def _shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if shape and all(isinstance(d, list) for d in shape):
        return ", ".join(_shape(s) for s in shape)
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {_shape(v)}" for k, v in shape.items())
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def describe_node(node: Node, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
    """One line for a node: name, class, output shape and params (or what it is shared with),
    and whether the walk stopped there at ``max_depth`` with something left unseen."""
    parts = [node.name]
    if node.keras is not None:
        info = node.keras
        parts.append(info["class"])
        if node.shared_with is None:
            parts.append(f"output {_shape(info['output_shape'])}")
            parts.append("params ?" if info["params"] is None else f"params {info['params']:,}")
            if not info["trainable"]:
                parts.append("frozen")
    else:
        parts.append(node.type.rpartition(".")[2])
    if node.shared_with is not None:
        parts.append(f"-> same object as {node.shared_with}")
    if node.truncated:
        parts.append(f"… (not walked: depth limit {max_depth}; use --max-depth)")
    return "  ".join(parts)


def describe_annotation(note: Annotation) -> str:
    held = " (held)" if note.held and "held" not in note.state else ""
    text = f"! {note.path}: {note.kind}, {note.state}{held} -> {note.action}"
    return f"{text}; {note.detail}" if note.detail else text


def render_tree(tree: Node, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
    """The tree as indented lines, each node's annotations under it."""
    lines: list[str] = []

    def add(node: Node, depth: int) -> None:
        lines.append(INDENT * depth + describe_node(node, max_depth))
        for note in node.annotations:
            lines.append(INDENT * (depth + 1) + describe_annotation(note))
        for child in node.children:
            add(child, depth + 1)

    add(tree, 0)
    return "\n".join(lines) + "\n"


def render_project(project: ModelProject, tree: Node, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
    """The header (what was opened), the tree, and a one-line count of annotations (and of
    branches the walk did not open at ``max_depth``)."""
    header = [f"{project.name} ({project.kind}): {project.path}"]
    if len(project.models) > 1 or project.runtime is not next(iter(project.models.values()), None):
        header.append("models: " + ", ".join(project.models))
    for name, info in project.model_info.items():
        header.append(
            f"{name}: SavedModel, endpoint {info['endpoint']!r}, {info['variables']} "
            f"variables, {info['params']:,} params ({info['why_shallow']})"
        )
        for signature, specs in info["signatures"].items():
            inputs = ", ".join(f"{k}: {v}" for k, v in specs["inputs"].items())
            outputs = ", ".join(f"{k}: {v}" for k, v in specs["outputs"].items())
            header.append(f"  signature {signature}({inputs}) -> {outputs}")
    notes = list(tree.iter_annotations())
    blocked = sum(1 for n in notes if n.action == "block")
    footer = f"{len(notes)} annotation(s)" + (
        f", {blocked} that a snapshot cannot restore" if blocked else ""
    )
    cut = sum(1 for node in tree.walk() if node.truncated)
    if cut:
        footer += (
            f"; {cut} branch(es) not walked at depth limit {max_depth} (they may hold "
            "more; a snapshot saves them anyway): use --max-depth"
        )
    return "\n".join(header) + "\n\n" + render_tree(tree, max_depth) + "\n" + footer + "\n"


def render_view(view: ManifestView) -> str:
    """``lockpickle info``: a snapshot's ManifestView as text."""
    versions = ", ".join(f"{row.label} {row.detail}" for row in view.versions)
    lines = [
        f"{view.path}: lockpickle snapshot, format version {view.format_version}, "
        f"{format_size(view.size)}" + (", every sha256 checked" if view.checked else ""),
        f"made by {view.made_by} with {versions}",
        f"root: {view.root}",
        "",
        f"models ({len(view.models)}):",
    ]
    lines += [f"  {row.label}  {row.detail}" for row in view.models]
    lines.append(f"primitives ({len(view.primitives)}):")
    lines += [f"  {row.label}: {row.detail}" for row in view.primitives]
    if view.dropped:
        lines.append(f"dropped at export, restored as None ({len(view.dropped)}):")
        lines += [f"  {row.label}: {row.detail}" for row in view.dropped]
    if view.code:
        lines.append(
            f"bundled code (package {view.code_package}), loads only with --trust-bundled-code:"
        )
        lines += [f"  {f.member}  sha256 {f.sha256}" for f in view.code]
    if view.types:
        lines.append(f"types the file needs ({len(view.types)}):")
        for row in view.types:
            status = (
                "trusted" if row.trusted else ("bundled code" if row.bundled else "NOT trusted")
            )
            lines.append(f"  {row.name} [{row.kind}, {status}]: {row.use}")
    flags = view.trust_flags()
    if flags:
        lines.append("to load it: " + " ".join(flags))
    else:  # what it needs (if anything) is covered by the trust flags given
        lines.append(
            "to load it: " + ("nothing more to trust" if view.needs_trust else "nothing to trust")
        )
    lines.append("verification: " + view.verification)
    lines += [f"note: {note}" for note in view.notes]
    return "\n".join(lines) + "\n"


def inspect_untrusted_snapshot(args: argparse.Namespace) -> int | None:
    """``lockpickle inspect SNAP``: the tree from the manifest alone when loading would need
    types the user did not trust; None to load it."""
    from lockpickle_gui.core.snapshot import manifest_tree
    from lockpickle_gui.core.snapshot.view import manifest_of, manifest_view

    view = manifest_view(
        args.path,
        trust=tuple(getattr(args, "trust", ()) or ()),
        trust_bundled_code=getattr(args, "trust_bundled_code", False),
    )
    if not view.untrusted:
        return None  # built-in data, arrays and Keras' safe mode: loading runs nothing foreign
    tree = manifest_tree(manifest_of(args.path))
    if getattr(args, "json", False):
        print_json({"source": "manifest", **tree.to_dict()})
        return EXIT_OK
    flags = " ".join(view.trust_flags())
    notes = list(tree.iter_annotations())
    sys.stdout.write(
        f"{args.path} (snapshot, from its manifest only: loading it needs {flags})\n\n"
        + render_tree(tree)
        + f"\n{len(notes)} annotation(s); add {flags} to load the snapshot and see every layer.\n"
    )
    return EXIT_OK


def describe_verification(
    result: VerificationResult, manifest: dict[str, Any], path: str | Path
) -> tuple[bool, str]:
    """(whether verification holds, one sentence saying so) for people on a terminal."""
    from lockpickle_gui.core.modelio.verdict import Verdict, explain_verification

    holds = result.ok or (result.verdict is Verdict.NO_DATA and not manifest["models"])
    if result.verdict is Verdict.NO_DATA and holds:
        return holds, f"loaded: {path} holds no models, so there are no outputs to compare."
    sentence = explain_verification(result.verdict, result.max_abs_diff, result.tolerance)
    text = f"{result.verdict}: {sentence} ({path})."
    if result.verdict is Verdict.MISMATCH:
        text += " Use the Keras/TensorFlow versions `lockpickle info` lists, or export it again."
    elif result.verdict is Verdict.NO_DATA:
        text += " It loaded (exported with --no-verify, or its models have no input spec)."
    return holds, text


def summary(output: Path, manifest: dict[str, Any]) -> str:
    """What ``lockpickle export`` says it wrote, and what loading it will need."""
    lines = [
        f"Saved {output} ({format_size(output.stat().st_size)}): "
        f"{len(manifest['models'])} model(s), {len(manifest['primitives'])} primitive(s)"
        + (f", {len(manifest['dropped'])} dropped (stored as None)" if manifest["dropped"] else "")
        + "."
    ]
    check = manifest["verification"]
    if check and check.get("tolerance") is not None:
        lines.append(
            f"Verification stored: tolerance {check['tolerance']:.3g}; "
            f"`lockpickle verify {output}` re-runs it after loading."
        )
    for entry in (check or {}).get("models", []):
        if entry.get("skipped"):
            model = manifest["models"][entry["model"]]
            lines.append(
                f"Verification skipped for model {model['name']!r}: {entry['skipped']} "
                "(export again when it is free to store verification data)."
            )
    lines += [f"Note: {note}" for note in manifest.get("notes", [])]
    from lockpickle_gui.core.snapshot.trust import display_name, in_package

    package = manifest.get("code_package")
    if manifest["code"]:
        lines.append("Bundled project code: loading needs --trust-bundled-code.")
    others = [
        display_name(t["name"])
        for t in manifest.get("types", [])
        if not in_package(t["name"].partition(":")[0], package)
    ]
    if others:
        lines.append("Loading needs --trust for: " + ", ".join(others) + ".")
    return "\n".join(lines)
