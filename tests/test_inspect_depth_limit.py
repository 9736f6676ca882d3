"""core.inspect marks where max_depth cut the walk: a lock below the limit is never lost
silently."""

from __future__ import annotations

import json
import threading

from projects import factory_project

from lockpickle_gui.core.inspect import DEFAULT_MAX_DEPTH, inspect, resolve_path


class Link:
    def __init__(self, nxt=None):
        self.next = nxt


def chain_with_lock_at(depth: int) -> Link:
    """root.next.next...(depth - 1 times).lock is a Lock: the lock sits ``depth`` levels down."""
    tail = Link()
    tail.lock = threading.Lock()
    head = tail
    for _ in range(depth - 1):
        head = Link(head)
    return head


def truncated(tree):
    return [node for node in tree.walk() if node.truncated]


def test_a_lock_below_the_default_depth_leaves_a_marked_cut():
    chain = chain_with_lock_at(101)
    tree = inspect(chain)
    assert tree.lock_count() == 0  # not walked...
    (cut,) = truncated(tree)  # ...but the cut is in the tree, at the limit, with a real path
    assert cut.path == "root" + ".next" * DEFAULT_MAX_DEPTH
    assert resolve_path(chain, cut.path) is cut.obj and cut.children == []
    assert tree.to_dict()["truncated"] is False
    assert json.loads(json.dumps(tree.to_dict())) == tree.to_dict()
    data = tree.to_dict()
    while data["children"]:
        data = data["children"][0]
    assert data["path"] == cut.path and data["truncated"] is True

    deeper = inspect(chain, max_depth=128)
    assert [n.path for n in deeper.iter_annotations()] == ["root" + ".next" * 100 + ".lock"]
    assert truncated(deeper) == []


def test_containers_and_primitives_right_below_the_limit_are_marked():
    lock_in_list = {"a": [[threading.Lock()]]}
    (cut,) = truncated(inspect(lock_in_list, max_depth=2))
    assert cut.path == "root['a'][0]" and cut.role == "attribute"
    lock_attr = Link()
    lock_attr.lock = threading.Lock()
    (cut,) = truncated(inspect({"x": lock_attr}, max_depth=1))
    assert cut.path == "root['x']"


def test_nothing_is_marked_when_only_scalars_lie_below_the_limit(tiny_model):
    plain = {"a": {"b": [1, 2.5, "text", None]}}
    assert truncated(inspect(plain, max_depth=2)) == []
    holder = Link()
    holder.next = tiny_model  # root.next.layers[i] sit at depth 2: Dense layers hold only Keras'
    tree = inspect(holder, max_depth=2)
    assert truncated(tree) == [] and len(tree.find("root.next").children) == 2
    tiny_model.layers[0].guard = threading.Lock()  # a lock the program attached to a layer
    (cut,) = truncated(inspect(holder, max_depth=2))
    assert cut.path == "root.next.layers[0]"
    assert truncated(inspect(holder)) == [] and inspect(holder).lock_count() == 1


def test_max_depth_opens_objects_down_to_the_limit_and_marks_the_cut():
    chain = None
    for _ in range(200):
        chain = Link(chain)
        chain.lock = threading.Lock()
    tree = inspect(chain, max_depth=10)
    assert tree.lock_count() == 10  # objects at depth 0..9 are opened, not deeper
    assert max(n.path.count(".next") for n in tree.walk()) == 10  # the cut, marked
    assert [n.path.count(".next") for n in tree.walk() if n.truncated] == [10]


SERVICE_PY = """
    import threading

    class Link:
        def __init__(self, nxt=None):
            self.next = nxt

    def build(models):
        tail = Link()
        tail.lock = threading.Lock()
        for _ in range(100):
            tail = Link(tail)
        tail.model = models["m"]
        return tail
"""


def test_cli_prints_the_cut_and_json_carries_the_flag(tmp_path, tiny_model, run_cli):
    folder = factory_project(tmp_path / "deep", SERVICE_PY, tiny_model)
    code, out, _ = run_cli("inspect", folder)
    assert code == 0
    cut_line = next(line for line in out.splitlines() if "not walked" in line)
    assert cut_line.strip() == "next  Link  … (not walked: depth limit 64; use --max-depth)"
    assert "1 branch(es) not walked at depth limit 64" in out.splitlines()[-1]
    code, out, _ = run_cli("inspect", "--max-depth", "10", folder)
    assert code == 0 and "(not walked: depth limit 10; use --max-depth)" in out
    code, out, _ = run_cli("inspect", "--max-depth", "200", folder)
    assert code == 0 and "not walked" not in out and "-> recreate" in out
    code, out, _ = run_cli("inspect", "--json", folder)
    flags = []
    stack = [json.loads(out)]
    while stack:
        node = stack.pop()
        flags.append(node["truncated"])
        stack += node["children"]
    assert code == 0 and flags.count(True) == 1
