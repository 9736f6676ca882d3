"""The desktop app's wiring, in one place: logging, error hooks, QApplication, window, TensorFlow.

``lockpickle-gui [PATH ...] [--screenshot FILE] [--version]``

Order matters for the first impression: the window is built and shown first (Qt and the
app's own modules only), then TensorFlow is imported on a worker thread while the status bar
says so; paths opened meanwhile wait in the loader's queue. Tests use
:func:`build_main_window`, which does the same without an event loop.
"""

from __future__ import annotations

import argparse
import gc
import logging
import logging.handlers
import os
import sys
import threading
import time
import traceback
import weakref
from pathlib import Path

from PySide6.QtCore import (
    QEventLoop,
    QObject,
    Qt,
    QTimer,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from lockpickle_gui import resources
from lockpickle_gui._version import __version__
from lockpickle_gui.core.atomic import atomic_write
from lockpickle_gui.core.settings import Settings, user_dirs
from lockpickle_gui.gui.workers import abandoned_work

log = logging.getLogger("lockpickle_gui")

LOG_FILE = "lockpickle-gui.log"
SCREENSHOT_SIZE = (1440, 860)
SCREENSHOT_TIMEOUT_S = 300
SMALL_SCREEN_HEIGHT = 900  # logical pixels: below, the Library dock starts hidden


# ---------------------------------------------------------------------------- logging


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


# ---------------------------------------------------------------------------- error hooks


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


# ---------------------------------------------------------------------------- application


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


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0], *(argv or [])])
    app.setApplicationName("lockpickle-gui")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("lockpickle")
    app.setDesktopFileName(resources.APP_ID)  # = the .desktop file's name (packaging/)
    from lockpickle_gui.gui import badges

    app.setWindowIcon(badges.app_icon())
    return app


def freeze_startup_heap(*_args) -> None:
    """Move everything alive once TensorFlow is imported out of the cyclic GC's sight.

    A preview run allocates a Future (and more) per request; every so often that triggers a
    full collection, which walks every tracked object while holding the GIL: with TensorFlow
    and Keras imported that is ~280,000 objects and 150-200 ms, from whichever thread
    allocated last, so the UI thread froze for as long (bench_gui_responsiveness.py). Module
    state imported at start-up lives as long as the process, so freezing it loses nothing;
    models loaded later stay collectable. Once per process: a later window (tests build
    many) must not freeze the previous one's models and widgets for good.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()


_heap_frozen = False


def build_main_window(settings_dir=None, *, restore_layout: bool = True):
    """The main window, its parts wired to it and to the session; TensorFlow importing.

    Every part is built and connected here, in one place (Mu's way): a part does not reach
    into the window to install itself. A new panel gets built below and connected to the
    session's events (``opened``, ``replaced``, ``closed``, ``current_changed``) or to the
    window's signals. ``settings_dir`` puts settings, logs and caches in one folder (tests
    use a temporary one). No event loop is started.
    """
    from lockpickle_gui.core.session import Session
    from lockpickle_gui.gui import library_panel, snapshot_actions
    from lockpickle_gui.gui.main_window import MainWindow
    from lockpickle_gui.gui.preview_dock import PreviewDock

    make_application()
    session = Session()
    window = MainWindow(Settings(settings_dir), session)
    events = session.events

    # File ▸ Import/Export Snapshot; a dropped or reloaded .lpsnap goes through the import
    window.snapshots = snapshots = snapshot_actions.SnapshotActions(window)
    window.snapshotRequested.connect(lambda path: snapshot_actions.import_snapshot(window, path))
    window.projectChanged.connect(snapshots.project_changed)

    # the threaded preview: one panel per project, in a dock tabbed behind Details
    window.preview = preview = PreviewDock(window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, preview)
    window.menus["View"].addAction(preview.toggleViewAction())
    window.menus["Tools"].addAction(preview.run_action)
    window.toolbar.addAction(preview.run_action)
    window.addAction(preview.run_action)
    events.opened.connect(preview.project_opened)
    events.replaced.connect(preview.project_replaced)
    events.closed.connect(preview.project_closed)
    events.current_changed.connect(preview.current_changed)
    window.settingsChanged.connect(preview.reload_defaults)
    window.aboutToClose.connect(preview.cancel_all)
    window.tabifyDockWidget(window.details_dock, preview)
    window.details_dock.raise_()

    # the snapshot library, docked below
    window.library_dock, window.library_panel = library_panel.build(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, window.library_dock)
    window.menus["View"].addAction(window.library_dock.toggleViewAction())
    window.projectChanged.connect(lambda project: window.library_panel.update_actions())
    window.aboutToClose.connect(window.library_panel.shutdown)

    window.loader.tensorflowReady.connect(freeze_startup_heap)
    first_run = not window.settings.window_state
    if restore_layout:
        window.restore_layout()
    if first_run and window.screen().availableGeometry().height() < SMALL_SCREEN_HEIGHT:
        window.library_dock.hide()  # a short screen: the tree first (View ▸ Library brings it)
    window.loader.start_tensorflow()
    return window


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="lockpickle-gui",
        description="See every layer and every lock of a Keras program; preview it; snapshot it.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=".keras/.h5 file, SavedModel or project folder, or .lpsnap snapshot",
    )
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        help="open PATH, wait for loading and inspection, save the window as PNG, exit",
    )
    parser.add_argument("--version", action="version", version=f"lockpickle-gui {__version__}")
    parser.add_argument("--timings", action="store_true", help=argparse.SUPPRESS)  # benchmarks
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """``lockpickle-gui``: the one wiring function (logging, hooks, app, window, event loop)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--layout-worker"]:  # the Graph tab's layout process, in a frozen bundle
        from lockpickle_gui.core.inspect.graph_layout import main as layout_main

        return layout_main()
    args = _parse_args(argv)
    problem = missing_display_problem(os.environ, sys.platform)
    if problem:
        print(f"lockpickle-gui: {problem}", file=sys.stderr)
        return 2
    setup_logging(user_dirs().log)
    app = make_application()
    ephemeral = bool(args.screenshot or args.timings)
    window = build_main_window(restore_layout=not ephemeral)
    window.ephemeral = ephemeral
    reporter = CrashReporter(window)
    reporter.install()
    if args.screenshot:
        window.resize(*SCREENSHOT_SIZE)
    window.show()
    if args.timings:
        code = _report_timings(app, window)
    elif args.screenshot:
        code = take_screenshot(app, window, Path(args.screenshot), args.paths)
    else:
        window.open_paths(args.paths)
        code = app.exec()
        # Quitting is immediate: settings and layout are saved, the work is cancelled (and
        # what cannot be interrupted, such as Keras tracing a model, was left behind). The
        # interpreter's own teardown with TensorFlow loaded takes seconds and serves nobody.
        log.info("lockpickle-gui exits (%s)%s", code, " leaving work" if abandoned_work() else "")
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    log.info("lockpickle-gui exits (%s)", code)
    return code


# ---------------------------------------------------------------------------- scripted runs


def wait_until(app: QApplication, condition, timeout_s: float) -> bool:
    """Run the event loop until ``condition()`` is true (polled every 20 ms) or time runs out."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    return bool(condition())


def take_screenshot(app: QApplication, window, target: Path, paths: list[str]) -> int:
    """Open ``paths``, wait until they are inspected, save the window as PNG. 0 = saved."""
    window.suppress_error_dialogs = True
    snapshots = [p for p in paths if Path(p).suffix.lower() == ".lpsnap"]
    if snapshots:  # they open only after the trust dialog, which nobody answers here
        print(
            f"lockpickle-gui: --screenshot: {snapshots[0]}: a .lpsnap opens only after the "
            "trust dialog, which --screenshot cannot answer. Screenshot the project it was "
            "exported from, or run `lockpickle inspect SNAP` on a terminal.",
            file=sys.stderr,
        )
        window.close()
        return 1
    failures: list = []
    batches = []
    window.loader.batchFinished.connect(
        lambda found: (failures.extend(found), batches.append(found))
    )
    window.loader.tensorflowFailed.connect(lambda error, details: failures.append(error))
    window.open_paths(paths)
    expected = 1 if paths else 0
    done = wait_until(
        app,
        lambda: (
            bool(failures)
            or (
                window.loader.tensorflow_state == "ready"
                and len(batches) >= expected
                and not window.loader.busy
            )
        ),
        SCREENSHOT_TIMEOUT_S,
    )
    if failures or not done:
        from lockpickle_gui.gui.dialogs import error_text

        reasons = [
            f"{getattr(f, 'path', '')}: {error_text(getattr(f, 'error', f))}" for f in failures
        ]
        print(
            "lockpickle-gui: --screenshot: "
            + ("; ".join(reasons) or f"loading did not finish within {SCREENSHOT_TIMEOUT_S} s"),
            file=sys.stderr,
        )
        window.close()
        return 1
    tab = window.current_tab
    if tab is not None:  # show something worth looking at: the first row with locks
        path = tab.panel.first_annotated_path()
        if path:
            tab.panel.select_path(path)
        wait_until(
            app, lambda: window.details.details is not None or window.details.node is None, 30
        )
    wait_until(app, lambda: False, 0.3)  # let layouts and repaints settle
    from lockpickle_gui.gui.report_export import png_bytes

    data = png_bytes(window)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as handle:
        handle.write(data)
    print(f"Saved {target} ({len(data) // 1024} KiB)")
    window.close()
    return 0


def _report_timings(app: QApplication, window) -> int:
    """For benchmarks/bench_gui_startup.py: print when the window was up and TF ready (epoch s)."""
    wait_until(
        app,
        lambda: (
            window.isVisible()
            and window.windowHandle() is not None
            and window.windowHandle().isExposed()
        ),
        10,
    )
    print(f"window_shown {time.time():.4f}", flush=True)
    ready = wait_until(app, lambda: window.loader.tensorflow_state in ("ready", "failed"), 120)
    print(
        f"tensorflow_ready {time.time():.4f} {window.loader.tensorflow_state if ready else 'timeout'}",
        flush=True,
    )
    window.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
