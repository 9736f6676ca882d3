"""``lockpickle export PATH -o OUT.lpsnap``: save a model or project as a lock-safe snapshot."""

from __future__ import annotations

import argparse
from pathlib import Path

from lockpickle_gui.cli._args import add_trust_arguments, check_output, trust_options
from lockpickle_gui.cli._render import summary
from lockpickle_gui.cli._term import EXIT_OK, ProgressBar

HELP = (
    "Save a model file, SavedModel folder or project folder (its runtime object: models, "
    "locks and all) as a lock-safe .lpsnap snapshot."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", help="a .keras/.h5 file, a SavedModel folder or a project folder (lockpickle.toml)"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.lpsnap",
        help="the snapshot to write (replaced atomically if it exists)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="do not store sample inputs and outputs for `lockpickle verify`",
    )
    parser.add_argument(
        "--on-blocked",
        choices=("error", "drop"),
        default="error",
        help="what to do with open files, sockets, threads, generators: refuse "
        "(error, the default) or store them as None (drop)",
    )
    add_trust_arguments(parser, "opening a .lpsnap as the input")


def run(args: argparse.Namespace) -> int:
    from lockpickle_gui.core.library import record_export
    from lockpickle_gui.core.project import open_project
    from lockpickle_gui.core.snapshot import save_snapshot

    output = check_output(Path(args.output).expanduser())
    with ProgressBar() as bar:
        project = open_project(
            args.path, progress=lambda f, m: bar(0.3 * f, m), **trust_options(args)
        )
        manifest = save_snapshot(
            project,
            output,
            verify=not args.no_verify,
            on_blocked=args.on_blocked,
            progress=lambda f, m: bar(0.3 + 0.7 * f, m),
        )
    record_export(output, project=project)  # the snapshot library; a failure only warns
    print(summary(output, manifest))
    return EXIT_OK
