"""What a model takes and gives, and the one compiled function the inference pool serves.

:func:`signature_of` reads a model's inputs (Sequential, Functional with a single, list or
dict input, a subclassed model that has been built, or a SavedModel opened as
``keras.layers.TFSMLayer``) into a :class:`ModelSignature`: one :class:`InputSpec` per input,
each without the batch axis. The signature validates and casts a caller's sample
(:meth:`ModelSignature.prepare`) so a bad sample fails at once, in the caller's thread.

:func:`compile_model` traces the model ONCE, with a batch axis of unknown size, into a
concrete TensorFlow function taking the inputs as flat positional tensors: every batch size
reuses that one trace, and no two threads ever race while tracing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.tf_runtime import import_keras, import_tensorflow

SINGLE, LIST, DICT = "single", "list", "dict"
# An output structure without its leaves (see flatten): None for a leaf, else
# (container kind, dict keys or None, the children's treedefs).
TreeDef = tuple[str, "list[Any] | None", "list[TreeDef]"] | None


@dataclass(frozen=True)
class InputSpec:
    """One model input, without the batch axis (``None`` = any size along that axis)."""

    name: str
    shape: tuple[int | None, ...]
    dtype: np.dtype

    def describe(self) -> str:
        dims = ", ".join("None" if d is None else str(d) for d in self.shape)
        return f"'{self.name}' of shape ({dims}{',' if len(self.shape) == 1 else ''}) and dtype {self.dtype.name}"


@dataclass(frozen=True)
class ModelSignature:
    """The inputs of a model: their structure (single / list / dict) and specs, in order."""

    structure: str
    specs: tuple[InputSpec, ...]
    call_style: str = "keras"  # "keras" | "endpoint" (TFSMLayer positional) | "kwargs" (signature)

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    @property
    def variable_shape(self) -> bool:
        """True when some axis other than the batch axis has no fixed size."""
        return any(d is None for spec in self.specs for d in spec.shape)

    def describe(self) -> str:
        return "; ".join(spec.describe() for spec in self.specs)

    # -- samples ----------------------------------------------------------------------
    def prepare(self, sample: Any) -> tuple[np.ndarray, ...]:
        """Check one sample (no batch axis) and return its inputs as arrays of the right dtype.

        Raises PreviewError naming the input, the expected shape/dtype and what was received.
        A dtype that casts within its kind (float64 -> float32, int64 -> int32) is accepted;
        a float for an integer input, or a string for a number, is not.
        """
        if self.structure == DICT or isinstance(sample, Mapping):
            values = self._from_mapping(sample)
        elif self.structure == LIST and isinstance(sample, (list, tuple)):
            if len(sample) != len(self.specs):
                raise PreviewError(
                    f"Expected a sample with {len(self.specs)} inputs ({', '.join(self.names)}). "
                    f"Received a {type(sample).__name__} of {len(sample)} items.",
                    hint="Pass one array per input, in the model's input order, or a dict keyed by input name.",
                )
            values = list(sample)
        elif len(self.specs) == 1:
            values = [sample]
        else:
            raise PreviewError(
                f"Expected a sample with {len(self.specs)} inputs ({', '.join(self.names)}). "
                f"Received a single {type(sample).__name__}.",
                hint="Pass a list (input order) or a dict keyed by input name.",
            )
        return tuple(_check_array(value, spec) for value, spec in zip(values, self.specs))

    def _from_mapping(self, sample: Any) -> list[Any]:
        if not isinstance(sample, Mapping):
            raise PreviewError(
                f"Expected a dict sample with keys {self.names}. Received a {type(sample).__name__}.",
                hint="This model takes named inputs: pass {name: array} without the batch axis.",
            )
        missing = [name for name in self.names if name not in sample]
        extra = sorted(str(key) for key in sample if key not in self.names)
        if missing or extra:
            raise PreviewError(
                f"Expected a sample with keys {self.names}. Received keys {sorted(map(str, sample))}"
                + (f" (missing {missing})" if missing else "")
                + (f" (unknown {extra})" if extra else "")
                + ".",
                hint="Name each input as the model does (see the model's inputs).",
            )
        return [sample[name] for name in self.names]

    def shape_key(self, leaves: Sequence[np.ndarray]) -> tuple[tuple[int, ...], ...]:
        return tuple(leaf.shape for leaf in leaves)

    def pack(self, leaves: Sequence[Any]) -> Any:
        """Flat inputs -> the structure the model is called with."""
        if self.structure == SINGLE:
            return leaves[0]
        if self.structure == LIST:
            return list(leaves)
        return dict(zip(self.names, leaves))

    def zeros(self, batch: int = 1) -> tuple[np.ndarray, ...]:
        """A batch of zeros (axes of unknown size get 1): the warm-up batch."""
        return tuple(
            np.zeros((batch, *(1 if d is None else d for d in spec.shape)), spec.dtype)
            for spec in self.specs
        )


def _check_array(value: Any, spec: InputSpec) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise PreviewError(
            f"Expected an array for input {spec.describe()}. Received {type(value).__name__}: {error}.",
            hint="Pass a numpy array (or a nested list of numbers).",
        ) from error
    if array.dtype != spec.dtype and not np.can_cast(array.dtype, spec.dtype, casting="same_kind"):
        raise PreviewError(
            f"Expected input {spec.describe()}. Received dtype {array.dtype.name}, which does not "
            f"cast to {spec.dtype.name} without changing its kind.",
            hint=f"Convert the sample with .astype('{spec.dtype.name}') if that is really meant.",
        )
    if len(array.shape) != len(spec.shape) or any(
        want is not None and want != got for want, got in zip(spec.shape, array.shape)
    ):
        batch_hint = (
            " It looks like a batch: submit its samples one by one (or use map())."
            if array.shape[1:] == spec.shape
            else ""
        )
        raise PreviewError(
            f"Expected input {spec.describe()} for one sample (no batch axis). "
            f"Received shape {tuple(array.shape)}.{batch_hint}",
            hint="Reshape the sample to the model's input shape.",
        )
    return array.astype(spec.dtype, copy=False)


# ------------------------------------------------------------------ reading the signature


def signature_of(model: Any, input_signature: Any = None) -> ModelSignature:
    """Read the inputs of ``model`` (see the module docstring for the kinds understood).

    ``input_signature`` (a tf.TensorSpec, or a list/dict of them, WITH the batch axis)
    overrides what is read from the model; needed only for a subclassed model whose inputs
    Keras cannot tell.
    """
    keras = import_keras()
    if input_signature is not None:
        return _from_structure(input_signature, "keras")
    if isinstance(model, keras.layers.TFSMLayer):
        return _from_endpoint(model.call_endpoint_fn)
    if not isinstance(model, keras.layers.Layer):
        raise PreviewError(
            f"Expected a Keras model or layer (or a SavedModel opened as keras.layers.TFSMLayer). "
            f"Received {type(model).__module__}.{type(model).__qualname__}.",
            hint="Open the model with lockpickle_gui.open_project() or keras.saving.load_model().",
        )
    for attribute in ("input", "inputs"):  # Functional: input keeps dict/list; Sequential: inputs
        try:
            structure = getattr(model, attribute)
        except (AttributeError, ValueError):
            continue
        if isinstance(structure, list) and len(structure) == 1 and attribute == "inputs":
            structure = structure[0]
        if structure is None or (isinstance(structure, (list, tuple, dict)) and not structure):
            continue
        return _from_structure(structure, "keras")
    return _from_build_config(model)


def _from_structure(structure: Any, call_style: str) -> ModelSignature:
    if isinstance(structure, Mapping):
        kind, items = DICT, [(str(key), value) for key, value in structure.items()]
    elif isinstance(structure, (list, tuple)):
        kind, items = (
            LIST,
            [
                (getattr(value, "name", None) or f"input_{i}", value)
                for i, value in enumerate(structure)
            ],
        )
    else:
        kind, items = SINGLE, [(getattr(structure, "name", None) or "input", structure)]
    specs = []
    for name, tensor in items:
        shape = tuple(tensor.shape)
        if not shape:
            raise PreviewError(
                f"Expected every model input to have a batch axis. Received input '{name}' of shape ().",
                hint="The preview batches samples along the first axis; give the model a batch axis.",
            )
        specs.append(
            InputSpec(
                name,
                tuple(None if d is None else int(d) for d in shape[1:]),
                _numpy_dtype(tensor.dtype, name),
            )
        )
    return ModelSignature(kind, tuple(specs), call_style)


def _from_build_config(model: Any) -> ModelSignature:
    config: dict[str, Any] | None = model.get_build_config() if model.built else None
    shape = (config or {}).get("input_shape")
    if config is None or shape is None or len(config) != 1:
        raise PreviewError(
            f"Expected a model whose inputs Keras knows. Received {type(model).__qualname__} "
            f"'{model.name}', a subclassed model that "
            + (
                "has not been built yet."
                if shape is None
                else f"was built with {sorted(config or ())}."
            ),
            hint="Call it once on a sample batch (model(x)) before previewing it, or pass "
            "input_signature=tf.TensorSpec((None, ...), 'float32') to InferencePool.",
        )
    dtype = _numpy_dtype(getattr(model, "input_dtype", None) or "float32", "input")
    tf = import_tensorflow()

    def spec(s: Sequence[int | None]) -> Any:  # a tf.TensorSpec with the batch axis unknown
        return tf.TensorSpec((None, *tuple(s)[1:]), dtype)

    if isinstance(shape, Mapping):
        return _from_structure({k: spec(v) for k, v in shape.items()}, "keras")
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return _from_structure([spec(s) for s in shape], "keras")
    return _from_structure(spec(shape), "keras")


def _from_endpoint(endpoint: Any) -> ModelSignature:
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if getattr(endpoint, "input_signature", None) is not None:
        args = tuple(endpoint.input_signature)
    elif getattr(endpoint, "structured_input_signature", None) is not None:
        args, kwargs = endpoint.structured_input_signature
    elif getattr(endpoint, "concrete_functions", None):
        args, kwargs = endpoint.concrete_functions[0].structured_input_signature
    if kwargs and not args:
        return _from_structure(dict(kwargs), "kwargs")
    if len(args) == 1 and not kwargs:
        return _from_structure(args[0], "endpoint")
    raise PreviewError(
        f"Expected a SavedModel endpoint taking one input (a tensor, list or dict). Received one "
        f"taking {len(args)} positional and {len(kwargs)} keyword arguments.",
        hint="Open the SavedModel with keras.layers.TFSMLayer(path, call_endpoint=...) naming a "
        "single-input endpoint (model.export() writes 'serve').",
    )


def _numpy_dtype(dtype: Any, name: str) -> np.dtype:
    tf = import_tensorflow()
    try:
        tf_dtype = tf.dtypes.as_dtype(dtype)
    except TypeError as error:
        raise PreviewError(
            f"Expected a numeric input. Received input '{name}' of dtype {dtype}."
        ) from error
    if tf_dtype == tf.string or not (
        tf_dtype.is_floating or tf_dtype.is_integer or tf_dtype.is_bool
    ):
        raise PreviewError(
            f"Expected numeric or boolean model inputs. Received input '{name}' of dtype {tf_dtype.name}.",
            hint="The preview cannot feed string or complex inputs yet; wrap the model after its "
            "text preprocessing.",
        )
    found: np.dtype[Any] = np.dtype(tf_dtype.as_numpy_dtype)
    return found


# ------------------------------------------------------------------------- compiling


def model_call(model: Any, signature: ModelSignature) -> Callable[..., Any]:
    """``fn(*flat_batched_inputs) -> outputs``: how the model is called (eager or traced)."""
    if signature.call_style == "kwargs":
        endpoint = model.call_endpoint_fn
        names = signature.names
        return lambda *leaves: endpoint(**dict(zip(names, leaves)))
    if signature.call_style == "endpoint":
        endpoint = model.call_endpoint_fn
        return lambda *leaves: endpoint(signature.pack(leaves))
    return lambda *leaves: model(signature.pack(leaves), training=False)


def compile_model(model: Any, signature: ModelSignature) -> Callable[..., Any]:
    """Trace the model once (batch axis of unknown size) and return the concrete function.

    The concrete function takes the flat inputs as positional tensors (or numpy arrays) and
    returns the model's output structure. Raises PreviewError when the model cannot be traced.
    """
    tf = import_tensorflow()
    specs = [
        tf.TensorSpec((None, *spec.shape), tf.as_dtype(spec.dtype)) for spec in signature.specs
    ]
    try:
        traced: Callable[..., Any] = tf.function(
            model_call(model, signature), input_signature=specs
        ).get_concrete_function()
        return traced
    except Exception as error:  # a model that cannot be traced: say which and why
        raise PreviewError(
            f"Expected a model that TensorFlow can trace into a graph. Tracing "
            f"{type(model).__qualname__} '{getattr(model, 'name', '?')}' with inputs "
            f"{signature.describe()} failed: {type(error).__name__}: {error}",
            hint="Check the model's call() with a batch of unknown size (tf.function).",
        ) from error


# --------------------------------------------------------------- output structures


def flatten(structure: Any) -> tuple[list[Any], TreeDef]:
    """Nested dict/list/tuple -> (leaves, treedef); :func:`unflatten` inverts it."""
    if isinstance(structure, Mapping):
        keys = list(structure)
        parts = [flatten(structure[key]) for key in keys]
        return [leaf for leaves, _ in parts for leaf in leaves], (
            "dict",
            keys,
            [d for _, d in parts],
        )
    if isinstance(structure, (list, tuple)):
        parts = [flatten(item) for item in structure]
        return [leaf for leaves, _ in parts for leaf in leaves], (
            type(structure).__name__,
            None,
            [d for _, d in parts],
        )
    return [structure], None


def unflatten(treedef: TreeDef, leaves: Sequence[Any]) -> Any:
    """The structure :func:`flatten` described by ``treedef``, with ``leaves`` in it."""
    iterator = iter(leaves)

    def build(definition: TreeDef) -> Any:
        if definition is None:
            return next(iterator)
        kind, keys, children = definition
        values = [build(child) for child in children]
        if kind == "dict":
            return dict(zip(keys or (), values))
        return tuple(values) if kind == "tuple" else values

    return build(treedef)


def output_names(treedef: TreeDef, prefix: str = "output") -> list[str]:
    """A readable name per output leaf: dict keys, ``output[i]`` for lists, or 'output'."""
    if treedef is None:
        return [prefix]
    kind, keys, children = treedef
    if kind == "dict":
        labels = [str(key) if prefix == "output" else f"{prefix}.{key}" for key in keys or ()]
    else:
        labels = [f"{prefix}[{i}]" for i in range(len(children))]
    return [name for label, child in zip(labels, children) for name in output_names(child, label)]
