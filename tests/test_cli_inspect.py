"""``lockpickle inspect``: readable tree, JSON, exit codes, one-paragraph errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lockpickle_gui import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "lockpickle_gui.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_subprocess_prints_the_demo_tree():
    result = run_cli("inspect", str(EXAMPLES / "anomaly_service"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
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


def test_subprocess_bad_path_is_one_paragraph_exit_2(tmp_path):
    result = run_cli("inspect", str(tmp_path / "nothing.keras"), timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("lockpickle inspect: No such file or folder: ")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_json_is_the_tree_dict(capsys):
    assert cli.main(["inspect", "--json", str(EXAMPLES / "lock_pool")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == "root" and data["type"].endswith("service.ShardedService")
    manager = next(c for c in data["children"] if c["name"] == "lock_manager")
    locks = manager["children"][0]
    assert [a["path"] for a in locks["annotations"]] == [
        f"root.lock_manager.locks[{i}]" for i in range(5)
    ]
    assert set(locks["annotations"][0]) == {"path", "kind", "state", "held", "action", "detail"}


def test_show_internal_lists_more(capsys):
    assert cli.main(["inspect", str(EXAMPLES / "single_lock")]) == 0
    plain = capsys.readouterr().out
    assert cli.main(["inspect", "--show-internal", str(EXAMPLES / "single_lock")]) == 0
    full = capsys.readouterr().out
    assert "_tracker" in full and "_tracker" not in plain
    assert "! root.lock_manager.locks[0]: Lock, unlocked -> recreate" in plain


def test_bare_model_file_and_savedmodel(capsys, tmp_path, tiny_model):
    tiny_model.save(tmp_path / "tiny.keras")
    assert cli.main(["inspect", str(tmp_path / "tiny.keras")]) == 0
    out = capsys.readouterr().out
    assert "root  Sequential  output (None, 3)  params 67" in out
    assert "  hidden  Dense  output (None, 8)  params 40" in out and "0 annotation(s)" in out
    tiny_model.export(str(tmp_path / "saved"), verbose=False)
    assert cli.main(["inspect", str(tmp_path / "saved")]) == 0
    out = capsys.readouterr().out
    assert "saved: SavedModel, endpoint 'serve', 4 variables, 67 params" in out
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
def test_bad_inputs_exit_2_with_one_paragraph(capsys, tmp_path, tiny_model, setup, message):
    args = ["inspect"]
    if setup == "weights":
        tiny_model.save_weights(tmp_path / "w.weights.h5")
        args.append(str(tmp_path / "w.weights.h5"))
    elif setup == "toml":
        (tmp_path / "lockpickle.toml").write_text("[project]\nname = 'x'\n")
        args.append(str(tmp_path))
    else:
        args += ["--max-depth", "0", str(EXAMPLES / "single_lock")]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err
    assert captured.err.count("\n") == 1
