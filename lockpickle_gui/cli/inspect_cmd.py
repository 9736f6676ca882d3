"""``lockpickle inspect PATH``: the layer tree with every lock and unpicklable object."""

from __future__ import annotations

import argparse
import sys

from lockpickle_gui.cli._args import add_trust_arguments, trust_options
from lockpickle_gui.cli._render import inspect_untrusted_snapshot, render_project
from lockpickle_gui.cli._term import EXIT_OK, ProgressBar, print_json
from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.inspect import DEFAULT_MAX_DEPTH  # light: no numpy/TF/Qt

HELP = (
    "Show the layers of a model or project and every lock or unpicklable object in it, "
    "with its path, kind, state and what a snapshot does with it."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        help="a .keras/.h5 file, a SavedModel folder, a project folder "
        "(lockpickle.toml) or a .lpsnap snapshot",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print the tree as JSON; "source" says whether it was walked from the loaded '
        'objects ("objects") or read from a snapshot\'s manifest alone ("manifest")',
    )
    parser.add_argument(
        "--show-internal",
        action="store_true",
        help="also list Keras/TensorFlow internals and plain attributes",
    )
    parser.add_argument(
        "--max-depth",
        type=int,
        default=DEFAULT_MAX_DEPTH,
        metavar="N",
        help=f"how deep to walk the object graph (default {DEFAULT_MAX_DEPTH}); "
        "branches cut there are marked 'not walked'",
    )
    add_trust_arguments(parser, "loading a .lpsnap (without them: its manifest only)")


def run(args: argparse.Namespace) -> int:
    from lockpickle_gui.core.project import open_project

    if args.max_depth < 1:
        raise LockpickleError(f"Expected --max-depth of at least 1. Received: {args.max_depth}.")
    if str(args.path).lower().endswith(".lpsnap"):  # snapshot engineer: manifest-only view
        shown = inspect_untrusted_snapshot(args)
        if shown is not None:
            return shown
    with ProgressBar() as progress:
        project = open_project(args.path, progress=progress, **trust_options(args))
    tree = project.inspect(show_internal=args.show_internal, max_depth=args.max_depth)
    if args.json:
        print_json({"source": "objects", **tree.to_dict()})
    else:
        sys.stdout.write(render_project(project, tree, max_depth=args.max_depth))
    return EXIT_OK
