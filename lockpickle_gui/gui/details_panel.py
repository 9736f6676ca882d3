"""The details of the selected tree row: identity, annotations, config JSON, weights.

The cheap parts come straight from the ``core.graph.Node``; config and weight statistics
come from :func:`lockpickle_gui.core.inspect.details.node_details` on a worker thread (a big layer
holds millions of values), and a result that arrives after the selection moved is dropped.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.core.inspect import details as core_details
from lockpickle_gui.core.inspect.report import LEVEL_SHORT, LEVEL_WORDS, level_of, shape_text
from lockpickle_gui.gui import badges, file_places
from lockpickle_gui.gui.workers import Worker

ANNOTATION_COLUMNS = ("Path", "Kind", "Snapshot", "State", "Detail")  # "held" shows in State
SNAPSHOT_COLUMN = 2
ALWAYS_SHOWN = ("Type", "Module")  # other identity rows hide when they have nothing to say
WEIGHT_COLUMNS = ("Name", "Shape", "Dtype", "Min", "Mean", "Max")
LOCKS_TAB, CONFIG_TAB, WEIGHTS_TAB, VALUE_TAB, SIGNATURES_TAB = range(5)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _read_only_table(columns: tuple[str, ...], parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    # Columns fit their contents and the last one takes the rest (small tables: cheap).
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    return table


class DetailsPanel(QWidget):
    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window_ = window
        self.node = None
        self.details: core_details.NodeDetails | None = None
        self._generation = 0  # which selection the running details worker belongs to
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.path_edit = QLineEdit(self, readOnly=True)
        self.path_edit.setObjectName("details_path")
        self.path_edit.setAcceptDrops(False)
        self.path_edit.setPlaceholderText("Select a row of the tree or a box of the graph")
        self.path_edit.setFont(mono)
        copy_button = QToolButton(self, text="Copy", autoRaise=True)
        copy_button.setToolTip("Copy the Python path of this object")
        copy_button.clicked.connect(self.copy_path)
        path_row = QHBoxLayout()
        path_row.setContentsMargins(0, 0, 0, 0)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(copy_button)

        self.fields: dict[str, QLabel] = {}
        form = self.form = QFormLayout()
        form.addRow("Path", path_row)
        for label in (
            "Type",
            "Module",
            "Output shape",
            "Dtype",
            "Params",
            "Trainable",
            "Shared with",
        ):
            value = QLabel(self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            # a long dotted module name is one unbreakable word: as the label's minimum width
            # it widened the dock and squeezed the tree on every selection. It is cut
            # instead, and shown whole on hover.
            value.setMinimumWidth(1)
            self.fields[label] = value
            form.addRow(label, value)

        self.annotations = _read_only_table(ANNOTATION_COLUMNS, self)
        self.annotations.setObjectName("details_annotations")
        self.config_text = QPlainTextEdit(self, readOnly=True)
        self.config_text.setObjectName("details_config")
        self.config_text.setFont(mono)
        self.weights = _read_only_table(WEIGHT_COLUMNS, self)
        self.weights.setObjectName("details_weights")
        self.save_npy_button = QPushButton("Save as .npy…", self)
        self.save_npy_button.setObjectName("save_npy")
        self.save_npy_button.setEnabled(False)
        self.save_npy_button.clicked.connect(self.save_selected_weight)
        self.weights.itemSelectionChanged.connect(
            lambda: self.save_npy_button.setEnabled(bool(self.weights.selectedItems()))
        )
        weights_page = QWidget(self)
        weights_layout = QVBoxLayout(weights_page)
        weights_layout.setContentsMargins(0, 0, 0, 0)
        weights_layout.addWidget(self.weights, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_npy_button)
        weights_layout.addLayout(buttons)
        self.value_text = QPlainTextEdit(self, readOnly=True)
        self.value_text.setFont(mono)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("details_tabs")
        self.tabs.addTab(self.annotations, "Locks")
        self.tabs.addTab(self.config_text, "Config")
        self.tabs.addTab(weights_page, "Weights")
        self.tabs.addTab(self.value_text, "Value")
        self.signatures = QTreeWidget(self)
        self.signatures.setObjectName("details_signatures")
        self.signatures.setHeaderLabels(["Signature / tensor", "Spec"])
        self.signatures.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tabs.addTab(self.signatures, "Signatures")
        self.tabs.setTabVisible(SIGNATURES_TAB, False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)
        self.show_node(None)

    # ------------------------------------------------------------------ showing a node

    def show_node(self, node) -> None:
        self.node = node
        self.details = None
        self._generation += 1
        keras_info = (node.keras or {}) if node is not None else {}
        self.path_edit.setText(node.path if node is not None else "")
        module, _, qualname = node.type.rpartition(".") if node is not None else ("", "", "")
        values = {
            "Type": qualname or (node.type if node is not None else ""),
            "Module": module,
            "Output shape": shape_text(keras_info.get("output_shape")),
            "Dtype": str(keras_info.get("dtype") or ""),
            "Params": f"{keras_info['params']:,}"
            if isinstance(keras_info.get("params"), int)
            else "",
            "Trainable": ""
            if keras_info.get("trainable") is None
            else ("yes" if keras_info["trainable"] else "no"),
            "Shared with": (node.shared_with or "") if node is not None else "",
        }
        for label, text in values.items():
            self.fields[label].setText(text)
            self.fields[label].setToolTip(text)
            self.form.setRowVisible(self.fields[label], bool(text) or label in ALWAYS_SHOWN)
        self._fill_annotations(node.annotations if node is not None else [])
        self._fill_signatures(self._model_info(node).get("signatures") or {})
        self.config_text.setPlainText("")
        self.value_text.setPlainText("")
        self.weights.setRowCount(0)
        self.tabs.setTabText(WEIGHTS_TAB, "Weights")  # the count comes with the details
        if node is None:
            self.config_text.setPlaceholderText("Select a row (or a box of the graph).")
            return
        if self.tabs.isTabVisible(SIGNATURES_TAB):
            self.tabs.setCurrentIndex(SIGNATURES_TAB)  # a SavedModel: its signatures first
        elif node.annotations:
            self.tabs.setCurrentIndex(LOCKS_TAB)
        self.config_text.setPlaceholderText("Reading…")
        worker = Worker(core_details.node_details, node.obj, node.name)
        generation = self._generation
        worker.signals.returned.connect(lambda result: self._show_details(generation, result))
        worker.signals.errored.connect(
            lambda error, details: self._details_failed(generation, error, details)
        )
        self.window_.runner.start(worker)

    def _fill_annotations(self, annotations) -> None:
        self.annotations.setRowCount(len(annotations))
        for row, annotation in enumerate(annotations):
            level = level_of(annotation)
            cells = (
                annotation.path,
                annotation.kind,
                LEVEL_SHORT[level],
                annotation.state,
                annotation.detail,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(LEVEL_WORDS[level] if column == SNAPSHOT_COLUMN else text)
                if column == SNAPSHOT_COLUMN:
                    item.setIcon(badges.lock_icon(level))
                    item.setForeground(badges.level_text_colour(level))
                self.annotations.setItem(row, column, item)
        self.tabs.setTabText(LOCKS_TAB, f"Locks ({len(annotations)})" if annotations else "Locks")

    def _model_info(self, node) -> dict:
        """The project's extra facts about ``node``'s model (a SavedModel's signatures)."""
        project = self.window_.current_project if node is not None else None
        for name, model in (getattr(project, "models", None) or {}).items():
            if model is node.obj:
                return project.model_info.get(name) or {}
        return {}

    def _fill_signatures(self, signatures: dict) -> None:
        """``{name: {"inputs": {tensor: spec}, "outputs": {...}}}`` as a small tree."""
        self.signatures.clear()
        for name, ends in signatures.items():
            top = QTreeWidgetItem(self.signatures, [name, ""])
            for side in ("inputs", "outputs"):
                group = QTreeWidgetItem(top, [side, ""])
                for tensor, spec in (ends.get(side) or {}).items():
                    QTreeWidgetItem(group, [tensor, spec])
        self.signatures.expandAll()
        self.tabs.setTabVisible(SIGNATURES_TAB, bool(signatures))
        count = len(signatures)
        self.tabs.setTabText(SIGNATURES_TAB, f"Signatures ({count})" if count else "Signatures")

    def _show_details(self, generation: int, result: core_details.NodeDetails) -> None:
        if generation != self._generation:
            return  # the selection moved on
        self.details = result
        self.config_text.setPlaceholderText("Not a Keras layer: no config.")
        self.config_text.setPlainText(result.config_json or result.config_error)
        self.value_text.setPlainText(result.value)
        self.weights.setRowCount(len(result.weights))
        for row, weight in enumerate(result.weights):
            cells = (
                weight.name,
                str(weight.shape),
                weight.dtype,
                _number(weight.minimum),
                _number(weight.mean),
                _number(weight.maximum),
            )
            for column, text in enumerate(cells):
                self.weights.setItem(row, column, QTableWidgetItem(text))
        self.tabs.setTabText(
            WEIGHTS_TAB, f"Weights ({len(result.weights)})" if result.weights else "Weights"
        )
        if not self.node.annotations and not self.tabs.isTabVisible(SIGNATURES_TAB):
            self.tabs.setCurrentIndex(
                CONFIG_TAB if result.config_json else WEIGHTS_TAB if result.weights else VALUE_TAB
            )

    def _details_failed(self, generation: int, error: Exception, details: str) -> None:
        if generation == self._generation:
            self.config_text.setPlainText(f"Could not read the details: {error}")
            self.window_.log_error("Reading details failed", error, details)

    # ------------------------------------------------------------------ actions

    def copy_path(self) -> None:
        QGuiApplication.clipboard().setText(self.path_edit.text())
        self.window_.status(f"Copied {self.path_edit.text()}", timeout_ms=3000)

    def selected_weight(self) -> core_details.WeightInfo | None:
        rows = {item.row() for item in self.weights.selectedItems()}
        if not rows or self.details is None:
            return None
        return self.details.weights[min(rows)]

    def save_selected_weight(self) -> None:
        weight = self.selected_weight()
        if weight is None:
            return
        folder = file_places.save_folder(self.window_)
        suggested = folder / (_safe_name(weight.name) + ".npy")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save weight as .npy", str(suggested), "NumPy array (*.npy)"
        )
        if not path:
            return
        file_places.remember_save_folder(self.window_, path)
        worker = Worker(core_details.save_npy, weight.array, path, with_progress=False)
        worker.signals.returned.connect(
            lambda saved: self.window_.status(f"Saved {saved}", timeout_ms=5000)
        )
        worker.signals.errored.connect(
            lambda error, details: self.window_.show_error(
                "Could not save the weight", error, details
            )
        )
        self.window_.runner.start(worker)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "weight"
