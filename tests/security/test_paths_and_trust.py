"""Issue 9, classes 1-3: attribute paths followed blindly, BUILD/__setstate__ on allowed
classes, and trust that was module-wide. Every file is crafted in code from a good
snapshot (the attacker writes the manifest too, sha256s included) and loaded in a child
process through each entry point: load_snapshot's defaults, open_project, `lockpickle
inspect`/`verify`/`import`."""

from __future__ import annotations

import json

import craft
import pytest
from hostile import Case, refused, refused_by_cli, run_cases

import lockpickle_gui as lp

TRUST = ("lpsec_fixtures",)
ENTRY_POINTS = [
    ("load", ()),
    ("open_project", ()),
    ("verify", ()),
    ("import", ()),
    ("cli", ("inspect", "--trust", "lpsec_fixtures")),
    ("cli", ("verify", "--trust", "lpsec_fixtures")),
    ("cli", ("import", "--trust", "lpsec_fixtures")),
]


def state_of(path) -> dict:
    return json.loads(craft.members_of(path)["state.json"])


def variant(
    path,
    tmp_path,
    name: str,
    *,
    state=None,
    manifest: dict | None = None,
    members: dict | None = None,
):
    base = craft.members_of(path)
    if state is not None:
        base = craft.with_state(
            base,
            state,
            types=None if manifest is None or "types" not in manifest else manifest["types"],
        )
    changes = dict(members or {})
    manifest = {k: v for k, v in (manifest or {}).items() if k != "types"}
    return craft.write(tmp_path / f"{name}.lpsnap", craft.resealed(base, changes, **manifest))


# --------------------------------------------------------------------------- 1. paths


def keras_node_paths(good_model) -> dict:
    doc = state_of(good_model)
    return doc, [i for i, n in enumerate(doc["nodes"]) if n["t"] == "keras" and n["path"]]


BAD_PATHS = [
    ".__class__",
    "._layers[0]",
    ".layers[0].__dict__",
    ".layers[0].__init__.__globals__",
    ".layers[0].call",
    ".layers[99]",
    ".layers[0].name",
    ".layers[-1]",
    ".a.b()",
]
WELL_FORMED = (".layers[0].call", ".layers[99]", ".layers[0].name")  # grammar ok, resolution not


def test_a_model_reference_follows_only_public_layer_names(good_model, tmp_path):
    cases = []
    for number, bad_path in enumerate(BAD_PATHS):
        doc, refs = keras_node_paths(good_model)
        doc["nodes"][refs[0]]["path"] = bad_path
        path = variant(good_model, tmp_path, f"ref{number}", state=doc)
        cases += [
            Case(f"{bad_path} {op}:{' '.join(argv)}", path, op, TRUST, argv=argv)
            for op, argv in ENTRY_POINTS
        ]
        cases.append(Case(f"{bad_path} defaults", path))  # no trust: refused before resolving
    outcomes = run_cases(cases, tmp_path, memory_mb=None)
    for case in cases:
        if case.op == "cli":
            refused_by_cli(outcomes, case.name)
        elif case.name.endswith("defaults") and case.name.split()[0] in WELL_FORMED:
            refused(outcomes, case.name, "UntrustedCode")
        else:
            refused(outcomes, case.name, "CorruptSnapshot")


def test_an_attachment_sets_only_a_listed_public_attribute_on_a_layer(good_model, tmp_path):
    doc = state_of(good_model)
    manifest = json.loads(craft.members_of(good_model)["manifest.json"])
    cases = []
    for attribute in ("__class__", "call", "build", "trainable", "_private"):
        changed = dict(doc, attached=[dict(doc["attached"][0], attribute=attribute)])
        attachments = [dict(manifest["attachments"][0], attribute=attribute)]
        path = variant(
            good_model, tmp_path, attribute, state=changed, manifest={"attachments": attachments}
        )
        cases.append(Case(f"listed {attribute}", path, trust=TRUST))
    unlisted = dict(doc, attached=[dict(doc["attached"][0], attribute="lock2")])
    cases.append(
        Case("unlisted", variant(good_model, tmp_path, "unlisted", state=unlisted), trust=TRUST)
    )
    outcomes = run_cases(cases, tmp_path, memory_mb=None)
    for case in cases[:-1]:
        refused(outcomes, case.name, "CorruptSnapshot")
    refused(
        outcomes, "unlisted", "CorruptSnapshot", "exactly the layer attributes the manifest lists"
    )


def test_attachment_layer_paths_and_manifest_paths_use_the_one_grammar(good_model, tmp_path):
    doc = state_of(good_model)
    bad_layer = dict(doc, attached=[dict(doc["attached"][0], layer="._layers[0]")])
    manifest = json.loads(craft.members_of(good_model)["manifest.json"])
    primitive = dict(manifest["primitives"][0], path="root.x\n; import os")
    cases = [
        Case("layer", variant(good_model, tmp_path, "layer", state=bad_layer), trust=TRUST),
        Case(
            "display",
            variant(good_model, tmp_path, "display", manifest={"primitives": [primitive]}),
            "read_manifest",
        ),
        Case(
            "model path",
            variant(
                good_model,
                tmp_path,
                "mpath",
                manifest={"models": [dict(manifest["models"][0], path="os.system('x')")]},
            ),
            "read_manifest",
        ),
    ]
    outcomes = run_cases(cases, tmp_path, memory_mb=None)
    for case in cases:
        refused(outcomes, case.name, "CorruptSnapshot")


# --------------------------------------------------------------------------- 2. allowed classes


@pytest.mark.parametrize(
    "node",
    [
        {"t": "ndarray", "dtype": "|O", "shape": [1], "order": "C", "b64": "AAAAAAAAAAA="},
        {"t": "ndarray", "dtype": [["a", "|O"]], "shape": [1], "order": "C", "b64": "AAAAAAAAAAA="},
        {
            "t": "ndarray",
            "dtype": [["a", [["b", "|O8"]]]],
            "shape": [1],
            "order": "C",
            "b64": "AAAAAAAAAAA=",
        },
        {"t": "ndarray", "dtype": "<f8", "shape": [4, 4], "order": "C", "b64": "AAAAAAAAAAA="},
        {"t": "npscalar", "dtype": "|O", "b64": "AAAAAAAAAAA="},
        {"t": "dtype", "descr": [["a", "<f4"], ["b", "|O"]]},
        {"t": "dtype", "descr": "=f4"},
    ],
)
def test_dtypes_with_object_fields_or_wrong_sizes_are_refused(good_state, tmp_path, node):
    path = variant(
        good_state, tmp_path, "dtype", state=craft.state_doc([{"t": "list", "v": [{"r": 1}]}, node])
    )
    refused(run_cases([Case("dtype", path)], tmp_path), "dtype", "CorruptSnapshot")


def test_npy_members_with_objects_or_a_lying_header_are_refused(good_state, tmp_path):
    import io

    import numpy as np

    pickled = io.BytesIO()
    np.save(pickled, np.array([1, None], dtype=object), allow_pickle=True)
    header = b"\x93NUMPY\x01\x00" + (
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }".ljust(118) + b"\n"
    )
    cases = []
    for name, data in (("objects", pickled.getvalue()), ("huge shape", header + b"\0" * 64)):
        path = variant(good_state, tmp_path, name.replace(" ", "_"), members={"arrays/0.npy": data})
        cases.append(Case(name, path, trust=TRUST))
    outcomes = run_cases(cases, tmp_path)
    refused(outcomes, "objects", "CorruptSnapshot", "no Python objects")
    refused(outcomes, "huge shape", "CorruptSnapshot", "header")


@pytest.mark.parametrize(
    "name, node",
    [
        ("builtins:bytes", {"t": "obj", "c": 0, "new": [1000000000]}),
        ("builtins:int", {"t": "call", "c": 0, "args": ["9" * 4000]}),
        ("collections:OrderedDict", {"t": "obj", "c": 0}),
        ("numpy:float32", {"t": "call", "c": 0, "args": [1.0]}),
        ("queue:Queue", {"t": "Queue", "c": 0, "maxsize": 0, "items": [], "attrs": {"mutex": 1}}),
    ],
)
def test_allowed_classes_never_take_constructor_arguments_or_state_from_a_file(
    good_state, tmp_path, name, node
):
    doc = craft.state_doc([node], [(name, "class")])
    path = variant(good_state, tmp_path, "allowed", state=doc)
    outcomes = run_cases([Case("allowed", path, trust=("lpsec_fixtures",))], tmp_path)
    refused(outcomes, "allowed")
    assert outcomes["allowed"]["type"] in ("UntrustedCode", "CorruptSnapshot")


def test_a_trusted_class_inheriting_untrusted_code_is_refused(good_state, tmp_path):
    cases = []
    for tag in ("obj", "call"):
        node = (
            {"t": tag, "c": 0, "attrs": {"a": 1}}
            if tag == "obj"
            else {"t": "call", "c": 0, "args": []}
        )
        path = variant(
            good_state,
            tmp_path,
            tag,
            state=craft.state_doc([node], [("lpsec_inherits:Inherits", "class")]),
        )
        cases.append(Case(tag, path, trust=("lpsec_inherits",)))
    outcomes = run_cases(
        cases, tmp_path, canary_may_say=("imported",)
    )  # trusting a module imports it
    for case in cases:
        refused(outcomes, case.name, "UntrustedCode", "lpcanary.Boom")


def test_dunder_state_and_slot_names_are_refused(good_state, tmp_path):
    types = [("lpsec_fixtures:Service", "class")]
    docs = {
        "attrs": craft.state_doc([{"t": "obj", "c": 0, "attrs": {"__class__": 1}}], types),
        "state dict": craft.state_doc(
            [{"t": "obj", "c": 0, "state": {"r": 1}}, {"t": "dict", "items": ["__dict__", 1]}],
            types,
        ),
        "slots": craft.state_doc(
            [{"t": "obj", "c": 0, "slots": {"z": 1}}], [("lpsec_fixtures:Slotted", "class")]
        ),
        "kw": craft.state_doc([{"t": "obj", "c": 0, "kw": {"__init__": 1}}], types),
    }
    cases = [
        Case(
            name,
            variant(good_state, tmp_path, name.replace(" ", "_"), state=doc),
            trust=("lpsec_fixtures",),
        )
        for name, doc in docs.items()
    ]
    outcomes = run_cases(cases, tmp_path)
    for case in cases:
        refused(outcomes, case.name, "CorruptSnapshot")


# --------------------------------------------------------------------------- 3. trust


@pytest.mark.parametrize(
    "entry",
    [
        "builtins",
        "builtins.eval",
        "os.path",
        "subprocess",
        "_operator",
        "timeit",
        "posixpath",
        "io",
        "io.*",
        "pkgutil",
        "_pickle",
        "pickle",
        "numpy",
        "numpy.lib",
        "keras",
        "tensorflow",
        "lockpickle_gui",
        "lockpickle_gui.core.snapshot",
        "functools",
        "copyreg",
        "importlib.util",
        "__main__",
    ],
)
def test_modules_that_reach_any_code_are_never_trusted(good_state, entry):
    with pytest.raises(lp.SnapshotError, match="never trusts it") as caught:
        lp.load_snapshot(good_state, trust=[entry])
    assert not isinstance(caught.value, lp.UntrustedCode) and repr(entry) in str(caught.value)


def test_trust_is_by_type_never_by_what_a_module_imports(good_state, tmp_path):
    docs = {
        "imported function": (
            craft.state_doc([{"t": "func", "c": 0}], [("lpsec_fixtures:system", "function")]),
            ("lpsec_fixtures.system",),
        ),
        "function by module": (
            craft.state_doc([{"t": "func", "c": 0}], [("lpsec_fixtures:make_bucket", "function")]),
            ("lpsec_fixtures",),
        ),
        "re-exported class": (
            craft.state_doc([{"t": "type", "c": 0}], [("lpsec_fixtures:OrderedDict", "class")]),
            ("lpsec_fixtures",),
        ),
        "dotted through a class": (
            craft.state_doc(
                [{"t": "type", "c": 0}], [("lpsec_fixtures:Service.__init__", "class")]
            ),
            ("lpsec_fixtures",),
        ),
        "private": (
            craft.state_doc([{"t": "type", "c": 0}], [("lpsec_fixtures:_hidden", "class")]),
            ("lpsec_fixtures",),
        ),
        "other module": (
            craft.state_doc([{"t": "obj", "c": 0}], [("lpcanary:Boom", "class")]),
            ("lpsec_fixtures",),
        ),
        "never trusted": (
            craft.state_doc([{"t": "func", "c": 0}], [("timeit:main", "function")]),
            ("lpsec_fixtures",),
        ),
        "submodule": (
            craft.state_doc([{"t": "obj", "c": 0}], [("lpsec_fixtures.sub:Thing", "class")]),
            ("lpsec_fixtures",),
        ),
    }
    cases = [
        Case(name, variant(good_state, tmp_path, name.replace(" ", "_"), state=doc), trust=trust)
        for name, (doc, trust) in docs.items()
    ]
    cases.append(Case("untrusted_types", cases[-3].path, "untrusted_types"))
    outcomes = run_cases(cases, tmp_path)
    refused(
        outcomes,
        "imported function",
        "CorruptSnapshot",
        "imported or re-exported names are refused",
    )
    refused(outcomes, "function by module", "UntrustedCode", "lpsec_fixtures.make_bucket")
    refused(outcomes, "re-exported class", "CorruptSnapshot", "defined in lpsec_fixtures")
    refused(outcomes, "dotted through a class", "CorruptSnapshot")
    refused(outcomes, "private", "CorruptSnapshot")
    refused(outcomes, "other module", "UntrustedCode", "lpcanary.Boom")
    refused(outcomes, "never trusted", "UntrustedCode", "never trusts")
    refused(outcomes, "submodule", "UntrustedCode", "lpsec_fixtures.sub.Thing")
    assert outcomes["untrusted_types"]["outcome"] == "ok"  # listed, nothing imported


def test_a_package_and_everything_below_it_is_trusted_only_when_asked(good_state, tmp_path):
    doc = craft.state_doc([{"t": "obj", "c": 0}], [("lpsec_fixtures:Service", "class")])
    path = variant(good_state, tmp_path, "deep", state=doc)
    assert lp.untrusted_types(path, ["lpsec_fixtures.**"]) == []
    assert lp.untrusted_types(path, ["lpsec"]) == ["lpsec_fixtures.Service"]  # not a prefix
    with pytest.raises(lp.SnapshotError, match="never trusts it"):
        lp.untrusted_types(path, ["numpy.**"])


def test_untrusted_types_lists_what_a_file_needs_before_anything_loads(good_state):
    import sys

    assert lp.untrusted_types(good_state) == [
        "lpsec_fixtures.LockManager",
        "lpsec_fixtures.Service",
    ]
    assert lp.untrusted_types(good_state, ["lpsec_fixtures.Service"]) == [
        "lpsec_fixtures.LockManager"
    ]
    assert lp.untrusted_types(good_state, ["lpsec_fixtures"]) == []
    assert "lpcanary" not in sys.modules
    restored = lp.load_snapshot(
        good_state, trust=["lpsec_fixtures.Service", "lpsec_fixtures.LockManager"]
    )
    assert restored.ready._lock is restored.rlock and len(restored.managers[0].locks) == 2
