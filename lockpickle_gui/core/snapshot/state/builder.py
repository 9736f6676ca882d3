"""Reader side, phases 2-4: decide trust, resolve the trusted types, build the graph.

  2. trust    every "types" name against the caller's policy; refuse, listing all of
              them, before anything is imported (``untrusted_names`` stops here)
  3. resolve  import the trusted modules, find each name (``trusted_code.resolve``), and check
              who defines the code building each class runs (``trusted_code.check_code_owner``)
  4. build    creation (``create.py``) and fill (``fill.py``) tasks in dependency order,
              without recursion: mutable objects are created empty and filled later, so
              cycles through them round-trip; a cycle through constructor inputs (a tuple
              holding itself) fails

A dict key, set member or priority-queue item is built before it is hashed, and its size
counted with repeats (``hash()`` and ``==`` walk shared parts again each time), so a small
file cannot make hashing exponential; containers with many keys of one hash are refused.
A trusted class raising becomes :class:`TrustedCodeFailed`; anything else is ours.
"""

from __future__ import annotations

import enum
import heapq
import queue
from collections.abc import Callable
from typing import Any

from lockpickle_gui.core.errors import (
    BudgetExceeded,
    CorruptSnapshot,
    LockpickleError,
    TrustedCodeFailed,
)
from lockpickle_gui.core.inspect import model_layers
from lockpickle_gui.core.inspect.paths import parse_strict
from lockpickle_gui.core.snapshot import npy, trust, trusted_code
from lockpickle_gui.core.snapshot.state import schema
from lockpickle_gui.core.snapshot.state.create import CREATE
from lockpickle_gui.core.snapshot.state.fill import BUILT_BY_CALL, fill
from lockpickle_gui.core.snapshot.state.keys import KeyGuard
from lockpickle_gui.core.snapshot.state.validate import REEXPORT, Document

_STDLIB_QUEUES = (queue.Queue, queue.LifoQueue, queue.PriorityQueue)
_QUEUE_HOOKS = ("__new__", "_init", "_qsize", "_put", "_get")


def needed_types(document: Document) -> dict[int, bool]:
    """``{type index: True when a node builds or calls it}`` (what needs user trust)."""
    needs: dict[int, bool] = {}
    for node in document.nodes:
        c = node.get("c")
        if c is not None:
            needs[c] = needs.get(c, False) or node["t"] in BUILT_BY_CALL or node["t"] == "Queue"
    return needs


def untrusted_names(document: Document, policy: trust.TrustPolicy) -> list[str]:
    """Every "module:Qualname" the document needs that ``policy`` does not cover."""
    missing = []
    for c, builds in needed_types(document).items():
        module, qualname, kind = document.types[c]
        stdlib_queue = f"{module}:{qualname}" in trust.ALWAYS_TRUSTED["class"] and module == "queue"
        ok = (
            policy.trusts_by_user(module, qualname, kind) or stdlib_queue
            if builds
            else policy.trusts(module, qualname, kind)
        )
        if not ok:
            missing.append(f"{module}:{qualname}")
    return sorted(set(missing))


class Builder:
    def __init__(
        self,
        document: Document,
        policy: trust.TrustPolicy,
        *,
        path: Any,
        models: list[Any],
        array: Callable[[int], Any],
        blob: Callable[[int], bytes],
    ) -> None:
        self.d = document
        self.nodes = document.nodes
        self.budgets = document.budgets
        self.policy = policy
        self.path = path
        self.models = models
        self._array = array
        self._blob = blob
        count = len(self.nodes)
        self.objs: list[Any] = [None] * count
        self.filled = bytearray(count)
        self.tuple_depth = [0] * count
        self.keys = KeyGuard(self)
        self.payload = document.payload_bytes
        self.classes: list[Any] = []
        self.dropped: list[tuple[str, str]] = []

    # ---------------------------------------------------------------- errors and helpers
    def fail(self, index: int, expected: str) -> CorruptSnapshot:
        tag = self.nodes[index]["t"]
        return CorruptSnapshot(
            f"Expected node {index} ({tag}) of state.json to hold {expected}.",
            path=self.path,
            hint=REEXPORT,
        )

    def run_trusted(self, index: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LockpickleError:
            raise
        except Exception as error:  # trusted code raised: say which node and which class
            owner = getattr(fn, "__qualname__", type(fn).__name__)
            raise TrustedCodeFailed(
                f"Expected the trusted {owner} to rebuild node {index} of state.json. Received: "
                f"{type(error).__name__}: {str(error)[:300]}.",
                path=self.path,
                hint="Load it with the version of the trusted code it was exported with.",
            ) from error

    def val(self, slot: Any) -> Any:
        return self.objs[slot["r"]] if type(slot) is dict else slot

    def blob(self, number: int) -> bytes:
        data = self._blob(number)
        self._count(len(data))
        return data

    def array(self, number: int) -> Any:
        array = self._array(number)
        self._count(int(array.nbytes))
        return array

    def dtype(self, index: int, descr: Any) -> Any:
        try:
            return npy.build_dtype(descr, self.budgets)
        except npy.DtypeRefused as error:
            raise self.fail(index, f"a plain numpy dtype ({error})") from None

    def _count(self, size: int) -> None:
        self.payload += size
        # members are stored bytes: they count as themselves, on top of state.json's budget
        limit = self.budgets.decoded_limit(self.d.state_bytes) + self.budgets.max_total_bytes
        if self.payload > limit:
            raise BudgetExceeded(
                f"Expected at most {limit} decoded bytes. Received: more.", path=self.path
            )

    def immutable_depth(self, index: int) -> None:
        depth = 1 + max((self.tuple_depth[c] for c in self.d.pre[index]), default=0)
        self.tuple_depth[index] = depth
        if depth > self.budgets.max_immutable_depth:
            raise BudgetExceeded(
                f"Expected tuples and frozensets nested at most {self.budgets.max_immutable_depth} "
                "deep (hashing them recurses in C). Received: deeper.",
                path=self.path,
                hint=REEXPORT,
            )

    def keras_ref(self, index: int, node: dict[str, Any]) -> Any:
        if node["model"] >= len(self.models):
            raise self.fail(index, f"a reference to stored model {node['model']}")
        layer = model_layers.resolve_layer(
            self.models[node["model"]], parse_strict(node["path"]) if node["path"] else []
        )
        found = f"{type(layer).__module__}:{type(layer).__qualname__}"
        if found != node["class"]:
            raise self.fail(
                index, f"a {node['class']} at {node['path'] or 'the model'}, not a {found}"
            )
        return layer

    # ---------------------------------------------------------------- resolution
    def resolve_types(self) -> None:
        for module, qualname, kind in self.d.types:
            self.classes.append(trusted_code.resolve(module, qualname, kind, self.path))
        checked: set[tuple[int, str]] = set()
        for node in self.nodes:
            tag, c = node["t"], node.get("c")
            if c is None or (c, tag) in checked:
                continue
            checked.add((c, tag))
            self._check_class(self.classes[c], tag)

    def _check_class(self, cls: Any, tag: str) -> None:
        owner = trusted_code.check_code_owner
        if tag in BUILT_BY_CALL and isinstance(cls, type):
            if issubclass(cls, (enum.Enum, queue.Queue, type)):
                raise CorruptSnapshot(
                    f"Expected an ordinary class to build. Received: {cls!r:.80}.", path=self.path
                )
            layer_type = model_layers.layer_type_if_loaded()
            if layer_type is not None and issubclass(cls, layer_type):
                raise CorruptSnapshot(
                    f"Expected Keras layers to come from the stored models, not from state.json. "
                    f"Received: {cls.__qualname__}.",
                    path=self.path,
                    hint=REEXPORT,
                )
            owner(cls, "__new__", self.policy, self.path)
            if tag == "call":
                owner(cls, "__init__", self.policy, self.path)
                owner(type(cls), "__call__", self.policy, self.path)
        elif tag == "enum" and not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
            raise CorruptSnapshot(f"Expected an Enum class. Received: {cls!r:.80}.", path=self.path)
        elif tag == "Queue":
            if not (isinstance(cls, type) and issubclass(cls, queue.Queue)):
                raise CorruptSnapshot(
                    f"Expected a queue.Queue class. Received: {cls!r:.80}.", path=self.path
                )
            for hook in _QUEUE_HOOKS if cls not in _STDLIB_QUEUES else ():
                defining = trusted_code.code_owner(cls, hook)
                if defining is not None and defining not in (*_STDLIB_QUEUES, object):
                    owner(defining, hook, self.policy, self.path)

    # ---------------------------------------------------------------- order and build
    def _postorder(self) -> list[int]:
        """Children before parents (back edges ignored): the order tasks are run in."""
        count = len(self.nodes)
        order = [0] * count
        state = bytearray(count)
        counter = 0
        pre, post = self.d.pre, self.d.post
        for root in self.d.roots:
            if state[root]:
                continue
            state[root] = 1
            stack = [(root, iter(pre[root] + post[root]))]
            while stack:
                node, children = stack[-1]
                for child in children:
                    if not state[child]:
                        state[child] = 1
                        stack.append((child, iter(pre[child] + post[child])))
                        break
                else:
                    stack.pop()
                    order[node] = counter
                    counter += 1
        return order

    def build(self) -> Any:
        order = self._postorder()
        count = len(self.nodes)
        pre, post = self.d.pre, self.d.post
        tags = [node["t"] for node in self.nodes]
        waiting = [0] * (2 * count)  # task 2i creates node i, 2i+1 fills it (mutable only)
        dependents: list[list[int]] = [[] for _ in range(count)]
        total = 0
        for i in range(count):
            waiting[2 * i] = len(pre[i])
            for child in pre[i]:
                dependents[child].append(2 * i)
            total += 1
            if tags[i] in schema.MUTABLE:
                waiting[2 * i + 1] = 1 + len(post[i])
                dependents[i].append(2 * i + 1)
                for child in post[i]:
                    dependents[child].append(2 * i + 1)
                total += 1
        heap = [(2 * order[i], 2 * i) for i in range(count) if waiting[2 * i] == 0]
        heapq.heapify(heap)
        done = 0
        while heap:
            _, task = heapq.heappop(heap)
            i, tag = task >> 1, tags[task >> 1]
            try:
                if task & 1:
                    fill(self, i, tag, self.nodes[i], self.objs[i])
                    self.filled[i] = 1
                else:
                    self.objs[i] = CREATE[tag](self, i, self.nodes[i])
                    if tag not in schema.MUTABLE:
                        self.filled[i] = 1
            except LockpickleError:
                raise
            except Exception as error:
                # hashing, comparing or extending a container runs the code of the objects
                # in it (a trusted class' __hash__/__eq__), besides obj/call/Queue/enum nodes
                culprit = TrustedCodeFailed if self.classes else CorruptSnapshot
                raise culprit(
                    f"Expected node {i} ({tag}) of state.json to build. Received: "
                    f"{type(error).__name__}: {str(error)[:300]}.",
                    path=self.path,
                    hint=REEXPORT
                    if culprit is CorruptSnapshot
                    else "Load it with the version of "
                    "the trusted code it was exported with, or export it again.",
                ) from error
            done += 1
            if not task & 1:
                for dependent in dependents[i]:
                    waiting[dependent] -= 1
                    if waiting[dependent] == 0:
                        heapq.heappush(
                            heap, (2 * order[dependent >> 1] + (dependent & 1), dependent)
                        )
        if done != total:
            stuck = next(i for i in range(count) if not self.filled[i])
            raise CorruptSnapshot(
                f"Expected an object graph that can be built. Received: node {stuck} ({tags[stuck]}) "
                "is on a cycle through constructor inputs (a tuple or frozenset holding itself, or "
                "arguments leading back to the object).",
                path=self.path,
                hint=REEXPORT,
            )
        return self.val(self.d.raw["root"])

    # ---------------------------------------------------------------- hashed positions
    def check_keys(self, slots: list[Any], *, pairs: bool) -> None:
        """Dict keys / set members / heap items: bounded weight, few equal hashes."""
        self.keys.check(slots, pairs=pairs)
