"""`lockpickle diff` and core.library.diff on real snapshots of small real models: identical,
retrained, re-architected and re-locked, damaged, and a snapshot against the open project."""

from __future__ import annotations

import json

import craft
import pytest
from models import mlp, retrained, save, service

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.library.diff import diff_against_project, diff_snapshots
from lockpickle_gui.core.library.diff_report import Status


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory, keras):
    folder = tmp_path_factory.mktemp("diff")
    model = mlp()
    return {
        "base": save(service(model), folder / "base.lpsnap"),
        "again": save(service(model), folder / "again.lpsnap"),
        "retrained": save(service(retrained(model)), folder / "retrained.lpsnap"),
        "rearchitected": save(service(mlp(hidden_layers=2)), folder / "arch.lpsnap"),
        "relocked": save(service(model, lock="RLock"), folder / "relocked.lpsnap"),
    }


def changed(report, key):
    section = report.section(key)
    assert section is not None, [s.key for s in report.sections]
    return {row.item: row for row in section.changed}


def test_two_exports_of_the_same_objects_are_identical(snapshots, run_cli):
    report = diff_snapshots(snapshots["base"], snapshots["again"])
    assert report.identical, report.summary()
    weights = report.section("weights:scorer")
    assert len(weights.rows) == 4 and all(r.details == ["identical"] for r in weights.rows)
    outputs = report.section("outputs:scorer")
    assert [r.details for r in outputs.rows] == [["identical"]]
    code, out, _ = run_cli("diff", snapshots["base"], snapshots["again"])
    assert code == 0 and out.rstrip().endswith(
        "identical: no difference in versions, types, bundled code, primitives, models or outputs"
    )


def test_a_retrained_model_differs_in_weights_and_outputs_only(snapshots, run_cli):
    report = diff_snapshots(snapshots["base"], snapshots["retrained"])
    assert not report.identical
    assert changed(report, "layers:scorer") == {}  # the same architecture
    assert changed(report, "primitives") == {}
    weights = changed(report, "weights:scorer")
    assert set(weights) == {"hidden/vars/0", "hidden/vars/1", "scores/vars/0", "scores/vars/1"}
    assert weights["hidden/vars/0"].numbers["max_abs"] == pytest.approx(0.01, rel=1e-3)
    assert weights["hidden/vars/1"].numbers["rel_norm"] == pytest.approx(1.0)  # zero bias moved
    (output,) = changed(report, "outputs:scorer").values()
    assert output.details[0].startswith("mismatch: max abs diff")
    code, out, _ = run_cli("diff", snapshots["base"], snapshots["retrained"], "--json")
    data = json.loads(out)
    assert code == 1 and data["identical"] is False
    sections = {s["key"]: s for s in data["sections"]}
    assert sections["weights:scorer"]["counts"]["changed"] == 4
    assert sections["layers:scorer"]["identical"] is True


def test_a_rearchitected_model_lists_layers_added_and_compares_the_rest_by_name(snapshots, run_cli):
    report = diff_snapshots(snapshots["base"], snapshots["rearchitected"])
    layers = changed(report, "layers:scorer")
    assert {item: row.status for item, row in layers.items()} == {"hidden_2": Status.ADDED}
    weights = changed(report, "weights:scorer")
    assert weights["hidden_2/vars/0"].status is Status.ADDED
    # "scores" is the third Dense now (dense_2 in the file), still compared with "scores"
    assert "scores/vars/0" in weights and weights["scores/vars/0"].status is Status.CHANGED
    assert "hidden/vars/0" not in weights  # built first from the same seed: unchanged
    (model,) = changed(report, "models").values()
    assert "layers: 1 added" in model.details and model.a != model.b  # params differ
    code, out, _ = run_cli("diff", snapshots["base"], snapshots["rearchitected"])
    assert code == 1 and "+ hidden_2: (none) -> Dense" in out


def test_a_relocked_service_differs_in_its_primitives_only(snapshots, run_cli):
    report = diff_snapshots(snapshots["base"], snapshots["relocked"])
    primitives = changed(report, "primitives")
    assert primitives["root['lock']"].details == ["kind: Lock -> RLock"]
    assert "root['ready']" in primitives  # the Condition now wraps an RLock
    for key in ("layers:scorer", "weights:scorer", "outputs:scorer", "types", "versions"):
        assert changed(report, key) == {}
    code, out, _ = run_cli("diff", snapshots["base"], snapshots["relocked"])
    assert code == 1 and "~ root['lock']: Lock -> RLock" in out


def test_added_lock_and_required_type_are_listed(tmp_path, snapshots):
    """A lock added to the service, and a class loading would now need."""
    import threading

    from models import Settings

    grown = service(mlp())
    grown["pool"] = threading.BoundedSemaphore(4)
    grown["settings"] = Settings()
    path = save(grown, tmp_path / "grown.lpsnap")
    report = diff_snapshots(snapshots["base"], path)
    types = changed(report, "types")
    assert {item: row.status for item, row in types.items()} == {"models.Settings": Status.ADDED}
    primitives = changed(report, "primitives")
    assert primitives["root['pool']"].status is Status.ADDED
    assert primitives["root['pool']"].b == "BoundedSemaphore, value=4"


def test_cli_diff_takes_library_ids_and_refuses_bad_input(snapshots, run_cli, tmp_path):
    assert run_cli("library", "add", snapshots["base"], snapshots["relocked"])[0] == 0
    code, out, _ = run_cli("diff", 1, 2)
    assert code == 1 and "Lock -> RLock" in out
    not_a_snapshot = tmp_path / "notes.txt"
    not_a_snapshot.write_text("hello")
    code, _, err = run_cli("diff", snapshots["base"], not_a_snapshot)
    assert code == 2 and "not a ZIP archive" in err
    code, _, err = run_cli("diff", snapshots["base"], 99)
    assert code == 2 and "does not hold" in err


def test_a_snapshot_against_the_open_project(snapshots, tmp_path):
    """The project as it is now (retrained in memory) against what was exported."""
    from lockpickle_gui.core.project import open_project

    folder = tmp_path / "project"
    folder.mkdir()
    model = mlp()
    model.save(folder / "model.keras")
    project = open_project(folder / "model.keras")
    exported = save(project, tmp_path / "exported.lpsnap")
    report = diff_against_project(exported, project, work_folder=tmp_path)
    assert report.identical, report.summary()
    assert report.b == "model (open project)"
    live = next(iter(project.models.values()))
    live.set_weights([w * 2 for w in live.get_weights()])
    report = diff_against_project(exported, project, work_folder=tmp_path)
    assert set(changed(report, "weights:scorer")) == {"hidden/vars/0", "scores/vars/0"}
    (output,) = changed(report, "outputs:scorer").values()  # on the snapshot's own inputs
    assert output.details[0].startswith("mismatch")
    assert list(tmp_path.glob("lockpickle-compare-*")) == []  # the temporary export is gone


def test_diff_tolerates_snapshots_without_verification(tmp_path, snapshots):
    path = save(service(mlp()), tmp_path / "unverified.lpsnap", verify=False)
    report = diff_snapshots(snapshots["base"], path)
    outputs = report.section("outputs:scorer")
    assert outputs.rows == [] and outputs.note == "not compared: only A stored verification outputs"
    assert report.identical  # nothing else differs


def _flip_data(npy: bytes) -> bytes:
    return npy[:-1] + bytes([npy[-1] ^ 1])  # the last byte of the array's data


def _other_dtype(npy: bytes) -> bytes:
    return npy.replace(b"'<f4'", b"'<i4'", 1)  # the same size: the values are never read


def _bad_magic(npy: bytes) -> bytes:
    return bytes([npy[0] ^ 1]) + npy[1:]


@pytest.mark.parametrize("damage", [_flip_data, _other_dtype, _bad_magic])
def test_a_damaged_weight_is_refused_not_reported_as_a_change(snapshots, tmp_path, run_cli, damage):
    """The reader's sha256 check, with its message naming the member and the file, on
    whichever side and in whatever way the .npy member was damaged."""
    members = craft.members_of(snapshots["base"])
    members["models/0/vars/0.npy"] = damage(members["models/0/vars/0.npy"])
    damaged = craft.write(tmp_path / "flipped.lpsnap", members)
    for pair in ((snapshots["base"], damaged), (damaged, snapshots["base"])):
        with pytest.raises(CorruptSnapshot, match=r"models/0/vars/0\.npy to have the sha256"):
            diff_snapshots(*pair)
        code, out, err = run_cli("diff", *pair)
        assert code == 2 and out == "", out
        assert "flipped.lpsnap: Expected models/0/vars/0.npy to have the sha256 the manifest" in err
    assert run_cli("verify", damaged)[0] == 2  # what the other commands say of the same file
