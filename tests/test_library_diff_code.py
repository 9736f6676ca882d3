"""`lockpickle diff` on real exports of a project with its own code (a Service and a custom
Keras layer): the same project exported from two folders compares identical, and changed,
added or removed code files make the snapshots differ."""

from __future__ import annotations

import json
import shutil

import pytest
from models import mlp, save
from projects import write_project
from test_snapshot_projects import LAYERS_PY, SERVICE_PY, TOML

from lockpickle_gui.core.library.diff import diff_snapshots
from lockpickle_gui.core.library.diff_report import Status

HELPERS_PY = "def scale(x):\n    return 2 * x\n"


@pytest.fixture(scope="module")
def exports(tmp_path_factory, keras):
    """The project exported from its folder, from a byte-for-byte copy of that folder, and
    from copies whose service.py grew a line and whose [code] lists one more file."""
    from lockpickle_gui.core.code_package import import_code_package
    from lockpickle_gui.core.project import code_package_name, open_project

    base = tmp_path_factory.mktemp("diff_code")
    folder = write_project(base / "one", TOML, {"layers.py": LAYERS_PY, "service.py": SERVICE_PY})
    package = code_package_name(folder, "snap-demo")
    shift = import_code_package(package, {"layers": folder / "layers.py"}, "test")["layers"].Shift
    mlp(insert=[shift(0.5)], name="detector").save(folder / "model.keras")
    for copy in ("copied", "edited", "grown"):
        shutil.copytree(folder, base / copy)
    edited = base / "edited" / "service.py"
    edited.write_text(edited.read_text() + "\nTIMEOUT_S = 5\n")
    grown = base / "grown"
    (grown / "helpers.py").write_text(HELPERS_PY)
    toml = grown / "lockpickle.toml"
    toml.write_text(toml.read_text().replace('"layers.py",', '"layers.py", "helpers.py",'))
    return {
        name: save(open_project(base / name), base / f"{name}.lpsnap")
        for name in ("one", "copied", "edited", "grown")
    }


def test_the_same_project_from_another_folder_compares_identical(exports, run_cli):
    manifests = [json.loads(_member(exports[n], "manifest.json")) for n in ("one", "copied")]
    assert manifests[0]["code_package"] != manifests[1]["code_package"]  # the folders' hex
    assert b"lpproject_snap_demo_" in _member(exports["copied"], "models/0/config.json")
    report = diff_snapshots(exports["one"], exports["copied"])
    assert report.identical, report.summary()
    code, out, _ = run_cli("diff", exports["one"], exports["copied"], "--json")
    assert code == 0, out
    sections = {s["key"]: s for s in json.loads(out)["sections"]}
    (root,) = [r for r in sections["versions"]["rows"] if r["item"] == "root type"]
    assert root["a"] == root["b"] == "lpproject_snap_demo.service.Service"
    assert [r["item"] for r in sections["types"]["rows"]] == ["bundled code (lpproject_snap_demo)"]
    code_rows = sections["code"]["rows"]
    assert [(r["item"], r["status"]) for r in code_rows] == [
        ("code/layers.py", "same"),
        ("code/service.py", "same"),
    ]


def test_changed_bundled_code_makes_the_snapshots_differ(exports, run_cli):
    report = diff_snapshots(exports["one"], exports["edited"])
    assert not report.identical
    assert report.summary() == "different: Bundled code: 1 changed"
    (row,) = report.section("code").changed
    assert row.item == "code/service.py" and row.status is Status.CHANGED
    assert row.details == ["2 lines added, 0 removed"] and row.a != row.b
    code, out, _ = run_cli("diff", exports["one"], exports["edited"])
    assert code == 1
    assert "Bundled code: 1 changed (1 unchanged)" in out
    assert "~ code/service.py: sha256 " in out
    code, out, _ = run_cli("diff", exports["one"], exports["edited"], "--json")
    sections = {s["key"]: s for s in json.loads(out)["sections"]}
    assert code == 1 and sections["code"]["counts"]["changed"] == 1


def test_a_bundled_file_added_or_removed_is_listed(exports, run_cli):
    report = diff_snapshots(exports["one"], exports["grown"])
    (row,) = report.section("code").changed
    assert (row.item, row.status, row.details) == ("code/helpers.py", Status.ADDED, ["2 lines"])
    code, out, _ = run_cli("diff", exports["grown"], exports["one"])
    assert code == 1 and "- code/helpers.py: sha256 " in out and "-> (none)" in out


def _member(path, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read(name)
