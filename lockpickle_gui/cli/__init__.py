"""The ``lockpickle`` command: inspect | export | import | info | verify | preview | library | diff.

Each sub-command lives in ``lockpickle_gui/cli/<name>_cmd.py`` and exposes ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. This module only parses and turns
errors into one-paragraph messages on stderr (no tracebacks unless ``--debug``; the exit
status is the same either way).
Shared pieces: ``_args`` (arguments), ``_render`` (what is printed), ``_term`` (exit codes,
progress, JSON).
"""

from __future__ import annotations

import argparse
import importlib
import os
import select
import sys
import traceback

from lockpickle_gui._version import __version__
from lockpickle_gui.cli._term import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    cli_message,
)

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
        code = int(args._run(args) or EXIT_OK)
        sys.stdout.flush()  # a closed pipe shows here, not at exit where nothing catches it
        return code
    except BrokenPipeError as error:
        if _stdout_reader_gone():
            return _reader_went_away()
        return _bug(args, error)
    except Cancelled as error:
        print(f"lockpickle: {error}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("lockpickle: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except LockpickleError as error:
        if args.debug:  # the traceback too; the exit status stays the one scripts check
            traceback.print_exception(error)
        print(f"lockpickle {args.command}: {cli_message(error)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - a bug: one paragraph, the traceback on --debug
        return _bug(args, error)


def _bug(args: argparse.Namespace, error: Exception) -> int:
    """An exception nobody raised on purpose: say so in one paragraph, offer the traceback."""
    if args.debug:
        traceback.print_exception(error)
    print(
        f"lockpickle {args.command}: unexpected {type(error).__name__}: {error}. "
        "This is a bug in lockpickle; run again with --debug for the traceback and report it.",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe its reader closed (and not some worker's pipe that broke)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    if not hasattr(select, "poll"):  # Windows: no poll; a broken stdout is the likely case
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _reader_went_away() -> int:
    """``lockpickle ... | head -1``: the reader closed the pipe, which is not an error.

    Python's documented recipe (the ``signal`` module's note on SIGPIPE): point stdout at
    devnull so the flush at exit cannot fail again, and leave quietly with the status of a
    process killed by SIGPIPE. SIGPIPE itself stays ignored: worker processes and Ray talk
    over sockets, where a closed peer must be an exception, not a silent death.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests)
        pass
    return EXIT_BROKEN_PIPE
