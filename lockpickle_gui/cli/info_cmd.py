"""``lockpickle info SNAP [--json]``: a snapshot's manifest, readable; nothing is loaded."""

from __future__ import annotations

import argparse
import sys

from lockpickle_gui.cli._args import add_trust_arguments, trust_options
from lockpickle_gui.cli._render import render_view
from lockpickle_gui.cli._term import EXIT_OK, print_json

HELP = (
    "Show what a .lpsnap snapshot holds (models, locks with their paths, bundled code, the "
    "types loading needs you to trust, versions) from its manifest, without loading anything."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a .lpsnap snapshot")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also check every member's sha256 (reads the whole file)",
    )
    add_trust_arguments(parser, "showing which types are still untrusted")


def run(args: argparse.Namespace) -> int:
    from lockpickle_gui.core.snapshot import read_manifest
    from lockpickle_gui.core.snapshot.view import manifest_view

    view = manifest_view(args.path, check=args.check, **trust_options(args))
    if args.json:
        print_json(
            {**read_manifest(args.path), "untrusted_types": [row.name for row in view.untrusted]}
        )
    else:
        sys.stdout.write(render_view(view))
    return EXIT_OK
