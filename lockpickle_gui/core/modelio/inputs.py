"""Sample inputs for the inference preview, and outputs summarised for people.

A *sample* is one request without the batch axis: an array for a single-input model, a list
(input order) or a dict (input name -> array) for a multi-input model. Every function here
returns a list of samples, validated and cast to the model's input dtypes.

* :func:`generate_inputs` from the model's input spec with a fixed seed: standard normal for
  float inputs, booleans for bool inputs, and integers in a valid range for integer inputs
  (below the smallest ``Embedding.input_dim`` in the model, else 0..9). Axes of unknown size
  get ``VARIABLE_AXIS_SIZE``.
* :func:`load_inputs` from a ``.npy`` file (a batch, or one sample), a ``.npz`` file (one
  array per input name; ``arr_0``, ``arr_1``... in input order also work), or an image file or
  folder of PNG/JPEG/BMP/GIF images for a model with one (height, width, channels) input:
  decoded and resized (bilinear) with ``tf.image``, pixel values 0-255 as Keras' image
  loaders give them, files in name order.
* :func:`summarize_output`: top-k classes with their scores when an output is a probability
  vector (values in [0, 1] summing to 1), otherwise shape and min/mean/max.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import PreviewError
from lockpickle_gui.core.modelio.signature import ModelSignature, signature_of
from lockpickle_gui.core.tf_runtime import import_keras, import_tensorflow

VARIABLE_AXIS_SIZE = 8
DEFAULT_INT_RANGE = 10
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# One request without the batch axis: an array, a list (input order) or a dict (input name
# -> array), as the model's signature packs it.
Sample = Any


def _signature(model: Any) -> ModelSignature:
    if isinstance(model, ModelSignature):
        return model
    signature = getattr(model, "signature", None)  # an InferencePool
    return signature if isinstance(signature, ModelSignature) else signature_of(model)


# ------------------------------------------------------------------------- generate


def generate_inputs(model: Any, count: int, seed: int = 0) -> list[Sample]:
    """``count`` samples drawn from the model's input spec (see the module docstring)."""
    if not isinstance(count, int) or count < 1:
        raise PreviewError(f"Expected a sample count >= 1. Received {count!r}.")
    if (
        not isinstance(seed, (int, np.integer)) or seed < 0
    ):  # numpy's generators take non-negative seeds only
        raise PreviewError(f"Expected a seed that is an integer >= 0. Received {seed!r}.")
    signature = _signature(model)
    rng = np.random.default_rng(seed)
    int_high = _integer_range(model)
    columns = []
    for spec in signature.specs:
        shape = (count, *(VARIABLE_AXIS_SIZE if d is None else d for d in spec.shape))
        column: np.ndarray[Any, Any]
        if spec.dtype.kind == "b":
            column = rng.random(shape) < 0.5
        elif spec.dtype.kind in "iu":
            column = rng.integers(0, int_high, size=shape)
        else:
            column = rng.standard_normal(shape)
        columns.append(column.astype(spec.dtype))
    return [signature.pack(tuple(column[i] for column in columns)) for i in range(count)]


def _integer_range(model: Any) -> int:
    """Integer inputs are usually token ids: stay below the smallest Embedding's input_dim."""
    keras = import_keras()
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is None:
        return DEFAULT_INT_RANGE
    dims = [
        layer.input_dim
        for layer in flatten(include_self=True, recursive=True)
        if isinstance(layer, keras.layers.Embedding)
    ]
    return max(1, min(dims)) if dims else DEFAULT_INT_RANGE


# ------------------------------------------------------------------------- load


def load_inputs(path: str | os.PathLike[str], model: Any) -> list[Sample]:
    """Samples from a .npy/.npz file or from images (see the module docstring)."""
    path = Path(path)
    signature = _signature(model)
    if not path.exists():
        raise PreviewError(
            "Expected a .npy/.npz file or a folder of images. The path does not exist.",
            path=path,
            hint="Check the [preview] inputs setting or the --inputs option.",
        )
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        arrays = [_load_images(path, signature)]
    elif path.suffix.lower() == ".npy":
        arrays = [_read_npy(path)]
        if len(signature.specs) > 1:
            raise PreviewError(
                f"Expected a .npz file with one array per input ({', '.join(signature.names)}). "
                "Received a .npy file, which holds one array.",
                path=path,
                hint="Save the inputs with numpy.savez(path, name=array, ...).",
            )
    elif path.suffix.lower() == ".npz":
        arrays = _read_npz(path, signature)
    else:
        raise PreviewError(
            f"Expected a .npy or .npz file, an image or a folder of images ({', '.join(IMAGE_SUFFIXES)}). "
            f"Received a '{path.suffix}' file.",
            path=path,
        )
    return _split(arrays, signature, path)


def _read_npy(path: Path) -> np.ndarray:
    try:
        array: np.ndarray = np.load(path, allow_pickle=False)
        return array
    except (ValueError, OSError, EOFError) as error:
        raise PreviewError(
            f"Expected a numeric .npy array. Received an unreadable file ({error}).",
            path=path,
            hint="Save the inputs with numpy.save().",
        ) from error


def _read_npz(path: Path, signature: ModelSignature) -> list[np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError) as error:
        raise PreviewError(
            f"Expected a .npz archive of numeric arrays. Received an unreadable file ({error}).",
            path=path,
            hint="Save the inputs with numpy.savez().",
        ) from error
    names = signature.names
    if all(name in arrays for name in names):
        return [arrays[name] for name in names]
    positional = [f"arr_{i}" for i in range(len(names))]
    if all(key in arrays for key in positional):
        return [arrays[key] for key in positional]
    if len(names) == 1 and len(arrays) == 1:
        return list(arrays.values())
    raise PreviewError(
        f"Expected arrays named after the model's inputs ({', '.join(names)}). "
        f"Received arrays {sorted(arrays)}.",
        path=path,
        hint="Save them as numpy.savez(path, " + ", ".join(f"{n}=..." for n in names) + ").",
    )


def _split(arrays: list[np.ndarray], signature: ModelSignature, path: Path) -> list[Sample]:
    """Batched arrays (or one unbatched sample) -> validated samples."""
    one_sample = all(a.ndim == len(spec.shape) for a, spec in zip(arrays, signature.specs))
    if one_sample:
        arrays = [a[None] for a in arrays]
    counts = {len(a) if a.ndim else 0 for a in arrays}
    if len(counts) != 1 or 0 in counts:
        raise PreviewError(
            f"Expected every input array to hold the same number of samples (>= 1). "
            f"Received shapes {[a.shape for a in arrays]} for inputs {signature.names}.",
            path=path,
        )
    samples = []
    for index in range(counts.pop()):
        raw = signature.pack(tuple(a[index] for a in arrays))
        try:
            samples.append(signature.pack(signature.prepare(raw)))
        except PreviewError as error:
            raise PreviewError(f"Sample {index}: {error}", path=path) from error
    return samples


def _load_images(path: Path, signature: ModelSignature) -> np.ndarray:
    spec = signature.specs[0]
    if len(signature.specs) != 1 or len(spec.shape) != 3 or spec.shape[2] not in (1, 3, 4, None):
        raise PreviewError(
            f"Expected a model with one image input (height, width, channels) to read images. "
            f"Received a model with inputs {signature.describe()}.",
            path=path,
            hint="Give a .npy/.npz file of inputs instead.",
        )
    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    )
    if not files:
        raise PreviewError(
            f"Expected image files ({', '.join(IMAGE_SUFFIXES)}) in the folder. Received none.",
            path=path,
        )
    tf = import_tensorflow()
    height, width, channels = spec.shape
    images = []
    for file in files:
        try:
            image = tf.image.decode_image(
                tf.io.read_file(str(file)), channels=channels or 3, expand_animations=False
            )
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as error:
            raise PreviewError(
                f"Expected a PNG, JPEG, BMP or GIF image. Received an unreadable file "
                f"({error.message}).",
                path=file,
            ) from error
        if height is not None and width is not None:
            image = tf.image.resize(image, (height, width), method="bilinear")
        images.append(np.asarray(image, dtype=np.float32))
    if len({im.shape for im in images}) > 1:
        raise PreviewError(
            "Expected images of one size for a model with no fixed image size. Received sizes "
            f"{sorted({im.shape for im in images})}.",
            path=path,
            hint="Resize the images to one size.",
        )
    return np.stack(images)


# ------------------------------------------------------------------------- samples


def as_samples(samples: Any, model: Any) -> list[Sample]:
    """A list of samples from a list/tuple of samples, a batched array (single input), or a
    dict of batched arrays (dict inputs). A dict whose arrays have no batch axis is one sample."""
    signature = _signature(model)
    if isinstance(samples, (list, tuple)):
        return list(samples)
    if isinstance(samples, Mapping):
        values = [np.asarray(samples[name]) for name in signature.names if name in samples]
        batched = len(values) == len(signature.specs) and all(
            v.ndim == len(spec.shape) + 1 for v, spec in zip(values, signature.specs)
        )
        if not batched:
            return [samples]
        return [dict(zip(signature.names, (v[i] for v in values))) for i in range(len(values[0]))]
    array = np.asarray(samples)
    if len(signature.specs) == 1 and array.ndim == len(signature.specs[0].shape) + 1:
        return list(array)
    raise PreviewError(
        f"Expected a list of samples (or a batched array) for inputs {signature.describe()}. "
        f"Received {type(samples).__name__} of shape {getattr(array, 'shape', '?')}.",
        hint="Pass a list with one sample per request.",
    )


# ------------------------------------------------------------------------- outputs


def summarize_output(output: Any, top_k: int = 3) -> str | dict[str, Any]:
    """A one-line description of one sample's output; a dict of them for several outputs."""
    if isinstance(output, Mapping):
        return {str(key): summarize_output(value, top_k) for key, value in output.items()}
    if isinstance(output, (list, tuple)):
        return {f"output[{i}]": summarize_output(value, top_k) for i, value in enumerate(output)}
    if isinstance(output, str):  # already a summary
        return output
    array = np.asarray(output)
    if array.size == 0:
        return f"empty, shape {tuple(array.shape)}"
    if _looks_like_probabilities(array):
        order = np.argsort(-array, kind="stable")[:top_k]
        return ", ".join(f"class {int(i)}: {float(array[i]):.3f}" for i in order)
    if array.size == 1:
        return f"value {_fmt(array.reshape(()).item())}"
    if array.dtype.kind not in "biuf":
        return f"shape {tuple(array.shape)}, dtype {array.dtype}"
    values = array.astype(np.float64)
    return (
        f"shape {tuple(array.shape)}, min {_fmt(values.min())}, mean {_fmt(values.mean())}, "
        f"max {_fmt(values.max())}"
    )


def _looks_like_probabilities(array: np.ndarray) -> bool:
    if (
        array.ndim != 1
        or array.size < 2
        or array.dtype.kind != "f"
        or not np.all(np.isfinite(array))
    ):
        return False
    return bool(array.min() >= 0.0 and array.max() <= 1.0 and abs(float(array.sum()) - 1.0) <= 1e-3)


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    return f"{float(value):.4g}"
