"""state.json (format 2): the object graph around the models, as data.

    {"format": "lockpickle-state", "version": 2,
     "types": [{"name": "pkg.mod:Service", "kind": "class"}, ...],
     "nodes": [{"t": "obj", "c": 0, "attrs": {"lock": {"r": 1}}}, {"t": "Lock"}, ...],
     "root": {"r": 0},
     "attached": [{"model": 0, "layer": ".layers[1]", "attribute": "lock", "value": {"r": 1}}]}

A *slot* is a JSON value standing for one Python value:
    null / true / false        None / True / False
    "text"                     str
    123                        int, inline when |n| < 10**18 (larger: an "int" node)
    1.5, -0.0                  float, finite (others: a "float" node)
    {"r": 7}                   the object built from nodes[7]; the same index twice is the
                               same object (sharing); a path back to an ancestor is a cycle
Every other value is a node of the flat ``nodes`` table, so the JSON nesting depth is a
small constant whatever the depth of the object graph, and decoding needs no recursion.

Node specs: ``tag -> (required fields, optional fields, pre fields, post fields)``.
Field kinds are validated without importing anything (``validate.py``):
    slot slots slots2 slots3 pairs attrs   a slot / list of slots / [k0, v0, k1, v1, ...] /
                                           {public name: slot}
    int uint nuint bool str nstr nnum      JSON scalars (uint >= 0; n...: may be null)
    b64 hex bits16 bits16x2 ints3/4/7 ...  strings or int lists of a fixed form
    tidx midx descr shape order            an index into "types" / a member number /
                                           a dtype descriptor / an array shape / "C"|"F"
*pre* children must exist before the object is created (constructor inputs); *post*
children are put into an already created object, so cycles through them round-trip.
"""

from __future__ import annotations

FORMAT = "lockpickle-state"
VERSION = 2

Spec = tuple[dict[str, str], dict[str, str], tuple[str, ...], tuple[str, ...]]

SPECS: dict[str, Spec] = {
    # ---------------------------------------------------------------- built-in data
    "int": ({"hex": "hex"}, {}, (), ()),
    "float": ({"bits": "bits16"}, {}, (), ()),
    "complex": ({"bits": "bits16x2"}, {}, (), ()),
    "bytes": ({}, {"b64": "b64", "blob": "midx"}, (), ()),
    "bytearray": ({}, {"b64": "b64", "blob": "midx"}, (), ()),
    "list": ({"v": "slots"}, {}, (), ("v",)),
    "tuple": ({"v": "slots"}, {}, ("v",), ()),
    "set": ({"v": "slots"}, {}, (), ("v",)),
    "frozenset": ({"v": "slots"}, {}, ("v",), ()),
    "dict": ({"items": "pairs"}, {}, (), ("items",)),
    "OrderedDict": ({"items": "pairs"}, {}, (), ("items",)),
    "Counter": ({"items": "pairs"}, {}, (), ("items",)),
    "defaultdict": ({"items": "pairs", "factory": "slot"}, {}, (), ("items", "factory")),
    "deque": ({"v": "slots", "maxlen": "nuint"}, {}, (), ("v",)),
    "range": ({"v": "slots3"}, {}, ("v",), ()),
    "slice": ({"v": "slots3"}, {}, ("v",), ()),
    "object": ({}, {}, (), ()),
    "const": ({"v": "const"}, {}, (), ()),
    "namespace": ({"attrs": "attrs"}, {}, (), ("attrs",)),
    "BytesIO": ({"data": "slot", "pos": "uint"}, {}, ("data",), ()),
    "StringIO": ({"value": "str", "pos": "uint", "newline": "nstr"}, {}, (), ()),
    # ---------------------------------------------------------------- standard library values
    "date": ({"v": "ints3"}, {}, (), ()),
    "time": ({"v": "ints4", "fold": "fold"}, {"tz": "slot"}, ("tz",), ()),
    "datetime": ({"v": "ints7", "fold": "fold"}, {"tz": "slot"}, ("tz",), ()),
    "timedelta": ({"v": "ints3"}, {}, (), ()),
    "timezone": ({"offset": "ints3"}, {"name": "str"}, (), ()),
    "zoneinfo": ({"key": "tzkey"}, {}, (), ()),
    "Decimal": ({"v": "decimal"}, {}, (), ()),
    "Fraction": ({"v": "slots2"}, {}, ("v",), ()),
    "path": ({"flavour": "flavour", "concrete": "bool", "parts": "strs"}, {}, (), ()),
    "UUID": ({"hex": "hex32"}, {}, (), ()),
    "pattern": ({"source": "slot", "flags": "uint"}, {}, ("source",), ()),
    "logger": ({"name": "str"}, {}, (), ()),
    "enum": ({"c": "tidx"}, {"name": "str", "value": "slot"}, ("value",), ()),
    # ---------------------------------------------------------------- numpy
    "ndarray": (
        {"dtype": "descr", "shape": "shape", "order": "order"},
        {"b64": "b64", "member": "midx"},
        (),
        (),
    ),
    "npscalar": ({"dtype": "descr", "b64": "b64"}, {}, (), ()),
    "dtype": ({"descr": "descr"}, {}, (), ()),
    "nptype": ({"descr": "descr"}, {}, (), ()),  # a numpy scalar type as a value (np.float32)
    # ---------------------------------------------------------------- references
    "type": ({"c": "tidx"}, {}, (), ()),
    "func": ({"c": "tidx"}, {}, (), ()),
    "keras": ({"model": "uint", "path": "layerpath", "class": "str"}, {}, (), ()),
    "dropped": ({"kind": "str", "path": "str"}, {}, (), ()),
    # ---------------------------------------------------------------- threading primitives
    "Lock": ({}, {}, (), ()),
    "RLock": ({}, {}, (), ()),
    "Condition": ({"lock": "slot"}, {}, ("lock",), ()),
    "Semaphore": ({"value": "uint"}, {}, (), ()),
    "BoundedSemaphore": ({"value": "uint"}, {}, (), ()),
    "Event": ({"flag": "bool"}, {}, (), ()),
    "Barrier": ({"parties": "uint", "timeout": "nnum"}, {}, (), ()),
    "local": ({}, {}, (), ()),
    "Queue": ({"c": "tidx", "maxsize": "int", "items": "slots"}, {"attrs": "attrs"}, (), ("items", "attrs")),
    "SimpleQueue": ({"items": "slots"}, {}, (), ("items",)),
    "ThreadPoolExecutor": ({"max_workers": "uint", "prefix": "str"}, {}, (), ()),
    # ---------------------------------------------------------------- objects of trusted classes
    # obj: cls.__new__(cls, *new, **kw), then its state as pickle's BUILD would set it
    # call: c(*args, **kw) -- a trusted class, or a trusted function (a class' __reduce__)
    "obj": (
        {"c": "tidx"},
        {"new": "slots", "kw": "attrs", "attrs": "attrs", "slots": "attrs", "state": "slot", "list": "slots", "dict": "pairs"},
        ("new", "kw"),
        ("attrs", "slots", "state", "list", "dict"),
    ),
    "call": (
        {"c": "tidx", "args": "slots"},
        {"kw": "attrs", "attrs": "attrs", "slots": "attrs", "state": "slot", "list": "slots", "dict": "pairs"},
        ("args", "kw"),
        ("attrs", "slots", "state", "list", "dict"),
    ),
}  # fmt: skip

# Node types whose object exists (empty) before its post children are put into it.
MUTABLE = frozenset(tag for tag, spec in SPECS.items() if spec[3])
# The kind the "c" of each tag must name.
TYPE_KIND = {
    "enum": "class",
    "type": "class",
    "func": "function",
    "Queue": "class",
    "obj": "class",
    "call": None,  # a class or a function
}
# Node types hashed when used as dict keys or set members whose children count toward a
# key's weight (hash() and == walk them).
HASHED_CHILDREN = frozenset(
    {"tuple", "frozenset", "slice", "range", "Fraction", "enum", "datetime", "time"}
)
