"""Column widths of the layer tree: fitted to what the rows say, and to the view's width.

Every column gets the width of its longest text (measured once over the whole tree, not only
the rows on screen), capped so one long value cannot take the view; empty columns (Locks
and Snapshot on a model without locks) shrink to their header. When the sum is wider than
the view, Inputs from gives way first (the Graph tab draws the same edges), then the
stretched Snapshot column (the Locks badge already says its colour), each down to a floor;
what is still missing is shared by Output shape, Class and Name in proportion to what each
has above its floor, Name's share halved: a row nobody can name is of no use, and cutting a
little from three columns elides only their longest texts. Params and Locks never shrink.
Cut texts are elided in the middle and shown in full on hover (tree_model's tooltips); a
Snapshot cell too narrow for its sentence says it in a word ("recreated", "kept": the
:class:`ShortWhenNarrow` delegate) rather than as "kept (fres…same data)". What still does
not fit scrolls.
Once the user drags a column, the widths are theirs.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from lockpickle_gui.gui import tree_model

PADDING = 18  # cell margins and the gap to the next column
ICON = 20  # a decoration (role icon, lock badge) and its spacing
CAPS = {
    tree_model.NAME: 360,
    tree_model.CLASS: 220,
    tree_model.SHAPE: 260,
    tree_model.INPUTS: 220,
    tree_model.PARAMS: 110,
    tree_model.LOCKS: 110,
    tree_model.SNAPSHOT: 340,
}
FLOORS = {
    tree_model.INPUTS: 50,
    tree_model.SNAPSHOT: 90,
    tree_model.SHAPE: 80,
    tree_model.CLASS: 90,
    tree_model.NAME: 120,
}
GIVE_WAY_FIRST = (tree_model.INPUTS, tree_model.SNAPSHOT)  # in turn, each to its floor
SHARED = {tree_model.SHAPE: 1.0, tree_model.CLASS: 1.0, tree_model.NAME: 0.5}  # then together


def content_widths(model: tree_model.LayerTreeModel, metrics: QFontMetrics, indent: int) -> dict:
    """Column -> the width its longest cell (or its header) needs, capped by :data:`CAPS`."""
    widths = {
        column: metrics.horizontalAdvance(header) + PADDING + (ICON if column == 0 else 0)
        for column, header in enumerate(tree_model.HEADERS)
    }
    stack = [(model.root, 1)]  # the root row is indented once, like its children below it
    while stack:
        node, depth = stack.pop()
        for column in range(len(tree_model.HEADERS)):
            text = model.display_text(node, column)
            if not text:
                continue
            width = metrics.horizontalAdvance(text) + PADDING
            if column == tree_model.NAME:
                width += depth * indent + ICON
            elif column == tree_model.LOCKS:
                width += ICON
            widths[column] = max(widths[column], width)
        stack.extend((child, depth + 1) for child in node.children)
    return {column: min(width, CAPS[column]) for column, width in widths.items()}


def fit(widths: dict[int, int], available: int) -> dict[int, int]:
    """``widths`` shrunk until they fit ``available`` (see the module's docstring). The last
    column (Snapshot) is stretched by the view: its value here is the least it should get,
    and the view gives it whatever is left over."""
    fitted = dict(widths)
    excess = sum(fitted.values()) - available
    for column in GIVE_WAY_FIRST:
        give = min(max(excess, 0), max(0, fitted[column] - FLOORS[column]))
        fitted[column] -= give
        excess -= give
    room = {column: max(0, fitted[column] - FLOORS[column]) for column in SHARED}
    weighted = sum(SHARED[column] * room[column] for column in SHARED)
    if excess > 0 and weighted > 0:
        for column, weight in SHARED.items():
            share = excess * weight * room[column] / weighted
            fitted[column] -= min(room[column], math.ceil(share))
    return fitted


class ShortWhenNarrow(QStyledItemDelegate):
    """Shows a cell's short text (``tree_model.SHORT_TEXT_ROLE``) when its full text does not
    fit; the model's data, the tooltip and the copy stay the full sentence."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        short = index.data(tree_model.SHORT_TEXT_ROLE)
        if not short:
            return
        style = option.widget.style() if option.widget is not None else None
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1 if style else 4
        if option.fontMetrics.horizontalAdvance(option.text) > option.rect.width() - 2 * margin:
            option.text = short
