"""What the graph view draws: layer boxes, edges with their tensor shapes, nested-model frames.

One Python item per node and per edge, painted with a level of detail: zoomed out to fit
NASNetMobile (771 layers) a box is one rounded rectangle and edges carry no text, so a full
repaint stays around 20 ms; from 60 % up the names, classes, lock badges and shapes appear
(measured in /work/research/graph_layout.md, section 4). Colours come from the palette.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QApplication, QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from lockpickle_gui.core.inspect.report import shape_text
from lockpickle_gui.core.inspect.structure import GraphEdge, GraphNode
from lockpickle_gui.gui import badges

PATH_ROLE = 0  # item.data(PATH_ROLE): the layer's path in the tree ("" when it has no row)
ID_ROLE = 1  # item.data(ID_ROLE): the graph node id
NODE_HEIGHT = 40.0
PADDING = 12.0
BADGE = 18.0
SHAPE_DETAIL = 0.3  # below this zoom, no rounded corners and no arrowheads
TEXT_DETAIL = 0.55  # below this zoom, boxes are drawn without text
LABEL_DETAIL = 0.75  # below this zoom, edges are drawn without their shape


def node_font(bold: bool = False) -> QFont:
    font = QFont(QApplication.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
    font.setBold(bold)
    return font


@functools.cache
def _metrics() -> tuple[QFontMetricsF, QFontMetricsF]:
    return QFontMetricsF(node_font(True)), QFontMetricsF(node_font())


def node_size(node: GraphNode, locks: int, collapsed: bool) -> tuple[float, float]:
    """Width and height of a node's box: its name and class fit, and the lock badge."""
    bold, plain = _metrics()
    title = ("▸ " if collapsed else "") + node.name
    width = max(bold.horizontalAdvance(title), plain.horizontalAdvance(node.class_name))
    return round(width + 2 * PADDING + (BADGE + 4 if locks else 0)), NODE_HEIGHT


def _lod(option: QStyleOptionGraphicsItem, painter: QPainter) -> float:
    return option.levelOfDetailFromTransform(painter.worldTransform())


class NodeItem(QGraphicsItem):
    """A layer (or a collapsed nested model): name, class, and a badge when it holds locks."""

    def __init__(
        self,
        node: GraphNode,
        rect: QRectF,
        *,
        locks: int,
        level: str | None,
        collapsed: bool,
        path: str,
    ):
        super().__init__()
        self.node, self.rect, self.locks, self.level = node, rect, locks, level
        self.collapsed = collapsed
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setData(PATH_ROLE, path)
        self.setData(ID_ROLE, node.id)
        self.setZValue(2)
        tip = f"{node.name} ({node.class_name})"
        if node.output_shapes:
            tip += "\noutput " + ", ".join(shape_text(list(s)) for s in node.output_shapes)
        if node.params is not None:
            tip += f"\n{node.params:,} params"
        if locks:
            tip += f"\n{locks} lock-like object(s) — select it to see them in Details"
        if collapsed:
            tip += "\nDouble-click to expand this nested model"
        self.setToolTip(tip)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-3, -3, 3, 3)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = QApplication.palette()
        selected = self.isSelected()
        fill = palette.color(QPalette.ColorRole.Button)
        border = palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid)
        painter.setPen(
            QPen(
                border,
                2.5 if selected else 1.0,
                Qt.PenStyle.DashLine if self.collapsed else Qt.PenStyle.SolidLine,
            )
        )
        painter.setBrush(QBrush(fill))
        lod = _lod(option, painter)
        if lod < SHAPE_DETAIL:  # zoomed far out: a plain box is all one can see
            painter.drawRect(self.rect)
        else:
            painter.drawRoundedRect(self.rect, 5, 5)
        accent = QColor(badges.level_colour(self.level)) if self.level else None
        if lod < TEXT_DETAIL:
            if accent is not None:  # even zoomed out, a box with locks shows it
                painter.fillRect(
                    QRectF(self.rect.right() - 8, self.rect.top(), 8, self.rect.height()), accent
                )
            return
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        inner = self.rect.adjusted(PADDING, 4, -PADDING, -4)
        painter.setFont(node_font(True))
        painter.setPen(text)
        title = ("▸ " if self.collapsed else "") + self.node.name
        painter.drawText(
            QRectF(inner.left(), inner.top(), inner.width(), inner.height() / 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        painter.setFont(node_font())
        painter.setPen(muted)
        painter.drawText(
            QRectF(inner.left(), inner.center().y(), inner.width(), inner.height() / 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.node.class_name,
        )
        if self.locks and accent is not None:
            badge = QRectF(
                self.rect.right() - BADGE - 5,
                self.rect.top() + (NODE_HEIGHT - BADGE) / 2,
                BADGE,
                BADGE,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            painter.drawEllipse(badge)
            painter.setPen(QColor("white"))
            painter.setFont(node_font(True))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(self.locks))


class EdgeItem(QGraphicsItem):
    """A tensor going from one layer to the next: a Bézier curve, an arrow, its shape."""

    def __init__(self, edge: GraphEdge, route: list[list[float]], *, labelled: bool = True):
        super().__init__()
        self.edge = edge
        points = [QPointF(x, y) for x, y in route]
        self.path = QPainterPath(points[0]) if points else QPainterPath()
        body = points[:-1] if len(points) > 4 else points  # the last point is the arrow's tip
        for i in range(1, len(body) - 2, 3):
            self.path.cubicTo(body[i], body[i + 1], body[i + 2])
        self.tip = points[-1] if points else QPointF()
        base = body[-1] if body else QPointF()
        self.arrow = _arrowhead(base, self.tip)
        self.path.lineTo(base)
        shape = shape_text(list(edge.shape)) if edge.shape is not None else ""
        # a layer feeding several others says its output shape once, where its edges start
        self.label = shape if labelled else ""
        self.label_at = self.path.pointAtPercent(0.2) if points else QPointF()
        self.setZValue(1)
        self.setToolTip(f"{edge.source} → {edge.target}" + (f"\n{shape}" if shape else ""))
        box = self.path.boundingRect().united(self.arrow.boundingRect())
        if self.label:
            box = box.united(QRectF(self.label_at, self.label_at + QPointF(160, 14)))
        self._bounds = box.adjusted(-2, -2, 2, 2)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self.path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour = QApplication.palette().color(QPalette.ColorRole.Mid)
        painter.setPen(QPen(colour, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        lod = _lod(option, painter)
        if lod >= SHAPE_DETAIL:
            painter.setBrush(colour)
            painter.drawPolygon(self.arrow)
        if self.label and lod >= LABEL_DETAIL:
            painter.setFont(node_font())
            painter.setPen(QApplication.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.label_at + QPointF(5, 4), self.label)


def _arrowhead(base: QPointF, tip: QPointF) -> QPolygonF:
    direction = tip - base
    length = max((direction.x() ** 2 + direction.y() ** 2) ** 0.5, 1e-6)
    ux, uy = direction.x() / length, direction.y() / length
    start = tip - QPointF(ux * 8, uy * 8)
    normal = QPointF(-uy * 4, ux * 4)
    return QPolygonF([tip, start + normal, start - normal])


class ClusterItem(QGraphicsItem):
    """The frame around an expanded nested model; double-click collapses it."""

    def __init__(self, node: GraphNode, rect: QRectF, path: str):
        super().__init__()
        self.node, self.rect = node, rect
        self.setData(PATH_ROLE, path)
        self.setData(ID_ROLE, node.id)
        self.setZValue(0)
        self.setToolTip(f"{node.name} ({node.class_name}): double-click to collapse")

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = QApplication.palette()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1.0, Qt.PenStyle.DashLine))
        painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
        painter.drawRoundedRect(self.rect, 8, 8)
        if _lod(option, painter) >= TEXT_DETAIL:
            painter.setFont(node_font(True))
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(self.rect.topLeft() + QPointF(10, 15), f"▾ {self.node.name}")
