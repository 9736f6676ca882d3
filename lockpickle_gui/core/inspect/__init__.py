"""Object graph -> annotated tree: what a program holds, and what a snapshot does with it.

    inspect(obj, *, show_internal=False, max_depth=DEFAULT_MAX_DEPTH) -> Node

:mod:`.walker` walks the graph; :mod:`.tree` holds the result (:class:`Node`,
:class:`Annotation`); :mod:`.primitives` is the one table of lock-like and unrestorable
kinds; :mod:`.paths` writes and follows attribute paths; :mod:`.keras_adapter` is what the
inspector asks Keras, :mod:`.model_layers` the layers of a live model as a snapshot
addresses them; :mod:`.self_pickling` the classes that pickle themselves; :mod:`.structure`
which layer feeds which; :mod:`.report` and :mod:`.details` turn a tree into words.
"""

from lockpickle_gui.core.inspect.paths import resolve_path
from lockpickle_gui.core.inspect.tree import Annotation, Node, type_name
from lockpickle_gui.core.inspect.walker import DEFAULT_MAX_DEPTH, inspect

__all__ = ["Annotation", "DEFAULT_MAX_DEPTH", "Node", "inspect", "resolve_path", "type_name"]
