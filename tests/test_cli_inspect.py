"""``lockpickle inspect``: readable tree, JSON, exit codes, one-paragraph errors (run in this
process; test_cli_process.py runs it as a user does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"


def test_the_demo_tree_reads_as_documented(run_cli):
    code, out, err = run_cli("inspect", EXAMPLES / "anomaly_service")
    assert code == 0 and err == ""
    assert out.startswith("anomaly-service (project): ")
    assert "detector  Functional  output (None, 1)  params 76" in out
    assert "    encode  Dense  output (None, 4)  params 36" in out  # indented under the model
    assert (
        "! root.work_ready: Condition, on RLock, unlocked, 0 waiting -> recreate; "
        "shares root.state_lock" in out
    )
    assert "! root.executor: ThreadPoolExecutor, idle, 0 thread(s) -> recreate" in out
    assert "['primary']  Functional  -> same object as root.detector" in out
    assert out.rstrip().endswith("6 annotation(s)")


def test_json_is_the_tree_dict(run_cli):
    code, out, _ = run_cli("inspect", "--json", EXAMPLES / "lock_pool")
    data = json.loads(out)
    assert code == 0 and data["path"] == "root"
    assert data["type"].endswith("service.ShardedService")
    manager = next(c for c in data["children"] if c["name"] == "lock_manager")
    locks = manager["children"][0]
    assert [a["path"] for a in locks["annotations"]] == [
        f"root.lock_manager.locks[{i}]" for i in range(5)
    ]
    assert set(locks["annotations"][0]) == {"path", "kind", "state", "held", "action", "detail"}


def test_show_internal_lists_more(run_cli):
    _, plain, _ = run_cli("inspect", EXAMPLES / "single_lock")
    _, full, _ = run_cli("inspect", "--show-internal", EXAMPLES / "single_lock")
    assert "_tracker" in full and "_tracker" not in plain
    assert "! root.lock_manager.locks[0]: Lock, unlocked -> recreate" in plain


def test_bare_model_file_and_savedmodel(run_cli, tmp_path, model_file, tiny_model):
    code, out, _ = run_cli("inspect", model_file)
    assert code == 0 and "root  Sequential  output (None, 3)  params 67" in out
    assert "  hidden  Dense  output (None, 8)  params 40" in out and "0 annotation(s)" in out
    tiny_model.export(str(tmp_path / "saved"), verbose=False)
    code, out, _ = run_cli("inspect", tmp_path / "saved")
    assert code == 0 and "saved: SavedModel, endpoint 'serve', 4 variables, 67 params" in out
    assert "signature serving_default(features: float32[None, 4]) -> " in out
    assert "! root: SavedModel, opaque, 4 variables -> block" in out


@pytest.mark.parametrize(
    "setup, message",
    [
        ("weights", "contains weights only, no architecture"),
        ("toml", "lockpickle.toml: expected at least one [[models]] entry"),
        ("depth", "Expected --max-depth of at least 1"),
    ],
)
def test_bad_inputs_exit_2_with_one_paragraph(run_cli, tmp_path, tiny_model, setup, message):
    args = ["inspect"]
    if setup == "weights":
        tiny_model.save_weights(tmp_path / "w.weights.h5")
        args.append(tmp_path / "w.weights.h5")
    elif setup == "toml":
        (tmp_path / "lockpickle.toml").write_text("[project]\nname = 'x'\n")
        args.append(tmp_path)
    else:
        args += ["--max-depth", "0", EXAMPLES / "single_lock"]
    code, out, err = run_cli(*args)
    assert code == 2 and out == "" and message in err
    assert err.count("\n") == 1


def _annotations(node: dict) -> list[dict]:
    found = list(node["annotations"])
    for child in node["children"]:
        found += _annotations(child)
    return found


def _aliases(node: dict) -> set[tuple[str, str]]:
    found = {(node["path"], node["shared_with"])} if node.get("shared_with") else set()
    for child in node["children"]:
        found |= _aliases(child)
    return found


def test_the_manifest_only_tree_says_what_the_loaded_tree_says(run_cli, tmp_path):
    """Without trust, `inspect SNAP` reads the manifest alone: the same actions (an Event, a
    BoundedSemaphore and a Queue keep their state), the Condition's shared lock, the model's
    second reference; its JSON says where the tree came from."""
    snap = tmp_path / "demo.lpsnap"
    assert run_cli("export", EXAMPLES / "anomaly_service", "-o", snap)[0] == 0
    code, text, _ = run_cli("inspect", snap)
    assert code == 0 and "from its manifest only" in text
    assert "! root.stopping: Event, clear -> keep" in text
    assert "! root.slots: BoundedSemaphore, value 4 of 4 -> keep" in text
    assert "! root.pending: Queue, 2 of 64 items -> keep" in text
    assert (
        "! root.work_ready: Condition, on RLock, unlocked, 0 waiting -> recreate; "
        "shares root.state_lock" in text
    )
    assert "models['primary']  Functional  -> same object as root.detector" in text

    _, out, _ = run_cli("inspect", snap, "--json")
    from_manifest = json.loads(out)
    _, out, _ = run_cli("inspect", snap, "--json", "--trust-bundled-code")
    loaded = json.loads(out)
    assert from_manifest["source"] == "manifest" and loaded["source"] == "objects"

    def summary(tree: dict) -> dict[str, tuple]:
        return {
            a["path"]: (a["kind"], a["state"], a["held"], a["action"]) for a in _annotations(tree)
        }

    assert summary(from_manifest) == summary(loaded)
    details = {a["path"]: a["detail"] for a in _annotations(from_manifest)}
    assert details["root.state_lock"] == "also the lock of root.work_ready"
    assert details["root.work_ready"] == "shares root.state_lock"
    assert (
        _aliases(from_manifest) == _aliases(loaded) == {("root.models['primary']", "root.detector")}
    )
