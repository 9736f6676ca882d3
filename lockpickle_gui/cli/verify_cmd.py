"""``lockpickle verify SNAP``: load a snapshot and re-run its stored verification.

Exit 0 only when the loaded models reproduce the outputs stored at export (identical or
within the recorded tolerance); 1 when they do not, or when there is nothing to compare.
"""

from __future__ import annotations

import argparse

from lockpickle_gui.cli._args import add_snapshot_to_load, trust_options
from lockpickle_gui.cli._render import describe_verification
from lockpickle_gui.cli._term import EXIT_FAILED, EXIT_OK, print_json

HELP = (
    "Load a .lpsnap snapshot (checked, with only the code you trust) and re-run the "
    "verification stored at export; exit 0 only when it holds."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snapshot_to_load(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from lockpickle_gui.core.library import record_verification
    from lockpickle_gui.core.snapshot import read_manifest, verify_snapshot

    manifest = read_manifest(args.path)
    result = verify_snapshot(args.path, **trust_options(args))
    record_verification(args.path, result)  # the snapshot library keeps the last verdict
    holds, text = describe_verification(result, manifest, args.path)
    if args.json:
        print_json({**result.to_dict(), "holds": holds})
    else:
        print(text)
    return EXIT_OK if holds else EXIT_FAILED
