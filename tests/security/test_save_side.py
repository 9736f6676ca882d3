"""Issue 9, class 7: the save side. Every refusal names the path of the object; what a file
needs is listed in its manifest; a file that could never load is not written (the error
says what to change); in-memory streams are kept as data; Keras' failures get hints that
fit."""

from __future__ import annotations

import array
import collections
import ctypes
import datetime
import decimal
import enum
import fractions
import hashlib
import io
import itertools
import json
import logging
import pathlib
import re
import subprocess
import sys
import textwrap
import threading
import types
import uuid
import zlib

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.errors import UnpicklableState


class Holder:
    def __init__(self, **values):
        self.__dict__.update(values)


class Color(enum.Enum):
    RED = 1


def odd_kinds() -> dict:
    """The dill object zoo's kinds a snapshot cannot store as data (51 of them)."""
    d = {"a": 1}
    match = re.match("a", "a")
    assert match is not None
    frame = sys._getframe()

    def generator():
        yield 1

    async def coroutine():
        return 1

    class Local:
        pass

    return {
        "md5": hashlib.md5(),
        "sha256": hashlib.sha256(),
        "blake2b": hashlib.blake2b(),
        "memoryview": memoryview(b"abc"),
        "match": match,
        "module": json,
        "compress": zlib.compressobj(),
        "decompress": zlib.decompressobj(),
        "keys": d.keys(),
        "values": d.values(),
        "items": d.items(),
        "list_iterator": iter([1]),
        "tuple_iterator": iter((1,)),
        "range_iterator": iter(range(3)),
        "dict_iterator": iter(d),
        "set_iterator": iter({1}),
        "str_iterator": iter("ab"),
        "bytes_iterator": iter(b"ab"),
        "reversed": reversed([1, 2]),
        "enumerate": enumerate([1]),
        "zip": zip([1], [2]),
        "map": map(str, [1]),
        "filter": filter(None, [1]),
        "count": itertools.count(),
        "cycle": itertools.cycle([1]),
        "chain": itertools.chain([1]),
        "mappingproxy": types.MappingProxyType(d),
        "code": (lambda: None).__code__,
        "frame": frame,
        "cell": (lambda: frame).__closure__[0],
        "builtin": len,
        "method_descriptor": str.join,
        "wrapper_descriptor": object.__init__,
        "property": property(lambda self: 1),
        "staticmethod": staticmethod(len),
        "classmethod": classmethod(len),
        "partial": __import__("functools").partial(len),
        "c_int": ctypes.c_int(3),
        "c_pointer": ctypes.pointer(ctypes.c_int(3)),
        "c_array": (ctypes.c_int * 2)(),
        "array.array": array.array("i", [1]),
        "ufunc": np.add,
        "exception": ValueError("x"),
        "traceback_type": types.TracebackType,
        "ellipsis_type": type(...),
        "slice_type": slice,
        "ndarray subclass": np.ma.masked_array([1, 2]),
        "object array": np.array([1, None], dtype=object),
        "local class": Local(),
        "local function": lambda: None,
        "nested function": generator,
        "generator": generator(),
        "coroutine": coroutine(),
    }


def test_every_odd_kind_is_refused_with_its_path(tmp_path):
    kinds = odd_kinds()
    coroutine = kinds["coroutine"]
    target = tmp_path / "zoo.lpsnap"
    try:
        with pytest.raises(UnpicklableState) as caught:
            lp.save_snapshot(
                Holder(**{k.replace(" ", "_").replace(".", "_"): v for k, v in kinds.items()}),
                target,
            )
    finally:
        coroutine.close()
    listed = dict(caught.value.blocked)
    always_fine = {"ellipsis_type", "slice_type"}  # builtin classes as values are data
    expected = {
        f"root.{k.replace(' ', '_').replace('.', '_')}" for k in kinds if k not in always_fine
    }
    assert expected <= set(listed), sorted(expected - set(listed))
    assert len(expected) >= 51
    assert not target.exists()
    text = str(caught.value)
    assert (
        "root.keys: builtins.dict_keys objects are not data a snapshot stores; store list(...) instead"
        in text
    )
    assert "root.memoryview" in text and "bytes(view)" in text and "root.c_pointer" in text


def test_what_could_never_load_is_not_written_and_the_error_says_what_to_change(tmp_path):
    class Local:
        pass

    with pytest.raises(UnpicklableState) as caught:
        lp.save_snapshot({"thing": Local(), "numbers": iter([1, 2])}, tmp_path / "x.lpsnap")
    text = str(caught.value)
    assert "root['thing']" in text and "define it at module level" in text
    assert "root['numbers']" in text and "store list(...)" in text
    assert list(tmp_path.iterdir()) == []
    import __main__

    class Script:
        pass

    Script.__module__, Script.__qualname__ = "__main__", "Script"
    __main__.Script = Script
    try:
        with pytest.raises(UnpicklableState, match="move it into a module"):
            lp.save_snapshot([Script()], tmp_path / "y.lpsnap")
    finally:
        del __main__.Script


def test_plain_values_come_back_as_data_without_trust(tmp_path):
    sentinel = object()
    value = {
        "sentinel": sentinel,
        "again": sentinel,
        "bytes": io.BytesIO(b"abc"),
        "text": io.StringIO("line\n"),
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "amount": decimal.Decimal("-0.0"),
        "ratio": fractions.Fraction(2**300, 3),
        "id": uuid.UUID(int=7),
        "where": pathlib.PurePosixPath("/a/b"),
        "pattern": re.compile(r"a+", re.I),
        "log": logging.getLogger("lockpickle.test"),
        "big": 10**4000,
        "nan": float("nan"),
        "deque": collections.deque([1, 2], maxlen=3),
        "counts": collections.Counter("aab"),
        "executor": __import__("concurrent.futures").futures.ThreadPoolExecutor(3, "work"),
        "array": np.arange(6, dtype=">i2").reshape(2, 3),
        "scalar": np.float16(1.5),
        "type": np.float32,
        "ns": types.SimpleNamespace(a=1),
    }
    value["text"].seek(2)
    target = tmp_path / "values.lpsnap"
    manifest = lp.save_snapshot(value, target)
    assert manifest["types"] == []  # nothing to trust
    back = lp.load_snapshot(target)
    value["executor"].shutdown()
    assert back["sentinel"] is back["again"] and type(back["sentinel"]) is object
    assert back["bytes"].read() == b"abc" and back["text"].read() == "ne\n"
    assert (
        back["big"] == 10**4000 and back["ratio"] == value["ratio"] and back["nan"] != back["nan"]
    )
    assert str(back["amount"]) == "-0.0" and back["pattern"].flags == value["pattern"].flags
    assert back["log"] is value["log"] and back["deque"].maxlen == 3
    assert back["executor"]._max_workers == 3 and back["executor"]._thread_name_prefix == "work"
    assert not back["executor"]._threads  # idle: no thread started by loading
    back["executor"].shutdown()
    assert back["array"].dtype == np.dtype(">i2") and back["type"] is np.float32


def test_a_busy_executor_still_blocks_listing_its_work(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    gate = threading.Event()
    executor = ThreadPoolExecutor(1)
    try:
        executor.submit(gate.wait)
        executor.submit(print)
        with pytest.raises(UnpicklableState) as caught:
            lp.save_snapshot({"executor": executor}, tmp_path / "x.lpsnap")
        assert (
            "root['executor'] (ThreadPoolExecutor, busy: 1 of 1 thread(s) running work, 1 item(s) pending)"
            in str(caught.value)
        )
    finally:
        gate.set()
        executor.shutdown()


def test_enums_and_registered_functions_are_listed_types(tmp_path, keras):
    module = tmp_path / "lpsec_activations.py"
    module.write_text(
        textwrap.dedent(
            """
            import keras

            @keras.saving.register_keras_serializable(package="lpsec")
            def swishy(x):
                return x * keras.ops.sigmoid(x)

            @keras.saving.register_keras_serializable(package="lpsec")
            def halved_mse(y, p):
                return keras.ops.mean((y - p) ** 2) / 2
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import lpsec_activations

        model = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(2, activation=lpsec_activations.swishy)]
        )
        model.compile(loss=lpsec_activations.halved_mse, optimizer="sgd")
        target = tmp_path / "fns.lpsnap"
        manifest = lp.save_snapshot({"model": model, "color": Color.RED}, target)
    finally:
        sys.path.remove(str(tmp_path))
    names = {t["name"]: (t["kind"], t["use"]) for t in manifest["types"]}
    assert names["lpsec_activations:swishy"] == ("function", "model")
    assert names["lpsec_activations:halved_mse"] == ("function", "model")
    assert names[f"{__name__}:Color"] == ("class", "state")
    # a fresh process, without the module imported: untrusted until named, then it loads
    script = textwrap.dedent(
        f"""
        import sys, json
        sys.path.insert(0, {str(tmp_path)!r}); sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        import lockpickle_gui as lp
        out = {{"needs": lp.untrusted_types({str(target)!r})}}
        try:
            lp.load_snapshot({str(target)!r}, trust=["{__name__}.Color"])
        except lp.UntrustedCode as error:
            out["refused"] = error.types
        back = lp.load_snapshot({str(target)!r}, trust=["{__name__}.Color", "lpsec_activations.swishy", "lpsec_activations.halved_mse"])
        out["loss"] = back["model"].loss.__name__
        out["verdict"] = str(lp.verify_snapshot({str(target)!r}, obj=back).verdict)
        print(json.dumps(out))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(out["needs"]) == {
        f"{__name__}.Color",
        "lpsec_activations.swishy",
        "lpsec_activations.halved_mse",
    }
    assert out["refused"] == ["lpsec_activations.halved_mse", "lpsec_activations.swishy"]
    assert out["loss"] == "halved_mse" and out["verdict"] == "identical"


def test_an_unregistered_function_is_refused_with_the_fix(tmp_path, keras):
    import lpsec_fixtures

    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, activation=lpsec_fixtures.make_bucket)]
    )
    with pytest.raises(UnpicklableState, match="register_keras_serializable") as caught:
        lp.save_snapshot({"model": model}, tmp_path / "x.lpsnap")
    assert "root['model']" in str(caught.value) and not (tmp_path / "x.lpsnap").exists()


def test_keras_deserialisation_failures_get_hints_that_fit(tmp_path, keras):
    import craft
    from models import mlp

    model = mlp(name="m")
    target = tmp_path / "m.lpsnap"
    lp.save_snapshot(model, target, verify=False)
    members = craft.members_of(target)
    config = json.loads(members["models/0/config.json"])
    config["config"]["layers"][1]["config"]["units"] = 5  # the variables no longer fit
    wrong = craft.write(
        tmp_path / "w.lpsnap",
        craft.resealed(members, {"models/0/config.json": json.dumps(config).encode()}),
    )
    with pytest.raises(lp.SnapshotError) as caught:
        lp.load_snapshot(wrong)
    text = str(caught.value)
    assert "model 0 ('m')" in text and "do not fit" in text and "Keras version" not in text
    config["config"]["layers"][1]["class_name"] = "NoSuchLayer"
    unknown = craft.write(
        tmp_path / "u.lpsnap",
        craft.resealed(members, {"models/0/config.json": json.dumps(config).encode()}),
    )
    with pytest.raises(lp.SnapshotError, match="trust its type|custom_objects"):
        lp.load_snapshot(unknown)
