"""The ``lockpickle`` command: inspect | export | import | info | verify | preview | library | diff.

Each sub-command lives in ``lockpickle_gui/cli/<name>_cmd.py`` and exposes ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. This module only parses and turns
errors into one-paragraph messages on stderr (no tracebacks unless ``--debug``).
Shared pieces: ``_args`` (arguments), ``_render`` (what is printed), ``_term`` (exit codes,
progress, JSON).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lockpickle_gui._version import __version__
from lockpickle_gui.cli._term import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK

# sub-command -> module under lockpickle_gui.cli
COMMANDS = {
    "inspect": "inspect_cmd",
    "export": "export_cmd",
    "import": "import_cmd",
    "info": "info_cmd",
    "verify": "verify_cmd",
    "preview": "preview_cmd",
    "library": "library_cmd",
    "diff": "diff_cmd",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lockpickle",
        description="Inspect, preview and snapshot Keras models inside threaded programs.",
    )
    parser.add_argument("--version", action="version", version=f"lockpickle {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="let TensorFlow's own start-up messages through to stderr",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"lockpickle_gui.cli.{module_name}")
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lockpickle_gui.core.errors import Cancelled, LockpickleError
    from lockpickle_gui.core.tf_runtime import verbose_native_logs

    verbose_native_logs(args.verbose)

    try:
        return int(args._run(args) or EXIT_OK)
    except Cancelled as error:
        print(f"lockpickle: {error}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("lockpickle: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except LockpickleError as error:
        if args.debug:
            raise
        print(f"lockpickle {args.command}: {error}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # a bug: say so in one paragraph, offer the traceback
        if args.debug:
            raise
        print(
            f"lockpickle {args.command}: unexpected {type(error).__name__}: {error}. "
            "This is a bug in lockpickle; run again with --debug for the traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_ERROR
