"""Edit ▸ Preferences…: the preview panel's default workers/batch/delay, and the recent list."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from lockpickle_gui.core.preview.defaults import preview_settings


class PreferencesDialog(QDialog):
    def __init__(self, settings, parent=None):
        super().__init__(parent)
        self.setObjectName("preferences_dialog")
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.recent_cleared = False
        values = preview_settings(preferences=settings.preview_defaults)

        self.workers = QSpinBox(self, minimum=1, maximum=64, value=int(values["workers"]))
        self.workers.setToolTip("Model worker threads of the preview's inference pool")
        self.max_batch = QSpinBox(self, minimum=1, maximum=4096, value=int(values["max_batch"]))
        self.max_batch.setToolTip("Largest batch one worker runs at once")
        self.max_delay = QDoubleSpinBox(
            self,
            minimum=0.0,
            maximum=1000.0,
            decimals=1,
            singleStep=0.5,
            suffix=" ms",
            value=float(values["max_delay_ms"]),
        )
        self.max_delay.setToolTip("How long a worker waits to fill a batch (0: run what is queued)")
        preview = QGroupBox(
            "Threaded preview defaults (a project's lockpickle.toml overrides them)", self
        )
        form = QFormLayout(preview)
        form.addRow("Workers", self.workers)
        form.addRow("Max batch", self.max_batch)
        form.addRow("Max delay", self.max_delay)

        self.clear_recent_button = QPushButton(
            f"Clear Recent Projects ({len(settings.recent_projects)})", self
        )
        self.clear_recent_button.setObjectName("clear_recent")
        self.clear_recent_button.setEnabled(bool(settings.recent_projects))
        self.clear_recent_button.clicked.connect(self._clear_recent)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(preview)
        layout.addWidget(self.clear_recent_button)
        layout.addWidget(buttons)

    def _clear_recent(self) -> None:
        self.recent_cleared = True
        self.clear_recent_button.setText("Recent projects will be cleared")
        self.clear_recent_button.setEnabled(False)

    def apply(self) -> None:
        self.settings.set_preview_defaults(
            workers=self.workers.value(),
            max_batch=self.max_batch.value(),
            max_delay_ms=self.max_delay.value(),
        )
        if self.recent_cleared:
            self.settings.clear_recent()


def edit(window) -> PreferencesDialog:
    """Open the dialog (non-blocking); on OK the settings are saved and ``settingsChanged`` fires."""
    dialog = PreferencesDialog(window.settings, window)

    def accepted() -> None:
        dialog.apply()
        window.save_settings()
        window.refresh_recent()
        window.settingsChanged.emit()
        window.status("Preferences saved", timeout_ms=3000)

    dialog.accepted.connect(accepted)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
