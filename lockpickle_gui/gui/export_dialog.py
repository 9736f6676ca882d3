"""Dialogs of the export flow: the options before writing, and the blocked-state choice.

Widgets only: they collect choices and hand them back; ``snapshot_actions`` calls the core.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from lockpickle_gui.core.text import escape_html

SNAPSHOT_FILTER = "Lockpickle snapshots (*.lpsnap);;All files (*)"

# on_blocked choices: "ask" is the GUI's own (run with "error", then offer the choice)
BLOCKED_POLICIES = (
    ("ask", "Ask me, listing everything that blocks"),
    ("drop", "Drop it (restored as None; your program recreates it)"),
    ("error", "Stop with an error"),
)


def default_snapshot_name(project_name: str, today: _dt.date | None = None) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", project_name).strip("-.") or "snapshot"
    return f"{slug}-{(today or _dt.date.today()).isoformat()}.lpsnap"


def with_snapshot_suffix(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path if path.suffix == ".lpsnap" else path.with_name(path.name + ".lpsnap")


class ExportOptionsDialog(QDialog):
    """Destination and options of one export. Read ``path``, ``verify``, ``bundle_code``,
    ``on_blocked`` after it is accepted."""

    def __init__(
        self,
        parent,
        *,
        project_name: str,
        path: Path,
        code_files: int,
        verify: bool = True,
        on_blocked: str = "ask",
    ):
        super().__init__(parent)
        self.setObjectName("export_options_dialog")
        self.setWindowTitle("Export Snapshot")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)

        title = QLabel(
            f"<b>Save “{escape_html(project_name)}” as a lock-safe snapshot</b><br>"
            "Models, the state around them and every lock, restored fresh on load."
        )
        title.setWordWrap(True)
        layout.addWidget(title)

        where = QHBoxLayout()
        self.path_edit = QLineEdit(str(path))
        self.path_edit.setObjectName("export_path")
        self.path_edit.setReadOnly(True)
        change = QPushButton("Change…")
        change.setAutoDefault(False)  # Enter means Export, never "pick another file"
        change.clicked.connect(self._choose_path)
        where.addWidget(QLabel("Save to:"))
        where.addWidget(self.path_edit, 1)
        where.addWidget(change)
        layout.addLayout(where)

        self.verify_box = QCheckBox("Verify")
        self.verify_box.setObjectName("export_verify")
        self.verify_box.setChecked(verify)
        layout.addWidget(self.verify_box)
        layout.addWidget(
            _hint(
                "Run the model on sample inputs and store the outputs, so the "
                "snapshot can prove itself after loading."
            )
        )

        plural = "s" if code_files != 1 else ""
        self.bundle_box = QCheckBox(f"Bundle the project's code ({code_files} file{plural})")
        self.bundle_box.setObjectName("export_bundle_code")
        self.bundle_box.setChecked(code_files > 0)
        self.bundle_box.setEnabled(code_files > 0)
        layout.addWidget(self.bundle_box)
        layout.addWidget(
            _hint(
                "The snapshot then loads without the project folder, once the "
                "user trusts the bundled files."
                if code_files
                else "This project has no code files of its own."
            )
        )

        group = QGroupBox("State that cannot be restored (open files, sockets, running threads…)")
        group_layout = QVBoxLayout(group)
        self.policy_group = QButtonGroup(self)
        self._policy_buttons: dict[str, QRadioButton] = {}
        for key, label in BLOCKED_POLICIES:
            button = QRadioButton(label)
            button.setObjectName(f"export_blocked_{key}")
            button.setChecked(key == on_blocked)
            self.policy_group.addButton(button)
            self._policy_buttons[key] = button
            group_layout.addWidget(button)
        layout.addWidget(group)

        # parented at once: a button is only the dialog's default if it is in the dialog
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("export_accept")
        self.export_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _choose_path(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Export Snapshot", self.path_edit.text(), SNAPSHOT_FILTER
        )
        if chosen:
            self.path_edit.setText(str(with_snapshot_suffix(chosen)))

    @property
    def path(self) -> Path:
        return Path(self.path_edit.text())

    @property
    def verify(self) -> bool:
        return self.verify_box.isChecked()

    @property
    def bundle_code(self) -> bool:
        return self.bundle_box.isEnabled() and self.bundle_box.isChecked()

    @property
    def on_blocked(self) -> str:
        for key, button in self._policy_buttons.items():
            if button.isChecked():
                return key
        return "ask"


class BlockedStateDialog(QDialog):
    """Lists every path that blocks export; accepted means "drop them and export"."""

    def __init__(self, parent, *, blocked: list[tuple[str, str]], message: str = ""):
        super().__init__(parent)
        self.setObjectName("blocked_state_dialog")
        self.setWindowTitle("State blocks export")
        self.setMinimumSize(560, 320)
        layout = QVBoxLayout(self)
        count = len(blocked)
        intro = QLabel(
            f"<b>{count} object{'s' if count != 1 else ''} cannot be restored in another "
            "process.</b><br>A snapshot can recreate locks, but not an open file, a socket or a "
            "running thread. You can drop them — they are stored as <code>None</code> and "
            "listed in the manifest — and recreate them in your program after loading."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)

        self.table = QTreeWidget()
        self.table.setObjectName("blocked_paths")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Path", "What it is"])
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for path, kind in blocked:
            self.table.addTopLevelItem(QTreeWidgetItem([str(path), str(kind)]))
        layout.addWidget(self.table, 1)
        # what the core's message says in API terms (on_blocked="drop"), in the app's words
        choices = QLabel(
            "<b>Drop them and export</b> saves the snapshot with each of these stored as "
            "empty (<code>None</code>) and listed in it, so your program can open them again "
            "after loading.<br><b>Cancel</b> writes nothing: close them in your program "
            "first, then export again. The Export Snapshot options can make either choice "
            "the default."
        )
        choices.setWordWrap(True)
        choices.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(choices)
        self.message = message  # the core's wording, kept for the log

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.drop_button = buttons.addButton(
            "Drop them and export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.drop_button.setObjectName("blocked_drop")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        layout.addWidget(buttons)

    def blocked_paths(self) -> list[str]:
        return [self.table.topLevelItem(i).text(0) for i in range(self.table.topLevelItemCount())]


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setContentsMargins(22, 0, 0, 4)  # under the check box's text, not its box
    label.setStyleSheet("color: palette(placeholder-text);")
    return label
