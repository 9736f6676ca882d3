"""Issue 9, classes 5 and 6: data loss on save, and unclear failures. Odd manifest fields,
bad verification entries, damaged or renamed bundled code: each gives one LockpickleError
naming the file (through `info`, `verify`, `import`, the API), never a raw IndexError,
KeyError or RecursionError, and never the "This is a bug" paragraph."""

from __future__ import annotations

import hashlib
import json
import sys

import craft
import pytest
from hostile import Case, refused, refused_by_cli, run_cases

import lockpickle_gui as lp

CANARY_CODE = b"import os\nopen(os.environ['LPCANARY_FILE'], 'a').write('bundled code ran\\n')\n"


def with_manifest(good, tmp_path, name: str, **changes):
    """A copy of ``good`` named ``name``, its manifest changed."""
    return craft.write(
        tmp_path / f"{name}.lpsnap", craft.resealed(craft.members_of(good), **changes)
    )


def test_odd_manifest_fields_are_one_clear_error_everywhere(good_project, tmp_path):
    manifest = craft.manifest_of(craft.members_of(good_project))
    model = manifest["models"][0]
    entry = manifest["verification"]["models"][0]
    odd = {
        "notes as a dict": {"notes": {"a": 1}},
        "unknown field": {"extra": True},
        "negative bytes": {"models": [dict(model, bytes=-1)]},
        "bool as an int": {"models": [dict(model, params=True)]},
        "nested params": {"primitives": [dict(manifest["primitives"][0], params={"x": [1, 2]})]},
        "no producer": {"producer": None},
        "verification inputs": {
            "verification": dict(
                manifest["verification"], models=[dict(entry, inputs="verify/in/0_0.npy")]
            )
        },
        "verification model": {
            "verification": dict(manifest["verification"], models=[dict(entry, model=7)])
        },
        "verification tolerance": {
            "verification": dict(manifest["verification"], models=[dict(entry, tolerance="high")])
        },
        "verification structure": {
            "verification": dict(
                manifest["verification"], models=[dict(entry, structure={"dict": 3})]
            )
        },
        "verification member": {
            "verification": dict(
                manifest["verification"], models=[dict(entry, outputs=["verify/out/9_9.npy"])]
            )
        },
        "type name": {"types": [{"name": "os.system", "kind": "class", "use": "state"}]},
        "code entry": {"code": [dict(manifest["code"][0], sha256="0" * 64)]},
        "storage": {"models": [dict(model, storage="pickle")]},
    }
    cases = []
    for name, changes in odd.items():
        path = with_manifest(good_project, tmp_path, name.replace(" ", "_"), **changes)
        for op, argv in (
            ("read_manifest", ()),
            ("info", ()),
            ("cli", ("info",)),
            ("cli", ("verify", "--trust-bundled-code")),
            ("verify", ()),
        ):
            cases.append(Case(f"{name} {op} {' '.join(argv)}", path, op, bundled=True, argv=argv))
    outcomes = run_cases(cases, tmp_path, memory_mb=None)
    for case in cases:
        if case.op == "cli":
            refused_by_cli(outcomes, case.name)
        else:
            refused(outcomes, case.name, "CorruptSnapshot")


def test_cli_never_says_this_is_a_bug_for_a_damaged_file(good_project, tmp_path, capsys):
    from lockpickle_gui import cli

    path = with_manifest(good_project, tmp_path, "odd", notes={"a": 1})
    for argv in (["info"], ["info", "--json"], ["inspect"], ["verify"], ["import"]):
        assert cli.main([*argv, str(path)]) == cli.EXIT_ERROR
        err = capsys.readouterr().err
        assert "This is a bug" not in err and str(path) in err and "notes" in err


def test_bundled_code_is_checked_and_confined_to_its_own_package(good_project, tmp_path):
    members = craft.members_of(good_project)
    manifest = craft.manifest_of(members)
    [code] = manifest["code"]
    # the code changed after export (its sha256 no longer matches): refused before import
    damaged = craft.write(
        tmp_path / "damaged.lpsnap", dict(members, **{code["member"]: CANARY_CODE})
    )
    # a consistent file whose package would replace a real module
    digest = hashlib.sha256(CANARY_CODE).hexdigest()
    for package in ("json", "os", "lpproject_sec_demo"):
        renamed = dict(manifest, code_package=package, code=[dict(code, sha256=digest)])
        renamed["members"] = dict(manifest["members"], **{code["member"]: digest})
        craft.write(
            tmp_path / f"{package}.lpsnap",
            dict(
                members,
                **{code["member"]: CANARY_CODE, "manifest.json": json.dumps(renamed).encode()},
            ),
        )
    cases = [Case("damaged", damaged, bundled=True)]
    cases += [
        Case(p, tmp_path / f"{p}.lpsnap", bundled=True)
        for p in ("json", "os", "lpproject_sec_demo")
    ]
    cases += [
        Case("damaged import", damaged, "import", bundled=True),
        Case("damaged code view", damaged, "read_manifest"),
    ]
    outcomes = run_cases(cases, tmp_path, memory_mb=None)
    refused(outcomes, "damaged", "CorruptSnapshot", "sha256")
    refused(outcomes, "damaged import", "CorruptSnapshot", "sha256")
    for package in ("json", "os", "lpproject_sec_demo"):
        refused(outcomes, package, "CorruptSnapshot", "code_package")
    assert outcomes["damaged code view"]["outcome"] == "ok"  # the manifest alone is fine
    with pytest.raises(lp.CorruptSnapshot, match="sha256"):
        lp.read_bundled_code(damaged)  # what the trust dialog shows is checked too
    assert "json" in sys.modules and sys.modules["json"].__file__.endswith("json/__init__.py")


def test_saving_over_a_foreign_zip_that_has_a_manifest_is_refused(tmp_path):
    foreign = craft.write(
        tmp_path / "data.lpsnap",
        [("manifest.json", b'{"format": "lockpickle-snapshot"}'), ("mine.csv", b"1,2")],
        comment=b"",
    )
    before = foreign.read_bytes()
    with pytest.raises(lp.SnapshotError, match="not a lockpickle snapshot") as caught:
        lp.save_snapshot({"n": 1}, foreign)
    assert str(foreign) in str(caught.value) and foreign.read_bytes() == before


def test_a_manifest_listing_a_type_no_object_uses_is_refused(good_project, tmp_path):
    """An edited manifest asked people to trust a type nothing in the file uses (a QA pass
    found the trust dialog offering it, and the banner saying it was trusted)."""
    manifest = craft.manifest_of(craft.members_of(good_project))
    extra = {"name": "evilmod.stuff:Thing", "kind": "class", "use": "state"}
    path = with_manifest(good_project, tmp_path, "stranger", types=[*manifest["types"], extra])
    for check in (
        lambda: lp.untrusted_types(path, trust_bundled_code=True),
        lambda: lp.load_snapshot(path, trust=["evilmod.stuff.Thing"], trust_bundled_code=True),
    ):
        with pytest.raises(lp.CorruptSnapshot, match="evilmod.stuff.Thing"):
            check()
    assert "evilmod" not in sys.modules
