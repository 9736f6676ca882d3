"""The main window's chrome, apart from what it shows: the status bar's progress, the drop
target, the size and layout of the window and its docks (a mixin of :class:`MainWindow`)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QToolButton

from lockpickle_gui.gui import window_size

MAX_DOCK_SHARE = 0.34  # of the window's width, for the right-hand dock column
NARROW_WINDOW = 1100  # below this width (e.g. a 1024x700 screen) the tree needs more of it
NARROW_DOCK_SHARE = 0.30


class WindowChrome:
    """Needs ``self.loader``, ``self.stack``, ``self.details_dock``, ``self.settings``."""

    def _build_drop_target(self) -> None:
        self.drop_target = QLabel(
            "Drop to open: models, project or SavedModel folders, snapshots", self.stack
        )
        self.drop_target.setObjectName("drop_target")
        self.drop_target.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_target.setWordWrap(True)
        self.drop_target.setStyleSheet(
            "QLabel#drop_target { border: 3px dashed palette(highlight); border-radius: 12px;"
            " background: palette(alternate-base); color: palette(text); font-size: 16pt; }"
        )
        self.drop_target.hide()

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress_bar = QProgressBar(self, maximumWidth=180, textVisible=False)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.hide()
        self.cancel_button = QToolButton(self, text="Cancel", autoRaise=True)
        self.cancel_button.setToolTip("Stop opening projects")
        self.cancel_button.clicked.connect(self.loader.cancel)
        self.cancel_button.hide()
        self.tensorflow_label = QLabel("Loading TensorFlow…", self)
        self.tensorflow_label.setObjectName("tensorflow_label")
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.tensorflow_label)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(int(fraction * 1000))
        self._progress_message = message
        self.statusBar().showMessage(message)

    def _on_busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy and self.loader.tensorflow_state == "ready")
        if not busy:
            self.progress_bar.setValue(0)
            # a progress line ("Opening x…") is only true while loading; a result line stays
            if self.statusBar().currentMessage() == self._progress_message:
                self.statusBar().clearMessage()

    def _on_tensorflow_ready(self, version: str) -> None:
        self.tensorflow_label.setText(f"TensorFlow {version}")
        self.cancel_button.setVisible(self.loader.busy)
        if not self.loader.busy:
            self.status("Ready", timeout_ms=2000)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self._show_drop_target(True)

    def dragLeaveEvent(self, event) -> None:
        self._show_drop_target(False)

    def _show_drop_target(self, shown: bool) -> None:
        """While files are dragged over the window, say where they go: a framed target."""
        if shown:
            self.drop_target.setGeometry(self.stack.rect().adjusted(8, 8, -8, -8))
            self.drop_target.raise_()
        self.drop_target.setVisible(shown)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self._show_drop_target(False)
        urls = event.mimeData().urls()
        local = [url.toLocalFile() for url in urls if url.isLocalFile()]
        remote = [url.toString() for url in urls if not url.isLocalFile()]
        event.acceptProposedAction()
        if remote:
            self.show_error(
                "Only local files and folders can be opened",
                "Expected files or folders on "
                f"this computer. Received: {', '.join(remote)}. Download them first.",
            )
        if local:
            self.open_paths(local)

    def restore_layout(self) -> None:
        """Window geometry and dock/toolbar state from the settings (call after every dock exists)."""
        if self.settings.window_geometry:
            self.restoreGeometry(
                QByteArray.fromBase64(self.settings.window_geometry.encode("ascii"))
            )
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode("ascii")))
        window_size.fit_on_screen(self)  # saved on a larger screen, or at another scale

    def save_layout(self) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        self.settings.window_state = bytes(self.saveState().toBase64()).decode("ascii")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._limit_dock_width()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._limit_dock_width()

    def _limit_dock_width(self) -> None:
        # QMainWindow keeps a dock's width and squeezes the tree: in a small window the
        # right-hand column (Details, preview) gives way instead, down to its minimum.
        share = NARROW_DOCK_SHARE if self.width() < NARROW_WINDOW else MAX_DOCK_SHARE
        limit = int(self.width() * share)
        if not self.details_dock.isHidden() and self.details_dock.width() > limit:
            self.resizeDocks([self.details_dock], [limit], Qt.Orientation.Horizontal)
