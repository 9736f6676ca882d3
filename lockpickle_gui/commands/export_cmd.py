"""``lockpickle export PATH -o OUT.lpsnap``: save a model or project as a lock-safe snapshot."""

from __future__ import annotations

HELP = ("Save a model file, SavedModel folder or project folder (its runtime object: models, "
        "locks and all) as a lock-safe .lpsnap snapshot.")


def add_arguments(parser) -> None:
    parser.add_argument("path", help="a .keras/.h5 file, a SavedModel folder or a project folder "
                                     "(lockpickle.toml)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.lpsnap",
                        help="the snapshot to write (replaced atomically if it exists)")
    parser.add_argument("--no-verify", action="store_true",
                        help="do not store sample inputs and outputs for `lockpickle verify`")
    parser.add_argument("--on-blocked", choices=("error", "drop"), default="error",
                        help="what to do with open files, sockets, threads, generators: refuse "
                             "(error, the default) or store them as None (drop)")
    add_trust_arguments(parser, "opening a .lpsnap as the input")


def add_trust_arguments(parser, purpose: str) -> None:
    """``--trust MODULE`` (repeatable) and ``--trust-bundled-code``, shared by the commands."""
    parser.add_argument("--trust", action="append", default=[], metavar="MODULE",
                        help=f"trust this module and its submodules when {purpose} (repeatable)")
    parser.add_argument("--trust-bundled-code", action="store_true",
                        help=f"trust the project code bundled in the snapshot when {purpose}")


def run(args) -> int:
    from pathlib import Path

    from lockpickle_gui.commands._term import ProgressBar
    from lockpickle_gui.core.project import open_project
    from lockpickle_gui.core.snapshot import save_snapshot

    output = check_output(Path(args.output).expanduser())
    with ProgressBar() as bar:
        project = open_project(args.path, progress=lambda f, m="": bar(0.3 * f, m),
                               trust=tuple(args.trust), trust_bundled_code=args.trust_bundled_code)
        manifest = save_snapshot(project, output, verify=not args.no_verify,
                                 on_blocked=args.on_blocked,
                                 progress=lambda f, m="": bar(0.3 + 0.7 * f, m))
    print(summary(output, manifest))
    return 0


def check_output(output):
    """``output`` if a snapshot may be written there; checked before any work is done.

    Only ``.lpsnap`` names: every opener decides by the suffix, so a snapshot written as
    ``model.keras`` could not be opened again, and ``-o`` naming the input model would
    replace it.
    """
    from lockpickle_gui.core.atomic import check_writable
    from lockpickle_gui.core.errors import LockpickleError
    from lockpickle_gui.core.snapshot.format import SUFFIX

    check_writable(output)
    if output.suffix.lower() != SUFFIX:
        raise LockpickleError(
            f"Expected -o to name a {SUFFIX} file. Received: {output}.", path=output,
            hint=f"Use -o {output.with_suffix(SUFFIX)}; lockpickle and the app recognise "
                 f"snapshots by the {SUFFIX} suffix.")
    return output


def summary(output, manifest: dict) -> str:
    from lockpickle_gui.commands.info_cmd import human_size

    lines = [f"Saved {output} ({human_size(output.stat().st_size)}): "
             f"{len(manifest['models'])} model(s), {len(manifest['primitives'])} primitive(s)"
             + (f", {len(manifest['dropped'])} dropped (stored as None)" if manifest["dropped"] else "")
             + "."]
    check = manifest["verification"]
    if check and check.get("tolerance") is not None:
        lines.append(f"Verification stored: tolerance {check['tolerance']:.3g}; "
                     f"`lockpickle verify {output}` re-runs it after loading.")
    for entry in (check or {}).get("models", []):
        if entry.get("skipped"):
            model = manifest["models"][entry["model"]]
            lines.append(f"Verification skipped for model {model['name']!r}: {entry['skipped']} "
                         "(export again when it is free to store verification data).")
    lines += [f"Note: {note}" for note in manifest.get("notes", [])]
    if manifest["code"]:
        lines.append("Bundled project code: loading needs --trust-bundled-code.")
    if manifest["modules"]:
        lines.append("Loading needs --trust for: " + ", ".join(manifest["modules"]) + ".")
    return "\n".join(lines)
