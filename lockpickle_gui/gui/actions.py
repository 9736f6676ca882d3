"""The shell's menus and actions (File, Edit, View, Tools, Help) and File ▸ Open Recent.

Shortcuts: Ctrl+O open, Ctrl+Shift+O open folder, Ctrl+1…9 recent projects, Ctrl+W close
(and the platform's Close key, Ctrl+F4), F5 reload, Ctrl+Shift+R export report, Ctrl+F find,
Ctrl+Shift+C copy path, Ctrl+Shift+Right/Left expand/collapse all, Ctrl+Q quit; Ctrl+E/Ctrl+I
export/import snapshot live in snapshot_actions. The README's table is checked against these
with real key presses (tests/gui/test_readme_shortcuts.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle

from lockpickle_gui.gui import about, preferences, report_export, shortcuts
from lockpickle_gui.gui.tree_panel import TreePanel

MAX_RECENT_SHORTCUTS = 9


def _key_sequences(shortcut) -> list[QKeySequence]:
    """Every binding of ``shortcut`` (a string, a StandardKey, or a tuple of them).

    QKeySequence(StandardKey) keeps only the platform's first binding (Close is Ctrl+F4
    before Ctrl+W on Linux) and some platforms bind none (Quit on Windows), so the keys the
    README promises are listed explicitly next to the standard ones.
    """
    sequences: list[QKeySequence] = []
    for key in shortcut if isinstance(shortcut, tuple) else (shortcut,):
        found = (
            QKeySequence.keyBindings(key)
            if isinstance(key, QKeySequence.StandardKey)
            else [QKeySequence(key)]
        )
        sequences += [seq for seq in found if seq not in sequences]
    return sequences


def build(window) -> dict[str, QAction]:
    """Create the actions, put them in ``window.menus`` and the toolbar; key -> QAction."""
    actions: dict[str, QAction] = {}
    sp = QStyle.StandardPixmap

    def add(key, text, menu, slot, shortcut=None, tip="", icon=None) -> QAction:
        action = QAction(text, window)
        action.setObjectName(f"action_{key}")
        if shortcut is not None:
            action.setShortcuts(_key_sequences(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if icon is not None:
            action.setIcon(window.style().standardIcon(icon))
        action.triggered.connect(lambda checked=False: slot())
        if menu is not None:
            window.menus[menu].addAction(action)
        window.addAction(action)  # shortcuts work even before a menu was ever shown
        actions[key] = action
        return action

    def with_panel(method):
        def call():
            tab = window.current_tab
            if tab is not None:
                method(tab.panel)

        return call

    file_menu = window.menus["File"]
    add(
        "open",
        "&Open…",
        "File",
        window.open_dialog,
        QKeySequence.StandardKey.Open,
        "Open model files or a project folder",
        sp.SP_DialogOpenButton,
    )
    add(
        "open_folder",
        "Open &Folder…",
        "File",
        window.open_folder_dialog,
        "Ctrl+Shift+O",
        "Open a project folder or a SavedModel folder",
    )
    window.recent_menu_placeholder = file_menu.addSeparator()  # RecentMenu goes here
    add(
        "close_project",
        "&Close Project",
        "File",
        window.close_project,
        (QKeySequence.StandardKey.Close, "Ctrl+W", "Ctrl+F4"),
    )
    add(
        "reload",
        "Re&load",
        "File",
        window.reload_project,
        "F5",
        "Reload the current project from disk",
        sp.SP_BrowserReload,
    )
    file_menu.addSeparator()
    add(
        "export_report",
        "Export Re&port…",
        "File",
        lambda: report_export.export_report(window),
        "Ctrl+Shift+R",
        "Save the annotated tree as HTML, JSON and PNG",
    )
    file_menu.addSeparator()
    add(
        "quit", "&Quit", "File", window.close, (QKeySequence.StandardKey.Quit, "Ctrl+Q")
    ).setMenuRole(QAction.MenuRole.QuitRole)

    add(
        "find",
        "&Find…",
        "Edit",
        with_panel(TreePanel.focus_filter),
        QKeySequence.StandardKey.Find,
        "Filter the tree by name, class or kind",
    )
    add(
        "copy_path",
        "Copy &Path",
        "Edit",
        window.details.copy_path,
        "Ctrl+Shift+C",
        "Copy the Python path of the selected row",
    )
    window.menus["Edit"].addSeparator()
    add("preferences", "Prefere&nces…", "Edit", lambda: preferences.edit(window)).setMenuRole(
        QAction.MenuRole.PreferencesRole
    )

    add("expand_all", "&Expand All", "View", with_panel(TreePanel.expand_all), "Ctrl+Shift+Right")
    add(
        "collapse_all",
        "&Collapse All",
        "View",
        with_panel(TreePanel.collapse_all),
        "Ctrl+Shift+Left",
    )
    add(
        "next_project",
        "&Next Project",
        "View",
        lambda: _step_tab(window, 1),
        "Ctrl+PgDown",
        "Show the next project's tab",
    )
    add(
        "previous_project",
        "&Previous Project",
        "View",
        lambda: _step_tab(window, -1),
        "Ctrl+PgUp",
        "Show the previous project's tab",
    )
    window.menus["View"].addSeparator()
    window.menus["View"].addAction(window.details_dock.toggleViewAction())

    add(
        "open_settings_folder",
        "Open &Settings Folder",
        "Tools",
        lambda: open_folder(window, window.settings.dirs.config),
    )
    add(
        "open_log_folder",
        "Open &Log Folder",
        "Help",
        lambda: open_folder(window, window.settings.dirs.log),
    )
    add(
        "shortcuts",
        "&Keyboard Shortcuts",
        "Help",
        lambda: shortcuts.show_shortcuts(window),
        "F1",
        "Every key the app answers to",
    )
    add("about", f"&About {about.PRODUCT}", "Help", lambda: about.show_about(window)).setMenuRole(
        QAction.MenuRole.AboutRole
    )

    window.toolbar.addAction(actions["open"])
    window.toolbar.addAction(actions["reload"])
    return actions


class RecentMenu(QMenu):
    """File ▸ Open Recent: the last 9 projects (missing ones pruned), Ctrl+1…9."""

    def __init__(self, window):
        super().__init__("Open &Recent", window)
        self.setObjectName("recent_menu")
        self.window_ = window
        self._shortcut_actions: list[QAction] = []
        window.menus["File"].insertMenu(window.recent_menu_placeholder, self)

    def rebuild(self) -> list[Path]:
        # The old actions are on the window too (for their shortcuts), so QMenu.clear() would
        # keep them alive there: Ctrl+1…9 would then be bound twice ("Ambiguous shortcut").
        for action in self._shortcut_actions:
            self.window_.removeAction(action)
            action.deleteLater()
        self._shortcut_actions = []
        self.clear()
        recent = self.window_.settings.recent_projects
        for number, path in enumerate(recent[:MAX_RECENT_SHORTCUTS], start=1):
            action = self.addAction(f"&{number}  {path.name}  —  {path.parent}")
            action.setObjectName(f"action_recent_{number}")
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setToolTip(str(path))
            action.triggered.connect(lambda checked=False, p=path: self.window_.open_paths([p]))
            self.window_.addAction(action)  # shortcuts work before the menu was ever shown
            self._shortcut_actions.append(action)
        self.addSeparator()
        clear = self.addAction("Clear Recent Projects")
        clear.setObjectName("action_clear_recent")
        clear.triggered.connect(self.window_.clear_recent)
        clear.setEnabled(bool(recent))
        return recent


def _step_tab(window, step: int) -> None:
    count = window.tabs.count()
    if count > 1:
        window.tabs.setCurrentIndex((window.tabs.currentIndex() + step) % count)


def open_folder(window, folder: Path) -> None:
    """Show ``folder`` in the file manager (created first: the log folder may not exist yet)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        window.status(f"Could not open a file manager; the folder is {folder}", timeout_ms=15000)


def demo_project() -> Path | None:
    """The bundled demo project (resources/examples/anomaly_service), if it is installed."""
    from lockpickle_gui import resources
    from lockpickle_gui.core.errors import LockpickleError

    try:
        demo = resources.examples_dir() / "anomaly_service"
    except LockpickleError:
        return None
    return demo if demo.is_dir() else None
