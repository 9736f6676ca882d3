"""Arguments several sub-commands share, and the output-path check done before any work."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lockpickle_gui.core.atomic import check_writable
from lockpickle_gui.core.errors import LockpickleError

if TYPE_CHECKING:  # the library (and the snapshot format below it) loads only when used
    from lockpickle_gui.core.library import Library


def add_trust_arguments(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--trust TYPE_OR_MODULE`` (repeatable) and ``--trust-bundled-code``."""
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE_OR_MODULE",
        help=f"trust this type (pkg.mod.Service) or the classes defined in this module "
        f"(pkg.layers, pkg.layers.*) when {purpose} (repeatable; `lockpickle info` lists "
        "what a snapshot needs)",
    )
    parser.add_argument(
        "--trust-bundled-code",
        action="store_true",
        help=f"trust the project code bundled in the snapshot when {purpose}",
    )


def trust_options(args: argparse.Namespace) -> dict[str, Any]:
    """What :func:`add_trust_arguments` read, as the core's ``trust=`` and
    ``trust_bundled_code=`` keywords."""
    return {"trust": tuple(args.trust), "trust_bundled_code": args.trust_bundled_code}


def add_snapshot_to_load(parser: argparse.ArgumentParser) -> None:
    """The ``.lpsnap`` a command loads, and the trust it is loaded with."""
    parser.add_argument("path", help="a .lpsnap snapshot")
    add_trust_arguments(parser, "loading the snapshot")


def check_output(output: Path) -> Path:
    """``output`` if a snapshot may be written there; checked before any work is done.

    Only ``.lpsnap`` names: every opener decides by the suffix, so a snapshot written as
    ``model.keras`` could not be opened again, and ``-o`` naming the input model would
    replace it.
    """
    from lockpickle_gui.core.snapshot.format import SUFFIX  # the snapshot package is heavy

    check_writable(output)
    if output.suffix.lower() != SUFFIX:
        raise LockpickleError(
            f"Expected -o to name a {SUFFIX} file. Received: {output}.",
            path=output,
            hint=f"Use -o {output.with_suffix(SUFFIX)}; lockpickle and the app recognise "
            f"snapshots by the {SUFFIX} suffix.",
        )
    return output


def open_library() -> Library:
    """The user's snapshot library, rebuilt first (saying so on stderr) when its database
    was deleted or damaged."""
    from lockpickle_gui.core.library import Library, rebuild  # heavy: the snapshot format

    library = Library()
    if library.recovered_from is not None:
        print(
            f"lockpickle: the snapshot library was damaged; it was moved to "
            f"{library.recovered_from}.",
            file=sys.stderr,
        )
    if library.needs_rebuild:
        print("lockpickle: rebuilding the snapshot library from the files…", file=sys.stderr)
        report = rebuild(library)
        print(
            f"lockpickle: rebuilt: {library.count()} snapshot(s), {len(report.missing)} missing.",
            file=sys.stderr,
        )
    return library


def snapshot_path(ref: str) -> str:
    """A snapshot named on the command line: a file, or the id of a library entry."""
    if os.path.exists(ref) or not ref.isdigit():
        return ref
    library = open_library()
    try:
        return library.entry(int(ref)).path
    finally:
        library.close()
