"""One project's annotated tree: a filter bar above a ``QTreeView`` over :class:`LayerTreeModel`."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.core.inspect.report import (
    LEVEL_SHORT,
    LEVELS,
    counts_by_level,
)
from lockpickle_gui.gui import badges, tree_columns, tree_model
from lockpickle_gui.gui.config_only_bar import ConfigOnlyBar
from lockpickle_gui.gui.tree_model import NODE_ROLE, LayerTreeModel, LockFilterProxy

AUTO_EXPAND_ROWS = 400  # trees up to this size open fully expanded


class TreePanel(QWidget):
    """Emits :attr:`nodeSelected` with the selected ``core.graph.Node`` (or None)."""

    nodeSelected = Signal(object)

    def __init__(self, project, tree, parent=None, inputs_from: dict[str, str] | None = None):
        super().__init__(parent)
        self.project = project
        self.tree = tree
        self.model = LayerTreeModel(tree, self, inputs_from)
        self.proxy = LockFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("tree_filter")
        self.filter_edit.setPlaceholderText("Filter by name, class or kind (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAcceptDrops(False)  # drops go to the window: they open projects
        clear = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.filter_edit, self.filter_edit.clear)
        clear.setContext(Qt.ShortcutContext.WidgetShortcut)  # Esc in the filter box clears it
        self.no_match = QLabel(self)
        self.no_match.setObjectName("tree_no_match")
        self.no_match.setContentsMargins(8, 4, 8, 4)
        self.no_match.hide()
        self.only_locks = QCheckBox("Only rows with locks", self)
        self.only_locks.setObjectName("only_locks")
        expand = QToolButton(self, text="Expand all", autoRaise=True)
        collapse = QToolButton(self, text="Collapse all", autoRaise=True)
        self.summary_label = QLabel(self)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setText(self._summary_html())

        self.view = QTreeView(self)
        self.view.setObjectName("layer_tree")
        self.view.setModel(self.proxy)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAllColumnsShowFocus(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # full text on hover
        self.view.setItemDelegateForColumn(
            tree_model.SNAPSHOT, tree_columns.ShortWhenNarrow(self.view)
        )
        header = self.view.header()
        header.setTextElideMode(Qt.TextElideMode.ElideRight)  # "Inputs f…", not "Inputs f"
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._content_widths: dict[int, int] | None = None
        self._chosen = None  # the last row the user selected (a filter may hide it)
        self._fitting = False
        self.columns_sized_by_user = False
        header.sectionResized.connect(self._on_section_resized)
        self.view.viewport().installEventFilter(self)
        self.fit_columns()

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 6, 6, 2)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.only_locks)
        bar.addWidget(expand)
        bar.addWidget(collapse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.config_only_bar: ConfigOnlyBar | None = None
        if getattr(project, "config_only", False):  # its code is missing: read as data
            self.config_only_bar = ConfigOnlyBar(project, self)
            layout.addWidget(self.config_only_bar)
        layout.addLayout(bar)
        layout.addWidget(self.no_match)
        layout.addWidget(self.view, 1)
        summary_row = QHBoxLayout()
        summary_row.setContentsMargins(8, 0, 8, 4)
        summary_row.addWidget(self.summary_label)
        layout.addLayout(summary_row)

        self._expanded_before_filter: set[int] = set()
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.only_locks.toggled.connect(self._apply_filter)
        expand.clicked.connect(self.expand_all)
        collapse.clicked.connect(self.collapse_all)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)

        if sum(1 for _ in tree.walk()) <= AUTO_EXPAND_ROWS:
            self.view.expandAll()
        else:
            self.view.expandToDepth(1)

    # ------------------------------------------------------------------ public

    @property
    def selected_node(self):
        indexes = self.view.selectionModel().selectedRows()
        return indexes[0].data(NODE_ROLE) if indexes else None

    def select_path(self, path: str) -> bool:
        """Select (and scroll to) the row of the node at ``path``; False if it is filtered out."""
        node = self.model.find(path)
        if node is None:
            return False
        index = self.proxy.mapFromSource(self.model.index_of(node))
        if not index.isValid():
            return False
        if self.selected_node is node:
            return True
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def first_annotated_path(self) -> str | None:
        """The path of the first node (tree order) that carries annotations itself."""
        return next((node.path for node in self.tree.walk() if node.annotations), None)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def expand_all(self) -> None:
        self.view.expandAll()

    def collapse_all(self) -> None:
        self.view.collapseAll()
        self.view.expand(self.proxy.index(0, 0))  # keep the root open: its children are the point

    def fit_columns(self) -> None:
        """Widths from the rows' texts, fitted to the view (see :mod:`.tree_columns`)."""
        if self.columns_sized_by_user:
            return
        if self._content_widths is None:
            self._content_widths = tree_columns.content_widths(
                self.model, self.view.fontMetrics(), self.view.indentation()
            )
        fitted = tree_columns.fit(self._content_widths, self.view.viewport().width())
        self._fitting = True
        try:
            # the last one stretches; its width set here is the least it gets (Qt's own
            # minimum for a stretched section is the size it had before stretching)
            for column in range(len(tree_model.HEADERS)):
                self.view.setColumnWidth(column, fitted[column])
        finally:
            self._fitting = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ internals

    def _on_section_resized(self, column: int, old: int, new: int) -> None:
        if not self._fitting and column != tree_model.SNAPSHOT:
            self.columns_sized_by_user = True  # a dragged column is the user's choice

    def _apply_filter(self) -> None:
        was_active = self.proxy.active
        if not was_active:  # what the user had open, to come back to when the filter goes
            self._expanded_before_filter = self._expanded_nodes()
        chosen = self._chosen  # the user's row, even while a filter hides it
        self.proxy.set_filter(self.filter_edit.text(), self.only_locks.isChecked())
        if self.proxy.active:
            self.view.expandAll()  # matches may sit deep in the tree
        elif was_active:
            self._expand_nodes(self._expanded_before_filter)
        if chosen is not None and self.selected_node is None:
            # the proxy's reset dropped the selection: the row comes back (and Details with
            # it) as soon as it is shown again, as after Esc clears the filter
            self.select_path(chosen.path)
        self._chosen = chosen
        self._say_matches()

    def _say_matches(self) -> None:
        """An empty view says why: no row matches the filter (not an empty project)."""
        empty = self.proxy.active and self.proxy.rowCount() == 0
        text = self.filter_edit.text().strip()
        if text:
            message = f"No row matches “{text}”" + (
                " among the rows with locks." if self.only_locks.isChecked() else "."
            )
        else:
            message = "No lock-like objects: no row to show with “Only rows with locks”."
        self.no_match.setText(message if empty else "")
        self.no_match.setVisible(empty)

    def _expanded_nodes(self) -> set[int]:
        found: set[int] = set()
        stack = [self.proxy.index(0, 0)]
        while stack:
            index = stack.pop()
            if index.isValid() and self.view.isExpanded(index):
                found.add(id(index.data(NODE_ROLE)))
                stack += [self.proxy.index(r, 0, index) for r in range(self.proxy.rowCount(index))]
        return found

    def _expand_nodes(self, expanded: set[int]) -> None:
        self.view.collapseAll()
        stack = [self.proxy.index(0, 0)]
        while stack:
            index = stack.pop()
            if index.isValid() and id(index.data(NODE_ROLE)) in expanded:
                self.view.expand(index)
                stack += [self.proxy.index(r, 0, index) for r in range(self.proxy.rowCount(index))]

    def _on_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        node = self.selected_node
        if node is not None:
            self._chosen = node
        self.nodeSelected.emit(node)

    def _summary_html(self) -> str:
        counts = counts_by_level(self.tree)
        total = sum(counts.values())
        if not total:
            return "No lock-like objects: plain pickle-friendly state."
        parts = [
            f'<span style="color:{badges.level_text_colour(level).name()}"><b>{counts[level]}</b> '
            f"{LEVEL_SHORT[level]}</span>"
            for level in LEVELS
            if counts[level]
        ]
        noun = "object" if total == 1 else "objects"
        return f"{total} lock-like {noun}: " + " &nbsp;·&nbsp; ".join(parts)
