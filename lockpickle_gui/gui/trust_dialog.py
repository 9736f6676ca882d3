"""The trust dialog: what loading a snapshot needs you to trust, shown before anything runs.

Built from the core's manifest view (``core.snapshot.view.manifest_view``: the manifest and
state.json checked, nothing imported, no model built), the same view ``lockpickle info``
prints. It lists the **types** loading would build or call, and the bundled code files with
their sha256; each code file can be read (View Code…, or a double-click) before trusting it
-- the text shown is the file's checked contents. Only "Trust and load" lets the import
run, with exactly the types and code listed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.text import escape_html
from lockpickle_gui.gui import window_size
from lockpickle_gui.gui.dialogs import make_error_box

CODE_ROLE = Qt.ItemDataRole.UserRole + 1  # a code row's member name


class CodeViewer(QDialog):
    """One bundled code file, read-only, with the sha256 it was checked against."""

    def __init__(self, parent: Any, *, member: str, sha256: str, text: str) -> None:
        super().__init__(parent)
        self.setObjectName("code_viewer")
        self.setWindowTitle(f"{member} — bundled code (not run)")
        window_size.size_dialog(self, 760, 560)
        layout = QVBoxLayout(self)
        label = QLabel(f"<b>{escape_html(member)}</b> — sha256 <code>{sha256}</code> (checked)")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label)
        self.text = QPlainTextEdit()
        self.text.setObjectName("code_text")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(text)
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class TrustDialog(QDialog):
    """Accepted means "Trust and load"; rejected loads nothing.

    ``view`` is the core's ManifestView of ``path`` (made here from the file when not
    given); ``modules`` are the type names to pass as ``trust=``, ``trust_bundled_code``
    whether the bundled code is needed.
    """

    def __init__(self, parent: Any, *, path: Path, manifest: Any = None, view: Any = None) -> None:
        super().__init__(parent)
        from lockpickle_gui.core.snapshot.view import manifest_view

        self.setObjectName("trust_dialog")
        self.setWindowTitle("Import Snapshot")
        self.setMinimumSize(860, 520)
        self.path = Path(path)
        self.view = view if view is not None else manifest_view(self.path)
        self.manifest = manifest
        self.code = [(f.member, f.sha256) for f in self.view.code]
        self.types = [t for t in self.view.types if not t.bundled]
        self.modules = [t.name for t in self.types]
        self.viewers: list[CodeViewer] = []
        self.refusal = self._refusal()  # why no trust can load this file
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{escape_html(self.path.name)}</b> holds <code>{escape_html(self.view.root)}</code>.<br>"
            "Nothing has run yet. Loading builds objects of the types below (running their "
            "constructors and <code>__setstate__</code>) and runs the bundled code: trust them "
            "only if you trust where the file came from. Read a code file first: double-click it."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)
        if self.refusal:
            refused = QLabel(f"<b>This file cannot be loaded.</b> {escape_html(self.refusal)}")
            refused.setObjectName("trust_refusal")
            refused.setWordWrap(True)
            refused.setTextFormat(Qt.TextFormat.RichText)
            refused.setStyleSheet("color: #b71c1c")
            layout.addWidget(refused)
        self.tree = QTreeWidget()
        self.tree.setObjectName("trust_items")
        self.tree.setHeaderLabels(["Item", "Details"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.setColumnWidth(0, 300)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemDoubleClicked.connect(self._open_item)
        self._fill()
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.view_button = buttons.addButton("View Code…", QDialogButtonBox.ButtonRole.ActionRole)
        self.view_button.setObjectName("trust_view_code")
        self.view_button.setEnabled(bool(self.code) and not self.refusal)
        self.view_button.clicked.connect(self._view_selected)
        self.trust_button = buttons.addButton(
            "Trust and load", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.trust_button.setObjectName("trust_accept")
        self.trust_button.setEnabled(not self.refusal)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("trust_cancel")
        self.cancel_button.setDefault(True)  # Enter must not run code by accident
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _refusal(self) -> str:
        """Why no trust can load this file: it needs a type that is never trusted. (Bundled
        code that does not match its sha256 is refused earlier, by the manifest view.)"""
        never = [t for t in self.view.types if t.never]
        if not never:
            return ""
        return (
            f"It needs {', '.join(t.name for t in never)}: modules that reach any code "
            f"({', '.join(sorted({t.never for t in never}))}) are never trusted. "
            "A snapshot written by lockpickle never needs them: the file was made or "
            "edited by hand."
        )

    @property
    def trust_bundled_code(self) -> bool:
        return bool(self.code)

    def _fill(self) -> None:
        view = self.view
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._add_group(
            "Types loading needs you to trust",
            [(t.name, f"{t.kind}: {t.use}") for t in self.types],
            mono,
            # bundled code's own types are trusted with the code, listed below
            empty="none beyond the bundled code below"
            if self.code
            else "none: built-in data, arrays, locks and Keras' own layers only",
        )
        code = self._add_group(
            "Bundled code — runs only if you trust it"
            + (f", imported as package {view.code_package}" if view.code_package else ""),
            [(member, f"sha256 {sha}") for member, sha in self.code],
            mono,
            empty="none: the snapshot carries no code of its own",
        )
        for index in range(code.childCount()):
            item = code.child(index)
            item.setData(0, CODE_ROLE, item.text(0))
            item.setToolTip(0, "Double-click to read it (nothing runs)")
        self._add_group(
            "Models — loaded with Keras safe mode",
            [(r.label, r.detail) for r in view.models],
            empty="none",
        )
        self._add_group(
            "Primitives — recreated fresh, with the same sharing",
            [(r.label, r.detail) for r in view.primitives],
            empty="none",
        )
        if view.dropped:
            self._add_group(
                "Dropped at export — they come back as None",
                [(r.label, r.detail) for r in view.dropped],
            )
        if view.notes:
            self._add_group("Notes", [("", note) for note in view.notes])
        self._add_group(
            "Made with", [("Made by", view.made_by)] + [(r.label, r.detail) for r in view.versions]
        )

    def _add_group(
        self, title: str, rows: list[tuple[str, str]], font: QFont | None = None, *, empty: str = ""
    ) -> QTreeWidgetItem:
        group = QTreeWidgetItem([f"{title} ({len(rows)})" if rows else f"{title}: {empty}"])
        bold = group.font(0)
        bold.setBold(True)
        group.setFont(0, bold)
        self.tree.addTopLevelItem(group)
        group.setFirstColumnSpanned(True)  # a heading across the whole row
        for name, detail in rows:
            item = QTreeWidgetItem([name, detail])
            if font is not None:
                item.setFont(0, font)
            item.setToolTip(1, detail)
            group.addChild(item)
        group.setExpanded(True)
        return group

    def _open_item(self, item: QTreeWidgetItem, _column: int) -> None:
        member = item.data(0, CODE_ROLE)
        if member:
            self.show_code(str(member))

    def _view_selected(self) -> None:
        item = self.tree.currentItem()
        member = item.data(0, CODE_ROLE) if item is not None else None
        self.show_code(str(member) if member else self.code[0][0])

    def show_code(self, member: str) -> CodeViewer | None:
        """Open a viewer on bundled code file ``member`` (its sha256 checked first)."""
        from lockpickle_gui.core.snapshot import read_bundled_code

        try:
            found = next(c for c in read_bundled_code(self.path) if c.member == member)
        except LockpickleError as error:  # damaged since the dialog opened
            make_error_box(self, "The bundled code cannot be read", error).open()
            return None
        viewer = CodeViewer(self, member=found.member, sha256=found.sha256, text=found.text)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.finished.connect(lambda _result, v=viewer: self.viewers.remove(v))
        self.viewers.append(viewer)
        viewer.open()
        return viewer
