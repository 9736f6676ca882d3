"""Reader side: the guard on hashed positions (dict keys, set members, priority-queue
items). Each is built before it is hashed, and its size is counted with repeats: ``hash()``
and ``==`` walk shared parts again each time, so a small file could otherwise make hashing
exponential (a DAG of tuples). Containers with many keys of one hash are refused (hash
flooding: ``hash(int)`` is not randomised)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockpickle_gui.core.errors import BudgetExceeded
from lockpickle_gui.core.snapshot.state import schema
from lockpickle_gui.core.snapshot.state.validate import REEXPORT

if TYPE_CHECKING:
    from lockpickle_gui.core.snapshot.state.builder import Builder

_BUILT_BY_CALL = ("obj", "call")


class KeyGuard:
    def __init__(self, builder: Builder) -> None:
        self.b = builder
        self.weights: dict[int, int] = {}

    def check(self, slots: list[Any], *, pairs: bool) -> None:
        """Dict keys / set members / heap items: bounded weight, few equal hashes."""
        counts: dict[int, int] = {}
        for slot in slots[:: 2 if pairs else 1]:
            if type(slot) is not dict:
                continue
            self._weigh(slot["r"])
            try:
                value = hash(self.b.objs[slot["r"]])
            except TypeError:
                raise self.b.fail(slot["r"], "a hashable dict key or set member") from None
            counts[value] = counts.get(value, 0) + 1
            if counts[value] > self.b.budgets.max_hash_collisions:
                raise BudgetExceeded(
                    f"Expected at most {self.b.budgets.max_hash_collisions} keys with one hash value in "
                    "a container (hash flooding). Received: more.",
                    path=self.b.path,
                    hint=REEXPORT,
                )

    def _weigh(self, ref: int) -> None:
        if ref in self.weights:
            return
        cap = self.b.budgets.max_key_weight
        total = {ref: 1}
        on_stack = {ref}
        stack = [(ref, iter(self._key_children(ref)))]
        while stack:
            node, children = stack[-1]
            pushed = False
            for child in children:
                weight = self.weights.get(child)
                if weight is not None:
                    total[node] += weight
                elif child in on_stack:
                    total[node] += 1
                else:
                    on_stack.add(child)
                    total[child] = 1
                    stack.append((child, iter(self._key_children(child))))
                    pushed = True
                    break
                if total[node] > cap:
                    raise self._too_heavy(ref)
            if pushed:
                continue
            stack.pop()
            on_stack.discard(node)
            self.weights[node] = weight = total.pop(node)
            if stack:
                total[stack[-1][0]] += weight
                if total[stack[-1][0]] > cap:
                    raise self._too_heavy(ref)

    def _too_heavy(self, ref: int) -> BudgetExceeded:
        return BudgetExceeded(
            f"Expected dict keys and set members of at most {self.b.budgets.max_key_weight} objects, "
            f"counted with repeats. Received: more, at node {ref} of state.json.",
            path=self.b.path,
            hint=REEXPORT,
        )

    def _key_children(self, index: int) -> list[int]:
        tag = self.b.nodes[index]["t"]
        if tag in schema.HASHED_CHILDREN:
            return self.b.d.pre[index]
        if tag in _BUILT_BY_CALL:
            hasher: Any = type(self.b.objs[index]).__hash__
            if hasher is object.__hash__:
                return []
            if not self.b.filled[index]:
                raise self.b.fail(
                    index,
                    "a value-hashed key complete before it is hashed (a cycle reaches it first)",
                )
            return self.b.d.pre[index] + self.b.d.post[index]
        return []
