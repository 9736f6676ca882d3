"""``python -m lockpickle_gui`` starts the desktop app."""

from lockpickle_gui.gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
