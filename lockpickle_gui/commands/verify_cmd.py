"""``lockpickle verify SNAP``: load a snapshot and re-run its stored verification.

Exit 0 only when the loaded models reproduce the outputs stored at export (identical or
within the recorded tolerance); 1 when they do not, or when there is nothing to compare.
"""

from __future__ import annotations

HELP = ("Load a .lpsnap snapshot (checked, with only the code you trust) and re-run the "
        "verification stored at export; exit 0 only when it holds.")


def add_arguments(parser) -> None:
    from lockpickle_gui.commands.export_cmd import add_trust_arguments

    parser.add_argument("path", help="a .lpsnap snapshot")
    add_trust_arguments(parser, "loading the snapshot")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args) -> int:
    from lockpickle_gui.commands._term import print_json
    from lockpickle_gui.core.snapshot import read_manifest, verify_snapshot

    manifest = read_manifest(args.path)
    result = verify_snapshot(args.path, trust=tuple(args.trust),
                             trust_bundled_code=args.trust_bundled_code)
    holds, text = describe_verification(result, manifest, args.path)
    if args.json:
        print_json({**result.to_dict(), "holds": holds})
    else:
        print(text)
    return 0 if holds else 1


def describe_verification(result, manifest: dict, path) -> tuple[bool, str]:
    """(whether verification holds, one sentence saying so) for people on a terminal."""
    holds = result.ok or (result.verdict == "no data" and not manifest["models"])
    if result.verdict == "identical":
        return holds, (f"identical: the loaded model(s) reproduce the outputs stored at export "
                       f"bit for bit ({path}).")
    if result.verdict == "within tolerance":
        return holds, (f"within tolerance: max difference {result.max_abs_diff:.3g} <= tolerance "
                       f"{result.tolerance:.3g} ({path}).")
    if result.verdict == "mismatch":
        return holds, (f"mismatch: max difference {result.max_abs_diff:.3g} exceeds the tolerance "
                       f"{result.tolerance:.3g} ({path}). Use the Keras/TensorFlow versions "
                       "`lockpickle info` lists, or export the snapshot again.")
    if holds:
        return holds, f"loaded: {path} holds no models, so there are no outputs to compare."
    return holds, (f"no data: {path} was exported without verification (--no-verify) or its "
                   "models have no input spec; it loaded, but nothing was compared.")
