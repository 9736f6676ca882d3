"""The Library panel's item model: snapshots grouped by project, in the order core gives.

Rows come from :meth:`lockpickle_gui.core.library.Library.entries` (grouped by project,
filtered and sorted there, in SQL); this model only groups consecutive entries under a
project row and says how each cell looks. Clicking a column header asks the panel to query
again in that order (:attr:`LibraryModel.sortRequested`), so the order shown is always
the order the CLI's ``library list`` prints.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from lockpickle_gui.core.library import LibraryEntry
from lockpickle_gui.core.text import format_size

_Index = QModelIndex | QPersistentModelIndex

# (header, core sort key, tooltip)
COLUMNS = (
    ("Name", "name", "The snapshot file's name; its project groups it"),
    ("Created", "created", "When it was exported (UTC)"),
    ("Size", "size", "File size"),
    ("Models", "models", "Stored models (name and class)"),
    ("Params", "params", "Parameters of all its models"),
    ("Primitives", "primitives", "Lock-like objects it restores fresh"),
    ("Verdict", "verdict", "The last verification: identical, within tolerance, mismatch"),
    ("Verified", "verified", "When it was last verified (UTC)"),
    ("Tags", None, "Your tags"),
    ("Note", None, "Your note"),
    ("Path", "path", "Where the file is"),
)
COLUMN_WIDTHS = (275, 120, 75, 170, 75, 70, 95, 120, 130, 180, 320)
NAME, CREATED, SIZE, MODELS, PARAMS, PRIMITIVES, VERDICT, VERIFIED, TAGS, NOTE, PATH = range(
    len(COLUMNS)
)
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # the LibraryEntry of a row (None: a project row)
VERDICT_COLOURS = {"identical": "#2e7d32", "within tolerance": "#1565c0", "mismatch": "#c62828"}
MISSING_COLOUR = "#8a8a8a"
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_GROUP_FLAGS = Qt.ItemFlag.ItemIsEnabled
_ENTRY_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_GROUP = 0  # internalId of project rows; entry rows carry their group's index + 1


def _when(stamp: str | None) -> str:
    return (stamp or "").replace("T", " ").rstrip("Z")[:16]


class LibraryModel(QAbstractItemModel):
    sortRequested = Signal(str, bool)  # (core sort key, descending)

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.groups: list[tuple[str, list[LibraryEntry]]] = []

    def expand_groups(self, view: Any) -> None:
        """Open every project row (``expandAll`` would visit all 10,000 entries)."""
        for row in range(len(self.groups)):
            view.expand(self.createIndex(row, 0, _GROUP))

    def set_entries(self, entries: list[LibraryEntry]) -> None:
        groups: list[tuple[str, list[LibraryEntry]]] = []
        for entry in entries:  # core returns them grouped by project already
            if not groups or groups[-1][0] != entry.project:
                groups.append((entry.project, []))
            groups[-1][1].append(entry)
        self.beginResetModel()
        self.groups = groups
        self.endResetModel()

    @property
    def entry_count(self) -> int:
        return sum(len(entries) for _project, entries in self.groups)

    def entry(self, index: _Index) -> LibraryEntry | None:
        if not index.isValid() or index.internalId() == _GROUP:
            return None
        return self.groups[index.internalId() - 1][1][index.row()]

    def index_of(self, entry_id: int, column: int = 0) -> QModelIndex:
        for group, (_project, entries) in enumerate(self.groups):
            for row, entry in enumerate(entries):
                if entry.id == entry_id:
                    return self.createIndex(row, column, group + 1)
        return QModelIndex()

    # ------------------------------------------------------------------ structure

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:
        if not 0 <= column < len(COLUMNS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return (
                self.createIndex(row, column, _GROUP) if row < len(self.groups) else QModelIndex()
            )
        if parent.internalId() != _GROUP or row >= len(self.groups[parent.row()][1]):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == _GROUP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _GROUP)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == _GROUP and parent.column() == 0:
            return len(self.groups[parent.row()][1])
        return 0

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return len(COLUMNS)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return _NO_FLAGS
        return _GROUP_FLAGS if index.internalId() == _GROUP else _ENTRY_FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][2]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if key is not None:
            self.sortRequested.emit(key, order == Qt.SortOrder.DescendingOrder)

    # ------------------------------------------------------------------ cells

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _GROUP:
            project, entries = self.groups[index.row()]
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return f"{project or '(no project)'}  ({len(entries)})"
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            return None
        entry = self.groups[index.internalId() - 1][1][index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole:
            if entry.missing:
                return QBrush(QColor(MISSING_COLOUR))
            if column == VERDICT and entry.verdict in VERDICT_COLOURS:
                return QBrush(QColor(VERDICT_COLOURS[entry.verdict]))
        if role == Qt.ItemDataRole.FontRole and entry.missing:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if entry.missing:
                return f"{entry.path}\nThe file is missing: it moved or was deleted."
            return entry.path if column in (NAME, PATH) else entry.note or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SIZE, PARAMS, PRIMITIVES):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(entry: LibraryEntry, column: int) -> str:
        if column == NAME:
            return f"{entry.name}  (missing)" if entry.missing else entry.name
        if column == CREATED:
            return _when(entry.created_utc)
        if column == SIZE:
            return "" if entry.size is None else format_size(entry.size)
        if column == MODELS:
            return entry.model_text
        if column == PARAMS:
            return f"{entry.params:,}"
        if column == PRIMITIVES:
            return str(entry.primitive_count)
        if column == VERDICT:
            return entry.verdict or "—"
        if column == VERIFIED:
            return _when(entry.verified_at)
        if column == TAGS:
            return ", ".join(entry.tags)
        if column == NOTE:
            return entry.note.splitlines()[0] if entry.note else ""
        return entry.path
