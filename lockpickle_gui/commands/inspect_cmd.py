"""``lockpickle inspect PATH``: the layer tree with every lock and unpicklable object."""

from __future__ import annotations

import sys

from lockpickle_gui.core.graph import DEFAULT_MAX_DEPTH  # light: no numpy/TF/Qt

HELP = ("Show the layers of a model or project and every lock or unpicklable object in it, "
        "with its path, kind, state and what a snapshot does with it.")

INDENT = "  "


def add_arguments(parser) -> None:
    parser.add_argument("path", help="a .keras/.h5 file, a SavedModel folder, a project folder "
                                     "(lockpickle.toml) or a .lpsnap snapshot")
    parser.add_argument("--json", action="store_true", help="print the tree as JSON")
    parser.add_argument("--show-internal", action="store_true",
                        help="also list Keras/TensorFlow internals and plain attributes")
    parser.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH, metavar="N",
                        help=f"how deep to walk the object graph (default {DEFAULT_MAX_DEPTH}); "
                             "branches cut there are marked 'not walked'")
    from lockpickle_gui.commands.export_cmd import add_trust_arguments  # snapshot engineer

    add_trust_arguments(parser, "loading a .lpsnap (without them: its manifest only)")


def run(args) -> int:
    from lockpickle_gui.commands._term import ProgressBar, print_json
    from lockpickle_gui.core.errors import LockpickleError
    from lockpickle_gui.core.project import open_project

    if args.max_depth < 1:
        raise LockpickleError(f"Expected --max-depth of at least 1. Received: {args.max_depth}.")
    if str(args.path).lower().endswith(".lpsnap"):  # snapshot engineer: manifest-only view
        from lockpickle_gui.commands.info_cmd import inspect_untrusted_snapshot

        shown = inspect_untrusted_snapshot(args)
        if shown is not None:
            return shown
    with ProgressBar() as progress:
        project = open_project(args.path, progress=progress, trust=tuple(args.trust),
                               trust_bundled_code=args.trust_bundled_code)
    tree = project.inspect(show_internal=args.show_internal, max_depth=args.max_depth)
    if args.json:
        print_json(tree.to_dict())
    else:
        sys.stdout.write(render_project(project, tree, max_depth=args.max_depth))
    return 0


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
        header.append(f"{name}: SavedModel, endpoint {info['endpoint']!r}, {info['variables']} "
                      f"variables, {info['params']:,} params ({info['why_shallow']})")
        for signature, specs in info["signatures"].items():
            inputs = ", ".join(f"{k}: {v}" for k, v in specs["inputs"].items())
            outputs = ", ".join(f"{k}: {v}" for k, v in specs["outputs"].items())
            header.append(f"  signature {signature}({inputs}) -> {outputs}")
    notes = list(tree.iter_annotations())
    blocked = sum(1 for n in notes if n.action == "block")
    footer = f"{len(notes)} annotation(s)" + (f", {blocked} that a snapshot cannot restore"
                                               if blocked else "")
    cut = sum(1 for node in tree.walk() if node.truncated)
    if cut:
        footer += (f"; {cut} branch(es) not walked at depth limit {max_depth} (they may hold "
                   "more; a snapshot saves them anyway): use --max-depth")
    return "\n".join(header) + "\n\n" + render_tree(tree, max_depth) + "\n" + footer + "\n"
