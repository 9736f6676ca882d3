"""What a project's tab holds: its Tree and Graph sub-tabs, wired to each other and to the
window (one selection for the tree, the graph and Details), and how the tab is labelled:
a snapshot's tab reads ``name.lpsnap``, with its own icon and a summary bar above its tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QStyle, QTabWidget

from lockpickle_gui.core.session import OpenProject
from lockpickle_gui.gui import badges
from lockpickle_gui.gui.graph_panel import GraphPanel
from lockpickle_gui.gui.snapshot_summary import SnapshotBar
from lockpickle_gui.gui.tree_panel import TreePanel

GRAPH_TIP = "The layers as a graph: which feeds which, with the shapes"


@dataclass(eq=False)
class ProjectTab:
    """A session entry and the widgets showing it."""

    entry: OpenProject
    panel: TreePanel  # the Tree tab
    graph: GraphPanel  # the Graph tab
    view: QTabWidget  # holds both: the widget of the project's tab

    @property
    def project(self) -> Any:  # core.project.ModelProject
        return self.entry.project

    @property
    def tree(self) -> Any:  # core.inspect.Node
        return self.entry.tree


def build_tab(window: Any, entry: OpenProject) -> ProjectTab:
    panel = TreePanel(entry.project, entry.tree, window, entry.inputs_from)
    if entry.snapshot is not None:  # an imported snapshot keeps saying what it is
        panel.layout().insertWidget(0, SnapshotBar(entry.snapshot, panel))
    graph = GraphPanel(entry, window)
    view = QTabWidget(window, documentMode=True)
    view.setObjectName("project_view")
    view.addTab(panel, "Tree")
    view.addTab(graph, "Graph")
    view.setTabToolTip(1, GRAPH_TIP)
    view.currentChanged.connect(lambda index: index == 1 and graph.ensure_drawn())
    # one selection: the tree, the graph and Details follow each other
    panel.nodeSelected.connect(lambda node: window.panel_selected(panel, node))
    panel.nodeSelected.connect(lambda node: graph.show_path(node.path if node else None))
    graph.layerSelected.connect(panel.select_path)
    if panel.config_only_bar is not None:
        panel.config_only_bar.locateRequested.connect(
            lambda files: window.locate_code(entry, files)
        )
    return ProjectTab(entry, panel, graph, view)


def label(entry: OpenProject) -> str:
    return f"{entry.name}.lpsnap" if entry.project.kind == "snapshot" else entry.name


def labels(entries: list[OpenProject]) -> dict[OpenProject, str]:
    """Each entry's tab label, told apart when several would read the same: the file's own
    name when that differs (``two_io.keras``, ``two_io.h5``), else the folder it is in
    (``anomaly-service — v2``)."""
    plain = {entry: label(entry) for entry in entries}
    result = dict(plain)
    for text in set(plain.values()):
        group = [entry for entry in entries if plain[entry] == text]
        if len(group) < 2:
            continue
        by_file = {entry: entry.path.name for entry in group}
        by_folder = {entry: f"{text} — {entry.path.parent.name}" for entry in group}
        result.update(by_file if len(set(by_file.values())) == len(group) else by_folder)
    return result


def icon(window: Any, entry: OpenProject) -> QIcon:
    if entry.project.kind == "snapshot":
        return window.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
    return badges.role_icon("model")


def tooltip(entry: OpenProject) -> str:
    kind = "Snapshot, restored from" if entry.project.kind == "snapshot" else "Project at"
    return f"{kind} {entry.path}"
