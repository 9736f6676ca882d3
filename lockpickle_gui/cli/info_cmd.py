"""``lockpickle info SNAP [--json]``: a snapshot's manifest, readable; nothing is loaded."""

from __future__ import annotations

import sys

from lockpickle_gui.cli._render import render

HELP = (
    "Show what a .lpsnap snapshot holds (models, locks with their paths, bundled code, "
    "modules to trust, versions) from its manifest, without loading anything."
)


def add_arguments(parser) -> None:
    parser.add_argument("path", help="a .lpsnap snapshot")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also check every member's sha256 (reads the whole file)",
    )


def run(args) -> int:
    from lockpickle_gui.cli._term import print_json
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


# ----------------------------------------------------------------------------- inspect
