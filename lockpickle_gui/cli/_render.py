"""What the sub-commands print: trees, manifests, verification verdicts, export summaries.

Plain text for people on a terminal; the JSON forms come from the core objects' ``to_dict``.
"""

from __future__ import annotations

import sys

from lockpickle_gui.core.inspect import DEFAULT_MAX_DEPTH  # light: no numpy/TF/Qt

INDENT = "  "


def _shape(shape) -> str:
    if shape is None:
        return "?"
    if shape and all(isinstance(d, list) for d in shape):
        return ", ".join(_shape(s) for s in shape)
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {_shape(v)}" for k, v in shape.items())
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def describe_node(node, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
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


def describe_annotation(note) -> str:
    held = " (held)" if note.held and "held" not in note.state else ""
    text = f"! {note.path}: {note.kind}, {note.state}{held} -> {note.action}"
    return f"{text}; {note.detail}" if note.detail else text


def render_tree(tree, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
    lines = []

    def add(node, depth):
        lines.append(INDENT * depth + describe_node(node, max_depth))
        for note in node.annotations:
            lines.append(INDENT * (depth + 1) + describe_annotation(note))
        for child in node.children:
            add(child, depth + 1)

    add(tree, 0)
    return "\n".join(lines) + "\n"


def render_project(project, tree, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
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


def human_size(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"  # pragma: no cover


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def render(path, manifest: dict, size: int, checked: bool = False) -> str:
    producer = manifest["producer"]
    versions = ", ".join(
        f"{label} {manifest[key]}"
        for key, label in (
            ("python", "Python"),
            ("keras", "Keras"),
            ("tensorflow", "TensorFlow"),
            ("numpy", "NumPy"),
        )
        if manifest.get(key)
    )
    lines = [
        f"{path}: lockpickle snapshot, format version {manifest['format_version']}, "
        f"{human_size(size)}" + (", every sha256 checked" if checked else ""),
        f"made by {producer.get('name')} {producer.get('version')} on {manifest['created_utc']}"
        f" with {versions}",
        f"root: {manifest['root']}",
        "",
    ]
    lines.append(f"models ({len(manifest['models'])}):")
    for model in manifest["models"]:
        lines.append(
            f"  {model['member']}  {model['name']}  {model['class'].rpartition('.')[2]}  "
            f"{model['params']:,} params  {human_size(model['bytes'])}  at {model.get('path')}"
        )
        for cls in model.get("custom_classes", []):
            state = "registered" if cls.get("registered") else "not registered"
            lines.append(f"    custom class {cls['module']}.{cls['class']} ({state})")
    lines.append(f"primitives ({len(manifest['primitives'])}):")
    paths = {entry["id"]: entry["path"] for entry in manifest["primitives"]}
    for entry in manifest["primitives"]:
        extra = f" ({_params(entry['params'])})" if entry["params"] else ""
        for name, used in (entry.get("uses") or {}).items():
            if isinstance(used, dict) and used.get("id") in paths:
                extra += f", its {name} is {paths[used['id']]}"
        held = ", held at export" if entry["held_at_export"] else ""
        lines.append(
            f"  {entry['path']}: {entry['kind']}{extra}{held} -> {entry.get('restore', '')}"
        )
        for alias in entry.get("also_at", []):
            lines.append(f"      also at {alias}")
    if manifest["dropped"]:
        lines.append(f"dropped at export, restored as None ({len(manifest['dropped'])}):")
        lines += [f"  {d['path']}: {d['kind']} ({d['state']})" for d in manifest["dropped"]]
    if manifest["code"]:
        lines.append(
            f"bundled code (package {manifest['code_package']}), loads only with "
            "--trust-bundled-code:"
        )
        lines += [f"  {c['member']}  sha256 {c['sha256'][:16]}…" for c in manifest["code"]]
    lines.append("modules to trust: " + (", ".join(manifest["modules"]) or "none"))
    lines.append("verification: " + _verification(manifest["verification"]))
    return "\n".join(lines) + "\n"


def _verification(check: dict | None) -> str:
    if not check:
        return "none (exported with --no-verify)"
    runs = [m for m in check.get("models", []) if m.get("source")]
    if not runs:
        return "no data (" + "; ".join(m.get("reason", "?") for m in check.get("models", [])) + ")"
    parts = [f"model {m['model']}: {m['samples']} {m['source']} sample(s)" for m in runs]
    noise = check.get("max_abs_diff")
    return (
        ", ".join(parts)
        + f"; tolerance {check['tolerance']:.3g}"
        + (f", run-to-run difference at export {noise:.3g}" if noise is not None else "")
    )


def needs_trust(manifest: dict) -> bool:
    return bool(manifest["modules"] or manifest["code"])


def inspect_untrusted_snapshot(args) -> int | None:
    """``lockpickle inspect SNAP``: the tree from the manifest alone when loading would need
    code the user did not trust (no --trust / --trust-bundled-code); None to load it."""
    from lockpickle_gui.cli._term import print_json
    from lockpickle_gui.core.snapshot import manifest_tree, read_manifest

    if getattr(args, "trust", None) or getattr(args, "trust_bundled_code", False):
        return None
    manifest = read_manifest(args.path)
    if not needs_trust(manifest):
        return None  # only safe built-ins and Keras' safe mode: loading it runs nothing foreign
    tree = manifest_tree(manifest)
    if getattr(args, "json", False):
        print_json(tree.to_dict())
        return 0
    flags = (["--trust-bundled-code"] if manifest["code"] else []) + [
        f"--trust {m}" for m in manifest["modules"]
    ]
    notes = list(tree.iter_annotations())
    sys.stdout.write(
        f"{args.path} (snapshot, from its manifest only: loading it needs {' '.join(flags)})\n\n"
        + render_tree(tree)
        + f"\n{len(notes)} annotation(s); add {' '.join(flags)} to load the "
        "snapshot and see every layer.\n"
    )
    return 0


def describe_verification(result, manifest: dict, path) -> tuple[bool, str]:
    """(whether verification holds, one sentence saying so) for people on a terminal."""
    from lockpickle_gui.core.modelio.verdict import Verdict

    holds = result.ok or (result.verdict is Verdict.NO_DATA and not manifest["models"])
    if result.verdict is Verdict.IDENTICAL:
        return holds, (
            f"identical: the loaded model(s) reproduce the outputs stored at export "
            f"bit for bit ({path})."
        )
    if result.verdict is Verdict.WITHIN_TOLERANCE:
        return holds, (
            f"within tolerance: max difference {result.max_abs_diff:.3g} <= tolerance "
            f"{result.tolerance:.3g} ({path})."
        )
    if result.verdict is Verdict.MISMATCH:
        return holds, (
            f"mismatch: max difference {result.max_abs_diff:.3g} exceeds the tolerance "
            f"{result.tolerance:.3g} ({path}). Use the Keras/TensorFlow versions "
            "`lockpickle info` lists, or export the snapshot again."
        )
    if holds:
        return holds, f"loaded: {path} holds no models, so there are no outputs to compare."
    return holds, (
        f"no data: {path} was exported without verification (--no-verify) or its "
        "models have no input spec; it loaded, but nothing was compared."
    )


def summary(output, manifest: dict) -> str:
    lines = [
        f"Saved {output} ({human_size(output.stat().st_size)}): "
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
    if manifest["code"]:
        lines.append("Bundled project code: loading needs --trust-bundled-code.")
    if manifest["modules"]:
        lines.append("Loading needs --trust for: " + ", ".join(manifest["modules"]) + ".")
    return "\n".join(lines)
