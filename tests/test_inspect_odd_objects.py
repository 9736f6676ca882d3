"""QA: lp.inspect on unusual object graphs never stops with a bare Python error.

User code that raises while being looked at, nesting deeper than the recursion limit,
callbacks (bound methods, functools.partial) carrying locks, non-string dict keys: each
either shows up with a real-Python path or fails as a LockpickleError saying what to do.
"""

from __future__ import annotations

import functools
import threading

import pytest

from lockpickle_gui.core.errors import LockpickleError
from lockpickle_gui.core.inspect import inspect, resolve_path


class GuardedDict:
    """A __getattribute__ that refuses __dict__ (proxies and sandboxes do this)."""

    def __init__(self):
        self.lock = threading.Lock()

    def __getattribute__(self, name):
        if name == "__dict__":
            raise ValueError("no __dict__ for you")
        return object.__getattribute__(self, name)


class RaisingSlot:
    __slots__ = ("lock", "broken")

    def __init__(self):
        self.lock = threading.RLock()


RaisingSlot.broken = property(lambda self: 1 / 0)  # a slot replaced by a raising descriptor


class Service:
    def __init__(self):
        self.lock = threading.Lock()

    def handle(self, request):
        return request


def _paths(tree):
    return [note.path for note in tree.iter_annotations()]


def test_user_code_raising_while_inspected_is_not_fatal():
    guarded = GuardedDict()
    tree = inspect({"guarded": guarded, "slot": RaisingSlot()})
    assert _paths(tree) == ["root['guarded'].lock", "root['slot'].lock"]
    assert resolve_path({"guarded": guarded}, "root['guarded'].lock") is guarded.lock


def test_nesting_deeper_than_the_recursion_limit_is_a_lockpickle_error():
    deep = inner = []
    for _ in range(3000):
        inner.append([])
        inner = inner[0]
    inner.append(threading.Lock())
    assert _paths(inspect(deep)) == []  # the default max_depth stops early, quietly
    with pytest.raises(LockpickleError, match="max_depth"):
        inspect(deep, max_depth=5000)


def test_locks_carried_by_callbacks_are_shown_with_resolving_paths():
    service = Service()
    callbacks = {
        "on_request": service.handle,
        "on_done": functools.partial(print, lock=threading.Event()),
    }
    tree = inspect(callbacks)
    assert _paths(tree) == ["root['on_request'].__self__.lock", "root['on_done'].keywords['lock']"]
    for note in tree.iter_annotations():
        assert resolve_path(callbacks, note.path) is note.obj


def test_float_keys_give_real_python_paths():
    event = threading.Event()
    tree = inspect({1.5: event, float("nan"): threading.Lock()})
    paths = _paths(tree)
    assert paths[0] == "root[1.5]" and resolve_path({1.5: event}, paths[0]) is event
    assert paths[1].startswith("<value for key nan")
