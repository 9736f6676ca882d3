"""Help ▸ About: what this is and the versions it runs with (read, never imported for it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lockpickle_gui.core.inspect.report import versions
from lockpickle_gui.core.text import escape_html
from lockpickle_gui.gui import badges

PRODUCT = "lockpickle_gui"  # the one name: window titles, About, the version table

LABELS = {
    "lockpickle_gui": PRODUCT,
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "qt": "Qt",
    "pyside6": "PySide6",
    "numpy": "NumPy",
    "python": "Python",
}


def about_html() -> str:
    found = versions()
    rows = "".join(
        f"<tr><td>{LABELS[key]}</td><td>&nbsp;&nbsp;{escape_html(found[key])}</td></tr>"
        for key in LABELS
        if key in found
    )
    return (
        f"<h3>{PRODUCT}</h3><p>See every layer and every lock in a Keras program, preview it "
        "under concurrent load, and save it as a lock-safe snapshot.</p>"
        f"<table>{rows}</table>"
    )


def show_about(window) -> QMessageBox:
    box = QMessageBox(window)
    box.setObjectName("about_dialog")
    box.setWindowTitle(f"About {PRODUCT}")
    box.setIconPixmap(badges.app_icon().pixmap(64, 64))
    box.setText(about_html())
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
