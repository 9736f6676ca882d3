"""Which layer feeds which: a model's layer graph, with the shape on every edge.

Built from the public serialized config (``model.get_config()``), which is also what a
``.keras`` archive stores as ``config.json``: the same code draws a live model and a file
whose custom classes cannot be loaded, and nothing is deserialized to do it. In Keras 3 a
layer's ``inbound_nodes`` hold the tensors it was called on, each with its ``shape`` and
``keras_history`` (source layer, node, tensor index); nested Functional and Sequential
models carry their own ``layers``. Node ids are ``/``-joined layer names below the model
(``inner_fn/dense``), one node per layer (a shared layer called twice is one node).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lockpickle_gui.core.inspect.tree import Node

Shape = tuple[int | None, ...]
CONTAINERS = ("Functional", "Sequential", "Model")


@dataclass
class GraphNode:
    id: str  # "/"-joined layer names below the model
    name: str
    class_name: str
    parent: str | None = None  # id of the nested model holding it
    container: bool = False  # a nested Functional / Sequential
    output_shapes: list[Shape] = field(default_factory=list)
    params: int | None = None


@dataclass
class GraphEdge:
    source: str
    target: str
    shape: Shape | None  # of the tensor travelling along it
    argument: int = 0  # position among the target's inputs


@dataclass
class LayerGraph:
    name: str
    nodes: dict[str, GraphNode] = field(default_factory=dict)
    edges: list[GraphEdge] = field(default_factory=list)  # at the finest level

    def ancestors(self, node_id: str) -> list[str]:
        found, current = [], self.nodes[node_id].parent
        while current is not None:
            found.append(current)
            current = self.nodes[current].parent
        return found

    def inputs_of(self, node_id: str) -> list[str]:
        """Names of what feeds ``node_id`` (see :meth:`inputs_map`)."""
        return self.inputs_map().get(node_id, [])

    def inputs_map(self) -> dict[str, list[str]]:
        """Node id -> names of what feeds it (a nested model: what feeds its layers from
        outside), as seen at its own level: a layer inside another nested model is named by
        that model. In argument order, once each. One pass over the edges."""
        ancestors = {node_id: self.ancestors(node_id) for node_id in self.nodes}
        found: dict[str, list[str]] = {}
        for edge in sorted(self.edges, key=lambda e: e.argument):
            holders = set(ancestors[edge.source]) | {edge.source}
            for target in (edge.target, *ancestors[edge.target]):
                if target in holders:
                    break  # the edge runs inside this nested model
                around = set(ancestors[target])
                source = edge.source
                parent = self.nodes[source].parent
                while parent is not None and parent not in around:
                    source, parent = parent, self.nodes[parent].parent  # to the target's level
                names = found.setdefault(target, [])
                if self.nodes[source].name not in names:
                    names.append(self.nodes[source].name)
        return found

    def containers(self) -> list[str]:
        return [node.id for node in self.nodes.values() if node.container]

    def outermost_collapsed(self, node_id: str, collapsed: set[str]) -> str:
        best, current = node_id, self.nodes[node_id].parent
        while current is not None:
            if current in collapsed:
                best = current
            current = self.nodes[current].parent
        return best

    def view(self, collapsed: Iterable[str] = ()) -> LayerGraph:
        """The graph with the ``collapsed`` nested models drawn as one node each (their
        inner layers hidden, edges re-attached to them); expanded ones are frames around
        their layers, so they are not nodes themselves."""
        hidden = set(collapsed)
        shown = LayerGraph(self.name)
        for node_id, node in self.nodes.items():
            top = self.outermost_collapsed(node_id, hidden)
            if top == node_id and (not node.container or node_id in hidden):
                shown.nodes[node_id] = node
        seen: set[tuple[str, str]] = set()
        for edge in self.edges:
            source = self.outermost_collapsed(edge.source, hidden)
            target = self.outermost_collapsed(edge.target, hidden)
            if source != target and (source, target) not in seen:
                seen.add((source, target))
                shown.edges.append(GraphEdge(source, target, edge.shape, edge.argument))
        return shown


# --------------------------------------------------------------------------- the config


def _tensors(value: Any) -> Iterator[dict[str, Any]]:
    """Serialized Keras tensors inside a node's args/kwargs, depth first (argument order)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            yield value.get("config") or {}
            return
        for item in value.values():
            yield from _tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


def _references(value: Any) -> list[tuple[str, int, int]]:
    """``input_layers``/``output_layers``: one ``[name, node, tensor]``, a list or a dict."""
    if (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], int)
    ):
        return [(value[0], value[1], int(value[2]))]
    items = value.values() if isinstance(value, dict) else value or []
    found: list[tuple[str, int, int]] = []
    for item in items:
        found += _references(item)
    return found


def _shape(value: Any) -> Shape | None:
    """A flat shape (``[None, 8]``), else None (several shapes, or not a shape)."""
    if not isinstance(value, (list, tuple)) or not all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    ):
        return None
    return tuple(None if d is None else int(d) for d in value)


def _is_container(entry: dict[str, Any]) -> bool:
    config = entry.get("config")
    return entry.get("class_name") in CONTAINERS and isinstance(config, dict) and "layers" in config


class _Builder:
    def __init__(self, name: str):
        self.graph = LayerGraph(name)
        self.entries: dict[str, list[str]] = {}  # container -> node taking its i-th input
        self.exits: dict[str, list[str]] = {}  # container -> node giving its j-th output
        self.pending: list[tuple[str, int, str, int, Shape | None]] = []
        self.built_for: dict[str, Shape] = {}  # node -> its build_config input shape

    def walk(self, config: dict[str, Any], prefix: str, parent: str | None) -> None:
        layers = [entry for entry in config.get("layers") or [] if isinstance(entry, dict)]
        ids = []
        for entry in layers:
            name = str(entry.get("name") or (entry.get("config") or {}).get("name") or "?")
            node_id = f"{prefix}/{name}" if prefix else name
            ids.append(node_id)
            node = GraphNode(node_id, name, str(entry.get("class_name", "?")), parent)
            node.container = _is_container(entry)
            if node.class_name == "InputLayer":
                layer_config = entry.get("config") or {}
                shape = _shape(
                    layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                )
                node.output_shapes = [shape] if shape is not None else []
            self.graph.nodes[node_id] = node
            built = _shape((entry.get("build_config") or {}).get("input_shape"))
            if built is not None:  # what the layer was built for: its input's shape
                self.built_for[node_id] = built
            if node.container:
                self.walk(entry["config"], node_id, node_id)
        if "input_layers" not in config:  # Sequential: a chain, no inbound nodes
            self.pending += [(a, 0, b, 0, None) for a, b in zip(ids, ids[1:])]
            self.entries[prefix], self.exits[prefix] = ids[:1], ids[-1:]
            return
        join = (lambda name: f"{prefix}/{name}") if prefix else (lambda name: name)
        for entry, node_id in zip(layers, ids):
            for inbound in entry.get("inbound_nodes") or []:
                if isinstance(inbound, list):  # Keras 2 / legacy .h5: [[name, node, tensor, kw]]
                    tensors = [{"keras_history": item[:3]} for item in inbound]
                else:
                    tensors = [
                        *_tensors(inbound.get("args", [])),
                        *_tensors(inbound.get("kwargs", {})),
                    ]
                for argument, tensor in enumerate(tensors):
                    history = tensor.get("keras_history") or []
                    if len(history) >= 3:
                        source = join(str(history[0]))
                        self.pending.append(
                            (
                                source,
                                int(history[2]),
                                node_id,
                                argument,
                                _shape(tensor.get("shape")),
                            )
                        )
        self.entries[prefix] = [join(r[0]) for r in _references(config.get("input_layers"))]
        self.exits[prefix] = [join(r[0]) for r in _references(config.get("output_layers"))]

    def resolve(self, node_id: str, index: int, ends: dict[str, list[str]]) -> str | None:
        """Into a nested model: its i-th entry (or exit) node, down to a real layer."""
        while node_id in self.graph.nodes and self.graph.nodes[node_id].container:
            found = ends.get(node_id) or []
            if not found:
                return None
            node_id, index = found[min(index, len(found) - 1)], 0
        return node_id if node_id in self.graph.nodes else None

    def finish(self) -> LayerGraph:
        graph = self.graph
        for source, tensor, target, argument, shape in self.pending:
            start = self.resolve(source, tensor, self.exits)
            end = self.resolve(target, argument, self.entries)
            if start is not None and end is not None:
                if shape is None:  # a Sequential's chain: what the next layer was built for
                    shape = self.built_for.get(end)
                graph.edges.append(GraphEdge(start, end, shape, argument))
        for edge in graph.edges:
            shapes = graph.nodes[edge.source].output_shapes
            if edge.shape is not None and edge.shape not in shapes:
                shapes.append(edge.shape)
        _edge_shapes_from_sources(graph)
        return graph


def _edge_shapes_from_sources(graph: LayerGraph) -> None:
    """A Sequential's chain has no shapes in the config: its edges take their source's."""
    for edge in graph.edges:
        if edge.shape is None and graph.nodes[edge.source].output_shapes:
            edge.shape = graph.nodes[edge.source].output_shapes[0]


def graph_of_config(config: dict[str, Any], name: str | None = None) -> LayerGraph:
    """The layer graph of a serialized model: ``model.get_config()``, or the ``config``
    entry of a ``.keras`` archive's ``config.json``."""
    builder = _Builder(name or str(config.get("name") or "model"))
    builder.walk(config, "", None)
    return builder.finish()


def graph_of_model(model: Any) -> LayerGraph | None:
    """The layer graph of a live Keras model (None when it has no graph: a subclassed model,
    a SavedModel's TFSMLayer), with the shapes and parameter counts Keras knows."""
    try:
        config = model.get_config()
    except Exception:  # noqa: BLE001 - a model without a serializable graph has none to draw
        return None
    if not isinstance(config, dict) or "layers" not in config:
        return None
    graph = graph_of_config(config, getattr(model, "name", None))
    _fill_from_model(graph, model, "")
    _edge_shapes_from_sources(graph)
    return graph


def _fill_from_model(graph: LayerGraph, model: Any, prefix: str) -> None:
    for layer in getattr(model, "layers", None) or []:
        node = graph.nodes.get(f"{prefix}/{layer.name}" if prefix else layer.name)
        if node is None:
            continue
        try:
            node.params = int(layer.count_params()) if getattr(layer, "built", False) else None
        except (ValueError, AttributeError, TypeError):
            node.params = None
        if not node.output_shapes:
            try:
                output = layer.output
                outputs = output if isinstance(output, (list, tuple)) else [output]
                node.output_shapes = [
                    s for s in (_shape(getattr(o, "shape", None)) for o in outputs) if s
                ]
            except Exception:  # noqa: BLE001 - an uncalled layer has no output: fine
                pass
        if node.container:
            _fill_from_model(graph, layer, node.id)


# --------------------------------------------------------------------------- the tree


def tree_paths(model_node: Node, graph: LayerGraph) -> dict[str, str]:
    """Graph node id -> the inspector's path of that layer (``root.layers[3]``), for the
    layers the tree shows (a Sequential's implicit InputLayer has no row)."""
    found: dict[str, str] = {}
    for node_id in graph.nodes:
        current: Node | None = model_node
        for name in node_id.split("/"):
            current = (
                next(
                    (
                        c
                        for c in current.children
                        if c.name == name and c.role in ("layer", "model")
                    ),
                    None,
                )
                if current is not None
                else None
            )
        if current is not None:
            found[node_id] = current.path
    return found


def model_nodes(
    tree: Node, models: dict[str, Any], graphs: dict[str, LayerGraph] | None = None
) -> dict[str, Node]:
    """Each model's own row in the tree (not a 'same object as' stub), by model name. A
    config-only project has no live model: its one graph belongs to the root row."""
    if not models and graphs and len(graphs) == 1 and tree.role == "model":
        return {next(iter(graphs)): tree}
    wanted = {id(model): name for name, model in models.items()}
    found: dict[str, Node] = {}
    for node in tree.walk():
        name = wanted.get(id(node.obj))
        if name is not None and name not in found and node.shared_with is None:
            found[name] = node
    return found


def inputs_from(
    tree: Node, models: dict[str, Any], graphs: dict[str, LayerGraph]
) -> dict[str, str]:
    """Tree path -> the names of the layers feeding it (the tree's "Inputs from" column)."""
    rows = model_nodes(tree, models, graphs)
    found: dict[str, str] = {}
    for name, graph in graphs.items():
        if name not in rows:
            continue
        sources_of = graph.inputs_map()
        for node_id, path in tree_paths(rows[name], graph).items():
            sources = sources_of.get(node_id)
            if sources:
                found.setdefault(path, ", ".join(sources))
    return found


def graphs_of_models(models: dict[str, Any]) -> dict[str, LayerGraph]:
    """The layer graph of each model that has one (by model name)."""
    graphs = {}
    for name, model in models.items():
        graph = graph_of_model(model)
        if graph is not None and graph.nodes:
            graphs[name] = graph
    return graphs
