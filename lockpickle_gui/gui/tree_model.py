"""A Qt item model over ``core.graph`` nodes, and the filter in front of it.

:class:`LayerTreeModel` is a ``QAbstractItemModel`` whose index pointers are the inspector's
own :class:`~lockpickle_gui.core.inspect.Node` objects (the tree is immutable once built, so
no copying and no hand-filled items). Each lock-like object is a row of its own under the
object holding it (:func:`lock_rows`), with its badge, so filtering finds it. Words, levels and counts come from
:func:`lockpickle_gui.core.inspect.report.summarize`, the same function the saved report uses.

:class:`LockFilterProxy` filters by name, class, type or annotation kind, optionally only
rows that carry locks; recursive filtering keeps the parents of every match visible.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from lockpickle_gui.core.inspect import DEFAULT_MAX_DEPTH, Annotation, Node, type_name
from lockpickle_gui.core.inspect.report import RowSummary, summarize
from lockpickle_gui.gui import badges

NAME, CLASS, SHAPE, INPUTS, PARAMS, LOCKS, SNAPSHOT = range(7)
HEADERS = ("Name", "Class", "Output shape", "Inputs from", "Params", "Locks", "Snapshot")
HEADER_TIPS = (
    "Attribute, key or layer name",
    "Keras class, or the Python type",
    "The layer's output shape",
    "The layers whose outputs this layer takes (the Graph tab draws them)",
    "Number of weights (trainable and not)",
    "Lock-like objects on this row; '+N' counts those further down the branch",
    "What a lock-safe snapshot does with this row",
)

NODE_ROLE = Qt.ItemDataRole.UserRole + 1  # the core.inspect.Node of a row
LOCK_ROLE = "lock"  # Node.role of a lock row (one lock-like object under its owner)
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 2  # worst badge level of the row's own annotations
SHORT_TEXT_ROLE = Qt.ItemDataRole.UserRole + 3  # a cell's text in a word or two, or None

_Index = QModelIndex | QPersistentModelIndex

# The app inspects with core.graph's default depth; a row cut there says so (never silently).
NOT_WALKED = f"not walked (depth limit {DEFAULT_MAX_DEPTH})"
NOT_WALKED_TIP = (
    f"The inspector stops {DEFAULT_MAX_DEPTH} levels below the root: what this "
    "object holds (locks, models) was not looked at, although a snapshot saves "
    "it. `lockpickle inspect PATH --max-depth N` walks deeper."
)


class LayerTreeModel(QAbstractItemModel):
    def __init__(self, root, parent=None, inputs_from: dict[str, str] | None = None):
        super().__init__(parent)
        self.root = root
        self.inputs_from = inputs_from or {}  # tree path -> the layers feeding it
        # Row of each node under its parent, computed once: parent() must be cheap.
        self._rows: dict[int, int] = {}
        self._summaries: dict[int, RowSummary] = {}
        # Rows under each node: its lock-like objects first (one row each), then its children.
        self._kids: dict[int, list] = {}
        self._by_path: dict[str, Any] = {}
        for node in root.walk():
            kids = [*lock_rows(node), *node.children]
            self._kids[id(node)] = kids
            self._by_path.setdefault(node.path, node)
            for row, child in enumerate(kids):
                self._rows[id(child)] = row
                if child.role == LOCK_ROLE:
                    self._kids[id(child)] = []
                    self._by_path.setdefault(child.path, child)

    # ------------------------------------------------------------------ structure

    def node(self, index: _Index):
        return index.internalPointer() if index.isValid() else None

    def find(self, path: str):
        """The row's node (a tree node or a lock row) at ``path``, or None."""
        return self._by_path.get(path)

    def kids(self, node) -> list:
        return self._kids.get(id(node), [])

    def index_of(self, node, column: int = 0) -> QModelIndex:
        if node is None or node is self.root:
            return self.createIndex(0, column, self.root) if node is self.root else QModelIndex()
        return self.createIndex(self._rows[id(node)], column, node)

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, self.root)
        return self.createIndex(row, column, self._kids[id(parent.internalPointer())][row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node = index.internalPointer()
        if node is self.root or node.parent is None:
            return QModelIndex()
        return self.index_of(node.parent)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        if parent.column() > 0:
            return 0
        if not parent.isValid():
            return 1  # the root object itself is the one top-level row
        return len(self._kids.get(id(parent.internalPointer()), ()))

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return len(HEADERS)

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:
        if not parent.isValid():
            return True
        return parent.column() == 0 and bool(self._kids.get(id(parent.internalPointer())))

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ------------------------------------------------------------------ data

    def summary(self, node) -> RowSummary:
        found = self._summaries.get(id(node))
        if found is None:
            found = self._summaries[id(node)] = summarize(node)
        return found

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == PARAMS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = index.internalPointer()
        column = index.column()
        if role == NODE_ROLE:
            return node
        row = self.summary(node)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display_text(node, column)
        if role == LEVEL_ROLE:
            return row.level
        if role == SHORT_TEXT_ROLE:
            return row.snapshot_short or None if column == SNAPSHOT and not node.truncated else None
        if role == Qt.ItemDataRole.DecorationRole:
            if column == NAME:
                if node.role == LOCK_ROLE and row.level:
                    return badges.lock_icon(row.level)
                return badges.role_icon(node.role)
            if column == LOCKS and row.level:
                return badges.lock_icon(row.level)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column in (LOCKS, SNAPSHOT) and row.level:
                return badges.level_text_colour(row.level)
            if column == LOCKS or (column == SNAPSHOT and node.shared_with):
                return badges.MUTED
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node, row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == PARAMS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == LOCKS and row.level:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def display_text(self, node, column: int) -> str:
        """The text of ``node``'s cell in ``column`` (also what the column widths measure)."""
        row = self.summary(node)
        if column == SNAPSHOT and node.truncated:
            return f"{row.snapshot} · {NOT_WALKED}" if row.snapshot else NOT_WALKED
        if column == INPUTS:
            return self.inputs_from.get(node.path, "") if node.shared_with is None else ""
        return self._display(row, column)

    @staticmethod
    def _display(row: RowSummary, column: int) -> str:
        if column == NAME:
            return row.name
        if column == CLASS:
            return row.class_name
        if column == SHAPE:
            return row.output_shape
        if column == PARAMS:
            return row.params
        if column == LOCKS:
            own = str(row.locks) if row.locks else ""
            below = f"+{row.locks_below}" if row.locks_below else ""
            return f"{own}  {below}".strip()
        return row.snapshot

    def _tooltip(self, node, row: RowSummary, column: int) -> str:
        if column == SNAPSHOT and node.truncated:
            return f"{row.tooltip}\n{NOT_WALKED_TIP}" if row.tooltip else NOT_WALKED_TIP
        if column in (LOCKS, SNAPSHOT) and row.tooltip:
            return row.tooltip
        if column == SHAPE and row.output_shape:
            return f"Output shape {row.output_shape}"  # the full shape of a cut cell
        if column == INPUTS and node.path in self.inputs_from:
            return f"Inputs from {self.inputs_from[node.path]}"
        if column == SNAPSHOT and row.snapshot:
            return row.snapshot
        return f"{node.path}\n{node.type}"


def lock_rows(owner: Node) -> list[Node]:
    """One row per lock-like object held by ``owner`` (``root.work_ready``, ...), so filter,
    find and the lock-only view reach each of them. An annotation about the owner itself (a
    layer problem, a lone primitive at the root) stays on the owner's row."""
    rows = []
    for annotation in owner.annotations:
        if annotation.path == owner.path:
            continue
        name = annotation.path.removeprefix(owner.path).lstrip(".") or annotation.path
        obj = annotation.obj
        rows.append(
            Node(
                name=name,
                path=annotation.path,
                type=type_name(obj) if obj is not None else annotation.kind,
                role=LOCK_ROLE,
                annotations=[annotation],
                parent=owner,
                obj=obj,
            )
        )
    return rows


def own_annotations(node: Node) -> list[Annotation]:
    """The annotations shown on ``node``'s own row (the others have rows of their own)."""
    if node.role == LOCK_ROLE:
        return list(node.annotations)
    return [a for a in node.annotations if a.path == node.path]


class LockFilterProxy(QSortFilterProxyModel):
    """Rows whose name, class, type or annotation kind contains the text (any case).

    With ``only_locks``, only rows that carry annotations themselves match. Parents of a
    match stay visible (recursive filtering), so every match keeps its place in the tree.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self._text = ""
        self._only_locks = False

    @property
    def active(self) -> bool:
        return bool(self._text) or self._only_locks

    def set_filter(self, text: str = "", only_locks: bool = False) -> None:
        text = text.strip().lower()
        if (text, only_locks) == (self._text, self._only_locks):
            return
        self.beginFilterChange()
        self._text, self._only_locks = text, only_locks
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        index = self.sourceModel().index(source_row, 0, source_parent)
        node = index.data(NODE_ROLE)
        if node is None:
            return False
        own = own_annotations(node)
        if self._only_locks and not own:
            return False
        if not self._text:
            return True
        summary = self.sourceModel().summary(node)
        haystack = [node.name, summary.class_name, node.type]
        haystack += [a.kind for a in own] + [a.state for a in own]
        return any(self._text in value.lower() for value in haystack)
