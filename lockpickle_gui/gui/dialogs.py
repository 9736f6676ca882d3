"""Small dialogs of the shell: the error box and the files-or-folder chooser."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QMessageBox,
    QSizePolicy,
    QSpacerItem,
    QTextEdit,
    QWidget,
)

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.text import escape_html

ERROR_BOX_WIDTH = 520
DETAILS_HEIGHT = 220  # Show Details: about a dozen lines of a traceback
MODEL_FILE_FILTER = "Models and snapshots (*.keras *.h5 *.hdf5 *.lpsnap);;All files (*)"


def error_text(error: BaseException | str) -> str:
    """What people read: our own errors as they are, anything else with its type."""
    if isinstance(error, str):
        return error
    if isinstance(error, LockpickleError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def error_details(error: BaseException | str, details: str = "") -> str:
    if details:
        return details
    if isinstance(error, BaseException) and error.__traceback__ is not None:
        return "".join(traceback.format_exception(error))
    return error_text(error)


def is_expected(error: BaseException | str) -> bool:
    """Our own errors (a broken file, a bad project) and messages we wrote are expected;
    anything else is a bug somewhere and deserves its traceback in the log."""
    return isinstance(error, (LockpickleError, str))


def log_failure(
    logger: logging.Logger,
    title: str,
    error: BaseException | str,
    details: str = "",
    *,
    expected: bool | None = None,
) -> None:
    """Log a failure at the level it deserves.

    Expected errors (``is_expected``, or ``expected=True`` for a summary of several): WARNING
    with the one-paragraph message only, the traceback at DEBUG; a broken file dropped on the
    window is the user's everyday business, not a crash. Unexpected ones: ERROR + traceback.
    """
    if expected is None:
        expected = is_expected(error)
    if expected:
        logger.warning("%s: %s", title, error_text(error))
        logger.debug("%s (details):\n%s", title, error_details(error, details))
    else:
        logger.error("%s: %s\n%s", title, error_text(error), error_details(error, details))


def make_error_box(
    parent: QWidget | None, title: str, error: BaseException | str, details: str = ""
) -> QMessageBox:
    """A non-blocking warning box: the message, and the copyable details behind "Show Details…".

    The caller shows it with ``open()`` (window-modal, returns at once) so no nested event
    loop runs; it deletes itself when closed.
    """
    box = QMessageBox(parent)
    box.setObjectName("error_dialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(f"<b>{escape_html(title)}</b>")
    box.setInformativeText(escape_html(error_text(error)).replace("\n", "<br>"))
    box.setDetailedText(error_details(error, details))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setTextFormat(Qt.TextFormat.RichText)  # escaped text: never guessed to be plain
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # QMessageBox sizes itself to its title; a spacer keeps long messages readable.
    grid = box.layout()
    if isinstance(grid, QGridLayout):
        grid.addItem(
            QSpacerItem(
                ERROR_BOX_WIDTH, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding
            ),
            grid.rowCount(),
            0,
            1,
            grid.columnCount(),
        )
    details_view = box.findChild(QTextEdit)
    if details_view is not None:  # Qt's default shows ~5 lines of a traceback
        details_view.setMinimumHeight(DETAILS_HEIGHT)
    return box


def choose_paths(parent: QWidget, start_folder: str | Path) -> list[str]:
    """Ask "files or a folder?", then show the matching file dialog (Qt's cannot pick both)."""
    box = QMessageBox(parent)
    box.setObjectName("open_chooser")
    box.setWindowTitle("Open")
    box.setIcon(QMessageBox.Icon.Question)
    box.setText("Open model files or a folder?")
    box.setInformativeText(
        "Files: .keras, .h5 models and .lpsnap snapshots (several at once).\n"
        "Folder: a project with lockpickle.toml, or a SavedModel."
    )
    files = box.addButton("Model Files…", QMessageBox.ButtonRole.AcceptRole)
    folder = box.addButton("Folder…", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(files)
    box.exec()
    clicked = box.clickedButton()
    if clicked is files:
        return choose_files(parent, start_folder)
    if clicked is folder:
        return choose_folder(parent, start_folder)
    return []


def choose_files(parent: QWidget, start_folder: str | Path) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(
        parent, "Open model files", str(start_folder), MODEL_FILE_FILTER
    )
    return list(paths)


def choose_folder(parent: QWidget, start_folder: str | Path) -> list[str]:
    folder = QFileDialog.getExistingDirectory(
        parent, "Open a project or SavedModel folder", str(start_folder)
    )
    return [folder] if folder else []
