"""The bar above a config-only project's tree: why the model was read as data, and the way
out — "Locate code…" takes the ``.py`` file (or a folder of them) that defines the missing
classes and reopens the model with it. The message leads with the class and the name it
was registered under; what Keras said stays behind Show Details."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from lockpickle_gui.core.text import escape_html
from lockpickle_gui.gui import dialogs


def headline(project) -> str:
    classes = project.unresolved
    if not classes:
        return "This model could not be built, so it is shown from its file only."
    first = classes[0]
    registered = (
        f" (registered as “{escape_html(first.registered_name)}”)" if first.registered_name else ""
    )
    more = f" and {len(classes) - 1} more class(es)" if len(classes) > 1 else ""
    return (
        f"<b>{escape_html(first.class_name)}</b>{registered}{more}: its code is missing. "
        "Shown from the file's config and weights only — nothing from the file was run."
    )


class ConfigOnlyBar(QFrame):
    locateRequested = Signal(list)  # the .py files the user chose

    def __init__(self, project, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("config_only_bar")
        self.project = project
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(headline(project), self)
        self.label.setWordWrap(True)
        self.locate_button = QPushButton("Locate code…", self)
        self.locate_button.setObjectName("locate_code")
        self.locate_button.setToolTip(
            "Choose the .py file or folder that defines the missing classes"
        )
        self.locate_button.clicked.connect(self.locate)
        details = QPushButton("Show Details", self)
        details.setObjectName("config_only_details")
        details.clicked.connect(self.show_details)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.locate_button)
        layout.addWidget(details)

    def show_details(self) -> QMessageBox:
        box = dialogs.make_error_box(
            self.window(),
            f"{self.project.name}: opened from its config",
            "\n".join(f"Missing: {u.words()}" for u in self.project.unresolved)
            or "The model could not be built.",
            self.project.load_error,
        )
        box.setIcon(QMessageBox.Icon.Information)
        box.open()
        return box

    def locate(self) -> None:
        box = QMessageBox(self.window())
        box.setWindowTitle("Locate code")
        box.setText("Where is the code of the missing classes?")
        file_button = box.addButton("A .py File…", QMessageBox.ButtonRole.AcceptRole)
        folder_button = box.addButton("A Folder…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        start = str(Path(self.project.path).parent)
        if box.clickedButton() is file_button:
            chosen, _ = QFileDialog.getOpenFileName(self, "Locate code", start, "Python (*.py)")
            files = [chosen] if chosen else []
        elif box.clickedButton() is folder_button:
            folder = QFileDialog.getExistingDirectory(self, "Locate code", start)
            files = python_files(folder) if folder else []
        else:
            files = []
        if files:
            self.locateRequested.emit(files)


def python_files(folder: str | Path) -> list[str]:
    """The ``.py`` files directly in ``folder`` (not below it), sorted."""
    return sorted(str(p) for p in Path(folder).glob("*.py") if p.is_file())
