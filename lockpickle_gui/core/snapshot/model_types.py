"""The custom objects a Keras model's config names (layers, activations, losses...), found
without running anything: what a snapshot must list as types, and what a loader checks the
config against before Keras sees it.

A Keras config is JSON where each serialized object is ``{"module", "class_name", "config",
"registered_name"}``. Objects of Keras' own packages are found by Keras itself; anything
else is a *custom object*, looked up by its registered name (``"pkg>Name"``) among the
objects registered in the process or passed as ``custom_objects``. A lambda
(``"__lambda__"``) carries code: Keras' safe mode refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockpickle_gui.core.inspect.keras_adapter import KERAS_PACKAGES


@dataclass(frozen=True)
class CustomRef:
    registered: str  # the name Keras looks the object up by
    module: str | None
    class_name: str
    kind: str  # "class" | "function" | "lambda"


def custom_refs(
    config: Any, limit: int = 1_000_000, *, plain_functions: bool = False
) -> list[CustomRef]:
    """Every custom object ``config`` (a parsed Keras config) names, in first-seen order.

    A function named without a package (``"relu"``) is one of Keras' own when Keras knows
    it, and otherwise an unregistered function Keras will not find: ``plain_functions``
    lists those too (kind "plain function"), for the writer to tell them apart."""
    found: dict[tuple[str, str], CustomRef] = {}
    stack = [config]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > limit:
            break
        if type(item) is list:
            stack.extend(reversed(item))
            continue
        if type(item) is not dict:
            continue
        ref = _ref(item, plain_functions)
        if ref is not None:
            found.setdefault((ref.kind, ref.registered), ref)
        stack.extend(reversed(list(item.values())))
    return list(found.values())


def _ref(item: dict[str, Any], plain_functions: bool = False) -> CustomRef | None:
    class_name, module = item.get("class_name"), item.get("module")
    if type(class_name) is not str or not (module is None or type(module) is str):
        return None
    if "config" not in item and "registered_name" not in item:
        return None
    if class_name == "__lambda__":
        return CustomRef("__lambda__", module, class_name, "lambda")
    if class_name == "function":
        name = item.get("config")
        if type(name) is not str:
            return None
        if ">" not in name and (module in (None, "builtins") or _keras_module(module)):
            # Keras' own functions ("relu") are found by name; an unregistered one is not
            return CustomRef(name, module, name, "plain function") if plain_functions else None
        return CustomRef(name, module, name.rpartition(">")[2], "function")
    if _keras_module(module) or class_name.startswith("__"):
        return None  # Keras' own classes, and its markers (__keras_tensor__, __tuple__...)
    registered = item.get("registered_name")
    return CustomRef(
        registered if type(registered) is str and registered else class_name,
        module,
        class_name,
        "class",
    )


def _keras_module(module: str | None) -> bool:
    return module is not None and module.partition(".")[0] in KERAS_PACKAGES
