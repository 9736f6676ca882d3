"""Column widths of the layer tree: fitted to what the rows say, and to the view's width.

Every column gets the width of its longest text (measured once over the whole tree, not only
the rows on screen), capped so one long value cannot take the view; empty columns (Locks
and Snapshot on a model without locks) shrink to their header. When the sum is wider than
the view, the columns give way in the order of :data:`GIVE_WAY`, each down to its floor:
Inputs from first (the Graph tab draws the same edges), then the stretched Snapshot column
(the Locks badge already says its colour), Output shape, and Class; Name goes last, since a
row nobody can name is of no use. Params and Locks never shrink. Cut texts are elided in the
middle and shown in full on hover (tree_model's tooltips); what still does not fit scrolls.
Once the user drags a column, the widths are theirs.
"""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

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
GIVE_WAY = (
    tree_model.INPUTS,
    tree_model.SNAPSHOT,
    tree_model.SHAPE,
    tree_model.CLASS,
    tree_model.NAME,
)


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
    """``widths`` shrunk in the order of :data:`GIVE_WAY`, each to its floor, until they fit
    ``available``. The last column (Snapshot) is stretched by the view: its value here is
    the least it should get, and the view gives it whatever is left over."""
    fitted = dict(widths)
    excess = sum(fitted.values()) - available
    for column in GIVE_WAY:
        if excess <= 0:
            break
        give = min(excess, max(0, fitted[column] - FLOORS[column]))
        fitted[column] -= give
        excess -= give
    return fitted
