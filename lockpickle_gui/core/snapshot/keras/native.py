"""A Keras model as data: Keras' own ``config.json`` plus every variable as a plain ``.npy``
member, written and read through a weights store plugged into Keras' own state walk.

Keras' saver walks a model's state (layers, their variables, the optimizer's) with
``saving_lib._save_state(model, weights_store, ...)`` and hands each saveable a dict-like
store to fill; its loader mirrors that with ``_load_state``. :class:`WriteStore` turns each
stored value into an ``.npy`` member of the snapshot as it comes (no HDF5 file, no second
copy of the weights), and records where it went in ``weights.json``
(``{inner path: {key: variable number}}``); :class:`ReadStore` gives Keras the arrays back,
read with the snapshot's own checked ``.npy`` reader. So loading a model parses JSON and
``.npy`` only: no HDF5 parser on the untrusted-input path, and weights are data, the way
safetensors keeps them.

Layers that keep *assets* (files: StringLookup's vocabulary, TextVectorization) are stored
in Keras' ``.keras`` format instead (:func:`needs_keras_format`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lockpickle_gui.core.errors import SnapshotError
from lockpickle_gui.core.inspect import model_layers
from lockpickle_gui.core.snapshot import format as fmt


def needs_keras_format(model: Any) -> bool:
    """Whether some layer saves assets (files), which only Keras' own format carries."""
    return any(hasattr(layer, "save_assets") for _, layer in model_layers.iter_layers(model))


def config_json(saving_lib: Any, model: Any) -> str:
    """Keras' own config of ``model`` (what ``model.save`` writes as config.json)."""
    config, _metadata = saving_lib._serialize_model_as_json(model)
    return str(config)


def _store_base(saving_lib: Any) -> type:
    return saving_lib.NpzIOStore  # type: ignore[no-any-return]


def write_variables(
    saving_lib: Any, model: Any, index: int, add_array: Callable[[str, Any], None]
) -> tuple[dict[str, dict[str, int]], int, int]:
    """Walk ``model``'s state with Keras' saver; each value becomes ``variable_member(index,
    n)`` through ``add_array``. Returns (weights index, variable count, bytes)."""
    import numpy as np

    where: dict[str, dict[str, int]] = {}
    totals = [0, 0]

    class Entry(dict):  # type: ignore[type-arg]
        """What one saveable's ``save_own_variables`` fills: ``store["0"] = variable``."""

        def __init__(self, numbers: dict[str, int], path: str) -> None:
            super().__init__()
            self.numbers = numbers
            self.path = path

        def __setitem__(self, key: str, value: Any) -> None:
            array = np.asarray(value)  # one copy (a variable's __array__), not two
            if array.dtype.hasobject:
                raise SnapshotError(
                    f"Expected plain numeric or string variables in {model.name!r}. Received: "
                    f"{self.path or 'the model'}[{key!r}] holds Python objects.",
                    hint="Keep that state out of save_own_variables(), or rebuild it after loading.",
                )
            number = totals[0]
            totals[0] += 1
            totals[1] += int(array.nbytes)
            add_array(fmt.variable_member(index, number), array)
            self.numbers[str(key)] = number
            super().__setitem__(str(key), number)

    class WriteStore(_store_base(saving_lib)):  # type: ignore[misc]
        def __init__(self) -> None:  # no file: every value leaves at once as a member
            self.mode = "w"
            self.archive = None
            self.contents: dict[str, Any] = {}

        def make(self, path: str, metadata: Any = None) -> Entry:
            numbers = where.setdefault(path or "", {})
            return Entry(numbers, path)

        def has_path(self, path: str) -> bool:
            return (path or "") in where

        def close(self) -> None:
            pass

    saving_lib._save_state(
        model, weights_store=WriteStore(), assets_store=None, inner_path="", visited_saveables=set()
    )
    return {path: numbers for path, numbers in where.items() if numbers}, totals[0], totals[1]


class ReadEntry(Mapping[str, Any]):
    """One saveable's variables, read when Keras asks for them (one array at a time)."""

    def __init__(self, numbers: dict[str, int], read: Callable[[int], Any]) -> None:
        self.numbers = numbers
        self.read = read

    def __getitem__(self, key: str) -> Any:
        return self.read(self.numbers[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.numbers)

    def __len__(self) -> int:
        return len(self.numbers)


def read_store(
    saving_lib: Any, where: dict[str, dict[str, int]], read: Callable[[int], Any]
) -> Any:
    """A weights store Keras' ``_load_state`` accepts, serving ``read(variable number)``."""

    class ReadStore(_store_base(saving_lib)):  # type: ignore[misc]
        def __init__(self) -> None:
            self.mode = "r"
            self.archive = None
            self.contents: dict[str, Any] = {}

        def get(self, path: str) -> ReadEntry:
            return ReadEntry(where.get(path or "", {}), read)

        def has_path(self, path: str) -> bool:
            return (path or "") in where

        def close(self) -> None:
            pass

    return ReadStore()
