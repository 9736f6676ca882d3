"""Reaching trusted code, once the trust decision is made (``trust.py``).

:func:`resolve` imports a trusted module and walks the qualname through the namespaces'
dictionaries (no getattr, no module ``__getattr__``): the object found must be a class (or,
for kind "function", a plain Python function) whose ``__module__`` and ``__qualname__`` are
exactly that name, so an imported or re-exported name never passes for its module's own.
:func:`check_code_owner` makes sure the code that building an object runs (``__new__``,
``__init__``, ``__setstate__``, ...) is defined by trusted classes too.
"""

from __future__ import annotations

import collections
import importlib
import types
from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot, TrustedCodeFailed
from lockpickle_gui.core.snapshot import trust


def resolve(module: str, qualname: str, kind: str, path: Any = None) -> Any:
    """Import ``module`` and find ``qualname`` in it (the trust decision was made before)."""
    try:
        obj: Any = importlib.import_module(module)
    except Exception as error:
        raise TrustedCodeFailed(
            f"Expected the trusted module {module} to import. Received: "
            f"{type(error).__name__}: {error}.",
            path=path,
            hint="Install the code the snapshot was made with, or export it again.",
        ) from error
    for part in qualname.split("."):
        namespace = getattr(obj, "__dict__", None)
        if not isinstance(namespace, (dict, types.MappingProxyType)) or part not in namespace:
            raise CorruptSnapshot(
                f"Expected {module}.{qualname} to exist. Received: no {part!r} there.",
                path=path,
                hint="The snapshot was made with other code than this program imports; export it again.",
            )
        obj = namespace[part]
    found = isinstance(obj, type) if kind == "class" else type(obj) is types.FunctionType
    if (
        not found
        or getattr(obj, "__module__", None) != module
        or getattr(obj, "__qualname__", None) != qualname
    ):
        raise CorruptSnapshot(
            f"Expected {module}.{qualname} to be a {kind} defined in {module}. Received: a "
            f"{type(obj).__name__} from {getattr(obj, '__module__', '?')}; imported or "
            "re-exported names are refused.",
            path=path,
        )
    return obj


# Building an object of a trusted class runs __new__/__init__/__setstate__/... found through
# its MRO. The class *defining* each must be trusted too, or be one of these builtins: a
# trusted subclass of an untrusted class does not make the base class' code trusted.
_SAFE_OWNERS: dict[str, frozenset[type]] = {
    "__new__": frozenset(
        {
            object,
            dict,
            list,
            set,
            frozenset,
            tuple,
            int,
            float,
            complex,
            str,
            collections.OrderedDict,
        }
    ),
    "__init__": frozenset({object, dict, list, set, collections.OrderedDict}),
    "__setstate__": frozenset(),
    "__setitem__": frozenset({dict, collections.OrderedDict}),
    "extend": frozenset({list}),
    "__call__": frozenset({type}),  # the metaclass' __call__ of a class that is called
}


def code_owner(cls: type, attribute: str) -> type | None:
    """The class of ``cls``'s MRO that defines ``attribute`` (read without running code)."""
    mro: tuple[type, ...] = type.__getattribute__(cls, "__mro__")  # never a metaclass' own
    for klass in mro:
        if attribute in klass.__dict__:
            return klass
    return None


def check_code_owner(
    cls: type, attribute: str, policy: trust.TrustPolicy, path: Any = None
) -> None:
    """Refuse when building ``cls`` would run ``attribute`` defined by untrusted code."""
    owner = code_owner(cls, attribute)
    if owner is None or owner in _SAFE_OWNERS[attribute]:
        return
    module, qualname = getattr(owner, "__module__", "?"), getattr(owner, "__qualname__", "?")
    if (
        isinstance(module, str)
        and isinstance(qualname, str)
        and policy.trusts_by_user(module, qualname, "class")
    ):
        return
    raise trust.untrusted_code(
        [f"{module}:{qualname}"],
        path,
        policy,
        why=f"building {cls.__module__}.{cls.__qualname__} runs {attribute}, inherited from "
        f"{module}.{qualname}",
    )
