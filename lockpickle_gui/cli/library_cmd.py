"""``lockpickle library list|show|add|scan|verify|tag|note|rm``: the snapshot library.

The same catalog as the app's Library panel (SQLite in the user data folder; set
LOCKPICKLE_GUI_SETTINGS_DIR to use another), safe to use while the app runs. Entries are
named by their id (``list`` shows it) or their path.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from lockpickle_gui.cli._args import add_trust_arguments, open_library, trust_options
from lockpickle_gui.cli._term import EXIT_FAILED, EXIT_OK, ProgressBar, cli_message, print_json
from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.text import format_size

if TYPE_CHECKING:  # the library (and the snapshot format below it) loads only when used
    from lockpickle_gui.core.library import Library, LibraryEntry, ScanReport
    from lockpickle_gui.core.library.scan import Problem

HELP = (
    "The snapshot library: list the snapshots recorded (exports, imports, scanned folders), "
    "add files or folders, rescan, re-verify, tag, annotate and remove them."
)
# The library's VerdictFilter values and SORT_COLUMNS keys (a test keeps them equal), written
# out so that building the parser does not load the library and the snapshot format.
VERDICTS = ("identical", "within tolerance", "mismatch", "no data", "unverified")
SORTS = ("created", "name", "size", "models", "params", "primitives", "verdict", "verified", "path")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, text: str) -> argparse.ArgumentParser:
        """A sub-command whose --help starts with the sentence the ACTION list shows."""
        return actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")

    listing = action("list", "list the snapshots, grouped by project")
    listing.add_argument("--search", default="", metavar="TEXT", help="words to look for")
    listing.add_argument("--project", help="only this project")
    listing.add_argument("--tag", help="only snapshots with this tag")
    listing.add_argument("--verdict", choices=VERDICTS, help="only this verification verdict")
    listing.add_argument(
        "--missing",
        action="store_const",
        const=True,
        default=None,
        help="only snapshots whose file is gone",
    )
    listing.add_argument(
        "--sort",
        default="created",
        choices=SORTS,
        help="inside each project (default: created)",
    )
    listing.add_argument("--ascending", action="store_true", help="oldest/smallest first")
    show = action("show", "everything recorded about one snapshot")
    show.add_argument("ref", metavar="ID|PATH")
    add = action("add", "record snapshot files; add folders and scan them")
    add.add_argument("paths", nargs="+", metavar="PATH")
    scan = action("scan", "rescan the library's folders (or the ones given)")
    scan.add_argument("folders", nargs="*", metavar="FOLDER")
    verify = action("verify", "load and re-run the stored verification")
    verify.add_argument("refs", nargs="*", metavar="ID|PATH")
    verify.add_argument("--all", action="store_true", help="every snapshot whose file exists")
    add_trust_arguments(verify, "loading the snapshots")
    tag = action("tag", "add (or --remove) tags")
    tag.add_argument("ref", metavar="ID|PATH")
    tag.add_argument("tags", nargs="+", metavar="TAG")
    tag.add_argument("--remove", action="store_true", help="remove these tags instead")
    note = action("note", "set the free-text note ('' clears it)")
    note.add_argument("ref", metavar="ID|PATH")
    note.add_argument("text")
    remove = action("rm", "remove snapshots from the library")
    remove.add_argument("refs", nargs="+", metavar="ID|PATH")
    remove.add_argument(
        "--delete-file", action="store_true", help="also delete the files (cannot be undone)"
    )
    for sub in (listing, show, add, scan, verify, tag, note, remove):
        sub.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    library = open_library()
    try:
        if args.action != "scan":  # the files are the truth: a vanished one shows as missing
            library.refresh_missing()
        return ACTIONS[args.action](library, args)
    finally:
        library.close()


def _list(library: Library, args: argparse.Namespace) -> int:
    from lockpickle_gui.core.library import Filters, VerdictFilter

    filters = Filters(
        search=args.search,
        project=args.project,
        tag=args.tag,
        verdict=VerdictFilter(args.verdict) if args.verdict else None,
        missing=args.missing,
        sort=args.sort,
        descending=not args.ascending,
    )
    entries = library.entries(filters)
    if args.json:
        print_json({"entries": [entry.to_dict() for entry in entries]})
        return EXIT_OK
    project = None
    for entry in entries:
        if entry.project != project:
            project = entry.project
            count = sum(1 for e in entries if e.project == project)
            print(f"{project} ({count})")
        print("  " + describe(entry))
    if not entries:
        print("No snapshot matches." if library.count() else _EMPTY)
    return EXIT_OK


_EMPTY = (
    "The library is empty. Exports and imports are recorded as they happen; "
    "`lockpickle library add FOLDER` adds the snapshots already on disk."
)


def describe(entry: LibraryEntry) -> str:
    parts = [
        f"#{entry.id}",
        entry.created_utc.replace("T", " ").rstrip("Z")[:16] or "?",
        entry.name,
        format_size(entry.size) if entry.size is not None else "?",
        entry.model_text or "no models",
        f"{entry.primitive_count} primitive(s)",
        entry.verdict or "unverified",
    ]
    if entry.tags:
        parts.append("[" + ", ".join(entry.tags) + "]")
    if entry.missing:
        parts.insert(0, "MISSING")
    text = "  ".join(parts) + f"\n      {entry.path}"
    return text + (f"\n      note: {entry.note}" if entry.note else "")


def _show(library: Library, args: argparse.Namespace) -> int:
    details = library.details(args.ref)
    if args.json:
        print_json(details.to_dict())
        return EXIT_OK
    entry = details.entry
    lines = [
        describe(entry),
        f"sha256 {entry.sha256 or '?'}",
        f"project {entry.project}"
        + (f" from {details.source_path}" if details.source_path else ""),
        f"made by {details.producer} {details.producer_version}, format "
        f"{details.format_version}, " + ", ".join(f"{k} {v}" for k, v in details.versions.items()),
        "models: "
        + (
            "; ".join(f"{m['name']} ({m['class']}, {m['params']} params)" for m in details.models)
            or "none"
        ),
        "primitives: "
        + (", ".join(f"{p['path']} ({p['kind']})" for p in details.primitives) or "none"),
        "dropped: " + (", ".join(f"{d['path']} ({d['kind']})" for d in details.dropped) or "none"),
        "required types: " + (", ".join(details.required_types) or "none"),
        f"verification: {entry.verdict or 'never re-run'}"
        + (f" at {entry.verified_at}" if entry.verified_at else "")
        + (f" ({details.verify_detail})" if details.verify_detail else ""),
        "history:",
    ]
    lines += [f"  {e.at}  {e.kind}  {e.detail}" for e in details.history]
    print("\n".join(lines))
    return EXIT_OK


def _report(report: ScanReport, args: argparse.Namespace) -> int:
    if args.json:
        print_json(report.to_dict())
        return EXIT_OK
    print(
        f"{report.found} snapshot(s) found, {report.recorded} read, {report.unchanged} "
        f"unchanged, {len(report.missing)} missing, {len(report.problems)} not snapshots."
    )
    for path in report.missing:
        print(f"  missing: {path}")
    for problem in report.problems:
        print(f"  skipped {problem.path}: {problem.message}")
    return EXIT_OK


def _add(library: Library, args: argparse.Namespace) -> int:
    from lockpickle_gui.core.library import add_paths
    from lockpickle_gui.core.library.sql import normalize

    with ProgressBar() as bar:
        report = add_paths(library, args.paths, progress=bar)
    _report(report, args)
    named = {normalize(path) for path in args.paths}
    _refuse_named(
        "snapshot files or folders that exist",
        [p for p in report.problems if p.path in named],
        "the other paths were added as listed above",
    )
    return EXIT_OK


def _scan(library: Library, args: argparse.Namespace) -> int:
    import os

    from lockpickle_gui.core.library import ScanReport, scan
    from lockpickle_gui.core.library.scan import Problem
    from lockpickle_gui.core.library.sql import normalize

    folders = [f for f in args.folders if os.path.isdir(f)]
    refused = [
        Problem(
            normalize(path),
            "a file, not a folder; `lockpickle library add FILE` records one file"
            if os.path.exists(path)
            else "no such folder",
        )
        for path in args.folders
        if path not in folders
    ]
    with ProgressBar() as bar:
        if folders or not args.folders:  # no folder given: the library's own
            report = scan(library, folders or None, progress=bar)
        else:
            report = ScanReport()  # none of those given exists: scan nothing, not everything
    report.problems[:0] = refused
    _report(report, args)
    _refuse_named("folders that exist", refused, "the other folders were scanned as listed above")
    return EXIT_OK


def _refuse_named(expected: str, refused: list[Problem], others: str) -> None:
    """Exit status 2 (after the report) when a path named on the command line was refused."""
    if refused:
        raise LockpickleError(
            f"Expected {expected}. Received: "
            + "; ".join(f"{p.path} ({p.message})" for p in refused)
            + ".",
            hint=f"Check the path(s); {others}.",
        )


def _verify(library: Library, args: argparse.Namespace) -> int:
    from lockpickle_gui.core.library import Filters, reverify

    if args.all:
        refs = [e.id for e in library.entries(Filters(missing=False))]
    elif args.refs:
        refs = [library.entry(ref).id for ref in args.refs]
    else:
        raise LockpickleError(
            "Expected snapshots to verify. Received: none.",
            hint="Name them by id or path, or pass --all.",
        )
    results: list[dict[str, object]] = []
    holds = True
    for ref in refs:
        entry = library.entry(ref)
        try:
            with ProgressBar() as bar:
                result = reverify(library, ref, progress=bar, **trust_options(args))
        except LockpickleError as error:  # one snapshot's problem; the others still run
            holds = False
            results.append({"id": entry.id, "path": entry.path, "error": cli_message(error)})
            continue
        holds = holds and result.ok
        results.append({"id": entry.id, "path": entry.path, **result.to_dict()})
    if args.json:
        print_json({"results": results, "holds": holds})
    else:
        for item in results:
            verdict = item.get("verdict") or f"not verified: {item['error']}"
            print(f"#{item['id']}  {verdict}  {item['path']}")
    return EXIT_OK if holds else EXIT_FAILED


def _tag(library: Library, args: argparse.Namespace) -> int:
    library.tag([args.ref], args.tags, remove=args.remove)
    return _entry(library, args)


def _note(library: Library, args: argparse.Namespace) -> int:
    library.set_note(args.ref, args.text)
    return _entry(library, args)


def _entry(library: Library, args: argparse.Namespace) -> int:
    entry = library.entry(args.ref)
    if args.json:
        print_json(entry.to_dict())
    else:
        print(describe(entry))
    return EXIT_OK


def _remove(library: Library, args: argparse.Namespace) -> int:
    entries = [library.entry(ref) for ref in args.refs]
    deleted = library.remove([e.id for e in entries], delete_files=args.delete_file)
    if args.json:
        print_json({"removed": [e.to_dict() for e in entries], "deleted_files": deleted})
        return EXIT_OK
    for entry in entries:
        gone = " (file deleted)" if entry.path in deleted else ""
        print(f"removed #{entry.id} {entry.path}{gone}", file=sys.stdout)
    return EXIT_OK


ACTIONS = {
    "list": _list,
    "show": _show,
    "add": _add,
    "scan": _scan,
    "verify": _verify,
    "tag": _tag,
    "note": _note,
    "rm": _remove,
}
