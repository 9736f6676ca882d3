"""A grid that puts its cells in as many columns as fit, so narrow docks stay usable.

Each cell is a row of widgets (e.g. a label and its spin box) taking consecutive grid
columns. At the dock's full width cells sit side by side; in a 1024-pixel-wide window they
stack. The widget's minimum width is that of a single column, so it never holds a dock (and
with it the window) wider than the screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QWidget


class ReflowGrid(QWidget):
    def __init__(
        self,
        cells: Sequence[Sequence[QWidget]],
        max_columns: int,
        parent: QWidget | None = None,
        *,
        stretch: Sequence[int] = (),
    ):
        super().__init__(parent)
        self.cells = [list(cell) for cell in cells]
        self.max_columns = max_columns
        self.stretch = list(stretch)  # stretch factor of each widget position inside a cell
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self.columns = 0
        self._cell_width = max(
            sum(w.minimumSizeHint().width() for w in cell) + 10 * (len(cell) - 1)
            for cell in self.cells
        )
        self._lay_out(max_columns)

    def _lay_out(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        while self.grid.count():
            self.grid.takeAt(0)
        width = max(len(cell) for cell in self.cells)
        for position in range(self.grid.columnCount()):
            self.grid.setColumnStretch(position, 0)
        for index, cell in enumerate(self.cells):
            row, column = divmod(index, columns)
            for offset, widget in enumerate(cell):
                self.grid.addWidget(widget, row, column * width + offset)
        for column in range(columns):
            for offset, factor in enumerate(self.stretch):
                self.grid.setColumnStretch(column * width + offset, factor)

    def columns_for(self, width: int) -> int:
        spacing = self.grid.horizontalSpacing() * 2
        return max(1, min(self.max_columns, (width + spacing) // (self._cell_width + spacing)))

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self._cell_width), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._lay_out(self.columns_for(event.size().width()))
        super().resizeEvent(event)
