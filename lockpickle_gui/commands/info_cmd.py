"""``lockpickle info SNAP [--json]``: a snapshot's manifest, readable; nothing is loaded.

Also home of :func:`inspect_untrusted_snapshot`, which ``lockpickle inspect SNAP`` uses to
show a snapshot from its manifest alone when loading it would need untrusted code.
"""

from __future__ import annotations

import sys

HELP = ("Show what a .lpsnap snapshot holds (models, locks with their paths, bundled code, "
        "modules to trust, versions) from its manifest, without loading anything.")


def add_arguments(parser) -> None:
    parser.add_argument("path", help="a .lpsnap snapshot")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.add_argument("--check", action="store_true",
                        help="also check every member's sha256 (reads the whole file)")


def run(args) -> int:
    from lockpickle_gui.commands._term import print_json
    from lockpickle_gui.core.snapshot.reader import SnapshotArchive

    with SnapshotArchive(args.path) as archive:
        if args.check:
            archive.check_hashes()
        manifest = archive.manifest
        size = archive.path.stat().st_size
    if args.json:
        print_json(manifest)
    else:
        sys.stdout.write(render(args.path, manifest, size, checked=args.check))
    return 0


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
    versions = ", ".join(f"{label} {manifest[key]}" for key, label in (
        ("python", "Python"), ("keras", "Keras"), ("tensorflow", "TensorFlow"), ("numpy", "NumPy"))
        if manifest.get(key))
    lines = [f"{path}: lockpickle snapshot, format version {manifest['format_version']}, "
             f"{human_size(size)}" + (", every sha256 checked" if checked else ""),
             f"made by {producer.get('name')} {producer.get('version')} on {manifest['created_utc']}"
             f" with {versions}",
             f"root: {manifest['root']}", ""]
    lines.append(f"models ({len(manifest['models'])}):")
    for model in manifest["models"]:
        lines.append(f"  {model['member']}  {model['name']}  {model['class'].rpartition('.')[2]}  "
                     f"{model['params']:,} params  {human_size(model['bytes'])}  at {model.get('path')}")
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
        lines.append(f"  {entry['path']}: {entry['kind']}{extra}{held} -> {entry.get('restore', '')}")
        for alias in entry.get("also_at", []):
            lines.append(f"      also at {alias}")
    if manifest["dropped"]:
        lines.append(f"dropped at export, restored as None ({len(manifest['dropped'])}):")
        lines += [f"  {d['path']}: {d['kind']} ({d['state']})" for d in manifest["dropped"]]
    if manifest["code"]:
        lines.append(f"bundled code (package {manifest['code_package']}), loads only with "
                     "--trust-bundled-code:")
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
    return (", ".join(parts) + f"; tolerance {check['tolerance']:.3g}" +
            (f", run-to-run difference at export {noise:.3g}" if noise is not None else ""))


# ----------------------------------------------------------------------------- inspect


def needs_trust(manifest: dict) -> bool:
    return bool(manifest["modules"] or manifest["code"])


def inspect_untrusted_snapshot(args) -> int | None:
    """``lockpickle inspect SNAP``: the tree from the manifest alone when loading would need
    code the user did not trust (no --trust / --trust-bundled-code); None to load it."""
    from lockpickle_gui.commands._term import print_json
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
    from lockpickle_gui.commands.inspect_cmd import render_tree

    flags = (["--trust-bundled-code"] if manifest["code"] else []) + \
        [f"--trust {m}" for m in manifest["modules"]]
    notes = list(tree.iter_annotations())
    sys.stdout.write(
        f"{args.path} (snapshot, from its manifest only: loading it needs {' '.join(flags)})\n\n"
        + render_tree(tree) + f"\n{len(notes)} annotation(s); add {' '.join(flags)} to load the "
        "snapshot and see every layer.\n")
    return 0
