"""Entry script of the PyInstaller bundle: the same `main` as the `lockpickle-gui` command."""

import multiprocessing
import sys

from lockpickle_gui.gui.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not start a second GUI
    sys.exit(main())
