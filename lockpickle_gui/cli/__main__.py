"""``python -m lockpickle_gui.cli``: the ``lockpickle`` command."""

from lockpickle_gui.cli import main

raise SystemExit(main())
