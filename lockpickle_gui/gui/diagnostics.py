"""What the app tells the user and its log when something goes wrong: the rotating log file
(Qt's own messages included), one dialog for an unexpected exception on any thread, and the
missing-display check that runs before Qt would abort."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
import weakref
from pathlib import Path

from PySide6.QtCore import QObject, QtMsgType, Signal, qInstallMessageHandler

from lockpickle_gui._version import __version__

log = logging.getLogger("lockpickle_gui")

LOG_FILE = "lockpickle-gui.log"


def setup_logging(log_dir: Path) -> Path | None:
    """A rotating log file in the user log folder, warnings on stderr. Returns the file."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("lockpickle-gui: %(levelname)s: %(message)s"))
    root.addHandler(console)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_dir / LOG_FILE, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as error:
        log.warning(
            "Cannot write the log file in %s (%s); logging to the console only.", log_dir, error
        )
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    qInstallMessageHandler(_qt_message)
    log.info("lockpickle-gui %s starting (Python %s)", __version__, sys.version.split()[0])
    return log_dir / LOG_FILE


def _qt_message(mode: QtMsgType, context, message: str) -> None:
    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
    }.get(mode, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)


class CrashReporter(QObject):
    """Turns an unexpected exception (any thread) into a log entry and a dialog, never a crash.

    The signal is emitted from whatever thread failed and delivered on the UI thread. At most
    one dialog is open at a time; errors arriving meanwhile are only logged (an error in a
    paint event would otherwise open a dialog per repaint).
    """

    report = Signal(str, str)  # (message, details)

    def __init__(self, window=None):
        super().__init__()
        self._window = weakref.ref(window) if window is not None else (lambda: None)
        self.dialog = None
        self.report.connect(self._show)

    def excepthook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.critical("Unexpected error: %s", details)
        self.report.emit(f"{exc_type.__name__}: {exc}", details)

    def threading_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        thread = args.thread.name if args.thread is not None else "a thread"
        details = "".join(
            traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        )
        log.critical("Unexpected error in %s: %s", thread, details)
        self.report.emit(f"{args.exc_type.__name__} in {thread}: {args.exc_value}", details)

    def _show(self, message: str, details: str) -> None:
        from lockpickle_gui.gui.dialogs import make_error_box

        if self.dialog is not None:
            return
        window = self._window()
        if window is not None and getattr(window, "suppress_error_dialogs", False):
            return
        box = make_error_box(
            window,
            "Unexpected error",
            message + "\n\nThe app keeps running; "
            "the details are in the log (Help ▸ Open Log Folder).",
            details,
        )
        box.finished.connect(self._dialog_closed)
        self.dialog = box
        box.open()

    def _dialog_closed(self) -> None:
        self.dialog = None

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.threading_excepthook


def missing_display_problem(environ, platform: str) -> str:
    """Why Qt cannot open a window here, in words, or "" when it can try.

    Without a display, Qt aborts the process with its own "no Qt platform plugin could be
    initialized"; saying so first, with the fix, is kinder.
    """
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return ""
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        "no display found: DISPLAY and WAYLAND_DISPLAY are not set. Start it from a "
        "desktop session, or without a screen with QT_QPA_PLATFORM=offscreen (for example "
        "`QT_QPA_PLATFORM=offscreen lockpickle-gui --screenshot out.png PROJECT`)."
    )
