"""PLACEHOLDER: replaced by the issue that implements this sub-command."""

HELP = "(not implemented yet)"


def add_arguments(parser):
    parser.add_argument("path", nargs="?")


def run(args):
    from lockpickle_gui.core.errors import LockpickleError

    raise LockpickleError("This command is not implemented yet.")
