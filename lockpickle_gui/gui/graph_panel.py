"""A project's Graph tab: its model's layers as a layered top-to-bottom drawing.

The structure comes from ``core.inspect.structure`` (computed with the project, on the
loader's thread); the layout from Graphviz in a child process (``graph_layout_process``, so
the UI thread never waits for it); then the scene is filled about a hundred items per
event-loop turn. Each stage is a generation: a newer request (another
model, a nested model expanded) makes the older one's results be dropped.

Selection is shared with the tree (and so with Details): ``layerSelected(path)`` when a box
is clicked, :meth:`show_path` when the tree's selection moves. Nested models start collapsed
(double-click to expand, double-click the frame to collapse again); zoom with Ctrl+wheel or
the buttons; Find goes from match to match; Export… writes PNG or SVG.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPainter, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.core.inspect.report import worst_level
from lockpickle_gui.core.inspect.structure import LayerGraph, model_nodes, tree_paths
from lockpickle_gui.core.session import OpenProject
from lockpickle_gui.gui import file_places, graph_export
from lockpickle_gui.gui.graph_items import (
    ID_ROLE,
    PATH_ROLE,
    TEXT_DETAIL,
    ClusterItem,
    EdgeItem,
    NodeItem,
    node_size,
)
from lockpickle_gui.gui.graph_layout_process import LayoutProcess, layout_request

log = logging.getLogger(__name__)

ITEMS_PER_TURN = 100  # scene items added per event-loop turn (a few ms each turn)
ZOOM_STEP = 1.25


class GraphView(QGraphicsView):
    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None):
        super().__init__(scene, parent)
        self.setObjectName("graph_view")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
        else:
            super().wheelEvent(event)

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)

    def zoom_level(self) -> float:
        return self.transform().m11()


class GraphPanel(QWidget):
    layerSelected = Signal(str)  # the tree path of the clicked layer
    laidOut = Signal()  # the scene is complete (for tests and the benchmark)
    exported = Signal(str)  # an export ended: what happened, in words

    def __init__(self, entry: OpenProject, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("graph_panel")
        self.entry = entry
        self.graph: LayerGraph | None = None
        self.collapsed: set[str] = set()
        self.paths: dict[str, str] = {}  # graph node id -> tree path
        self.items: dict[str, Any] = {}  # graph node id -> NodeItem / ClusterItem
        self.bbox = QRectF()
        self.state = "idle"  # idle | laying out | drawing | done | failed | empty
        self.layout_seconds = 0.0
        self._generation = 0
        self._process: LayoutProcess | None = None
        self._pending: list[Any] = []
        self._find_from = -1
        self._wanted_path: str | None = None  # the tree's selection, shown once drawn
        self._drawn_message = ""
        self._syncing = False
        self._top: tuple[float, float] = (0.0, 0.0)  # the first layer: where 1:1 starts
        self._lock_counts: dict[str, tuple[int, str | None]] = {}
        self._sizes: dict[str, tuple[float, float]] = {}
        self._shown: LayerGraph | None = None

        self.scene = QGraphicsScene(self)
        self.view = GraphView(self.scene, self)
        self.model_combo = QComboBox(self)
        self.model_combo.setObjectName("graph_model")
        self.model_combo.addItems(list(entry.graphs))
        self.model_combo.setVisible(len(entry.graphs) > 1)
        self.find_edit = QLineEdit(self)
        self.find_edit.setObjectName("graph_find")
        self.find_edit.setPlaceholderText("Find a layer (Enter: next)")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setEnabled(bool(entry.graphs))
        self.message = QLabel(self)
        self.message.setObjectName("graph_message")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(6, 6, 6, 2)
        buttons.addWidget(self.model_combo)
        buttons.addWidget(self.find_edit, 1)
        for text, tip, slot, name in (
            ("Fit", "Show the whole graph", self.fit, "graph_fit"),
            ("1:1", "Actual size", self.actual_size, "graph_actual"),
            ("+", "Zoom in (Ctrl+wheel)", lambda: self.view.zoom(ZOOM_STEP), "graph_zoom_in"),
            ("−", "Zoom out (Ctrl+wheel)", lambda: self.view.zoom(1 / ZOOM_STEP), "graph_zoom_out"),
            ("Export…", "Save the graph as PNG or SVG", self.export, "graph_export"),
        ):
            button = QToolButton(self, text=text, autoRaise=True)
            button.setObjectName(name)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            button.setEnabled(bool(entry.graphs))  # nothing to zoom or export without a graph
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)

        self.model_combo.currentTextChanged.connect(lambda _: self.draw())
        self.find_edit.returnPressed.connect(self.find_next)
        self.find_edit.textChanged.connect(self._find_changed)
        clear = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.find_edit, self.find_edit.clear)
        clear.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.view.mouseDoubleClickEvent = self._double_clicked  # type: ignore[method-assign]
        self.message.setText(
            "No layer graph: this project has no Keras model with one." if not entry.graphs else ""
        )

    # ------------------------------------------------------------------ drawing

    def ensure_drawn(self) -> None:
        """Lay out and draw on first sight (the tab is not drawn until it is shown)."""
        if self.state == "idle":
            self.draw()

    def draw(self) -> None:
        name = self.model_combo.currentText()
        graph = self.entry.graphs.get(name)
        self._cancel()
        if graph is None:
            self.state = "empty"
            return
        if graph is not self.graph:
            self.graph = graph
            self.collapsed = set(graph.containers())  # nested models start collapsed
            row = model_nodes(self.entry.tree, self.entry.project.models, self.entry.graphs).get(
                name
            )
            self.paths = tree_paths(row, graph) if row is not None else {}
            self._lock_counts = self._count_locks(row)
        shown = graph.view(self.collapsed)
        sizes = {
            node_id: node_size(node, self._locks(node_id)[0], node_id in self.collapsed)
            for node_id, node in shown.nodes.items()
        }
        self._sizes = sizes
        self.state = "laying out"
        self.message.setText(f"Laying out {len(shown.nodes):,} layers…")
        self._generation += 1
        generation = self._generation
        process = LayoutProcess(layout_request(graph, shown, self.collapsed, sizes), self)
        process.laidOut.connect(lambda result: self._laid_out(generation, shown, result))
        process.failed.connect(lambda reason: self._layout_failed(generation, reason))
        self._process = process

    def _laid_out(self, generation: int, shown: LayerGraph, result: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        self._process = None
        self.layout_seconds = float(result.get("seconds", 0.0))
        self.scene.clear()
        self.items = {}
        width, height = result["bbox"]
        self.bbox = QRectF(0, 0, width, height)
        self._top = min(result["nodes"].values(), key=lambda p: p[1], default=(0.0, 0.0))
        self.scene.setSceneRect(self.bbox.adjusted(-40, -40, 40, 40))
        # items are made as they are added, a hundred per turn: making them costs too
        pending: list[Any] = []
        for container, box in result["clusters"].items():
            pending.append(("cluster", container, box))
        for node_id, centre in result["nodes"].items():
            pending.append(("node", node_id, centre))
        said: set[tuple[str, Any]] = set()  # (source, shape) already labelled
        for edge, route in zip(shown.edges, result["edges"]):
            if route:
                pending.append(("edge", edge, (route, (edge.source, edge.shape) not in said)))
                said.add((edge.source, edge.shape))
        self._shown = shown
        self._pending = pending
        self.state = "drawing"
        self.message.setText(f"Drawing {len(shown.nodes):,} layers…")
        self.first_view()
        self._add_some(generation)

    def _add_some(self, generation: int) -> None:
        if generation != self._generation:
            return
        chunk, self._pending = self._pending[:ITEMS_PER_TURN], self._pending[ITEMS_PER_TURN:]
        for kind, key, value in chunk:
            item = self._make(kind, key, value)
            self.scene.addItem(item)
            if not isinstance(item, EdgeItem):
                self.items[key] = item
        if self._pending:
            QTimer.singleShot(0, lambda: self._add_some(generation))
            return
        self.state = "done"
        count = sum(1 for item in self.items.values() if isinstance(item, NodeItem))
        self._drawn_message = f"{count:,} layers · layout {self.layout_seconds * 1000:.0f} ms" + (
            " · double-click a ▸ box to expand it" if self.collapsed else ""
        )
        self.message.setText(self._drawn_message)
        self.show_path(self._wanted_path)  # selected in the tree before the graph was drawn
        self.laidOut.emit()

    def _make(self, kind: str, key: Any, value: Any) -> Any:
        if kind == "edge":
            route, labelled = value
            return EdgeItem(key, route, labelled=labelled)
        graph = self.graph
        assert graph is not None
        if kind == "cluster":
            x0, y0, x1, y1 = value
            return ClusterItem(
                graph.nodes[key], QRectF(x0, y0, x1 - x0, y1 - y0), self.paths.get(key, "")
            )
        (cx, cy), (w, h) = value, self._sizes[key]
        locks, level = self._locks(key)
        node = self._shown.nodes[key]
        rect = QRectF(cx - w / 2, cy - h / 2, w, h)
        return NodeItem(
            node,
            rect,
            locks=locks,
            level=level,
            collapsed=key in self.collapsed,
            path=self.paths.get(key, ""),
        )

    def _layout_failed(self, generation: int, reason: str) -> None:
        if generation != self._generation or self.state == "failed":
            return
        self._process = None
        self.state = "failed"
        self.message.setText(f"The graph could not be laid out: {reason}")
        log.warning("Graph layout failed: %s", reason)

    def _cancel(self) -> None:
        self._generation += 1
        self._pending = []
        if self._process is not None:
            self._process.kill()
            self._process = None

    def shutdown(self) -> None:
        self._cancel()

    def _count_locks(self, model_row: Any) -> dict[str, tuple[int, str | None]]:
        """Tree path -> (lock-like objects in that row's subtree, worst level), in one walk."""
        counts: dict[str, tuple[int, str | None]] = {}
        if model_row is None:
            return counts
        for node in model_row.walk():
            notes = list(node.iter_annotations()) if node.role in ("layer", "model") else []
            if notes:
                counts[node.path] = (len(notes), worst_level(notes))
        return counts

    def _locks(self, node_id: str) -> tuple[int, str | None]:
        return self._lock_counts.get(self.paths.get(node_id, ""), (0, None))

    # ------------------------------------------------------------------ interaction

    def fit(self) -> None:
        if not self.bbox.isEmpty():
            self.view.fitInView(self.bbox, Qt.AspectRatioMode.KeepAspectRatio)
            if self.view.zoom_level() > 1.0:
                self.actual_size()

    def first_view(self) -> None:
        """The whole graph when its names can be read at that size; else 1:1 at the inputs."""
        self.fit()
        if self.view.zoom_level() < TEXT_DETAIL:
            self.view.resetTransform()
            x, y = self._top
            self.view.centerOn(x, y - 20 + self.view.viewport().height() / 2)

    def actual_size(self) -> None:
        center = self.view.mapToScene(self.view.viewport().rect().center())
        self.view.resetTransform()
        self.view.centerOn(center)

    def toggle(self, node_id: str) -> None:
        """Expand a collapsed nested model, or collapse an expanded one (a new layout)."""
        if (
            self.graph is None
            or node_id not in self.graph.nodes
            or not self.graph.nodes[node_id].container
        ):
            return
        self.collapsed.symmetric_difference_update({node_id})
        self.draw()

    def show_path(self, path: str | None) -> None:
        """Select the box of the tree row at ``path`` (or the nested model hiding it)."""
        self._wanted_path = path
        if self.graph is None or self._syncing:
            return
        node_id = next((i for i, p in self.paths.items() if p == path), None) if path else None
        if node_id is not None:
            node_id = self.graph.outermost_collapsed(node_id, self.collapsed)
        item = self.items.get(node_id) if node_id is not None else None
        self._syncing = True
        try:
            self.scene.clearSelection()
            if item is not None and isinstance(item, NodeItem):
                item.setSelected(True)
                self.view.centerOn(item)
        finally:
            self._syncing = False

    def find_next(self) -> bool:
        """Select and show the next layer whose name or class contains the Find text."""
        text = self.find_edit.text().strip().lower()
        nodes = [i for i in self.items.values() if isinstance(i, NodeItem)]
        matches = [
            i
            for i in nodes
            if text and (text in i.node.name.lower() or text in i.node.class_name.lower())
        ]
        if not matches:
            self.message.setText(f"No layer matches “{self.find_edit.text()}”." if text else "")
            return False
        self._find_from = (self._find_from + 1) % len(matches)
        item = matches[self._find_from]
        self.scene.clearSelection()
        item.setSelected(True)
        if self.view.zoom_level() < 0.8:
            self.view.resetTransform()
        self.view.centerOn(item)
        self.message.setText(f"Match {self._find_from + 1} of {len(matches)}: {item.node.name}")
        return True

    def _find_changed(self) -> None:
        self._find_from = -1
        if not self.find_edit.text() and self.state == "done":  # Esc: no stale "No layer…"
            self.message.setText(self._drawn_message)

    def _selection_changed(self) -> None:
        if self._syncing:
            return
        selected = [i for i in self.scene.selectedItems() if isinstance(i, NodeItem)]
        path = selected[0].data(PATH_ROLE) if selected else ""
        if path:
            self._syncing = True
            try:
                self.layerSelected.emit(path)
            finally:
                self._syncing = False

    def _double_clicked(self, event: Any) -> None:
        item = self.view.itemAt(event.position().toPoint())
        while item is not None and item.data(ID_ROLE) is None:
            item = item.parentItem()
        if item is not None:
            self.toggle(str(item.data(ID_ROLE)))

    # ------------------------------------------------------------------ export

    def export(self) -> None:
        if self.state != "done":
            return
        name = f"{self.model_combo.currentText() or self.entry.name}-graph.svg"
        window = self.window()
        folder = (
            file_places.save_folder(window, self.entry.project)
            if hasattr(window, "settings")
            else file_places.first_folder()
        )
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export graph", str(folder / name), "SVG image (*.svg);;PNG image (*.png)"
        )
        if path:
            if hasattr(window, "settings"):
                file_places.remember_save_folder(window, path)
            graph_export.export(
                self, path, "png" if "PNG" in chosen or path.lower().endswith(".png") else "svg"
            )
