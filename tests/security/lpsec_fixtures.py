"""Classes the adversarial tests trust, some with traps: what a trusted type may and may not
let a file do."""

from __future__ import annotations

import collections
import dataclasses
import os
import threading

OrderedDict = collections.OrderedDict  # re-exported: trusting this module must not cover it
system = os.system  # imported: never a function of this module


class Service:
    def __init__(self, n: int = 1) -> None:
        self.lock = threading.Lock()
        self.n = n


class Slotted:
    __slots__ = ("a", "b")


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int


class LockManager:
    """The seed's recipe: a class that says itself how it is saved (__reduce__)."""

    def __init__(self, count: int = 1) -> None:
        self.locks = [threading.Lock() for _ in range(count)]

    def __reduce__(self):
        return (LockManager, (len(self.locks),))


def make_bucket(size: int = 0) -> list:
    return [None] * min(size, 16)
