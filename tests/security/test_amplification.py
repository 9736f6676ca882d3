"""Issue 9, class 4: amplification. A small hostile file must cost at most a few seconds and
a few hundred MB, whatever it claims: every budget is checked before the work it bounds.
Each case runs in a child process limited to a 1.5 GB address space (hostile.MEMORY_MB);
the child reports its time and peak memory."""

from __future__ import annotations

import json
import zipfile

import craft
from hostile import Case, refused, run_cases

TRUST = ("lpsec_fixtures",)


def with_state_bytes(good, tmp_path, name: str, data: bytes, types=None):
    members = craft.with_state(craft.members_of(good), data, types=types or [])
    return craft.write(tmp_path / f"{name}.lpsnap", members)


def doc_bytes(nodes, types=(), root=None) -> bytes:
    return json.dumps(craft.state_doc(nodes, types, root)).encode()


def test_hostile_state_files_cost_little(good_state, tmp_path):
    megabyte = 1 << 20
    cases = {
        # huge numbers: int() on a long literal is quadratic, and refused above 4,300 digits
        "int literal": doc_bytes([{"t": "list", "v": [0]}]).replace(
            b"[0]", b"[" + b"7" * megabyte + b"]"
        ),
        "big hex int": doc_bytes([{"t": "int", "hex": "f" * 300_000}]),
        "float literal": doc_bytes([{"t": "list", "v": [0]}]).replace(
            b"[0]", b"[1" + b"0" * 400 + b".5]"
        ),
        "nan token": doc_bytes([{"t": "list", "v": [0]}]).replace(b"[0]", b"[NaN]"),
        # nesting: the JSON parser, the object graph, tuples that hash() recursively in C
        "deep json": b'{"format":' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        "deep tuples": doc_bytes(
            [{"t": "tuple", "v": [{"r": i + 1}]} for i in range(5000)] + [{"t": "tuple", "v": []}]
        ),
        "deep lists": doc_bytes(
            [{"t": "list", "v": [{"r": i + 1}]} for i in range(20_000)] + [{"t": "list", "v": []}]
        ),
        # hashing: 2**59 repeated parts as one dict key, and keys that all hash alike
        "tuple dag key": doc_bytes(
            [{"t": "dict", "items": [{"r": 1}, 1]}]
            + [{"t": "tuple", "v": [{"r": i + 2}, {"r": i + 2}]} for i in range(59)]
            + [{"t": "tuple", "v": []}]
        ),
        "hash flooding": doc_bytes(
            [{"t": "set", "v": [{"r": i} for i in range(1, 2001)]}]
            + [{"t": "int", "hex": format(k * ((1 << 61) - 1), "x")} for k in range(1, 2001)]
        ),
        # size: many nodes, much sharing, a big inline payload
        "many nodes": doc_bytes(
            [{"t": "list", "v": [{"r": i + 1} for i in range(40_000)]}]
            + [{"t": "list", "v": []}] * 40_000
        ),
        "self references": doc_bytes([{"t": "list", "v": [{"r": 0}] * 125_000}]),
        "big inline bytes": doc_bytes([{"t": "bytes", "b64": "A" * (2 * megabyte)}]),
        "huge range": doc_bytes(
            [{"t": "range", "v": [0, {"r": 1}, 1]}, {"t": "int", "hex": "f" * 3500}]
        ),
        "huge array shape": doc_bytes(
            [
                {
                    "t": "ndarray",
                    "dtype": "<f8",
                    "shape": [0, 1 << 61, 1 << 61],
                    "order": "C",
                    "b64": "",
                }
            ]
        ),
        "long decimal": doc_bytes([{"t": "Decimal", "v": "9" * 4300 + "E+999999999"}]),
        "many types": json.dumps(
            dict(craft.state_doc([{"t": "object"}], [(f"m{i}:C", "class") for i in range(20_000)]))
        ).encode(),
    }
    paths = {
        name: with_state_bytes(good_state, tmp_path, name.replace(" ", "_"), data)
        for name, data in cases.items()
    }
    outcomes = run_cases([Case(name, path, trust=TRUST) for name, path in paths.items()], tmp_path)
    for name in (
        "int literal",
        "big hex int",
        "deep json",
        "deep tuples",
        "tuple dag key",
        "hash flooding",
        "big inline bytes",
        "many types",
    ):
        refused(outcomes, name)
        assert outcomes[name]["type"] in ("BudgetExceeded", "CorruptSnapshot"), outcomes[name]
    for name in ("float literal", "nan token", "huge array shape"):
        refused(outcomes, name, "CorruptSnapshot")
    for name in ("deep lists", "many nodes", "self references", "huge range", "long decimal"):
        assert outcomes[name]["outcome"] in ("ok", "refused"), outcomes[name]  # bounded either way
    assert max(o["peak_mb"] for o in outcomes.values()) < 1500


def test_hostile_archives_and_manifests_cost_little(good_state, tmp_path):
    members = craft.members_of(good_state)
    cases = []
    # a deflated state.json (only bundled code may be compressed: what is parsed is never
    # larger than the file)
    deflated = tmp_path / "deflated.lpsnap"
    with zipfile.ZipFile(deflated, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("code/bomb.py", b"#" * (200 << 20), compress_type=zipfile.ZIP_DEFLATED)
        archive.comment = craft.MAGIC
    cases.append(Case("zip bomb", deflated, "read_manifest"))
    manifest = craft.manifest_of(members)
    nested = json.dumps(manifest).replace(
        '"notes": []', '"notes": ' + "[" * 100_000 + "]" * 100_000
    )
    cases.append(
        Case(
            "deep manifest",
            craft.write(
                tmp_path / "deep.lpsnap", dict(members, **{"manifest.json": nested.encode()})
            ),
            "info",
        )
    )
    number = json.dumps(manifest).replace('"format_version": 2', '"format_version": ' + "9" * 5000)
    cases.append(
        Case(
            "long number",
            craft.write(
                tmp_path / "num.lpsnap", dict(members, **{"manifest.json": number.encode()})
            ),
            "info",
        )
    )
    many = dict(manifest, primitives=[manifest["primitives"][0]] * 200_000)
    cases.append(
        Case(
            "many entries",
            craft.write(
                tmp_path / "many.lpsnap",
                dict(members, **{"manifest.json": json.dumps(many).encode()}),
            ),
            "info",
        )
    )
    cases.append(
        Case(
            "member count",
            craft.write(
                tmp_path / "count.lpsnap",
                dict(members, **{f"blobs/{i}.bin": b"" for i in range(100_001)}),
            ),
            "read_manifest",
        )
    )
    outcomes = run_cases(cases, tmp_path)
    refused(outcomes, "zip bomb", "CorruptSnapshot")
    refused(outcomes, "deep manifest", "BudgetExceeded")
    refused(outcomes, "long number", "BudgetExceeded")
    refused(outcomes, "member count", "CorruptSnapshot", "at most 100000 members")
    assert outcomes["many entries"]["outcome"] in ("ok", "refused")
