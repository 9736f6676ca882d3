"""``lockpickle diff A B [--json]``: what changed between two snapshots.

Versions and required types, bundled code (each file by sha256), primitives (kind, sharing,
kept state), per model the layers (config diff), the weights (identical / max abs / relative
norm) and the outputs on the stored verification inputs. Read from the files only, each
member checked against the manifest's sha256: nothing is loaded or run. Exit 0 when
identical, 1 when different, 2 on bad input (a damaged snapshot included).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lockpickle_gui.cli._args import snapshot_path
from lockpickle_gui.cli._term import EXIT_FAILED, EXIT_OK, print_json

if TYPE_CHECKING:  # the library (and the snapshot format below it) loads only when used
    from lockpickle_gui.core.library.diff_report import DiffReport

HELP = (
    "Compare two .lpsnap snapshots (or library ids): versions, required types, bundled code, "
    "primitives, layers, weights and outputs; exit 0 when identical, 1 when different, "
    "2 when a file is not a readable snapshot."
)

MARKS = {"added": "+", "removed": "-", "changed": "~", "same": " "}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="a .lpsnap snapshot, or a library id")
    parser.add_argument("b", metavar="B", help="the snapshot to compare it with")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument("--all", action="store_true", help="also list the rows that did not change")


def run(args: argparse.Namespace) -> int:
    from lockpickle_gui.core.library.diff import diff_snapshots

    report = diff_snapshots(snapshot_path(args.a), snapshot_path(args.b))
    if args.json:
        print_json(report.to_dict())
    else:
        print(render_diff(report, show_all=args.all))
    return EXIT_OK if report.identical else EXIT_FAILED


def render_diff(report: DiffReport, show_all: bool = False) -> str:
    """The comparison as text, section by section (unchanged rows only with ``show_all``)."""
    lines = [f"A: {report.a}", f"B: {report.b}", ""]
    for section in report.sections:
        counts = section.counts()
        changed = {k: v for k, v in counts.items() if k != "same" and v}
        state = ", ".join(f"{n} {status}" for status, n in changed.items()) or "same"
        if counts["same"] and changed:
            state += f" ({counts['same']} unchanged)"
        if not section.rows:
            state = section.note or "none in either"
        elif section.note and section.key != "versions":
            state += f"; {section.note}"
        lines.append(f"{section.title}: {state}")
        for row in section.rows:
            if row.status.value == "same" and not show_all:
                continue
            sides = row.a if row.a == row.b else f"{row.a or '(none)'} -> {row.b or '(none)'}"
            lines.append(f"  {MARKS[row.status.value]} {row.item}: {sides}")
            lines += [f"      {detail}" for detail in row.details]
    lines += ["", report.summary()]
    return "\n".join(lines)
