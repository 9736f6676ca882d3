"""Layered top-to-bottom layout of a layer graph, by Graphviz ``dot`` (pygraphviz's wheel
bundles it), in a process of its own.

``dot`` gives the fewest crossings of the libraries measured (43 on NASNetMobile's 926
edges, against 150 for grandalf and 391 for igraph's Sugiyama), respects each box's size,
routes edges as Bézier curves and frames nested models as clusters
(/work/research/graph_layout.md). pygraphviz holds the GIL for the whole layout (~0.2 s on
NASNetMobile), so the GUI never calls it in its own process: it starts
``python -m lockpickle_gui.core.inspect.graph_layout`` and exchanges JSON:

stdin  ``{"nodes": {id: [width, height]}, "edges": [[source, target], ...],
          "clusters": {container id: {"parent": id or null, "members": [node ids]}}}``
stdout ``{"nodes": {id: [cx, cy]}, "edges": [[[x, y], ...], ...] (cubic Bézier points, in
          the order of the request's edges), "clusters": {id: [x0, y0, x1, y1]},
          "bbox": [width, height], "seconds": float}``

Pixels, y pointing down, origin at the top left. Nothing here imports Qt or TensorFlow.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

H_GAP = 24  # px between boxes of one layer
V_GAP = 44  # px between layers: room for the shape labels on the edges
DPI = 72.0  # dot's inches <-> points; 1 pt is drawn as 1 px


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_source(request: dict[str, Any]) -> tuple[str, list[str]]:
    """The DOT text of ``request`` and the node ids in the order they are numbered."""
    ids = list(request["nodes"])
    number = {node_id: f"n{i}" for i, node_id in enumerate(ids)}
    lines = [
        "digraph G {",
        f"graph [rankdir=TB, nodesep={H_GAP / DPI:.3f}, ranksep={V_GAP / DPI:.3f}];",
        'node [shape=box, fixedsize=true, label=""];',
    ]
    for node_id, (width, height) in request["nodes"].items():
        lines.append(f"{number[node_id]} [width={width / DPI:.4f}, height={height / DPI:.4f}];")
    for source, target in request["edges"]:
        if source in number and target in number and source != target:
            lines.append(f"{number[source]} -> {number[target]};")
    clusters = request.get("clusters") or {}
    children: dict[str | None, list[str]] = {}
    for cluster_id, cluster in clusters.items():
        children.setdefault(cluster.get("parent"), []).append(cluster_id)

    def emit(cluster_id: str) -> None:
        index = list(clusters).index(cluster_id)
        lines.append(f"subgraph cluster_{index} {{ label={_quote(cluster_id.rsplit('/', 1)[-1])};")
        lines.append("fontsize=11; labeljust=l; margin=10;")
        lines.extend(f"{number[m]};" for m in clusters[cluster_id]["members"] if m in number)
        for child in children.get(cluster_id, []):
            emit(child)
        lines.append("}")

    for top in children.get(None, []):
        emit(top)
    lines.append("}")
    return "\n".join(lines), ids


def _point(text: str, height: float) -> list[float]:
    x, y = text.split(",")[-2:]
    return [float(x), height - float(y)]


def run_layout(request: dict[str, Any]) -> dict[str, Any]:
    """Lay ``request`` out with dot (module docstring); holds the GIL while it runs."""
    import pygraphviz

    started = time.perf_counter()
    source, ids = dot_source(request)
    graph = pygraphviz.AGraph(string=source)
    graph.layout(prog="dot")
    x0, y0, x1, y1 = (float(v) for v in graph.graph_attr["bb"].split(","))
    height = y1
    nodes = {
        node_id: _point(graph.get_node(f"n{i}").attr["pos"], height)
        for i, node_id in enumerate(ids)
    }
    number = {node_id: f"n{i}" for i, node_id in enumerate(ids)}
    edges = []
    for source_id, target_id in request["edges"]:
        route: list[list[float]] = []
        if source_id in number and target_id in number and source_id != target_id:
            attr = graph.get_edge(number[source_id], number[target_id]).attr["pos"] or ""
            tip = None
            for token in attr.split():
                if token.startswith("e,"):
                    tip = _point(token, height)
                elif not token.startswith("s,"):
                    route.append(_point(token, height))
            if tip is not None:
                route.append(tip)  # the spline stops at the arrow's base; the tip ends it
        edges.append(route)
    clusters = {}
    for index, cluster_id in enumerate(request.get("clusters") or {}):
        box = graph.get_subgraph(f"cluster_{index}")
        if box is not None and box.graph_attr.get("bb"):
            a, b, c, d = (float(v) for v in box.graph_attr["bb"].split(","))
            clusters[cluster_id] = [a, height - d, c, height - b]
    return {
        "nodes": nodes,
        "edges": edges,
        "clusters": clusters,
        "bbox": [x1 - x0, y1 - y0],
        "seconds": time.perf_counter() - started,
    }


def main() -> int:
    request = json.load(sys.stdin)
    json.dump(run_layout(request), sys.stdout, separators=(",", ":"))
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a child process by the GUI
    raise SystemExit(main())
