"""``lockpickle import SNAP``: what the app's Import Snapshot does, on a terminal.

Checks the archive, loads it with only the code you trust (fresh locks, the same sharing),
re-runs the stored verification on what was loaded, and prints the restored tree. Exit 0
when it loaded and verification holds, 1 when verification fails.
"""

from __future__ import annotations

import argparse
import sys

from lockpickle_gui.cli._args import add_snapshot_to_load, trust_options
from lockpickle_gui.cli._render import describe_verification, render_project
from lockpickle_gui.cli._term import EXIT_FAILED, EXIT_OK, ProgressBar, print_json

HELP = (
    "Load a .lpsnap snapshot with only the code you trust, re-run its verification and "
    "show the restored objects with their fresh locks."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snapshot_to_load(parser)
    parser.add_argument(
        "--json", action="store_true", help='print {"tree": ..., "verification": ...} as JSON'
    )


def run(args: argparse.Namespace) -> int:
    from lockpickle_gui.core.library import record_import
    from lockpickle_gui.core.project import import_snapshot

    with ProgressBar() as progress:
        imported = import_snapshot(args.path, progress=progress, **trust_options(args))
    project, result = imported.project, imported.verification
    record_import(args.path, result)  # the snapshot library; a failure only warns
    holds, verdict = describe_verification(result, project.manifest or {}, args.path)
    tree = project.inspect()
    if args.json:
        print_json({"tree": tree.to_dict(), "verification": {**result.to_dict(), "holds": holds}})
    else:
        sys.stdout.write(render_project(project, tree))
        print(verdict)
    return EXIT_OK if holds else EXIT_FAILED
