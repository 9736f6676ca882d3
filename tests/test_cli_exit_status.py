"""The exit status a script sees from `lockpickle`: a reader that goes away is not a bug
(141, like a process killed by SIGPIPE), bad paths and options are 2 whatever else was done,
and --debug adds the traceback without changing the status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def run_into_closed_pipe(*args: str) -> tuple[int, str]:
    """``lockpickle ARGS | head -0``: the reader closes stdout before a byte is written."""
    clean = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "lockpickle_gui.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    process.stderr.close()
    return process.wait(timeout=300), err


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [("library", "list"), ("inspect", str(EXAMPLES / "single_lock"), "--json")],
    ids=["library-list", "inspect-json"],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(args):
    code, err = run_into_closed_pipe(*args)
    assert code == 141, err
    assert err == ""


def test_debug_adds_the_traceback_but_keeps_the_status(tmp_path, run_cli):
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"not a keras file")
    code, _, plain = run_cli("inspect", garbage)
    assert code == 2 and "Traceback" not in plain
    code, _, debug = run_cli("--debug", "inspect", garbage)
    assert code == 2
    assert "Traceback (most recent call last)" in debug
    assert debug.rstrip().endswith(plain.rstrip())  # the same one-paragraph message last


@pytest.fixture
def snapshot(tmp_path, model_file, run_cli):
    path = tmp_path / "tiny.lpsnap"
    assert run_cli("export", model_file, "-o", path, "--no-verify")[0] == 0
    return path


def test_library_add_records_what_it_can_then_refuses_a_missing_path(tmp_path, snapshot, run_cli):
    nope = tmp_path / "nope"
    code, out, err = run_cli("library", "add", nope, snapshot)
    assert code == 2
    assert "1 snapshot(s) found, 1 read" in out and f"skipped {nope}: no such file or folder" in out
    assert f"Received: {nope} (no such file or folder)" in err and "Check the path" in err
    entries = json.loads(run_cli("library", "list", "--json")[1])["entries"]
    assert [e["path"] for e in entries] == [str(snapshot.resolve())]


def test_library_add_of_a_file_that_is_not_a_snapshot_is_bad_input(tmp_path, run_cli):
    garbage = tmp_path / "garbage.lpsnap"
    garbage.write_bytes(b"junk")
    code, _, err = run_cli("library", "add", garbage)
    assert code == 2 and "not a ZIP archive" in err


def test_library_scan_refuses_missing_folders_and_files(tmp_path, snapshot, run_cli):
    folder = tmp_path / "snaps"
    folder.mkdir()
    os.replace(snapshot, folder / snapshot.name)
    code, out, err = run_cli("library", "scan", tmp_path / "nope", folder)
    assert code == 2 and "1 snapshot(s) found, 1 read" in out
    assert f"{tmp_path / 'nope'} (no such folder)" in err
    garbage = tmp_path / "existing-garbage.lpsnap"
    garbage.write_bytes(b"junk")
    code, out, err = run_cli("library", "scan", garbage, "--json")
    report = json.loads(out)
    assert code == 2 and report["found"] == 0  # nothing else was scanned in its place
    assert "a file, not a folder; `lockpickle library add FILE`" in err
    assert "does not exist" not in out + err


def test_library_list_refuses_an_unknown_sort(run_cli, capsys):
    with pytest.raises(SystemExit) as stopped:
        run_cli("library", "list", "--sort", "bogus")
    assert stopped.value.code == 2
    assert "invalid choice: 'bogus'" in capsys.readouterr().err


def test_the_parser_offers_exactly_the_library_sorts_and_verdicts():
    from lockpickle_gui.cli.library_cmd import SORTS, VERDICTS
    from lockpickle_gui.core.library.entries import SORT_COLUMNS, VerdictFilter

    assert set(SORTS) == set(SORT_COLUMNS)
    assert tuple(v.value for v in VerdictFilter) == VERDICTS


def test_a_ray_address_implies_ray_and_another_backend_is_refused(model_file, run_cli):
    from lockpickle_gui.cli import build_parser
    from lockpickle_gui.cli.preview_cmd import _backend

    parse = build_parser().parse_args
    assert _backend(parse(["preview", "m.keras", "--ray-address", "auto"])) == "ray"
    assert _backend(parse(["preview", "m.keras"])) == "threads"
    code, out, err = run_cli("preview", model_file, "--ray-address", "auto", "--backend", "threads")
    assert code == 2 and out == ""
    assert "Expected --ray-address only with --backend ray" in err
    assert "--ray-address auto with --backend threads" in err and "Drop --backend" in err
