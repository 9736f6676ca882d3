"""The desktop app's wiring, in one place: logging, error hooks, QApplication, window, TensorFlow
(the pieces live in diagnostics.py and scripted_runs.py; this is where they are put together).

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
import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from lockpickle_gui import resources
from lockpickle_gui._version import __version__
from lockpickle_gui.core.settings import Settings, user_dirs
from lockpickle_gui.gui.diagnostics import CrashReporter, missing_display_problem, setup_logging
from lockpickle_gui.gui.scripted_runs import SCREENSHOT_SIZE, report_timings, take_screenshot
from lockpickle_gui.gui.workers import abandoned_work

log = logging.getLogger("lockpickle_gui")

SMALL_SCREEN_HEIGHT = 900  # logical pixels: below, the Library dock starts hidden


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
    from lockpickle_gui.gui import library_panel, shortcuts, snapshot_actions
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

    # Ctrl+E exports even from the filter box (text fields keep it as "end of line")
    QApplication.instance().installEventFilter(shortcuts.WindowKeysOverTextFields(window))

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
        code = report_timings(app, window)
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
