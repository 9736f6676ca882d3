"""Reader side: the rules of state.json that no single field expresses -- cross-field checks
of one node, the depth of the object graph, and whether an order exists to build it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockpickle_gui.core.snapshot import trust
from lockpickle_gui.core.snapshot.state import schema

if TYPE_CHECKING:
    from lockpickle_gui.core.snapshot.state.validate import Document, Validator

_NEWLINES = (None, "", "\n", "\r", "\r\n")


def depths(count: int, roots: list[int], pre: list[list[int]], post: list[list[int]]) -> list[int]:
    """Breadth-first depth of every node from the roots; -1 for a node never reached."""
    depth = [-1] * count
    frontier = []
    for root in roots:
        if depth[root] < 0:
            depth[root] = 0
            frontier.append(root)
    level = 0
    while frontier:
        level += 1
        following = []
        for node in frontier:
            for child in pre[node] + post[node]:
                if depth[child] < 0:
                    depth[child] = level
                    following.append(child)
        frontier = following
    return depth


def check_node(
    check: Validator,
    tag: str,
    node: dict[str, Any],
    index: int,
    types: list[tuple[str, str, str]],
    used: list[bool],
    nodes: list[Any],
) -> None:
    """Rules across fields that the field kinds cannot express."""
    budgets = check.budgets
    if (
        tag in ("bytes", "bytearray", "ndarray")
        and sum(f in node for f in ("b64", "blob", "member")) != 1
    ):
        raise check.fail(f"node {index} ({tag}) without exactly one of its data fields")
    if tag == "enum" and ("name" in node) == ("value" in node):
        raise check.fail(f"enum node {index} without exactly one of name and value")
    if tag in ("obj", "call") and "state" in node and ("attrs" in node or "slots" in node):
        raise check.fail(f"node {index} with both 'state' and 'attrs'/'slots'")
    if tag == "keras":
        trust.check_type_name(node["class"])
    if "c" in node:
        module, qualname, kind = types[node["c"]]
        wanted = schema.TYPE_KIND.get(tag)
        if wanted is not None and kind != wanted:
            raise check.fail(f"node {index} ({tag}) naming the {kind} {module}.{qualname}")
        used[node["c"]] = True
    if tag == "defaultdict" and node["factory"] is not None:
        target = _target(node["factory"], nodes)
        if target not in ("type", "func"):
            raise check.fail(f"defaultdict {index} whose factory is not a class or function")
    if tag == "Condition" and _target(node["lock"], nodes) not in ("Lock", "RLock"):
        raise check.fail(f"Condition {index} whose lock is not a Lock or RLock")
    if tag == "Barrier" and not 1 <= node["parties"] <= budgets.max_barrier_parties:
        raise check.fail(f"Barrier {index} with {node['parties']} parties")
    if tag == "ThreadPoolExecutor" and (
        not 1 <= node["max_workers"] <= budgets.max_executor_workers or len(node["prefix"]) > 256
    ):
        raise check.fail(f"ThreadPoolExecutor {index} with {node['max_workers']} workers")
    if tag == "StringIO" and (node["newline"] not in _NEWLINES or node["pos"] > len(node["value"])):
        raise check.fail(f"StringIO {index} with a bad newline mode or position")
    if tag == "BytesIO" and _target(node["data"], nodes) != "bytes":
        raise check.fail(f"BytesIO {index} whose contents are not bytes")
    if tag == "pattern":
        source = node["source"]
        text = source if type(source) is str else None
        if text is None and _target(source, nodes) != "bytes":
            raise check.fail(f"pattern {index} whose source is not a str or bytes")
        if text is not None and len(text) > budgets.max_pattern_chars:
            raise check.budget(f"a regular expression of {len(text)} characters")
        if node["flags"] >= 1 << 10:
            raise check.fail(f"pattern {index} with flags {node['flags']}")
    if tag == "logger" and (len(node["name"]) > 1024 or any(ord(c) < 32 for c in node["name"])):
        raise check.fail(f"logger {index} with a bad name")


def _target(slot: Any, nodes: list[Any]) -> str | None:
    if type(slot) is dict and type(slot.get("r")) is int and type(nodes[slot["r"]]) is dict:
        tag = nodes[slot["r"]].get("t")
        return tag if type(tag) is str else None
    return None


def unbuildable_node(document: Document) -> int | None:
    """A node on a cycle through constructor inputs (which no order can build), or None."""
    count = len(document.nodes)
    waiting = [len(set(document.pre[i])) for i in range(count)]
    users: list[list[int]] = [[] for _ in range(count)]
    for node in range(count):
        for child in set(document.pre[node]):
            users[child].append(node)
    ready = [node for node in range(count) if waiting[node] == 0]
    built = 0
    while ready:
        node = ready.pop()
        built += 1
        for user in users[node]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    if built == count:
        return None
    return next(node for node in range(count) if waiting[node] > 0)
