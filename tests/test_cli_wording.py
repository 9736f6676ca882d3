"""What `lockpickle` says: counts that agree with their nouns, a description in every
--help, the command-line flags (not the Python arguments) in its advice, JSON that says
what the text says, and a README whose Python API section names what exists."""

from __future__ import annotations

import importlib
import json
import re
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"


def test_counts_agree_with_their_nouns():
    from lockpickle_gui.core.text import backend_workers, counted

    assert counted(1, "request") == "1 request" and counted(2, "request") == "2 requests"
    assert counted(1_024, "request") == "1,024 requests"
    assert backend_workers(1, "processes") == "1 worker process"
    assert backend_workers(3, "processes") == "3 worker processes"
    assert (
        backend_workers(1, "ray") == "1 Ray actor" and backend_workers(2, "ray") == "2 Ray actors"
    )
    assert backend_workers(1, "threads") == "1 worker thread"


def test_preview_of_one_request_from_one_client_on_one_worker(model_file, run_cli):
    code, out, _ = run_cli(
        "preview", model_file, "--requests", "1", "--clients", "1", "--workers", "1"
    )
    assert code == 0
    assert ": 1 request from 1 client thread, 1 worker thread, max batch" in out


def _help(run_cli, capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        run_cli(*args, "--help")
    assert stopped.value.code == 0
    return capsys.readouterr().out


def test_every_help_has_a_capitalised_description(run_cli, capsys):
    from lockpickle_gui.cli import COMMANDS

    for command in COMMANDS:
        module = importlib.import_module(f"lockpickle_gui.cli.{COMMANDS[command]}")
        assert module.HELP[0].isupper() and module.HELP.endswith("."), command
    for action, sentence in [
        ("list", "List the snapshots, grouped by project."),
        ("show", "Everything recorded about one snapshot."),
        ("add", "Record snapshot files; add folders and scan them."),
        ("scan", "Rescan the library's folders (or the ones given)."),
        ("verify", "Load and re-run the stored verification."),
        ("tag", "Add (or --remove) tags."),
        ("note", "Set the free-text note ('' clears it)."),
        ("rm", "Remove snapshots from the library."),
    ]:
        assert sentence in _help(run_cli, capsys, "library", action), action


def test_preview_inputs_are_a_file_or_a_folder_in_help_and_readme(run_cli, capsys):
    text = _help(run_cli, capsys, "preview")
    assert "--inputs FILE|FOLDER" in text and "--ray-address ADDRESS" in text
    assert "[--inputs FILE|FOLDER]" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_cli_names_its_own_flags_to_trust_bundled_code(tmp_path, run_cli):
    import lockpickle_gui as lp

    snap = tmp_path / "demo.lpsnap"
    assert run_cli("export", EXAMPLES / "anomaly_service", "-o", snap)[0] == 0
    code, _, err = run_cli("verify", snap)
    assert code == 2 and "If you trust it, add --trust-bundled-code." in err
    assert "trust_bundled_code=True" not in err
    with pytest.raises(lp.UntrustedCode) as caught:  # Python callers get the argument
        lp.load_snapshot(snap)
    assert "load with trust_bundled_code=True (command line: --trust-bundled-code)" in str(
        caught.value
    )

    package = lp.read_manifest(snap)["code_package"]
    code, _, err = run_cli("verify", snap, "--trust", f"{package}.**")
    assert code == 2
    assert f"--trust '{package}.**' does not cover the bundled project code" in err
    assert "add --trust-bundled-code" in err
    code, _, err = run_cli("verify", snap, "--trust", "")
    assert code == 2 and "Received: ''." in err and "Name a type (pkg.mod.Service)" in err


class Settings:
    """A class of this module: loading it needs --trust."""


def test_untrusted_types_name_the_trust_flags_first(tmp_path, run_cli):
    from lockpickle_gui.core.snapshot import save_snapshot

    snap = tmp_path / "typed.lpsnap"
    save_snapshot({"settings": Settings(), "lock": threading.Lock()}, snap)
    code, _, err = run_cli("verify", snap)
    assert code == 2 and f"If you trust that code, add --trust {__name__}.Settings." in err
    assert "trust=[" not in err


def test_library_json_says_unverified_and_missing_as_a_bool(tmp_path, model_file, run_cli):
    from lockpickle_gui.core.library import Library

    snap = tmp_path / "tiny.lpsnap"
    assert run_cli("export", model_file, "-o", snap, "--no-verify")[0] == 0
    (entry,) = json.loads(run_cli("library", "list", "--json")[1])["entries"]
    assert entry["verdict"] == "unverified" and entry["missing"] is False
    code, out, _ = run_cli("library", "list", "--verdict", "unverified", "--json")
    assert [e["id"] for e in json.loads(out)["entries"]] == [entry["id"]]
    with Library() as library:
        (listed,) = library.entries()
        assert listed.missing is False and listed.verdict is None


# The README's Python API section: every module path it names exists, every import runs.
_DOTTED = re.compile(r"\b(lockpickle_gui(?:\.[A-Za-z_]\w*)+)")
_FROM_IMPORT = re.compile(r"^\s*from (lockpickle_gui[\w.]*) import ([\w, ]+)", re.M)


def _python_api_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Python API")
    return text[start : text.index("\n## ", start + 1)]


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def test_the_readme_python_api_names_what_exists():
    section = _python_api_section()
    named = set(_DOTTED.findall(section))
    assert "lockpickle_gui.core.inspect.paths.resolve_path" in named
    for dotted in sorted(named):
        _resolve(dotted)
    imports = _FROM_IMPORT.findall(section)
    assert imports, "the section's imports moved: update this test"
    for module, names in imports:
        for name in names.split(","):
            getattr(importlib.import_module(module), name.strip())
