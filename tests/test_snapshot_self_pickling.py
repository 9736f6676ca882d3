"""Classes that say themselves how they are saved (the seed's __reduce__ recipe, and
__getstate__/__setstate__) keep that say in a snapshot."""

from __future__ import annotations

import threading

from models import Box, round_trip

TRUST = ["models", __name__]


class LockManager:
    """The seed's recipe: the class says itself how it is saved (__reduce__)."""

    def __init__(self, count=1):
        self.locks = [threading.Lock() for _ in range(count)]

    def __reduce__(self):
        return (LockManager, (len(self.locks),))


class Cache:
    """The other recipe: __getstate__ leaves the lock out, __setstate__ makes a new one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = {"a": 1}

    def __getstate__(self):
        return {"items": self.items}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.Lock()


def test_classes_keep_their_own_say_over_what_is_saved(tmp_path):
    manager, cache = LockManager(3), Cache()
    manager.locks[0].acquire()
    manifest, restored = round_trip(
        Box(manager=manager, cache=cache, again=manager), tmp_path, trust=TRUST
    )
    assert restored.manager is restored.again and len(restored.manager.locks) == 3
    assert not any(lock.locked() for lock in restored.manager.locks)  # made by __init__
    assert restored.cache.items == {"a": 1} and not restored.cache.lock.locked()
    assert {t["name"] for t in manifest["types"]} == {
        "models:Box",
        f"{__name__}:LockManager",
        f"{__name__}:Cache",
    }
    manager.locks[0].release()
